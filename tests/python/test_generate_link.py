"""`failover6 generate --link`: clients attached to a link, against failover6d serving it.

Two network namespaces joined by a veth pair (netns_lab): failover6d in one serves its end,
v0, through Dhcp6.interfaces-config with a subnet of fd00::/8; `failover6 generate --link v1
--clients 50 --duration 10` runs in the other. Every client message goes from v1's link-local
address, port 546, to ff02::1:2 port 547 (a RENEW too: the clients have no UNICAST option),
and the server's unicast replies come back to port 546. All 50 clients must end bound, with
addresses of v0's subnet that the daemon holds for their DUIDs, and the pcap must decode with
`failover6 decode` showing those real addresses.

The option checks at the end need neither root nor a namespace: they fail before any socket.
Only ULA and link-local addresses are used, inside namespaces the tests create and remove.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from netns_lab import CLI, DEADLINE_S, Failover6d, Lab, Link, needs, run, short_dir

CLIENTS = 50


def server_config(link: Link) -> dict[str, Any]:
    """failover6d serving v0 only: short lifetimes, so that every client renews during the run
    (T1 3 s: a RENEW about every 3 s of the 10 s)."""
    return {
        "Dhcp6": {
            "renew-timer": 3, "rebind-timer": 6, "preferred-lifetime": 9,
            "valid-lifetime": 12,
            "interfaces-config": {"interfaces": [link.server_if]},
            "subnet6": [{
                "id": 1, "subnet": link.subnet, "interface": link.server_if,
                "pools": [{"pool": f"{link.prefix}100 - {link.prefix}1ff"}],
            }],
        },
    }


@pytest.fixture
def lab() -> Iterator[Lab]:
    with Lab() as lab:
        yield lab


def link_local(ns: str, dev: str) -> str:
    """The link-local address of @p dev in @p ns."""
    out = run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", dev, "scope", "link"])
    return str(next(a["local"] for i in json.loads(out.stdout) for a in i.get("addr_info", [])
                    if "local" in a))


@needs("ip")
def test_50_attached_clients_bind_and_renew_by_multicast(lab: Lab, tmp_path: Path) -> None:
    srv_ns, cli_ns = lab.namespace("s"), lab.namespace("c")
    link = lab.link(srv_ns, cli_ns, client_address=False)
    daemon = Failover6d(lab, srv_ns, server_config(link), tmp_path, short_dir())
    server_ll = link_local(srv_ns, link.server_if)
    client_ll = link_local(cli_ns, link.client_if)

    pcap, summary = tmp_path / "link.pcap", tmp_path / "link.json"
    r = run([str(CLI), "generate", "--link", link.client_if, "--clients", str(CLIENTS),
             "--duration", "10", "--pcap", str(pcap), "--json", str(summary), "-q"],
            ns=cli_ns, check=False, timeout=10 + 2 * DEADLINE_S)
    assert r.returncode == 0, r.stdout + r.stderr + daemon.log_text()
    s = json.loads(summary.read_text())
    assert s["link"] == link.client_if
    assert s["source"] == client_ll
    assert s["servers"] == [server_ll]  # the daemon answered from v0's link-local address
    assert s["clients_bound"] == CLIENTS
    assert s["sarr"] == CLIENTS
    assert s["failures"] == 0 and s["malformed"] == 0 and s["send_errors"] == 0
    assert s["leases_changed"] == 0
    # Renewed by multicast: the daemon answers a unicast RENEW from a direct client with
    # UseMulticast, which the clients would not count as a RENEW exchange.
    assert s["sent"]["RENEW"] >= CLIENTS
    assert s["exchanges_by_request"]["RENEW"] >= CLIENTS
    assert f"link {link.client_if}: clients at {client_ll}" in r.stdout

    # The daemon holds one lease per client, from v0's subnet.
    subnet = ipaddress.IPv6Network(link.subnet)
    leases = daemon.leases()
    assert len(leases) == CLIENTS
    assert len({lease["duid"] for lease in leases}) == CLIENTS
    for lease in leases:
        assert lease["type"] == "IA_NA" and lease["state"] == "ACTIVE", lease
        assert ipaddress.IPv6Address(lease["ip-address"]) in subnet, lease

    # The pcap: the real link-local source and the ff02::1:2 / unicast destinations.
    d = subprocess.run([str(CLI), "decode", "--json", str(pcap)], capture_output=True,
                       text=True, timeout=60)
    assert d.returncode == 0, d.stderr
    packets = [json.loads(line) for line in d.stdout.splitlines()]
    assert len(packets) == s["pcap_packets"] == s["datagrams_sent"] + s["datagrams_received"]
    assert {p["client_duid"] for p in packets} == {lease["duid"] for lease in leases}
    sent = [p for p in packets if p["src"] == client_ll]
    received = [p for p in packets if p["src"] != client_ll]
    assert len(sent) == s["datagrams_sent"] and len(received) == s["datagrams_received"]
    for p in sent:
        assert (p["sport"], p["dst"], p["dport"]) == (546, "ff02::1:2", 547), p
        assert p["relay_hops"] == 0, p  # bare client messages, no RELAY-FORW
    for p in received:
        assert (p["src"], p["dst"], p["dport"]) == (server_ll, client_ll, 546), p
    types = [p["type"] for p in sent]
    assert types.count("SOLICIT") == s["sent"]["SOLICIT"]
    assert types.count("RENEW") == s["sent"]["RENEW"]
    addresses = {a for p in received if p["type"] == "REPLY" for a in addresses_in(p)}
    assert len(addresses) == CLIENTS
    assert all(ipaddress.IPv6Address(a) in subnet for a in addresses)
    assert daemon.shutdown() == 0


def addresses_in(packet: dict[str, Any]) -> list[str]:
    """The IA_NA addresses a decoded REPLY grants."""
    return [str(lease["address"]) for lease in packet["leases"] if lease["ia"] == "IA_NA"]


@pytest.mark.skipif(not CLI.exists(), reason=f"{CLI} not built")
@pytest.mark.parametrize("args, message", [
    (["--relays", "2"], "--relays cannot be used with --link"),
    (["--relay-depth", "2"], "--relay-depth cannot be used with --link"),
    (["--server", "[::1]:547"], "--server cannot be used with --link"),
    (["--remote-id"], "--remote-id cannot be used with --link"),
])
def test_link_mode_rejects_relay_options(args: list[str], message: str) -> None:
    r = subprocess.run([str(CLI), "generate", "--link", "lo", "--clients", "1", *args],
                       capture_output=True, text=True, timeout=DEADLINE_S)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert "relay count 0" in r.stderr


@pytest.mark.skipif(not CLI.exists(), reason=f"{CLI} not built")
def test_link_mode_unknown_interface() -> None:
    r = subprocess.run([str(CLI), "generate", "--link", "nosuchif0", "--clients", "1"],
                       capture_output=True, text=True, timeout=DEADLINE_S)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no interface named 'nosuchif0'" in r.stderr
