"""ISC perfdhcp -6 (package kea-admin) against failover6d.

perfdhcp runs bounded 4-way exchanges (SOLICIT-ADVERTISE-REQUEST-REPLY): -n N exchanges at
-r RATE per second from distinct clients (-R large, fixed seed -s), with -u (perfdhcp checks
that no address or prefix was handed to two clients). Three ways of reaching the server:

* direct: namespaces joined by a veth pair; perfdhcp -l v1 multicasts to ff02::1:2 and
  failover6d serves v0 through Dhcp6.interfaces-config ([::]:547 on v0, ff02::1:2 joined);
  the subnet is selected by its "interface" (needs root);
* relayed: the same link, perfdhcp -A 1 sends RELAY-FORW by unicast to the server's fd00::
  address, which the v0 interface socket receives; the subnet is selected by the relay's
  link-address, perfdhcp's own address in the subnet (needs root);
* loopback: no namespace, no root; failover6d listens on [::1]:PORT (Failover6.listen) and
  perfdhcp -6 -l ::1 -N PORT -L PORT2 -A 1 -J FILE relays to it with the link-address from FILE,
  which the subnet names in relay.ip-addresses.

Each with -e address-only (IA_NA) and -e prefix-only (IA_PD). What is checked: perfdhcp exits 0,
its report shows every SOLICIT answered by an ADVERTISE and every REQUEST by a REPLY (no drops,
no orphans, no rejected or non-unique leases, no malformed packets), and failover6d holds
one ACTIVE lease of that type per exchange, inside the pool, and dropped nothing. A second test
mixes renews (-f) and releases (-F) into -e address-and-prefix traffic and checks every RENEW
and RELEASE is answered and counted.
"""

from __future__ import annotations

import re
import shutil
import socket
from dataclasses import dataclass
from ipaddress import IPv6Address, IPv6Network
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from netns_lab import Failover6d, Lab, run, short_dir, skip_reason

#: Exchanges per run, their rate per second, and perfdhcp's seed (distinct clients).
N, RATE, SEED = 200, 400, 7
NA_FIRST, NA_LAST = "1:0", "1:ffff"
PD_LEN, PD_DELEGATED = 40, 56


def parse_report(text: str) -> dict[str, dict[str, str]]:
    """perfdhcp's final report as {section: {key: value}}; sections are the "***...***"
    headings ("Statistics for: SOLICIT-ADVERTISE", "Malformed Packets", "Rate statistics")."""
    sections: dict[str, dict[str, str]] = {}
    current: Optional[dict[str, str]] = None
    for line in text.splitlines():
        m = re.fullmatch(r"\*\*\*(.+?)\*\*\*", line.strip())
        if m:
            current = sections.setdefault(m.group(1).strip(), {})
            continue
        if current is not None and ":" in line:
            key, _, value = line.partition(":")
            current.setdefault(key.strip(), value.strip())
    return sections


def assert_clean_exchanges(out: str, n: int) -> int:
    """Checks that perfdhcp's report shows no failure; returns the number of exchanges (perfdhcp
    may start one or two beyond -n N when its rate control sends a batch)."""
    rep = parse_report(out)
    count = 0
    for name in ("SOLICIT-ADVERTISE", "REQUEST-REPLY"):
        s = rep.get(f"Statistics for: {name}")
        assert s is not None, f"no {name} statistics in perfdhcp's report:\n{out}"
        got = {k: int(s[k]) for k in ("sent packets", "received packets", "drops", "orphans",
                                       "rejected leases", "non unique addresses")}
        count = count or got["sent packets"]
        assert n <= count <= n + 4, f"{name}: {got}\n{out}"
        assert got == {"sent packets": count, "received packets": count, "drops": 0,
                       "orphans": 0, "rejected leases": 0, "non unique addresses": 0}, \
            f"{name}: {got}\n{out}"
    assert int(rep["Malformed Packets"]["Malformed packets"]) == 0, out
    return count


@dataclass
class Target:
    """Where perfdhcp runs and the arguments that reach the server."""

    ns: Optional[str]
    args: list[str]
    server: Failover6d
    subnet_prefix: str  # "fd00:f6:1::" of the /64 whose pools serve
    pd_pool: IPv6Network


def server_config(prefix: str, pd_pool: IPv6Network, **subnet: Any) -> dict[str, Any]:
    return {
        "Dhcp6": {
            "renew-timer": 1000, "rebind-timer": 2000,
            "preferred-lifetime": 3000, "valid-lifetime": 4000,
            "subnet6": [{
                "id": 1, "subnet": prefix + "/64",
                "pools": [{"pool": f"{prefix}{NA_FIRST} - {prefix}{NA_LAST}"}],
                "pd-pools": [{"prefix": str(pd_pool.network_address), "prefix-len": PD_LEN,
                              "delegated-len": PD_DELEGATED}],
                **subnet,
            }],
            "loggers": [{"name": "failover6d", "severity": "WARN",
                         "output_options": [{"output": "stdout"}]}],
        },
        "Failover6": {"listen": []},
    }


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["direct", "relayed", "loopback"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    mode = request.param
    reason = skip_reason("perfdhcp", *(("ip",) if mode != "loopback" else ()),
                         root=mode != "loopback")
    if reason:
        pytest.skip(reason)
    sockdir = short_dir()
    lab = Lab()
    try:
        if mode == "loopback":
            prefix, relay = "fd00:f6:a::", "fd00:f6:a::1"
            pd_pool = IPv6Network(f"fd00:f700::/{PD_LEN}")
            cfg = server_config(prefix, pd_pool, relay={"ip-addresses": [relay]})
            port = free_udp_port()
            cfg["Failover6"]["listen"] = [f"[::1]:{port}"]
            server = Failover6d(lab, None, cfg, tmp_path, sockdir)
            links = tmp_path / "relay-link.txt"
            links.write_text(relay + "\n")
            args = ["-l", "::1", "-N", str(port), "-L", str(free_udp_port()), "-A", "1",
                    "-J", str(links), "::1"]
            yield Target(None, args, server, prefix, pd_pool)
        else:
            srv_ns, cli_ns = lab.namespace("s"), lab.namespace("c")
            link = lab.link(srv_ns, cli_ns)
            pd_pool = IPv6Network(f"fd00:f700::/{PD_LEN}")
            cfg = server_config(link.prefix, pd_pool, interface=link.server_if)
            cfg["Dhcp6"]["interfaces-config"] = {"interfaces": [link.server_if]}
            server = Failover6d(lab, srv_ns, cfg, tmp_path, sockdir)
            args = ["-l", link.client_if]
            if mode == "relayed":
                args += ["-A", "1", link.server_addr]
            yield Target(cli_ns, args, server, link.prefix, pd_pool)
    finally:
        lab.close()
        shutil.rmtree(sockdir, ignore_errors=True)


@pytest.mark.parametrize("lease_type", ["address-only", "prefix-only"])
def test_perfdhcp_exchanges(target: Target, lease_type: str) -> None:
    argv = ["perfdhcp", "-6", "-e", lease_type, "-n", str(N), "-r", str(RATE),
            "-R", "16777216", "-s", str(SEED), "-u", "-W", "500000", *target.args]
    r = run(argv, ns=target.ns, check=False, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"perfdhcp exited with {r.returncode}\n{out}\n" \
                              f"{target.server.log_text()}"
    n = assert_clean_exchanges(out, N)

    stats = target.server.statistics()
    assert stats["dropped-total"] == 0, stats
    assert stats["received-by-type"] == {"SOLICIT": n, "REQUEST": n}, stats
    kind = "IA_NA" if lease_type == "address-only" else "IA_PD"
    leases = [lease for lease in target.server.leases() if lease["type"] == kind]
    assert len(leases) == n, f"{len(leases)} {kind} leases for {n} distinct clients"
    assert all(lease["state"] == "ACTIVE" for lease in leases)
    assert len({lease["duid"] for lease in leases}) == n
    if kind == "IA_NA":
        first = IPv6Address(target.subnet_prefix + NA_FIRST)
        last = IPv6Address(target.subnet_prefix + NA_LAST)
        assert all(first <= IPv6Address(lease["ip-address"]) <= last for lease in leases)
    else:
        nets = {IPv6Network(f"{lease['ip-address']}/{lease['prefix-len']}") for lease in leases}
        assert len(nets) == n
        assert all(p.prefixlen == PD_DELEGATED and p.subnet_of(target.pd_pool) for p in nets)
    assert len(target.server.leases()) == n  # and nothing of the other type


def test_perfdhcp_renew_and_release(target: Target) -> None:
    """-e address-and-prefix with renews (-f) and releases (-F) of bound clients mixed in:
    every RENEW and RELEASE is answered, and the server's counts match perfdhcp's.

    perfdhcp files each REPLY under REQUEST-REPLY first, then RENEW-REPLY, then RELEASE-REPLY,
    counting an orphan in each it does not match (Kea 2.2 gets the same orphan counts): hence
    RR orphans = renews + releases and RN orphans = releases."""
    argv = ["perfdhcp", "-6", "-e", "address-and-prefix", "-r", "300", "-f", "60", "-F", "60",
            "-p", "2", "-R", "16777216", "-s", str(SEED), "-W", "500000", *target.args]
    r = run(argv, ns=target.ns, check=False, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 0, f"perfdhcp exited with {r.returncode}\n{out}"
    rep = parse_report(out)
    got: dict[str, tuple[int, int]] = {}
    for name in ("SOLICIT-ADVERTISE", "REQUEST-REPLY", "RENEW-REPLY", "RELEASE-REPLY"):
        s = rep[f"Statistics for: {name}"]
        sent, received = int(s["sent packets"]), int(s["received packets"])
        assert sent > 0 and received == sent and int(s["drops"]) == 0, f"{name}: {s}\n{out}"
        assert int(s["rejected leases"]) == 0, f"{name}: {s}"
        got[name] = (sent, int(s["orphans"]))
    renews, releases = got["RENEW-REPLY"][0], got["RELEASE-REPLY"][0]
    assert got["SOLICIT-ADVERTISE"][1] == 0 and got["RELEASE-REPLY"][1] == 0, got
    assert got["REQUEST-REPLY"][1] == renews + releases, got
    assert got["RENEW-REPLY"][1] == releases, got

    stats = target.server.statistics()
    assert stats["dropped-total"] == 0, stats
    by_type = stats["received-by-type"]
    assert (by_type["RENEW"], by_type["RELEASE"]) == (renews, releases), stats
    # Each RENEW and RELEASE carries the client's IA_NA and IA_PD.
    assert stats["leases-renewed"] == 2 * renews, stats
    assert stats["leases-released"] == 2 * releases, stats
    states = stats["leases-by-state"]
    bound = got["REQUEST-REPLY"][0]
    for kind in ("IA_NA", "IA_PD"):
        assert states[kind].get("ACTIVE", 0) == bound - releases, stats
        assert states[kind].get("ACTIVE", 0) + states[kind].get("FREE", 0) + \
            states[kind].get("RELEASED", 0) == bound, stats
