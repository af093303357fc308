"""failover6.fault: the partner-link Proxy, UdpProxy, Process, skew_env, NftPartition and the
`failover6 proxy` command with its control socket. Loopback only (and a network namespace the
nft test creates when root); every wait has a deadline."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import failover6
from failover6 import fault

DEADLINE_S = 10.0


def _bin(name: str) -> Path:
    build = os.environ.get("FAILOVER6_BUILD_DIR")
    base = Path(build) if build else Path(failover6.__file__).resolve().parents[2]
    return base / "bin" / name


def _poll(what: str, fn, timeout: float = DEADLINE_S):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def target():  # type: ignore[no-untyped-def]
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.bind(("::1", 0))
    s.listen(8)
    s.settimeout(DEADLINE_S)
    yield s
    s.close()


def _link(target: socket.socket, proxy: fault.Proxy) -> tuple[socket.socket, socket.socket]:
    c = socket.create_connection(("::1", proxy.port), timeout=DEADLINE_S)
    s, _ = target.accept()
    s.settimeout(DEADLINE_S)
    return c, s


def _recv_n(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def test_proxy_modes_through_the_python_api(target: socket.socket, tmp_path: Path) -> None:
    port = target.getsockname()[1]
    pcap = tmp_path / "link.pcap"
    with fault.Proxy(f"[::1]:{port}", pcap=str(pcap), name="t") as link:
        assert link.mode == "pass" and link.port > 0
        c, s = _link(target, link)
        c.sendall(b"hello")
        assert _recv_n(s, 5) == b"hello"
        link.blackhole()
        c.sendall(b"gone")
        _poll("drop", lambda: link.stats()["dropped_to_target"] == 4)
        link.pass_through()  # the damaged connection is reset
        with pytest.raises(ConnectionResetError):
            _poll("reset", lambda: c.recv(1) or True)
        c2, s2 = _link(target, link)
        link.delay(0.2)
        t0 = time.monotonic()
        s2.sendall(b"slow")
        assert _recv_n(c2, 4) == b"slow"
        assert time.monotonic() - t0 >= 0.2
        link.one_way("from-target")
        assert link.stats()["drop"] == "from-target"
        with pytest.raises(ValueError):
            link.one_way("sideways")
        assert link.reset() == 1
        assert link.mode == "pass"
        whats = [w for _, w in link.events()]
        assert whats == ["pass", "blackhole", "pass", "delay", "one-way", "reset", "pass"]
        for sock in (c, s, c2, s2):
            sock.close()
    assert pcap.stat().st_size > 24
    with pytest.raises(RuntimeError):
        link.blackhole()  # closed


def test_proxy_bad_arguments() -> None:
    with pytest.raises(ValueError, match="target localhost:647: 'localhost' is not an IP address"):
        fault.Proxy("localhost:647")
    with pytest.raises(ValueError, match="not a port"):
        fault.Proxy("[::1]:x")
    with pytest.raises(RuntimeError):
        fault.Proxy("[::1]:647", pcap="/nonexistent/dir/x.pcap")


def test_udp_proxy_blackholes_client_traffic_only() -> None:
    server = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    server.bind(("::1", 0))
    server.settimeout(DEADLINE_S)
    relay = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    relay.bind(("::1", 0))
    relay.settimeout(DEADLINE_S)
    with server, relay, fault.UdpProxy(f"[::1]:{server.getsockname()[1]}", name="s1") as up:
        relay.sendto(b"forw", ("::1", up.port))
        data, back = server.recvfrom(100)
        assert data == b"forw"
        server.sendto(b"repl", back)
        assert relay.recvfrom(100)[0] == b"repl"
        up.blackhole()
        relay.sendto(b"lost", ("::1", up.port))
        _poll("drop", lambda: up.stats()["dropped"] == 1)
        up.pass_through()
        relay.sendto(b"next", ("::1", up.port))
        assert server.recvfrom(100)[0] == b"next"
        assert up.stats()["sources"] == 1
        assert [w for _, w in up.events()] == ["pass", "blackhole", "pass"]


def test_udp_proxy_idle_mappings_expire() -> None:
    server = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    server.bind(("::1", 0))
    server.settimeout(DEADLINE_S)
    relay = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    relay.bind(("::1", 0))
    with server, relay, fault.UdpProxy(f"[::1]:{server.getsockname()[1]}",
                                       idle_timeout=0.1) as up:
        relay.sendto(b"one", ("::1", up.port))
        assert server.recvfrom(100)[0] == b"one"
        _poll("expiry", lambda: up.stats()["open_sources"] == 0)
        assert up.stats()["expired"] == 1
        relay.sendto(b"two", ("::1", up.port))
        assert server.recvfrom(100)[0] == b"two"
        assert up.stats()["sources"] == 2
    assert fault.UdpProxy.MAX_SOURCES == 512


def test_process_inherits_no_descriptor_of_ours(tmp_path: Path) -> None:
    fd = os.open("/dev/null", os.O_RDONLY)
    os.set_inheritable(fd, True)  # as a C++ socket without FD_CLOEXEC
    try:
        with fault.Process(["sh", "-c", f"test -e /proc/self/fd/{fd} && exit 1; exit 0"]) as p:
            assert p.wait(DEADLINE_S) == 0
    finally:
        os.close(fd)


def _state(pid: int) -> str:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2]


def test_process_signals() -> None:
    with fault.Process(["sleep", "30"]) as p:
        assert p.alive and p.returncode is None
        p.pause()
        _poll("stopped", lambda: _state(p.pid) == "T")
        p.resume()
        _poll("running", lambda: _state(p.pid) == "S")
        assert p.wait(0.05) is None
        assert p.terminate(5) == -signal.SIGTERM
        assert not p.alive
    with fault.Process(["sleep", "30"]) as p:
        pid = p.pid
    assert not Path(f"/proc/{pid}").exists() or _state(pid) != "S"  # killed and reaped
    with pytest.raises(RuntimeError, match="no-such-program"):
        fault.Process(["no-such-program"])


def test_process_env_log_and_exit_code(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    p = fault.Process(["sh", "-c", 'echo "$X"; exit 4'], env={"X": "y"}, log=str(log),
                      cwd=str(tmp_path))
    assert p.wait(DEADLINE_S) == 4
    assert log.read_text() == "y\n"


def test_skew_env_skews_the_wall_clock() -> None:
    try:
        env = fault.skew_env(3600)
    except RuntimeError as e:
        pytest.skip(str(e))
    assert env["FAKETIME"] == "+3600s"
    out = subprocess.run(["date", "+%s"], env={**os.environ, **env}, capture_output=True,
                         text=True, timeout=DEADLINE_S, check=True).stdout
    assert abs(int(out) - time.time() - 3600) < 60


def test_nft_script_text() -> None:
    text = fault.nft_apply_script("t", "fd00::2", direction="out", proto="udp", port=547)
    assert "ip6 daddr fd00::2 udp dport 547 drop" in text
    assert "saddr" not in text
    with pytest.raises(ValueError, match="direction"):
        fault.NftPartition("ns", "fd00::2", direction="up")


_NETNS_PROBE = """
import socket, sys
port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET6); srv.bind(("::1", port)); srv.listen()
try:
    socket.create_connection(("::1", port), timeout=0.5).close(); print("open")
except OSError:
    print("blocked")
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nft"),
                    reason="needs root, ip and nft")
def test_nft_partition_in_a_namespace() -> None:
    ns = f"f6fault{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", ns], check=True, timeout=DEADLINE_S)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True, timeout=DEADLINE_S)

        def probe() -> str:
            return subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", _NETNS_PROBE,
                                   "7647"], capture_output=True, text=True, timeout=DEADLINE_S,
                                  check=True).stdout.strip()

        assert probe() == "open"
        with fault.NftPartition(ns, "::1", proto="tcp", port=7647) as part:
            part.apply()
            part.apply()  # idempotent
            assert part.applied
            assert probe() == "blocked"
            listed = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "tables"],
                                    capture_output=True, text=True, timeout=DEADLINE_S).stdout
            assert part.table in listed
            part.heal()
            assert probe() == "open"
            part.heal()
        listed = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "tables"],
                                capture_output=True, text=True, timeout=DEADLINE_S).stdout
        assert "failover6_part_" not in listed
    finally:
        subprocess.run(["ip", "netns", "del", ns], timeout=DEADLINE_S)


def test_cli_proxy_with_control_socket(target: socket.socket, tmp_path: Path) -> None:
    cli = _bin("failover6")
    if not cli.is_file():
        pytest.skip(f"{cli} not built")
    ctl = tmp_path / "proxy.sock"
    port = target.getsockname()[1]
    proc = subprocess.Popen([str(cli), "proxy", "--target", f"[::1]:{port}", "--control",
                             str(ctl), "--pcap", str(tmp_path / "p.pcap")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("listening on [::1]:"), first
        proxy_port = int(first.split(" port ")[1].split()[0])
        c = socket.create_connection(("::1", proxy_port), timeout=DEADLINE_S)
        s, _ = target.accept()
        s.settimeout(DEADLINE_S)
        c.sendall(b"x")
        assert s.recv(1) == b"x"
        with socket.socket(socket.AF_UNIX) as ctl_sock:
            ctl_sock.settimeout(DEADLINE_S)
            ctl_sock.connect(str(ctl))
            f = ctl_sock.makefile("rw")

            def command(obj: object) -> dict:  # type: ignore[type-arg]
                f.write(json.dumps(obj) + "\n")
                f.flush()
                reply: dict = json.loads(f.readline())  # type: ignore[type-arg]
                return reply

            assert command({"command": "blackhole"})["arguments"]["mode"] == "blackhole"
            r = command({"command": "delay", "seconds": 0.2})
            assert r["result"] == 0 and r["arguments"]["delay_seconds"] == 0.2
            r = command({"command": "one-way", "drop": "to-target"})
            assert r["arguments"]["drop"] == "to-target"
            assert command({"command": "nonsense"})["result"] == 1
            f.write("not json\n")
            f.flush()
            assert json.loads(f.readline())["result"] == 1
            stats = command({"command": "stats"})["arguments"]
            assert stats["connections"] == 1 and stats["bytes_to_target"] == 1
        c.close()
        s.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=DEADLINE_S)
        assert proc.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["mode"] == "one-way"
        assert not ctl.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_proxy_bad_target() -> None:
    cli = _bin("failover6")
    if not cli.is_file():
        pytest.skip(f"{cli} not built")
    r = subprocess.run([str(cli), "proxy", "--target", "nowhere"], capture_output=True,
                       text=True, timeout=DEADLINE_S)
    assert r.returncode == 2
    assert "failover6 proxy: --target nowhere: no :PORT; expected [ADDR]:PORT" in r.stderr
