"""Two (or three) real failover6d processes in RFC 8156 failover on loopback (issue 4, item 8).

Each test makes its partners with failover6.lab (BundledPair / Cluster: configurations in a
short temporary directory, free ephemeral ports, MCLT 30 s, the minimum, and keepalive 2 s, so
recovery waits are short), the partner link through a failover6.fault.Proxy that can pass,
reset or blackhole it and records it in a pcap. Clients are emulated with the failover6 package
as relayed DHCPv6 exchanges (failover_lab.Relay); the control API (`failover6 ctl`) reads the
states and the lease lists back. Every wait is a poll with a deadline. Unprivileged.

Cases: pair to NORMAL and a lease replicated; primary crash, partner-down, REBIND and a new
client served by the secondary, primary back through RECOVER / RECOVER-WAIT; partition with
clients on both sides and heal; secondary crash and restart; primary storage loss (UPDREQALL);
TLS pair; rogue certificate refused; clock skew over 5 s (libfaketime); m-to-1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Iterator, cast

import pytest

from failover_lab import (
    CLI,
    DAEMON,
    Relay,
    active_addresses,
    bind,
    client_duid,
    ctl,
    log_text,
    proxy_dropped,
    rebind,
    wait_log,
    wait_state,
)
from failover6 import StatusCode
from failover6.lab import BundledServer, Cluster, Lab, LabError, poll

pytestmark = pytest.mark.skipif(
    not DAEMON.exists() or not CLI.exists(), reason=f"{DAEMON} or {CLI} not built"
)

CHECKOUT = Path(__file__).resolve().parents[2]
#: The smallest MCLT the configuration accepts (RFC 8156 §4.4 needs one; 30 s keeps waits short).
MCLT = 30
#: Bound on the link coming up (the primary's first connection attempt may be refused while the
#: secondary binds, and it retries after 1 s) or failing (keepalive 2 s).
LINK_S = 20.0
#: Bound on a RECOVER-WAIT: the MCLT past a time of failure that is at most the crash time plus
#: the 30 s heartbeat of the endpoint (impl/failover/endpoint.cc), plus the reconnection.
RECOVER_S = 2 * MCLT + 30.0
#: The pairs of these tests: one subnet per primary, IA_NA only, long lease times (only the
#: MCLT bounds what a client gets before the partner acknowledged), the daemon's own
#: startup-time.
PARAMS: dict[str, Any] = {"subnets": 1, "pd": False, "mclt": MCLT, "keepalive": 2,
                          "max_unacked": 64, "t1": 1000, "t2": 2000, "preferred": 3000,
                          "valid": 4000, "startup_time": None}


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab(log=None) as lab:
        yield lab


def make_pair(lab: Lab, start: bool = True, **params: Any) -> Cluster:
    """A primary and a secondary for one subnet, relationship "lab-pair"; the primary reaches
    the secondary's failover port through a proxy. Started (secondary first) unless @p start
    is false."""
    return cast(Cluster, lab.pair("bundled", start=start, **PARAMS, **params))


def is_odd(a: IPv6Address) -> bool:
    return int(a) & 1 == 1


def transitions_since(server: BundledServer, since: float) -> list[tuple[str, str, int]]:
    """(from, to, time) of the transitions at or after wall time @p since (seconds)."""
    return [(t["from"], t["to"], int(t["time"])) for t in server.relationship()["transitions"]
            if int(t["time"]) >= int(since)]


# ---- tests -------------------------------------------------------------------------------------


def test_pair_reaches_normal_and_replicates_a_lease(lab: Lab) -> None:
    pair = make_pair(lab)
    primary, secondary, proxy = pair.primary, pair.secondary, pair.proxy()
    pair.wait_normal(LINK_S)
    p, s = primary.relationship(), secondary.relationship()
    assert (p["role"], s["role"]) == ("primary", "secondary")
    assert p["partner-state"] == "NORMAL" and s["partner-state"] == "NORMAL"
    assert p["communications-ok"] and s["communications-ok"]
    assert p["mclt"] == MCLT and s["mclt"] == MCLT
    assert proxy.stats()["connections"] >= 1  # the link really goes through the proxy
    assert "F6D_FAILOVER_COMM_OK" in log_text(primary)

    with Relay(primary) as relay:
        lease = bind(relay, client_duid(1), 0x100)
    assert is_odd(lease.address), lease  # the primary allocates from its (odd) half
    # A new lease the partner has not acknowledged yet: at most the MCLT (RFC 8156 §4.4).
    assert 0 < lease.valid <= MCLT, lease
    duid = str(client_duid(1))
    assert active_addresses(primary) == {lease.address: duid}
    # The lazy update reaches the secondary (BNDUPD, durable there before BNDREPLY).
    poll("the lease on the secondary", lambda: active_addresses(secondary).get(lease.address)
         == duid, LINK_S, pair.logs)
    poll("the primary's update acknowledged",
         lambda: int(primary.relationship()["unacked-updates"]) == 0, LINK_S, pair.logs)


def test_primary_crash_partner_down_then_recovery(lab: Lab) -> None:
    pair = make_pair(lab)
    primary, secondary = pair.primary, pair.secondary
    pair.wait_normal(LINK_S)
    a_duid = client_duid(10)
    with Relay(primary) as relay:
        a = bind(relay, a_duid, 0x200)
    poll("A's lease on the secondary",
         lambda: a.address in active_addresses(secondary), LINK_S, pair.logs)

    # The primary records its last time of operation at its state changes (and every 30 s).
    last_operating = max(int(t["time"]) for t in primary.relationship()["transitions"])
    killed_at = time.time()
    primary.kill()
    wait_state(pair, secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S)
    # §8.3.2: the restarted primary goes to RECOVER only if the partner entered PARTNER-DOWN
    # after its last recorded operation (times in whole seconds); in the same second it would
    # have to assume both served (POTENTIAL-CONFLICT). Let the clock pass that second.
    poll("the clock to pass the primary's last operation",
         lambda: time.time() >= last_operating + 2, 5)
    r = ctl(secondary, "partner-down", "lab-pair")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_state(pair, secondary, "PARTNER-DOWN", 5)
    assert "F6D_FAILOVER_PARTNER_DOWN_COMMAND" in log_text(secondary)

    with Relay(secondary) as relay:
        # The primary's client, its server gone, rebinds and the secondary keeps its address.
        again = rebind(relay, a_duid, a.address, 0x210)
        assert again is not None, f"no REPLY to REBIND from the secondary\n{pair.logs()}"
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
    pair.wait_normal(RECOVER_S)
    seen = [to for _, to, _ in transitions_since(primary, restarted_at)]
    assert "RECOVER" in seen and "RECOVER-WAIT" in seen, seen
    done = [t for _, to, t in transitions_since(primary, restarted_at) if to == "RECOVER-DONE"]
    assert done, seen
    # RECOVER-WAIT lasts until the MCLT past the time of failure (the crash or later).
    assert done[0] >= int(killed_at) + MCLT - 1, (done, killed_at)
    # The primary learnt the secondary's new lease and kept A's.
    poll("the secondary's lease on the primary",
         lambda: active_addresses(primary).get(b.address) == str(b_duid), LINK_S, pair.logs)
    assert active_addresses(primary).get(a.address) == str(a_duid)
    assert active_addresses(secondary).get(b.address) == str(b_duid)


def test_partition_with_clients_on_both_sides_then_heal(lab: Lab) -> None:
    pair = make_pair(lab)
    primary, secondary, proxy = pair.primary, pair.secondary, pair.proxy()
    pair.wait_normal(LINK_S)
    with Relay(primary) as relay:
        c0 = bind(relay, client_duid(20), 0x300)
    poll("c0 on the secondary", lambda: c0.address in active_addresses(secondary), LINK_S,
         pair.logs)

    proxy.blackhole()
    wait_state(pair, primary, "COMMUNICATIONS-INTERRUPTED", LINK_S)
    wait_state(pair, secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S)
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
    assert proxy_dropped(proxy.stats()) > 0  # CONTACTs were sent into the blackhole

    proxy.pass_through()
    pair.wait_normal(2 * LINK_S)
    expected = {addr: duid for duid, addr in got.items()} | {c0.address: str(client_duid(20))}

    def agree() -> bool:
        p, s = active_addresses(primary), active_addresses(secondary)
        return p == s and all(p.get(a) == d for a, d in expected.items())

    poll("both lease lists to agree", agree, LINK_S,
         lambda: f"primary {active_addresses(primary)}\nsecondary "
                 f"{active_addresses(secondary)}\n{pair.logs()}")
    leases = active_addresses(primary)
    assert len(set(leases.values())) == len(leases)  # no client holds two addresses
    assert len(leases) == len(expected)  # and no address went to two clients


def test_secondary_crash_and_restart(lab: Lab) -> None:
    pair = make_pair(lab)
    primary, secondary, proxy = pair.primary, pair.secondary, pair.proxy()
    pair.wait_normal(LINK_S)
    with Relay(primary) as relay:
        before = bind(relay, client_duid(50), 0x500)
    poll("the lease on the secondary",
         lambda: before.address in active_addresses(secondary), LINK_S, pair.logs)

    secondary.kill()
    wait_state(pair, primary, "COMMUNICATIONS-INTERRUPTED", LINK_S)
    with Relay(primary) as relay:
        during = bind(relay, client_duid(51), 0x510)
    assert is_odd(during.address) and during.valid <= MCLT, during

    secondary.start()
    pair.wait_normal(RECOVER_S)
    # The update queued while the secondary was away arrives; the old lease survived the crash.
    poll("the lease granted during the outage on the secondary",
         lambda: active_addresses(secondary).get(during.address) == str(client_duid(51)),
         LINK_S, pair.logs)
    assert active_addresses(secondary).get(before.address) == str(client_duid(50))
    assert proxy.stats()["connections"] >= 2


def test_primary_storage_loss_recovers_every_lease(lab: Lab) -> None:
    pair = make_pair(lab)
    primary, secondary = pair.primary, pair.secondary
    pair.wait_normal(LINK_S)
    leases = {}
    with Relay(primary) as relay:
        for i in range(4):
            lease = bind(relay, client_duid(60 + i), 0x600 + 16 * i)
            leases[lease.address] = str(client_duid(60 + i))
    poll("every lease acknowledged by the secondary",
         lambda: primary.relationship()["unacked-updates"] == 0
         and all(active_addresses(secondary).get(a) == d for a, d in leases.items()),
         LINK_S, pair.logs)

    primary.kill()
    assert (primary.storage_dir / "leases6.journal").exists()
    primary.wipe_storage()  # the journal and whatever else the store keeps there
    mark = len(log_text(secondary))
    primary.start()
    line = wait_log(secondary, "UPDREQALL", LINK_S, after=mark)
    assert "F6D_FAILOVER_UPDREQ" in line, line
    poll("every lease back on the primary",
         lambda: all(active_addresses(primary).get(a) == d for a, d in leases.items()),
         LINK_S, pair.logs)
    pair.wait_normal(RECOVER_S)
    assert active_addresses(primary) == active_addresses(secondary)


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


def tls_pair(lab: Lab, tls_primary: dict[str, str], tls_secondary: dict[str, str]) -> Cluster:
    """A pair whose partners use these TLS settings (certificates of @p certs), started."""
    pair = make_pair(lab, start=False)
    for server, settings in ((pair.primary, tls_primary), (pair.secondary, tls_secondary)):
        rel = server.relationships[0]
        del rel["insecure"]
        rel["tls"] = settings
    pair.start()
    return pair


def test_tls_pair_reaches_normal(lab: Lab, certs: Path) -> None:
    pair = tls_pair(lab, tls(certs, "primary", "secondary"), tls(certs, "secondary", "primary"))
    primary, secondary = pair.primary, pair.secondary
    pair.wait_normal(LINK_S)
    session = primary.relationship()["connection"]["session"]
    assert session != "insecure" and "TLS" in session, session
    assert "TLS" in secondary.relationship()["connection"]["session"]
    with Relay(primary) as relay:
        lease = bind(relay, client_duid(70), 0x700)
    poll("the lease on the secondary over TLS",
         lambda: lease.address in active_addresses(secondary), LINK_S, pair.logs)
    # The checker reads the partner link up to STARTTLS and its go-ahead, then leaves the
    # TLS records alone: no malformed frames, and the report says what it could not see.
    result = lab.check()
    assert result.ok, result.summary()
    assert result.report["stats"]["tls_streams"] == 2, result.report["stats"]
    assert "switched to TLS" in result.summary()


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
    pair = tls_pair(lab, tp, ts)
    primary, secondary, proxy = pair.primary, pair.secondary, pair.proxy()
    refuser = primary if case == "rogue-secondary" else secondary

    line = wait_log(refuser, "F6D_TLS_HANDSHAKE_FAILED", LINK_S)
    assert "lab-pair" in line and ("unknown ca" in line or "certificate" in line), line
    # The other side sees the connection end too (the alert, or the close after it).
    other = secondary if refuser is primary else primary
    wait_log(other, "unknown ca", LINK_S)
    poll("the connection closed", lambda: int(proxy.stats()["open_connections"]) == 0, LINK_S,
         pair.logs)
    for n in (primary, secondary):
        rel = n.relationship()
        assert rel["state"] != "NORMAL" and not rel["communications-ok"], rel
        assert "F6D_FAILOVER_COMM_OK" not in log_text(n), n.log_tail()
    # In TLS 1.3 the client (the primary) finishes its side of the handshake before the server
    # has checked the client's certificate, so only the checking side is sure never to have
    # reported the connection up.
    assert "F6D_PARTNER_CONNECTED" not in log_text(refuser), refuser.log_tail()


# ---- clock skew --------------------------------------------------------------------------------


def open_connections(pair: Cluster) -> int:
    return int(pair.proxy().stats()["open_connections"])


def skewed_pair(lab: Lab) -> Cluster:
    """A pair whose secondary runs 10 s ahead (libfaketime), the primary connecting to it;
    returned once the secondary has logged the skew and the connection is closed."""
    try:
        pair = make_pair(lab, skew=10.0)
    except LabError as e:
        pytest.skip(f"no clock skew here: {e}")
    line = wait_log(pair.secondary, "F6D_FAILOVER_SKEW", LINK_S)
    assert "lab-pair" in line and "10 s" in line, line
    poll("the skewed connection closed", lambda: open_connections(pair) == 0,
         LINK_S, pair.logs)
    return pair


def test_clock_skew_over_5s_never_reaches_normal(lab: Lab) -> None:
    pair = skewed_pair(lab)
    for n in (pair.primary, pair.secondary):
        rel = n.relationship()
        assert rel["state"] != "NORMAL" and not rel["communications-ok"], rel
        assert "F6D_FAILOVER_COMM_OK" not in log_text(n), n.log_tail()


def test_clock_skew_connectreply_carries_excessive_time_skew(lab: Lab) -> None:
    """RFC 8156 §6.1.2: the secondary rejects the CONNECT with a CONNECTREPLY whose status is
    ExcessiveTimeSkew (22), which reaches the primary (read back from the proxy's pcap of the
    link as delivered, decoded by `failover6 decode`)."""
    pair = skewed_pair(lab)
    proxy = pair.proxy()
    proxy.close()  # completes the pcap
    port = pair.secondary.failover_port
    r = subprocess.run([str(CLI), "decode", "--json", "--tcp-port", str(port), str(proxy.pcap)],
                       capture_output=True, text=True, timeout=LINK_S)
    assert r.returncode == 0, r.stdout + r.stderr
    decoded = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    replies = [m["message"] for m in decoded if m.get("sport") == port
               and m.get("kind") == "failover" and m["message"].get("type") == "CONNECTREPLY"]
    assert replies, f"no CONNECTREPLY reached the primary\n{r.stdout}\n{pair.logs()}"
    status = [o["status"] for o in replies[0]["options"] if o.get("option") == "STATUS_CODE"]
    assert status == [int(StatusCode.ExcessiveTimeSkew)], replies[0]


# ---- m-to-1 ------------------------------------------------------------------------------------


def test_one_secondary_two_primaries(lab: Lab) -> None:
    # One listener (the secondary's failover port) for both relationships; CONNECT's name
    # tells them apart.
    cluster = lab.m_to_1(2, **PARAMS)
    pa, pb, secondary = cluster.primaries[0], cluster.primaries[1], cluster.secondary
    cluster.wait_normal(LINK_S)
    rels = {r["name"]: r for r in secondary.status()["relationships"]}
    assert set(rels) == {"rel-1", "rel-2"}
    assert all(r["state"] == "NORMAL" for r in rels.values()), rels

    with Relay(pa) as ra, Relay(pb) as rb:
        la = bind(ra, client_duid(80), 0x800)
        lb = bind(rb, client_duid(81), 0x810)
    assert ra.subnet != rb.subnet
    poll("both primaries' leases on the secondary",
         lambda: {la.address, lb.address} <= set(active_addresses(secondary)), LINK_S,
         cluster.logs)
    assert lb.address not in active_addresses(pa)  # each primary only has its own subnet

    # Each relationship has its own state: cutting one partner leaves the other NORMAL.
    pb.kill()
    wait_state(cluster, secondary, "COMMUNICATIONS-INTERRUPTED", LINK_S, rel="rel-2")
    assert secondary.state("rel-1") == "NORMAL"
    rels = {r["name"]: r for r in secondary.status()["relationships"]}
    assert rels["rel-1"]["communications-ok"] and not rels["rel-2"]["communications-ok"]
