"""ISC dhclient -6 (isc-dhcp-client) against failover6d, in network namespaces (needs root).

Two namespaces joined by a veth pair: the server's (v0, served through Dhcp6.interfaces-config,
so failover6d listens on [::]:547 there and joins ff02::1:2) and the client's (v1). dhclient
runs in the foreground (-d), tries once (-1), keeps its lease and pid files in the test's
directory, and runs a hook script (-sf) instead of dhclient-script: the hook records every call
(reason and lease variables) as a JSON line and configures or removes the address on v1 the way
dhclient-script does (`ip -6 addr replace ADDR/128 ... valid_lft ... preferred_lft ...`). It
never touches /etc/resolv.conf, which all namespaces share.

With renew-timer 2 s and rebind-timer 3 s the client renews within seconds. What is checked:
the address (IA_NA) or prefix (IA_PD, -P; both with -N -P) dhclient binds is the lease
failover6d holds as ACTIVE for dhclient's DUID and IAID, with the configured lifetimes and DNS
options; the address on v1 is that lease; a RENEW6 follows and the server counts the renewal;
`dhclient -6 -r` sends RELEASE, the server's REPLY (seen with dumpcap, since dhclient -r does
not wait for it) says Success, the lease leaves ACTIVE (RELEASED or FREE) and the hook removes
the address. Also: a restarted client CONFIRMs its address and keeps it; -S gets the DNS
options by INFORMATION-REQUEST; a client whose RENEW goes unanswered REBINDs and keeps its
address.

Only fd00::/8 and link-local addresses, inside namespaces the tests create and remove.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from dataclasses import dataclass
from ipaddress import IPv6Address, IPv6Network
from pathlib import Path
from typing import Any, Iterator

import pytest

from failover6 import Message, MessageType, StatusCode, StatusCodeOption
from netns_lab import (DEADLINE_S, Capture, Failover6d, Lab, Link, needs, run, short_dir,
                       wait_until, which)

pytestmark = needs("ip", "dhclient")

RENEW_S, REBIND_S, PREFERRED_S, VALID_S = 2, 3, 20, 30
DNS_SERVERS, DOMAIN = "fd00:53::1, fd00:53::2", "lab.example"
#: dhclient's configuration: the options it asks for (not the host's /etc/dhcp/dhclient.conf).
DHCLIENT_CONF = "request dhcp6.name-servers, dhcp6.domain-search;\n"

HOOK = r"""#!/usr/bin/python3
# dhclient -sf hook for the failover6 interop tests: sets the address as dhclient-script does,
# then records the call (so a test that sees the record also sees the address).
import json, os, subprocess
env = {k: v for k, v in os.environ.items()
       if k in ("reason", "interface") or k.startswith(("new_", "old_", "cur_"))}
reason, dev = env.get("reason"), env.get("interface")
def ip(*args):
    return subprocess.run([@IP@, "-6", "addr", *args, "dev", dev]).returncode
rc = None
if reason in ("BOUND6", "RENEW6", "REBIND6", "REBOOT6") and env.get("new_ip6_address"):
    old, new = env.get("old_ip6_address"), env["new_ip6_address"]
    if old and old != new:
        ip("del", old + "/" + env["old_ip6_prefixlen"])
    rc = ip("replace", new + "/" + env["new_ip6_prefixlen"], "scope", "global",
            "valid_lft", env["new_max_life"], "preferred_lft", env["new_preferred_life"])
elif reason in ("RELEASE6", "STOP6", "EXPIRE6") and env.get("old_ip6_address"):
    rc = ip("del", env["old_ip6_address"] + "/" + env["old_ip6_prefixlen"])
env["ip_rc"] = str(rc)
with open(@LOG@, "a") as f:
    f.write(json.dumps(env) + "\n")
"""


@dataclass
class Env:
    lab: Lab
    link: Link
    server: Failover6d
    dir: Path
    na_pool: tuple[IPv6Address, IPv6Address]
    pd_pool: IPv6Network


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    sockdir = short_dir()
    lab = Lab()
    try:
        srv_ns, cli_ns = lab.namespace("s"), lab.namespace("c")
        # The client end gets no static global address: the only one dhclient's hook adds is
        # the lease.
        link = lab.link(srv_ns, cli_ns, client_address=False)
        first, last = IPv6Address(link.prefix + "1:0"), IPv6Address(link.prefix + "1:ffff")
        pd_pool = IPv6Network(f"fd00:f7:{link.prefix.split(':')[2]}::/48")
        cfg: dict[str, Any] = {
            "Dhcp6": {
                "renew-timer": RENEW_S, "rebind-timer": REBIND_S,
                "preferred-lifetime": PREFERRED_S, "valid-lifetime": VALID_S,
                "interfaces-config": {"interfaces": [link.server_if]},
                "subnet6": [{
                    "id": 1, "subnet": link.subnet, "interface": link.server_if,
                    "pools": [{"pool": f"{first} - {last}"}],
                    "pd-pools": [{"prefix": str(pd_pool.network_address), "prefix-len": 48,
                                  "delegated-len": 56}],
                }],
                "option-data": [{"name": "dns-servers", "data": DNS_SERVERS},
                                {"name": "domain-search", "data": DOMAIN}],
            },
            "Failover6": {"listen": []},
        }
        server = Failover6d(lab, srv_ns, cfg, tmp_path, sockdir)
        yield Env(lab, link, server, tmp_path, (first, last), pd_pool)
    finally:
        lab.close()
        shutil.rmtree(sockdir, ignore_errors=True)


class Dhclient:
    """One dhclient -6 in the client namespace, with its files in the test's directory."""

    def __init__(self, env: Env, flags: list[str]) -> None:
        self.env = env
        self.flags = flags
        d = env.dir
        self.leases_file, self.pid_file = d / "dhclient6.leases", d / "dhclient6.pid"
        self.record, self.log = d / "hook.jsonl", d / "dhclient.log"
        self.hook = d / "hook.py"
        self.conf = d / "dhclient.conf"
        self.conf.write_text(DHCLIENT_CONF)
        ip = which("ip")
        self.hook.write_text(HOOK.replace("@LOG@", repr(str(self.record)))
                             .replace("@IP@", repr(ip)))
        self.hook.chmod(0o755)
        self.proc = env.lab.popen(self.argv("-1", "-d"), env.link.client_ns, self.log)

    def argv(self, *extra: str) -> list[str]:
        return ["dhclient", "-6", *self.flags, *extra, "-v", "-cf", str(self.conf),
                "-lf", str(self.leases_file),
                "-pf", str(self.pid_file), "-sf", str(self.hook), self.env.link.client_if]

    def diagnostics(self) -> str:
        parts = []
        for p in (self.log, self.record, self.env.server.log):
            parts.append(f"--- {p.name}\n" + (p.read_text(errors="replace") if p.exists()
                                                else "(absent)"))
        return "\n".join(parts)

    def calls(self) -> list[dict[str, str]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]

    def wait_call(self, reason: str, after: int = 0) -> dict[str, str]:
        """The first hook call with @p reason among calls[after:], waiting for it."""
        def probe() -> dict[str, str] | None:
            exited = self.proc.poll() is not None  # before reading: the hook runs before exit
            found = next((c for c in self.calls()[after:] if c["reason"] == reason), None)
            if found is None and exited and reason not in ("RELEASE6", "STOP6"):
                pytest.fail(f"dhclient exited with {self.proc.returncode}\n{self.diagnostics()}")
            return found
        return wait_until(probe, f"dhclient hook {reason}", diagnostics=self.diagnostics)

    def release(self) -> subprocess.CompletedProcess[str]:
        """`dhclient -6 -r`: ends the running client (through its pid file) and sends RELEASE."""
        r = run(self.argv("-r"), ns=self.env.link.client_ns, check=False)
        assert r.returncode == 0, r.stdout + r.stderr + self.diagnostics()
        self.proc.wait(timeout=DEADLINE_S)
        return r


def duid_of(call: dict[str, str]) -> str:
    """dhclient's "0:1:0:1:32:9c" DUID spelling as the server's "00:01:00:01:32:9c"."""
    return ":".join(f"{int(x, 16):02x}" for x in call["new_dhcp6_client_id"].split(":"))


def iaid_of(call: dict[str, str]) -> int:
    """dhclient prints the IAID (the interface's last 4 MAC octets) in hex ("2c:78:3a:ef"), or
    as a quoted string when every octet is printable ('"Xu"E"')."""
    v = call["new_iaid"]
    if len(v) == 6 and v[0] == v[-1] == '"':
        return int.from_bytes(v[1:-1].encode("latin-1"), "big")
    return int(v.replace(":", ""), 16)


def active_lease(env: Env, duid: str, lease_type: str) -> dict[str, Any]:
    leases = [lease for lease in env.server.leases("--duid", duid) if lease["type"] == lease_type]
    assert len(leases) == 1, leases
    return leases[0]


def wait_not_active(env: Env, client: "Dhclient", duid: str, lease_type: str) -> dict[str, Any]:
    """Waits until the client's lease of @p lease_type is no longer ACTIVE; returns it."""
    def probe() -> dict[str, Any] | None:
        lease = active_lease(env, duid, lease_type)
        return lease if lease["state"] != "ACTIVE" else None
    return wait_until(probe, f"the {lease_type} lease to leave ACTIVE",
                      diagnostics=client.diagnostics)


def release_and_reply(capture: Capture) -> tuple[Message, Message]:
    """The client's RELEASE and the server's REPLY to it, from @p capture (waiting for them)."""
    def probe() -> tuple[Message, Message] | None:
        msgs = [(m, sport) for _, sport, _, _, p in capture.udp()
                if isinstance(m := Message.decode(p), Message)]
        rel = [m for m, sport in msgs if sport == 546 and m.type == MessageType.Release]
        for r in rel:
            rep = [m for m, sport in msgs if sport == 547 and m.type == MessageType.Reply
                   and m.transaction_id == r.transaction_id]
            if rep:
                return r, rep[0]
        return None
    return wait_until(probe, "the REPLY to dhclient's RELEASE in the capture")


def test_address_bind_renew_release(env: Env) -> None:
    client = Dhclient(env, [])
    bound = client.wait_call("BOUND6")
    addr = IPv6Address(bound["new_ip6_address"])
    assert bound["ip_rc"] == "0", bound
    assert env.na_pool[0] <= addr <= env.na_pool[1], bound
    assert (bound["new_renew"], bound["new_rebind"]) == (str(RENEW_S), str(REBIND_S))
    assert (bound["new_preferred_life"], bound["new_max_life"]) == (str(PREFERRED_S),
                                                                     str(VALID_S))
    assert bound["new_dhcp6_name_servers"] == DNS_SERVERS.replace(",", ""), bound
    assert bound["new_dhcp6_domain_search"] == DOMAIN + ".", bound
    duid = duid_of(bound)

    lease = active_lease(env, duid, "IA_NA")
    assert lease["state"] == "ACTIVE", lease
    assert IPv6Address(lease["ip-address"]) == addr
    assert lease["prefix-len"] == 128
    assert lease["iaid"] == iaid_of(bound)
    assert (lease["preferred-lft"], lease["valid-lft"]) == (PREFERRED_S, VALID_S)
    # The address dhclient's hook configured on v1 is the server's lease.
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == [f"{addr}/128"]

    # T1 = 2 s: the client renews and keeps its address; the server counts a renewal.
    renewed = client.wait_call("RENEW6")
    assert renewed["new_ip6_address"] == str(addr)
    stats = env.server.statistics()
    assert stats["received-by-type"].get("RENEW", 0) >= 1, stats
    assert stats["leases-renewed"] >= 1, stats
    assert active_lease(env, duid, "IA_NA")["state"] == "ACTIVE"
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == [f"{addr}/128"]

    n = len(client.calls())
    capture = None
    if which("dumpcap"):  # tshark's capture engine, from ci/deps
        capture = Capture(env.lab, env.link.client_ns, env.link.client_if,
                          env.dir / "release.pcap")
    out = client.release()
    assert "Release Address " + str(addr) in out.stdout + out.stderr
    if capture is not None:
        # dhclient -r does not wait for the REPLY (it exits after one transmission either way),
        # so check the REPLY on the wire: RFC 8415 §18.3.7, Success at the top level.
        _, reply = release_and_reply(capture)
        capture.stop()
        status = reply.find(StatusCodeOption)
        assert status is not None and status.status == StatusCode.Success, reply.describe()
    released = client.wait_call("RELEASE6", after=n)
    assert released["old_ip6_address"] == str(addr)
    assert released["ip_rc"] == "0", released
    lease = wait_not_active(env, client, duid, "IA_NA")
    assert lease["state"] in ("RELEASED", "FREE"), lease
    stats = env.server.statistics()
    assert stats["received-by-type"]["RELEASE"] == 1, stats
    assert stats["leases-released"] == 1, stats
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == []


def test_prefix_bind_renew_release(env: Env) -> None:
    client = Dhclient(env, ["-P"])
    bound = client.wait_call("BOUND6")
    assert "new_ip6_address" not in bound, bound  # -P alone asks for IA_PD only
    prefix = IPv6Network(bound["new_ip6_prefix"])
    assert prefix.prefixlen == 56 and prefix.subnet_of(env.pd_pool), bound
    assert (bound["new_preferred_life"], bound["new_max_life"]) == (str(PREFERRED_S),
                                                                     str(VALID_S))
    duid = duid_of(bound)
    lease = active_lease(env, duid, "IA_PD")
    assert lease["state"] == "ACTIVE"
    assert IPv6Network(f"{lease['ip-address']}/{lease['prefix-len']}") == prefix
    assert lease["iaid"] == iaid_of(bound)
    assert env.server.leases("--duid", duid) == [lease]  # no IA_NA was asked for

    renewed = client.wait_call("RENEW6")
    assert renewed["new_ip6_prefix"] == str(prefix)
    assert env.server.statistics()["leases-renewed"] >= 1
    assert active_lease(env, duid, "IA_PD")["state"] == "ACTIVE"

    n = len(client.calls())
    out = client.release()
    assert "Release Prefix " + str(prefix) in out.stdout + out.stderr
    client.wait_call("RELEASE6", after=n)
    lease = wait_not_active(env, client, duid, "IA_PD")
    assert lease["state"] in ("RELEASED", "FREE"), lease


def test_address_and_prefix_together(env: Env) -> None:
    """-N -P: one client holding an IA_NA and an IA_PD in the same exchange."""
    client = Dhclient(env, ["-N", "-P"])
    bound = client.wait_call("BOUND6")
    # dhclient calls the hook once per address and per prefix; wait for both.
    def both_bound() -> list[dict[str, str]] | None:
        calls = [c for c in client.calls() if c["reason"] == "BOUND6"]
        return calls if len(calls) >= 2 else None
    calls = wait_until(both_bound, "BOUND6 for both IAs", diagnostics=client.diagnostics)
    addr = next(c["new_ip6_address"] for c in calls if "new_ip6_address" in c)
    prefix = next(c["new_ip6_prefix"] for c in calls if "new_ip6_prefix" in c)
    duid = duid_of(bound)
    leases = {lease["type"]: lease for lease in env.server.leases("--duid", duid)}
    assert set(leases) == {"IA_NA", "IA_PD"}, leases
    assert leases["IA_NA"]["ip-address"] == addr and leases["IA_NA"]["state"] == "ACTIVE"
    assert f"{leases['IA_PD']['ip-address']}/{leases['IA_PD']['prefix-len']}" == prefix
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == [f"{addr}/128"]
    client.release()
    wait_until(lambda: all(lease["state"] != "ACTIVE"
                           for lease in env.server.leases("--duid", duid)),
               "both leases to leave ACTIVE", diagnostics=client.diagnostics)


def test_confirm_after_restart(env: Env) -> None:
    """A client that restarts with its lease file CONFIRMs its address (RFC 8415 §18.2.3) and
    keeps it; the server answers Success without a new SOLICIT."""
    client = Dhclient(env, [])
    addr = client.wait_call("BOUND6")["new_ip6_address"]
    client.proc.kill()  # no RELEASE: as if the host crashed
    client.proc.wait(timeout=DEADLINE_S)
    n = len(client.calls())
    again = Dhclient(env, [])
    rebound = again.wait_call("BOUND6", after=n)
    assert rebound["new_ip6_address"] == addr, rebound
    assert "Confirming active lease" in again.log.read_text()
    assert 'message status code Success' in again.log.read_text()
    stats = env.server.statistics()
    assert stats["received-by-type"]["CONFIRM"] == 1, stats
    assert stats["received-by-type"]["SOLICIT"] == 1, stats
    assert active_lease(env, duid_of(rebound), "IA_NA")["ip-address"] == addr
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == [f"{addr}/128"]


def test_stateless_information_request(env: Env) -> None:
    """-S: INFORMATION-REQUEST; the REPLY carries the configured DNS options and no lease is
    made."""
    client = Dhclient(env, ["-S"])
    assert client.proc.wait(timeout=DEADLINE_S) == 0, client.diagnostics()
    calls = [c for c in client.calls() if "new_dhcp6_name_servers" in c]
    assert len(calls) == 1, client.diagnostics()
    assert calls[0]["new_dhcp6_name_servers"] == DNS_SERVERS.replace(",", "")
    assert calls[0]["new_dhcp6_domain_search"] == DOMAIN + "."
    assert "new_ip6_address" not in calls[0]
    stats = env.server.statistics()
    assert stats["received-by-type"] == {"INFORMATION-REQUEST": 1}, stats
    assert env.server.leases() == []


def test_rebind_when_renew_is_unanswered(env: Env) -> None:
    """The server is paused (SIGSTOP) through the client's RENEW; past T2 the client REBINDs
    (RFC 8415 §18.2.5) and, the server resumed, keeps its address. dhclient waits out its
    first RENEW retransmission interval (REN_TIMEOUT, ~10 s) before rebinding: ~12 s."""
    client = Dhclient(env, [])
    addr = client.wait_call("BOUND6")["new_ip6_address"]
    n = len(client.calls())
    server = env.server.proc
    server.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: "XMT: Rebind on" in client.log.read_text(), "dhclient to REBIND",
                   timeout=30, diagnostics=client.diagnostics)
    finally:
        server.send_signal(signal.SIGCONT)
    rebound = client.wait_call("REBIND6", after=n)
    assert rebound["new_ip6_address"] == addr, rebound
    stats = env.server.statistics()
    assert stats["received-by-type"].get("REBIND", 0) >= 1, stats
    lease = active_lease(env, duid_of(rebound), "IA_NA")
    assert lease["state"] == "ACTIVE" and lease["ip-address"] == addr, lease
    assert env.lab.addresses(env.link.client_ns, env.link.client_if) == [f"{addr}/128"]
