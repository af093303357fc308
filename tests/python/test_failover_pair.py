"""Two (or three) real failover6d processes in RFC 8156 failover on loopback (issue 4, item 8).

Each test starts its partners from configurations made in a short temporary directory (free
ephemeral ports, MCLT 30 s, the minimum, and keepalive 2 s, so recovery waits are short), with
the partner link through partner_proxy.PartnerProxy, a TCP proxy in this process that can pass,
cut or blackhole the link. Clients are emulated with the failover6 package as relayed
DHCPv6 exchanges (failover_lab.Relay); the control API (`failover6 ctl`) reads the states and
the lease lists back. Every wait is a poll with a deadline. Unprivileged.

Cases: pair to NORMAL and a lease replicated; primary crash, partner-down, REBIND and a new
client served by the secondary, primary back through RECOVER / RECOVER-WAIT; partition with
clients on both sides and heal; secondary crash and restart; primary storage loss (UPDREQALL);
TLS pair; rogue certificate refused; clock skew over 5 s (faketime); m-to-1.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Iterator

import pytest

from failover_lab import (
    CHECKOUT,
    CLI,
    DAEMON,
    KEEPALIVE,
    MCLT,
    SUBNET1,
    SUBNET2,
    Node,
    Relay,
    bind,
    client_duid,
    free_port,
    poll,
    rebind,
    wait_log,
    wait_state,
)
from failover6 import FailoverMessage, MessageType, StatusCode, StatusCodeOption
from partner_proxy import PartnerProxy

pytestmark = pytest.mark.skipif(
    not DAEMON.exists() or not CLI.exists(), reason=f"{DAEMON} or {CLI} not built"
)

#: Bound on the link coming up (the primary's first connection attempt may be refused while the
#: secondary binds, and it retries after 1 s) or failing (keepalive 2 s).
LINK_S = 20.0
#: Bound on a RECOVER-WAIT: the MCLT past a time of failure that is at most the crash time plus
#: the 30 s heartbeat of the endpoint (impl/failover/endpoint.cc), plus the reconnection.
RECOVER_S = 2 * MCLT + 30.0


class Lab:
    """The nodes and proxies of one test, stopped at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[Node] = []
        self.proxies: list[PartnerProxy] = []

    def node(self, name: str, subnets: Any = (SUBNET1,)) -> Node:
        n = Node(name, self.root / name, list(subnets))
        self.nodes.append(n)
        return n

    def proxy(self, target_port: int) -> PartnerProxy:
        p = PartnerProxy(target_port)
        self.proxies.append(p)
        return p

    def logs(self) -> str:
        return "\n".join(n.log_tail() for n in self.nodes)

    def close(self) -> None:
        for n in self.nodes:
            n.stop()
        for p in self.proxies:
            p.close()


@pytest.fixture
def lab() -> Iterator[Lab]:
    # Unix socket paths are limited to 107 octets: a short directory under /tmp.
    root = Path(tempfile.mkdtemp(prefix="f6p-"))
    lab = Lab(root)
    try:
        yield lab
    finally:
        lab.close()
        shutil.rmtree(root, ignore_errors=True)


def relationship(name: str, role: str, this_port: int, peer_port: int,
                 subnets: list[int], tls: dict[str, str] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"name": name, "role": role, "this-server": f"[::1]:{this_port}",
                         "peer": f"[::1]:{peer_port}", "mclt": MCLT, "keepalive": KEEPALIVE,
                         "max-unacked": 64, "subnets": subnets}
    if tls is None:
        r["insecure"] = True
    else:
        r["tls"] = tls
    return r


def make_pair(lab: Lab, tls_primary: dict[str, str] | None = None,
              tls_secondary: dict[str, str] | None = None,
              start: bool = True) -> tuple[Node, Node, PartnerProxy]:
    """A primary and a secondary for subnet 1; the primary reaches the secondary's failover
    port through a proxy. Started (secondary first) unless @p start is false."""
    primary, secondary = lab.node("primary"), lab.node("secondary")
    p_port, s_port = free_port(), free_port()
    proxy = lab.proxy(s_port)
    primary.relationships = [relationship("lab-pair", "primary", p_port, proxy.port, [1],
                                          tls_primary)]
    secondary.relationships = [relationship("lab-pair", "secondary", s_port, p_port, [1],
                                            tls_secondary)]
    if start:
        secondary.start()
        primary.start()
    return primary, secondary, proxy


def wait_normal(lab: Lab, *nodes: Node, deadline_s: float = LINK_S) -> None:
    """Each of @p nodes (one relationship each) NORMAL and knowing its partner NORMAL."""
    for n in nodes:
        wait_state(n, "NORMAL", deadline_s, others=[m for m in lab.nodes if m is not n])
        poll(f"{n.name} to see its partner NORMAL",
             lambda: n.relationship()["partner-state"] == "NORMAL", LINK_S, lab.logs)


def is_odd(a: IPv6Address) -> bool:
    return int(a) & 1 == 1


def transitions_since(node: Node, since: float) -> list[tuple[str, str, int]]:
    """(from, to, time) of the transitions at or after wall time @p since (seconds)."""
    return [(t["from"], t["to"], int(t["time"])) for t in node.relationship()["transitions"]
            if int(t["time"]) >= int(since)]


# ---- tests -------------------------------------------------------------------------------------


def test_pair_reaches_normal_and_replicates_a_lease(lab: Lab) -> None:
    primary, secondary, proxy = make_pair(lab)
    wait_normal(lab, primary, secondary)
    p, s = primary.relationship(), secondary.relationship()
    assert (p["role"], s["role"]) == ("primary", "secondary")
    assert p["partner-state"] == "NORMAL" and s["partner-state"] == "NORMAL"
    assert p["communications-ok"] and s["communications-ok"]
    assert p["mclt"] == MCLT and s["mclt"] == MCLT
    assert proxy.accepted >= 1  # the link really goes through the proxy
    assert "F6D_FAILOVER_COMM_OK" in primary.log_text()

    with Relay(primary) as relay:
        lease = bind(relay, client_duid(1), 0x100)
    assert is_odd(lease.address), lease  # the primary allocates from its (odd) half
    # A new lease the partner has not acknowledged yet: at most the MCLT (RFC 8156 §4.4).
    assert 0 < lease.valid <= MCLT, lease
    duid = str(client_duid(1))
    assert primary.active_addresses() == {lease.address: duid}
    # The lazy update reaches the secondary (BNDUPD, durable there before BNDREPLY).
    poll("the lease on the secondary", lambda: secondary.active_addresses().get(lease.address)
         == duid, LINK_S, lab.logs)
    poll("the primary's update acknowledged",
         lambda: primary.relationship()["unacked-updates"] == 0, LINK_S, lab.logs)


def test_primary_crash_partner_down_then_recovery(lab: Lab) -> None:
    primary, secondary, proxy = make_pair(lab)
    wait_normal(lab, primary, secondary)
    a_duid = client_duid(10)
    with Relay(primary) as relay:
        a = bind(relay, a_duid, 0x200)
    poll("A's lease on the secondary",
         lambda: a.address in secondary.active_addresses(), LINK_S, lab.logs)

    # The primary records its last time of operation at its state changes (and every 30 s).
    last_operating = max(int(t["time"]) for t in primary.relationship()["transitions"])
    killed_at = time.time()
    primary.kill9()
    wait_state(secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S, others=[primary])
    # §8.3.2: the restarted primary goes to RECOVER only if the partner entered PARTNER-DOWN
    # after its last recorded operation (times in whole seconds); in the same second it would
    # have to assume both served (POTENTIAL-CONFLICT). Let the clock pass that second.
    poll("the clock to pass the primary's last operation",
         lambda: time.time() >= last_operating + 2, 5)
    r = secondary.ctl("partner-down", "lab-pair")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_state(secondary, "PARTNER-DOWN", 5)
    assert "F6D_FAILOVER_PARTNER_DOWN_COMMAND" in secondary.log_text()

    with Relay(secondary) as relay:
        # The primary's client, its server gone, rebinds and the secondary keeps its address.
        again = rebind(relay, a_duid, a.address, 0x210)
        assert again is not None, f"no REPLY to REBIND from the secondary\n{lab.logs()}"
        assert again.address == a.address
        assert again.valid > 0
        assert again.server != a.server  # the secondary answered
        # A new client gets an address from the secondary's own (even) half.
        b_duid = client_duid(11)
        b = bind(relay, b_duid, 0x220)
    assert not is_odd(b.address), b
    assert b.address != a.address

    restarted_at = time.time()
    primary.start()
    wait_normal(lab, primary, secondary, deadline_s=RECOVER_S)
    seen = [to for _, to, _ in transitions_since(primary, restarted_at)]
    assert "RECOVER" in seen and "RECOVER-WAIT" in seen, seen
    done = [t for _, to, t in transitions_since(primary, restarted_at) if to == "RECOVER-DONE"]
    assert done, seen
    # RECOVER-WAIT lasts until the MCLT past the time of failure (the crash or later).
    assert done[0] >= int(killed_at) + MCLT - 1, (done, killed_at)
    # The primary learnt the secondary's new lease and kept A's.
    poll("the secondary's lease on the primary",
         lambda: primary.active_addresses().get(b.address) == str(b_duid), LINK_S, lab.logs)
    assert primary.active_addresses().get(a.address) == str(a_duid)
    assert secondary.active_addresses().get(b.address) == str(b_duid)


def test_partition_with_clients_on_both_sides_then_heal(lab: Lab) -> None:
    primary, secondary, proxy = make_pair(lab)
    wait_normal(lab, primary, secondary)
    with Relay(primary) as relay:
        c0 = bind(relay, client_duid(20), 0x300)
    poll("c0 on the secondary", lambda: c0.address in secondary.active_addresses(), LINK_S,
         lab.logs)

    proxy.blackhole()
    wait_state(primary, "COMMUNICATIONS-INTERRUPTED", LINK_S, others=[secondary])
    wait_state(secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S, others=[primary])
    got: dict[str, IPv6Address] = {}
    with Relay(primary) as rp, Relay(secondary) as rs:
        for i in range(3):
            p = bind(rp, client_duid(30 + i), 0x310 + 16 * i)
            s = bind(rs, client_duid(40 + i), 0x410 + 16 * i)
            assert is_odd(p.address), p
            assert not is_odd(s.address), s
            # New leases while the partner cannot hear of them: at most the MCLT.
            assert p.valid <= MCLT and s.valid <= MCLT, (p, s)
            got[str(client_duid(30 + i))] = p.address
            got[str(client_duid(40 + i))] = s.address
    assert proxy.dropped > 0  # CONTACTs were sent into the blackhole

    proxy.pass_through()
    wait_normal(lab, primary, secondary, deadline_s=2 * LINK_S)
    expected = {addr: duid for duid, addr in got.items()} | {c0.address: str(client_duid(20))}

    def agree() -> bool:
        p, s = primary.active_addresses(), secondary.active_addresses()
        return p == s and all(p.get(a) == d for a, d in expected.items())

    poll("both lease lists to agree", agree, LINK_S,
         lambda: f"primary {primary.active_addresses()}\nsecondary "
                 f"{secondary.active_addresses()}\n{lab.logs()}")
    leases = primary.active_addresses()
    assert len(set(leases.values())) == len(leases)  # no client holds two addresses
    assert len(leases) == len(expected)  # and no address went to two clients


def test_secondary_crash_and_restart(lab: Lab) -> None:
    primary, secondary, proxy = make_pair(lab)
    wait_normal(lab, primary, secondary)
    with Relay(primary) as relay:
        before = bind(relay, client_duid(50), 0x500)
    poll("the lease on the secondary",
         lambda: before.address in secondary.active_addresses(), LINK_S, lab.logs)

    secondary.kill9()
    wait_state(primary, "COMMUNICATIONS-INTERRUPTED", LINK_S, others=[secondary])
    with Relay(primary) as relay:
        during = bind(relay, client_duid(51), 0x510)
    assert is_odd(during.address) and during.valid <= MCLT, during

    secondary.start()
    wait_normal(lab, primary, secondary, deadline_s=RECOVER_S)
    # The update queued while the secondary was away arrives; the old lease survived the crash.
    poll("the lease granted during the outage on the secondary",
         lambda: secondary.active_addresses().get(during.address) == str(client_duid(51)),
         LINK_S, lab.logs)
    assert secondary.active_addresses().get(before.address) == str(client_duid(50))
    assert proxy.accepted >= 2


def test_primary_storage_loss_recovers_every_lease(lab: Lab) -> None:
    primary, secondary, proxy = make_pair(lab)
    wait_normal(lab, primary, secondary)
    leases = {}
    with Relay(primary) as relay:
        for i in range(4):
            lease = bind(relay, client_duid(60 + i), 0x600 + 16 * i)
            leases[lease.address] = str(client_duid(60 + i))
    poll("every lease acknowledged by the secondary",
         lambda: primary.relationship()["unacked-updates"] == 0
         and all(secondary.active_addresses().get(a) == d for a, d in leases.items()),
         LINK_S, lab.logs)

    primary.kill9()
    assert primary.journal.exists()
    primary.journal.unlink()
    for p in primary.journal.parent.iterdir():  # whatever else the store keeps there
        if p.is_file():
            p.unlink()
    mark = len(secondary.log_text())
    primary.start()
    line = wait_log(secondary, "UPDREQALL", LINK_S, after=mark)
    assert "F6D_FAILOVER_UPDREQ" in line, line
    poll("every lease back on the primary",
         lambda: all(primary.active_addresses().get(a) == d for a, d in leases.items()),
         LINK_S, lab.logs)
    wait_normal(lab, primary, secondary, deadline_s=RECOVER_S)
    assert primary.active_addresses() == secondary.active_addresses()


# ---- TLS ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="f6c-"))
    r = subprocess.run([str(CHECKOUT / "ci" / "make_test_certs"), str(d)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    yield d
    shutil.rmtree(d, ignore_errors=True)


def tls(certs: Path, me: str, peer: str, ca: str = "ca") -> dict[str, str]:
    return {"cert-file": str(certs / f"{me}.crt"), "key-file": str(certs / f"{me}.key"),
            "ca-file": str(certs / f"{ca}.crt"), "peer-name": f"{peer}.failover6.test"}


def test_tls_pair_reaches_normal(lab: Lab, certs: Path) -> None:
    primary, secondary, proxy = make_pair(lab, tls(certs, "primary", "secondary"),
                                          tls(certs, "secondary", "primary"))
    wait_normal(lab, primary, secondary)
    session = primary.relationship()["connection"]["session"]
    assert session != "insecure" and "TLS" in session, session
    assert "TLS" in secondary.relationship()["connection"]["session"]
    with Relay(primary) as relay:
        lease = bind(relay, client_duid(70), 0x700)
    poll("the lease on the secondary over TLS",
         lambda: lease.address in secondary.active_addresses(), LINK_S, lab.logs)


@pytest.mark.parametrize("case", ["rogue-secondary", "rogue-primary", "secondary-trusts-rogue-ca"])
def test_tls_partner_with_a_foreign_certificate_is_refused(lab: Lab, certs: Path,
                                                           case: str) -> None:
    """The side that checks the foreign certificate refuses the handshake and logs it; the
    pair never gets to the failover handshake. (The rogue certificate comes from another CA
    and claims the primary's name.)"""
    if case == "rogue-secondary":  # the primary must refuse the secondary's certificate
        tp, ts = tls(certs, "primary", "secondary"), tls(certs, "rogue", "primary")
    elif case == "rogue-primary":  # an impostor primary: the secondary must refuse it
        tp, ts = tls(certs, "rogue", "secondary"), tls(certs, "secondary", "primary")
    else:  # the secondary trusts another CA than the one that signed the primary
        tp = tls(certs, "primary", "secondary")
        ts = tls(certs, "secondary", "primary", ca="rogue-ca")
    primary, secondary, proxy = make_pair(lab, tp, ts)
    refuser = primary if case == "rogue-secondary" else secondary

    line = wait_log(refuser, "F6D_TLS_HANDSHAKE_FAILED", LINK_S)
    assert "lab-pair" in line and ("unknown ca" in line or "certificate" in line), line
    # The other side sees the connection end too (the alert, or the close after it).
    other = secondary if refuser is primary else primary
    wait_log(other, "unknown ca", LINK_S)
    poll("the connection closed", lambda: proxy.open_connections() == 0, LINK_S, lab.logs)
    for n in (primary, secondary):
        rel = n.relationship()
        assert rel["state"] != "NORMAL" and not rel["communications-ok"], rel
        assert "F6D_FAILOVER_COMM_OK" not in n.log_text(), n.log_tail()
    # In TLS 1.3 the client (the primary) finishes its side of the handshake before the server
    # has checked the client's certificate, so only the checking side is sure never to have
    # reported the connection up.
    assert "F6D_PARTNER_CONNECTED" not in refuser.log_text(), refuser.log_tail()


# ---- clock skew --------------------------------------------------------------------------------


def skewed_pair(lab: Lab) -> tuple[Node, Node, PartnerProxy]:
    """A pair whose secondary runs 10 s ahead (faketime), the primary connecting to it."""
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (Debian package faketime)")
    primary, secondary, proxy = make_pair(lab, start=False)
    secondary.start(wrapper=[faketime, "-f", "+10s"])
    primary.start()
    line = wait_log(secondary, "F6D_FAILOVER_SKEW", LINK_S)
    assert "lab-pair" in line and "10 s" in line, line
    return primary, secondary, proxy


def test_clock_skew_over_5s_never_reaches_normal(lab: Lab) -> None:
    primary, secondary, proxy = skewed_pair(lab)
    poll("the skewed connection closed", lambda: proxy.open_connections() == 0, LINK_S,
         lab.logs)
    for n in (primary, secondary):
        rel = n.relationship()
        assert rel["state"] != "NORMAL" and not rel["communications-ok"], rel
        assert "F6D_FAILOVER_COMM_OK" not in n.log_text(), n.log_tail()


def split_frames(data: bytes) -> list[FailoverMessage]:
    """The complete 2-octet-length frames of @p data, decoded (RFC 8156 §5.1)."""
    out = []
    while len(data) >= 2 and len(data) >= 2 + int.from_bytes(data[:2], "big"):
        n = int.from_bytes(data[:2], "big")
        out.append(FailoverMessage.decode(data[2:2 + n]))
        data = data[2 + n:]
    return out


def test_clock_skew_connectreply_carries_excessive_time_skew(lab: Lab) -> None:
    """RFC 8156 §6.1.2: the secondary rejects the CONNECT with a CONNECTREPLY whose status is
    ExcessiveTimeSkew (22), which reaches the primary."""
    primary, secondary, proxy = skewed_pair(lab)
    poll("the skewed connection closed", lambda: proxy.open_connections() == 0, LINK_S,
         lab.logs)
    replies = [m for data in proxy.from_target() for m in split_frames(data)
               if m.type == MessageType.ConnectReply]
    assert replies, f"no CONNECTREPLY reached the primary\n{lab.logs()}"
    status = replies[0].find(StatusCodeOption)
    assert status is not None and status.status == StatusCode.ExcessiveTimeSkew, replies[0]


# ---- m-to-1 ------------------------------------------------------------------------------------


def test_one_secondary_two_primaries(lab: Lab) -> None:
    secondary = lab.node("secondary", (SUBNET1, SUBNET2))
    pa, pb = lab.node("primary-a", (SUBNET1,)), lab.node("primary-b", (SUBNET2,))
    s_port, a_port, b_port = free_port(), free_port(), free_port()
    proxy_a, proxy_b = lab.proxy(s_port), lab.proxy(s_port)
    pa.relationships = [relationship("rel-a", "primary", a_port, proxy_a.port, [1])]
    pb.relationships = [relationship("rel-b", "primary", b_port, proxy_b.port, [2])]
    # One listener (same this-server) for both relationships; CONNECT's name tells them apart.
    secondary.relationships = [relationship("rel-a", "secondary", s_port, a_port, [1]),
                               relationship("rel-b", "secondary", s_port, b_port, [2])]
    secondary.start()
    pa.start()
    pb.start()
    wait_normal(lab, pa, pb)
    for rel in ("rel-a", "rel-b"):
        wait_state(secondary, "NORMAL", LINK_S, rel=rel, others=[pa, pb])
    rels = {r["name"]: r for r in secondary.status()["relationships"]}
    assert set(rels) == {"rel-a", "rel-b"}

    with Relay(pa, SUBNET1) as ra, Relay(pb, SUBNET2) as rb:
        la = bind(ra, client_duid(80), 0x800)
        lb = bind(rb, client_duid(81), 0x810)
    poll("both primaries' leases on the secondary",
         lambda: {la.address, lb.address} <= set(secondary.active_addresses()), LINK_S,
         lab.logs)
    assert lb.address not in pa.active_addresses()  # each primary only has its own subnet

    # Each relationship has its own state: cutting one partner leaves the other NORMAL.
    pb.kill9()
    wait_state(secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S, rel="rel-b", others=[pb])
    assert secondary.state("rel-a") == "NORMAL"
    rels = {r["name"]: r for r in secondary.status()["relationships"]}
    assert rels["rel-a"]["communications-ok"] and not rels["rel-b"]["communications-ok"]
