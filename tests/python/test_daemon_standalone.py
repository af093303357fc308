"""End-to-end tests of failover6d as a standalone server (issue 3), on loopback, unprivileged.

Each test runs build/bin/failover6d on a copy of impl/examples/standalone.json whose paths
point into the test's temporary directory and whose listen port is free, waits until its
control socket answers (polling with a deadline), and talks to it as a relay would: RELAY-FORW
over UDP to [::1]:port, built with the failover6 package. `failover6 ctl` reads state back.

What is checked: the SOLICIT/ADVERTISE and REQUEST/REPLY exchanges (address and prefix from
the pools, the configured lifetimes and T1/T2, RELAY-REPL with INTERFACE_ID echoed), the
control API (status with "relationships", leases, lease-get, statistics), Prometheus metrics,
SIGTERM (exit 0) and restart (the lease is still there, the server DUID unchanged), a torn
journal tail, a corrupt journal, junk datagrams, and --check-config.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from ipaddress import IPv6Address, IPv6Network
from pathlib import Path
from typing import Any, Iterator

import pytest

from failover6 import (
    ClientId,
    Duid,
    ElapsedTime,
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    InterfaceId,
    Message,
    MessageType,
    RelayMessage,
    ServerId,
)
from failover6.lab import LabTimeout, free_port, poll
# The control API without the CLI; test_daemon_netns.py imports it from here.
from failover6.lab import control as control

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FAILOVER6_BUILD_DIR", CHECKOUT / "build"))
DAEMON = BUILD / "bin" / "failover6d"
CLI = BUILD / "bin" / "failover6"

pytestmark = pytest.mark.skipif(
    not DAEMON.exists() or not CLI.exists(), reason=f"{DAEMON} or {CLI} not built"
)

#: Bound on every wait for the server (startup, an answer, exit).
DEADLINE_S = 15.0
RELAY = "2001:db8:1::1"
POOL_FIRST = IPv6Address("2001:db8:1::1000")
POOL_LAST = IPv6Address("2001:db8:1::ffff")
PD_POOL = IPv6Network("2001:db8:8000::/40")


def load_example(name: str) -> dict[str, Any]:
    """An example config as a dict (its whole-line // comments removed)."""
    text = (CHECKOUT / "impl" / "examples" / name).read_text()
    return dict(json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M)))


@dataclass
class Lab:
    """Paths of one test's server."""

    dir: Path
    config: Path
    port: int
    metrics_port: int
    socket: Path
    journal: Path
    log: Path


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    # Unix socket paths are limited to 107 octets; pytest's tmp_path can be long.
    short = Path(tempfile.mkdtemp(prefix="f6d-")) if len(str(tmp_path)) > 60 else tmp_path
    cfg = load_example("standalone.json")
    port = free_port(socket.SOCK_DGRAM)
    metrics_port = free_port(socket.SOCK_STREAM)
    d = cfg["Dhcp6"]
    d["data-directory"] = str(tmp_path / "var")
    d["lease-database"]["name"] = str(tmp_path / "var" / "leases6.journal")
    d["control-socket"]["socket-name"] = str(short / "ctl.sock")
    d["loggers"] = [{"name": "failover6d", "output_options": [{"output": "stdout"}],
                     "severity": "DEBUG"}]
    cfg["Failover6"]["listen"] = [f"[::1]:{port}"]
    cfg["Failover6"]["metrics"] = {"listen": f"[::1]:{metrics_port}"}
    path = tmp_path / "standalone.json"
    path.write_text(json.dumps(cfg, indent=2))
    yield Lab(tmp_path, path, port, metrics_port, short / "ctl.sock",
              tmp_path / "var" / "leases6.journal", tmp_path / "failover6d.log")
    if short != tmp_path:
        for p in short.iterdir():
            p.unlink()
        short.rmdir()


class Server:
    """A running failover6d; the log goes to a file the failures show."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.log = open(lab.log, "ab")
        self.proc = subprocess.Popen([str(DAEMON), "--config", str(lab.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def log_text(self) -> str:
        return self.lab.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Polls the control socket until it answers, the process dies, or the deadline."""
        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"failover6d exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                return bool(control(self.lab.socket, "status")["result"] == 0)
            except (FileNotFoundError, ConnectionRefusedError, json.JSONDecodeError):
                return False

        try:
            poll("failover6d to answer on its control socket", ready, DEADLINE_S, self.log_text)
        except LabTimeout:
            self.proc.kill()
            raise

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=DEADLINE_S)
        finally:
            self.log.close()
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def start(lab: Lab) -> Iterator[Any]:
    servers: list[Server] = []

    def _start() -> Server:
        s = Server(lab)
        servers.append(s)
        return s

    yield _start
    for s in servers:
        s.kill()


def ctl(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "ctl", "--config", str(lab.config), *args],
                          capture_output=True, text=True, timeout=DEADLINE_S)


class Relay:
    """An emulated relay: wraps client messages in RELAY-FORW, unwraps the RELAY-REPL."""

    def __init__(self, port: int, interface_id: bytes = b"eth-lab-7") -> None:
        self.port = port
        self.interface_id = interface_id
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind(("::1", 0))
        self.sock.settimeout(DEADLINE_S)

    def close(self) -> None:
        self.sock.close()

    def send(self, msg: Message) -> None:
        fwd = RelayMessage.wrap(msg, link_address=RELAY, peer_address="fe80::1",
                                options=[InterfaceId(self.interface_id)])
        self.sock.sendto(fwd.encode(), ("::1", self.port))

    def exchange(self, msg: Message, retransmit_s: float = 1.0) -> tuple[RelayMessage, Message]:
        """Sends @p msg and waits for its answer, retransmitting every @p retransmit_s seconds
        (as a client would) until DEADLINE_S."""
        deadline = time.monotonic() + DEADLINE_S
        data = b""
        while not data:
            self.send(msg)
            self.sock.settimeout(max(0.01, min(retransmit_s, deadline - time.monotonic())))
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                if time.monotonic() >= deadline:
                    raise
        outer = Message.decode(data)
        assert isinstance(outer, RelayMessage), outer
        inner = outer.relayed
        assert isinstance(inner, Message), inner
        return outer, inner


CLIENT = Duid.ll(1, bytes.fromhex("020000000001"))


def solicit(xid: int, duid: Duid = CLIENT) -> Message:
    return Message(MessageType.Solicit, xid,
                   [ClientId(duid), ElapsedTime(0), IaNa(iaid=1), IaPd(iaid=2)])


def request_for(advertise: Message, xid: int, duid: Duid = CLIENT) -> Message:
    server_id = advertise.find(ServerId)
    assert server_id is not None
    return Message(MessageType.Request, xid,
                   [ClientId(duid), server_id, ElapsedTime(0),
                    *advertise.find_all(IaNa), *advertise.find_all(IaPd)])


@dataclass
class Bound:
    address: IPv6Address
    prefix: IPv6Network
    server_duid: Duid


def bind_client(relay: Relay, duid: Duid = CLIENT, xid: int = 0x1000) -> Bound:
    """SOLICIT/ADVERTISE then REQUEST/REPLY, with the checks every exchange must pass."""
    outer, adv = relay.exchange(solicit(xid, duid))
    assert adv.type == MessageType.Advertise
    assert adv.transaction_id == xid
    assert outer.type == MessageType.RelayRepl
    assert outer.find(InterfaceId) == InterfaceId(relay.interface_id)
    outer, reply = relay.exchange(request_for(adv, xid + 1, duid))
    assert reply.type == MessageType.Reply
    assert reply.transaction_id == xid + 1
    assert outer.type == MessageType.RelayRepl
    assert outer.link_address == IPv6Address(RELAY)
    assert outer.find(InterfaceId) == InterfaceId(relay.interface_id)
    assert reply.find(ClientId) == ClientId(duid)
    sid = reply.find(ServerId)
    assert sid is not None

    na = reply.find(IaNa)
    assert na is not None and na.iaid == 1
    assert (na.t1, na.t2) == (1000, 2000)
    addr = na.find(IaAddress)
    assert addr is not None, reply
    assert POOL_FIRST <= addr.address <= POOL_LAST
    assert (addr.preferred, addr.valid) == (3000, 4000)

    pd = reply.find(IaPd)
    assert pd is not None and pd.iaid == 2
    assert (pd.t1, pd.t2) == (1000, 2000)
    pfx = pd.find(IaPrefix)
    assert pfx is not None, reply
    assert pfx.prefix_length == 56
    net = IPv6Network(f"{pfx.prefix}/{pfx.prefix_length}")
    assert net.subnet_of(PD_POOL)
    assert (pfx.preferred, pfx.valid) == (3000, 4000)
    return Bound(addr.address, net, sid.duid)


# ---- tests -------------------------------------------------------------------------------


def test_lease_survives_sigterm_and_restart(lab: Lab, start: Any) -> None:
    srv = start()
    relay = Relay(lab.port)
    try:
        bound = bind_client(relay)
    finally:
        relay.close()

    st = ctl(lab, "status")
    assert st.returncode == 0, st.stderr
    status = json.loads(st.stdout)
    assert status["relationships"] == []
    assert status["leases"] == 2
    assert status["pid"] == srv.proc.pid
    assert status["server-duid"] == str(bound.server_duid)

    ls = ctl(lab, "leases", "--duid", str(CLIENT))
    assert ls.returncode == 0, ls.stderr
    leases = json.loads(ls.stdout)["leases"]
    assert {(lease["type"], lease["ip-address"], lease["prefix-len"]) for lease in leases} == {
        ("IA_NA", str(bound.address), 128),
        ("IA_PD", str(bound.prefix.network_address), 56),
    }
    assert all(lease["state"] == "ACTIVE" and lease["valid-lft"] == 4000 for lease in leases)

    by_addr = json.loads(ctl(lab, "leases", "--address", str(bound.address)).stdout)
    assert by_addr["count"] == 1

    stats = ctl(lab, "statistics")
    assert stats.returncode == 0
    s = json.loads(stats.stdout)
    assert s["received-by-type"]["SOLICIT"] == 1
    assert s["received-by-type"]["REQUEST"] == 1
    assert s["io"]["commits"] >= 1

    with urllib.request.urlopen(f"http://[::1]:{lab.metrics_port}/metrics",
                                timeout=DEADLINE_S) as r:
        metrics = r.read().decode()
    assert 'failover6_leases{type="IA_NA",state="ACTIVE"} 1' in metrics
    assert 'failover6_received_messages_total{type="REQUEST"} 1' in metrics

    assert srv.stop() == 0
    assert "F6D_SIGNAL_SHUTDOWN" in srv.log_text()
    assert not lab.socket.exists()

    srv = start()
    got = ctl(lab, "lease-get", str(bound.address))
    assert got.returncode == 0, got.stderr
    lease = json.loads(got.stdout)
    assert lease["duid"] == str(CLIENT)
    assert lease["state"] == "ACTIVE"
    assert lease["valid-lft"] == 4000
    got = ctl(lab, "lease-get", str(bound.prefix))
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["type"] == "IA_PD"
    assert json.loads(ctl(lab, "status").stdout)["server-duid"] == str(bound.server_duid)

    # The same client asking again keeps its lease.
    relay = Relay(lab.port)
    try:
        again = bind_client(relay, xid=0x2000)
    finally:
        relay.close()
    assert again.address == bound.address
    assert again.prefix == bound.prefix

    down = ctl(lab, "shutdown")
    assert down.returncode == 0, down.stderr
    assert srv.proc.wait(timeout=DEADLINE_S) == 0
    assert "F6D_SHUTDOWN_COMMAND" in srv.log_text()


def test_ctl_errors_and_unreachable_server(lab: Lab, start: Any) -> None:
    srv = start()
    miss = ctl(lab, "lease-get", "2001:db8:1::9")
    assert miss.returncode == 1
    assert "no lease for address 2001:db8:1::9" in miss.stderr
    assert ctl(lab, "lease-get").returncode == 2  # usage
    assert ctl(lab, "no-such-command").returncode == 1
    assert srv.stop(signal.SIGINT) == 0
    gone = ctl(lab, "status")
    assert gone.returncode == 2
    assert "cannot reach the server" in gone.stderr


def test_second_instance_refuses_to_start(lab: Lab, start: Any) -> None:
    start()
    r = subprocess.run([str(DAEMON), "--config", str(lab.config)], capture_output=True, text=True,
                       timeout=DEADLINE_S)
    assert r.returncode == 1
    assert "startup failed" in r.stderr
    assert control(lab.socket, "status")["result"] == 0  # the first one is unharmed


def test_junk_flood_does_not_stop_service(lab: Lab, start: Any) -> None:
    """Clients are served while junk keeps arriving on the same socket."""
    start()
    stop = threading.Event()
    sent = [0]

    def flood() -> None:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            while not stop.is_set():
                s.sendto(os.urandom(200), ("::1", lab.port))
                sent[0] += 1

    t = threading.Thread(target=flood)
    t.start()
    try:
        relay = Relay(lab.port)
        try:
            for i in range(5):
                bind_client(relay, Duid.ll(1, bytes([2, 0, 0, 0, 1, i])), xid=0x3000 + 16 * i)
        finally:
            relay.close()
    finally:
        stop.set()
        t.join()
    stats = json.loads(ctl(lab, "statistics").stdout)
    assert stats["dropped-total"] > 0
    assert stats["leases-granted"] >= 10
    assert stats["io"]["handler-errors"] == 0


def test_junk_is_counted_and_dropped(lab: Lab, start: Any) -> None:
    start()
    junk = [b"", b"\x01", b"\x0c" + b"\xff" * 40, os.urandom(300), solicit(1).encode()[:9]]
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        for j in junk * 20:
            s.sendto(j, ("::1", lab.port))
    relay = Relay(lab.port)
    try:
        bind_client(relay, Duid.ll(1, bytes.fromhex("020000000002")))
    finally:
        relay.close()
    stats = json.loads(ctl(lab, "statistics").stdout)
    assert stats["dropped-total"] >= len(junk) * 20 - 20  # empty datagrams may go uncounted
    assert stats["io"]["handler-errors"] == 0


def test_torn_journal_tail_is_cut_with_a_warning(lab: Lab, start: Any) -> None:
    srv = start()
    relay = Relay(lab.port)
    try:
        bound = bind_client(relay)
    finally:
        relay.close()
    assert srv.stop() == 0
    with open(lab.journal, "ab") as f:
        f.write(b"\x00\x00\x01\x00\xde\xad")  # a record header promising 256 octets, then a crash
    srv = start()
    assert "F6D_JOURNAL_TORN_TAIL" in srv.log_text()
    assert ctl(lab, "lease-get", str(bound.address)).returncode == 0


def test_corrupt_journal_stops_startup(lab: Lab) -> None:
    lab.journal.parent.mkdir(parents=True, exist_ok=True)
    lab.journal.write_bytes(b"this is not a lease journal at all, not even close")
    r = subprocess.run([str(DAEMON), "--config", str(lab.config)], capture_output=True, text=True,
                       timeout=DEADLINE_S)
    assert r.returncode == 1
    assert "F6D_JOURNAL_ERROR" in r.stdout
    assert str(lab.journal) in r.stderr


def test_generated_server_duid_is_kept(lab: Lab, start: Any) -> None:
    cfg = json.loads(lab.config.read_text())
    del cfg["Dhcp6"]["server-id"]
    lab.config.write_text(json.dumps(cfg))
    srv = start()
    first = json.loads(ctl(lab, "status").stdout)["server-duid"]
    assert "F6D_SERVER_DUID_GENERATED" in srv.log_text()
    assert srv.stop() == 0
    start()
    assert json.loads(ctl(lab, "status").stdout)["server-duid"] == first


def test_check_config(lab: Lab, tmp_path: Path) -> None:
    ok = subprocess.run([str(DAEMON), "--config", str(lab.config), "--check-config"],
                        capture_output=True, text=True, timeout=DEADLINE_S)
    assert ok.returncode == 0, ok.stderr
    assert not lab.socket.exists()  # nothing was started

    cfg = json.loads(lab.config.read_text())
    cfg["Dhcp6"]["subnet6"][0]["pools"][0]["pool"] = "not a pool"
    cfg["Dhcp6"]["no-such-key"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(cfg))
    r = subprocess.run([str(DAEMON), "--config", str(bad), "--check-config"],
                       capture_output=True, text=True, timeout=DEADLINE_S)
    assert r.returncode == 1
    assert "Dhcp6.subnet6[0].pools[0].pool: " in r.stderr
    assert "Dhcp6.no-such-key: " in r.stderr


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    usages: list[list[str]] = [[], ["--config"], ["--config", "x.json", "--no-such-flag"]]
    for args in usages:
        r = subprocess.run([str(DAEMON), *args], capture_output=True, text=True,
                           timeout=DEADLINE_S)
        assert r.returncode == 2, (args, r.stderr)
