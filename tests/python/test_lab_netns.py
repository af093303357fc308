"""The lab in network namespaces (root): failover6.netns.NetnsBundledPair and
failover6.kea.KeaHaPair.

Each test builds its own topology (a namespace per server and one for the clients, fd00::/8
only, DAD off; removed at the end, checked here), runs the servers in it, and drives relayed
clients with `failover6 generate` in the client namespace. What is checked:

* bundled: both failover6d reach NORMAL over the partner link; 200 clients bind through four
  relays without a lease changing; an nft blackhole of the partner link brings both sides to
  COMMUNICATIONS-INTERRUPTED and healing it brings them back to NORMAL; with the clients'
  traffic toward the primary dropped (RFC 7031 §4.7) only the secondary receives it while the
  partner link stays NORMAL; the partner-link capture holds the TCP 647 conversation.
* Kea 2.2 HA hot-standby: both servers reach Kea's "hot-standby"; clients bind and each lease
  is on both servers (Kea's lease updates); killing the primary while clients keep arriving
  brings the standby to "partner-down" and it then serves (REPLYs from its address in the
  client-link capture, every client bound); the HA link capture holds the HTTP traffic.

Every wait is a poll with a deadline; the generator runs are bounded by --duration.
"""

from __future__ import annotations

import ipaddress
import json
import struct
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from failover6 import netns
from failover6._paths import bin_path, daemon_path
from failover6.lab import Lab, LabError, pid_alive

_missing = netns.missing_tools()
pytestmark = pytest.mark.skipif(bool(_missing),
                                reason=f"needs {', '.join(_missing)} (root, ci/deps --interop)")


def frames(pcap: Path) -> Iterator[tuple[str, str, int, int, int, bytes]]:
    """(src, dst, next header, sport, dport, payload) of each IPv6 TCP/UDP frame of an
    Ethernet pcap (no extension headers)."""
    data = pcap.read_bytes()
    endian = "<" if struct.unpack_from("<I", data)[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(endian + "IIII", data, off)[2]
        f = data[off + 16: off + 16 + incl]
        off += 16 + incl
        if len(f) < 58 or f[12:14] != b"\x86\xdd" or f[20] not in (6, 17):
            continue
        sport, dport = struct.unpack_from(">HH", f, 54)
        hdr = 8 if f[20] == 17 else (f[66] >> 4) * 4 if len(f) > 66 else 20
        yield (str(ipaddress.IPv6Address(f[22:38])), str(ipaddress.IPv6Address(f[38:54])),
               f[20], sport, dport, f[54 + hdr:])


def received(server: Any) -> dict[str, int]:
    r = netns.run([str(bin_path("failover6")), "ctl", "--config", str(server.config_path),
                   "statistics"])
    return dict(json.loads(r.stdout)["received-by-type"])


def gone(namespaces: list[str]) -> bool:
    listed = netns.run(["ip", "netns", "list"]).stdout.split()
    return not set(namespaces) & set(listed)


@pytest.fixture
def bundled(tmp_path: Path) -> Iterator[netns.NetnsBundledPair]:
    pair = netns.NetnsBundledPair(workdir=tmp_path)
    spaces = list(pair.topology.namespaces)
    try:
        yield pair
    finally:
        pair.close()
    assert gone(spaces), "namespaces left behind"


def test_bundled_pair_normal_bind_partition_heal(tmp_path: Path) -> None:
    with Lab(tmp_path, topology="netns", log=None) as lab:
        pair = lab.pair("bundled")
        assert isinstance(pair, netns.NetnsBundledPair)
        spaces = list(pair.topology.namespaces)
        pair.wait_normal(30)
        fleet = lab.fleet(pair, 200, rate=400, duration=30, until_bound=True).start()
        summary = fleet.wait(60)
        assert summary["clients_bound"] == 200, summary
        assert summary["leases_changed"] == 0, summary

        pair.partition("blackhole")
        for s in pair.servers:
            s.wait_state("COMMUNICATIONS-INTERRUPTED", 30)
        pair.heal()
        pair.wait_normal(30)

        pair.stop_captures()
        (partner,) = pair.pcaps()
        tcp = [f for f in frames(partner) if f[2] == 6 and netns.FAILOVER_PORT in (f[3], f[4])]
        assert tcp, f"no TCP {netns.FAILOVER_PORT} in {partner}"
        addrs = {pair.topology.partner_address(0), pair.topology.partner_address(1)}
        assert {f[0] for f in tcp} == addrs
        (clients,) = pair.client_pcaps()
        assert any(f[3] == 547 and f[0] == pair.topology.server_address(0)
                   for f in frames(clients)), "no reply of the primary on the client link"
        marks = [(e["what"], e.get("mode")) for e in lab.events]
        assert ("partition", "blackhole") in marks and ("heal", None) in marks, marks
    assert gone(spaces), "namespaces left behind"


def test_failed_start_leaves_no_namespace_process_or_capture(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The primary's daemon exits at start: Lab.pair raises the daemon's exit, and the pair is
    torn down at once (namespaces, dumpcap, the secondary's failover6d), before lab.close()."""
    real = daemon_path()
    fake = tmp_path / "failover6d"
    fake.write_text("#!/bin/sh\ncase \"$2\" in *primary*) echo refusing; exit 3;; esac\n"
                    f"exec {real} \"$@\"\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FAILOVER6_DAEMON", str(fake))
    with Lab(tmp_path / "lab", topology="netns", log=None) as lab:
        with pytest.raises(LabError, match="exited with 3"):
            lab.pair("bundled", subnets=1)
        (pair,) = lab.pairs
        assert isinstance(pair, netns.NetnsBundledPair)
        assert gone([pair.topology.client_ns, *pair.topology.server_ns])
        assert pair.secondary.process is not None  # it was started, then ended
        pids = [pair.secondary.process.pid, *(c.proc.pid for c in pair._captures)]
        assert len(pids) == 3 and not any(pid_alive(p) for p in pids), pids
        assert lab.processes() == []
        assert any(e["what"] == "start-failed" for e in lab.events)


def test_bundled_pair_refuse_then_reset(tmp_path: Path) -> None:
    """"refuse" (nft reject: RSTs) brings both sides to COMMUNICATIONS-INTERRUPTED until
    heal(); "reset" is one-shot: it returns once the partner-link connections are gone (none
    left), with its rules removed, and the pair reconnects by itself."""
    with Lab(tmp_path, topology="netns", log=None) as lab:
        pair = lab.pair("bundled", subnets=1)
        assert isinstance(pair, netns.NetnsBundledPair)
        spaces = list(pair.topology.namespaces)
        pair.wait_normal(30)
        pair.partition("refuse")
        for s in pair.servers:
            s.wait_state("COMMUNICATIONS-INTERRUPTED", 15)
        pair.heal()
        pair.wait_normal(30)
        assert pair._connections(0) == 2  # one connection, seen at both ends
        pair.partition("reset")
        tables = netns.run(["nft", "list", "tables"], ns=pair.topology.server_ns[0]).stdout
        assert "failover6_part" not in tables, tables  # healed when partition() returned
        (mark,) = [e for e in lab.events if e.get("mode") == "reset"]
        assert mark["left"] == 0, mark
        pair.wait_normal(30)
    assert gone(spaces), "namespaces left behind"


def test_bundled_block_clients_toward_primary(bundled: netns.NetnsBundledPair) -> None:
    pair = bundled
    pair.wait_normal(30)
    pair.primary.block_clients()
    pair.run_generate(20, "--duration", "3", "--rate", "100")
    assert sum(received(pair.primary).values()) == 0
    assert received(pair.secondary).get("SOLICIT", 0) >= 20
    assert pair.primary.state() == "NORMAL" and pair.secondary.state() == "NORMAL"
    pair.primary.unblock_clients()
    summary = pair.run_generate(20, "--until-bound", "--duration", "20", "--seed", "9")
    assert summary["clients_bound"] == 20, summary
    assert received(pair.primary).get("REQUEST", 0) == 20


def test_topology_names_and_cleanup() -> None:
    topo = netns.Topology(3)
    spaces = list(topo.namespaces)
    try:
        assert len(spaces) == 4 and topo.client_ns in spaces
        assert topo.reachable(topo.client_ns, topo.server_address(2))
        assert topo.reachable(topo.server_ns[0], topo.partner_address(1))
        assert all(a.startswith("fd") for a in (topo.client_address, topo.link_address(3)))
    finally:
        topo.close()
    assert gone(spaces)
    with pytest.raises(ValueError, match="at least 2"):
        netns.Topology(1)


_PROBE = r"""
import json, socket, sys, time
peer, mode = sys.argv[1], sys.argv[2]
def attempt(fn):
    t = time.monotonic()
    try:
        fn()
        what = "ok"
    except socket.timeout:
        what = "timeout"
    except OSError as e:
        what = type(e).__name__
    return {"what": what, "seconds": round(time.monotonic() - t, 2)}
def connect():
    socket.create_connection((peer, 7647), timeout=1.5).close()
def udp():
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.settimeout(1.5)
    u.connect((peer, 7648)); u.send(b"u"); u.recv(10)
out = {}
if mode == "established":
    c = socket.create_connection((peer, 7647), timeout=1.5)
    c.sendall(b"x"); assert c.recv(1) == b"x"
    print("connected", flush=True)
    sys.stdin.readline()                      # the test applied the rules
    out["open"] = attempt(lambda: (c.sendall(b"y"), c.recv(1) or c.recv(1)))
out["new"] = attempt(connect)
out["udp"] = attempt(udp)
print(json.dumps(out), flush=True)
"""

_ECHO = r"""
import socket, threading
t = socket.socket(socket.AF_INET6); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("::", 7647)); t.listen(8)
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 7648))
def udp():
    while True:
        d, a = u.recvfrom(100); u.sendto(d, a)
def serve(c):
    while (d := c.recv(100)):
        c.sendall(d)
threading.Thread(target=udp, daemon=True).start()
print("listening", flush=True)
while True:
    threading.Thread(target=serve, args=(t.accept()[0],), daemon=True).start()
"""


def test_nft_reject_refuses_and_resets_instead_of_timing_out(tmp_path: Path) -> None:
    """NftPartition(action="reject") in a namespace: an open TCP connection is reset by its
    next segment, a new one is refused and a UDP datagram gets an ICMPv6 error, each at once;
    action "drop" (the default) makes the same connect time out; heal() restores both."""
    import subprocess
    import sys
    from failover6 import fault

    topo = netns.Topology(2)
    spaces = list(topo.namespaces)
    a, b = topo.server_ns
    peer = topo.partner_address(1)
    echo = None
    try:
        echo = subprocess.Popen(["ip", "netns", "exec", b, sys.executable, "-c", _ECHO],
                                stdout=subprocess.PIPE, text=True)
        assert echo.stdout is not None and echo.stdout.readline() == "listening\n"

        def probe(mode: str, stdin: str | None = None) -> dict[str, Any]:
            r = netns.run([sys.executable, "-c", _PROBE, peer, mode], ns=a, input=stdin)
            return dict(json.loads(r.stdout.splitlines()[-1]))

        fresh = probe("fresh")
        assert fresh["new"]["what"] == fresh["udp"]["what"] == "ok", fresh
        tcp = fault.NftPartition(a, peer, action="reject")
        udp = fault.NftPartition(a, peer, proto="udp", action="reject")
        assert tcp.action == "reject" and fault.NftPartition(a, peer).action == "drop"
        client = subprocess.Popen(["ip", "netns", "exec", a, sys.executable, "-c", _PROBE, peer,
                                   "established"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert client.stdout is not None and client.stdin is not None
            assert client.stdout.readline() == "connected\n"
            tcp.apply()
            udp.apply()
            out, _ = client.communicate("go\n", timeout=15)
        finally:
            client.kill()
            client.wait()
        got = json.loads(out.splitlines()[-1])
        assert got["open"]["what"] in ("ConnectionResetError", "BrokenPipeError"), got
        assert got["new"]["what"] == "ConnectionRefusedError", got
        assert got["udp"]["what"] == "PermissionError", got  # ICMPv6 admin-prohibited: EACCES
        assert all(v["seconds"] < 1.0 for v in got.values()), got
        tcp.heal()
        udp.heal()
        assert probe("fresh")["new"]["what"] == "ok"
        with fault.NftPartition(a, peer) as drop:
            drop.apply()
            assert probe("fresh")["new"]["what"] == "timeout"
        assert probe("fresh")["udp"]["what"] == "ok"
        tables = netns.run(["nft", "list", "tables"], ns=a).stdout
        assert "failover6_part" not in tables, tables
    finally:
        if echo is not None:
            echo.kill()
            echo.wait()
        topo.close()
    assert gone(spaces)


def test_m_to_1_two_relationships_partition_one(tmp_path: Path) -> None:
    """Lab.m_to_1 in netns: one secondary namespace serving two primaries (each in its own
    namespace, own subnets, own partner link and capture); a fleet binds through both; a
    blackhole of rel-1 interrupts rel-1 only; heal -> both NORMAL."""
    with Lab(tmp_path, topology="netns", log=None) as lab:
        cluster = lab.m_to_1(2, subnets=2, pd=False)
        assert isinstance(cluster, netns.NetnsCluster)
        spaces = list(cluster.topology.namespaces)
        assert len(spaces) == 4  # 2 primaries, the secondary, the clients
        p1, p2 = cluster.primaries
        sec = cluster.secondary
        assert cluster.relationship_names == ["rel-1", "rel-2"]
        assert [x.id for x in p1.subnets] == [1, 2] and [x.id for x in p2.subnets] == [3, 4]
        assert len({p1.ns, p2.ns, sec.ns}) == 3
        cluster.wait_normal(30)
        assert sec.state("rel-1") == sec.state("rel-2") == "NORMAL"

        summary = lab.fleet(cluster, 40, rate=200, duration=20,  # relays: all 4 subnets
                            until_bound=True).start().wait(40)
        assert summary["clients_bound"] == 40, summary
        assert p1.leases() and p2.leases(), "each primary serves the clients of its subnets"

        cluster.partition("blackhole", relationship="rel-1")
        p1.wait_state("COMMUNICATIONS-INTERRUPTED", 30)
        sec.wait_state("COMMUNICATIONS-INTERRUPTED", 30, "rel-1")
        assert sec.state("rel-2") == "NORMAL" and p2.state() == "NORMAL"
        cluster.heal("rel-1")
        cluster.wait_normal(30)

        cluster.stop_captures()
        pcaps = cluster.pcaps()
        assert [p.name for p in pcaps] == ["partner-rel-1.pcap", "partner-rel-2.pcap"]
        for k, pcap in enumerate(pcaps):
            topo = cluster.topology
            ends = {topo.partner_address(k, k), topo.partner_address(2, k)}
            tcp = [f for f in frames(pcap) if f[2] == 6]
            assert tcp and {f[0] for f in tcp} == ends, (pcap, {f[0] for f in tcp})
        marks = [(e["what"], e.get("relationship")) for e in lab.events]
        assert ("partition", "rel-1") in marks and ("heal", "rel-1") in marks, marks
    assert gone(spaces), "namespaces left behind"


# ---- Kea 2.2 HA hot-standby ---------------------------------------------------------------------

_kea_missing: list[str] = []
try:
    from failover6 import kea
    _kea_missing = kea.kea_missing()
except ImportError as e:  # pragma: no cover - the package is built with kea.py
    _kea_missing = [str(e)]


def poll(what: str, fn: Callable[[], Any], timeout: float) -> Any:
    try:
        return netns.poll(what, fn, timeout)
    except TimeoutError as e:
        pytest.fail(str(e))


@pytest.mark.skipif(bool(_kea_missing), reason=f"needs {', '.join(_kea_missing)}")
def test_kea_ha_pair_binds_and_fails_over(tmp_path: Path) -> None:
    with Lab(tmp_path, topology="netns", log=None) as lab:
        pair = lab.pair("kea")
        assert isinstance(pair, kea.KeaHaPair)
        spaces = list(pair.topology.namespaces)
        assert (pair.mclt, pair.failover_ports) == (0, ())
        pair.wait_normal(60)
        assert pair.primary.state() == pair.secondary.state() == "hot-standby"
        summary = lab.fleet(pair, 40, rate=100, duration=20, until_bound=True).start().wait(40)
        assert summary["clients_bound"] == 40, summary
        # Kea's lease updates: every lease is on the standby as well.
        poll("the standby to hold the 40 leases", lambda: len(pair.secondary.leases()) >= 40,
             15)
        assert len(pair.primary.leases()) == 40

        # Clients keep arriving (and retransmitting) while the primary dies: the standby
        # counts the unanswered ones and declares partner-down.
        traffic = lab.fleet(pair, 150, rate=10, duration=40, seed=77).start()
        poll("new clients to bind through the primary",
             lambda: len(pair.primary.leases()) >= 60, 20)
        pair.primary.kill()
        assert pair.primary.state() == "(down)"
        pair.secondary.wait_state("partner-down", 40)
        after = lab.fleet(pair, 30, rate=100, duration=30, seed=78,
                          until_bound=True).start().wait(45)
        assert after["clients_bound"] == 30, after
        traffic.stop()

        pair.stop_captures()
        standby = pair.topology.server_address(1)
        replies = [f for f in frames(pair.client_pcaps()[0])
                   if f[0] == standby and f[3] == 547 and f[5][:1] == b"\x0d"]
        assert replies, "no RELAY-REPL from the standby on the client link"
        (ha,) = pair.pcaps()
        assert any(f[2] == 6 and kea.HA_PORT in (f[3], f[4]) for f in frames(ha))
        assert any(e["what"] == "kill" and e.get("server") == "kea1" for e in lab.events)
    assert gone(spaces), "namespaces left behind"


@pytest.mark.skipif(bool(_kea_missing), reason=f"needs {', '.join(_kea_missing)}")
def test_kea_operator_partner_down(tmp_path: Path) -> None:
    """Kea has no partner-down command: KeaServer.partner_down() sends ha-maintenance-start,
    which puts the server in partner-down at once when its partner does not answer."""
    pair = kea.KeaHaPair(workdir=tmp_path)
    try:
        pair.wait_normal(60)
        pair.primary.kill()
        pair.secondary.partner_down()
        assert pair.secondary.state() == "partner-down"
        # The restarted primary syncs its leases from the standby and both return to service.
        pair.primary.restart()
        pair.wait_normal(60)
    finally:
        pair.close()


def test_bundled_pair_over_tls_and_the_checker_reads_around_it(tmp_path: Path) -> None:
    """tls=True in namespaces: the partners meet over STARTTLS and TLS 1.3 with the test
    certificates, clients bind, and the trace checker reads the partner-link capture up to
    STARTTLS and its go-ahead without taking the TLS records for malformed frames."""
    with Lab(tmp_path, topology="netns", log=None) as lab:
        pair = lab.pair("bundled", subnets=1, tls=True)
        pair.wait_normal(30)
        for s in pair.servers:
            session = s.relationship()["connection"]["session"]
            assert "TLS" in session, session
        fleet = lab.fleet(pair, 50, rate=200, duration=20, until_bound=True).start()
        summary = fleet.wait(40)
        assert summary["clients_bound"] == 50, summary
        pair.stop_captures()
        result = lab.check()
        assert result.ok, result.summary()
        assert result.report["stats"]["tls_streams"] == 2, result.report["stats"]
        assert result.invariants["no-duplicate-assignment"]["checked"] >= 50
