"""`failover6 generate` against a real failover6d on loopback (issue 5).

A standalone failover6d runs on a copy of impl/examples/standalone.json with its paths in the
test's temporary directory and a free port (as in test_daemon_standalone.py). The generator
runs 200 clients behind relays for a few seconds; the tests assert that every client ends
bound, no lease changed on renewal, the JSON summary has the contract's fields, and the pcap
decodes with `failover6 decode` to exactly the messages the summary counted. Also: time
compression (renewals within seconds), two-deep relays with IA_NA + IA_PD, RELEASE at the end,
bad options (exit 2), and no server answering (exit 1, nobody bound). Every run is bounded by
--duration and a subprocess timeout.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FAILOVER6_BUILD_DIR", CHECKOUT / "build"))
CLI = BUILD / "bin" / "failover6"
DAEMON = BUILD / "bin" / "failover6d"

pytestmark = pytest.mark.skipif(
    not DAEMON.exists() or not CLI.exists(), reason=f"{DAEMON} or {CLI} not built"
)

DEADLINE_S = 15.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind(("::1", 0))
        return int(s.getsockname()[1])


def control_ready(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(sock))
            s.sendall(b'{"command": "status"}')
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return bool(json.loads(data).get("result") == 0)
    except (OSError, ValueError):
        return False


class Daemon:
    """A standalone failover6d on [::1]:port with its files under a temporary directory."""

    def __init__(self, tmp: Path) -> None:
        text = (CHECKOUT / "impl" / "examples" / "standalone.json").read_text()
        cfg: dict[str, Any] = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))
        self.short = Path(tempfile.mkdtemp(prefix="f6g-"))
        self.port = free_udp_port()
        d = cfg["Dhcp6"]
        d["data-directory"] = str(tmp / "var")
        d["lease-database"]["name"] = str(tmp / "var" / "leases6.journal")
        d["control-socket"]["socket-name"] = str(self.short / "ctl.sock")
        d["loggers"] = [{"name": "failover6d", "output_options": [{"output": "stdout"}],
                         "severity": "WARN"}]
        cfg["Failover6"]["listen"] = [f"[::1]:{self.port}"]
        self.config = tmp / "standalone.json"
        self.config.write_text(json.dumps(cfg, indent=2))
        self.logfile = tmp / "failover6d.log"
        self.log = open(self.logfile, "ab")
        self.proc = subprocess.Popen([str(DAEMON), "--config", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE_S
        delay = 0.01
        while not control_ready(self.short / "ctl.sock"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("failover6d did not start:\n" + self.logfile.read_text())
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    @property
    def endpoint(self) -> str:
        return f"[::1]:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        for p in self.short.iterdir():
            p.unlink()
        self.short.rmdir()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(tmp_path)
    yield d
    d.stop()


def generate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "generate", *args], capture_output=True, text=True,
                          timeout=timeout)


def decode_summary(pcap: Path) -> dict[str, Any]:
    r = subprocess.run([str(CLI), "decode", "--json", "--summary", "--quiet", str(pcap)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    summary: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])["summary"]
    return summary


def test_200_clients_all_bound_pcap_decodes(daemon: Daemon, tmp_path: Path) -> None:
    pcap, out = tmp_path / "run.pcap", tmp_path / "run.json"
    r = generate("--server", daemon.endpoint, "--clients", "200", "--rate", "400",
                 "--duration", "8", "--until-bound", "--pcap", str(pcap), "--json", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(out.read_text())
    for key in ("exchanges", "rate", "latency_ms", "clients_bound", "leases_changed"):
        assert key in s
    assert set(s["latency_ms"]) >= {"p50", "p90", "p99", "max"}
    assert s["clients_bound"] == 200
    assert s["leases_changed"] == 0
    assert s["failures"] == 0
    assert s["malformed"] == 0
    assert s["sarr"] == 200
    assert s["exchanges"] >= 400  # SOLICIT-ADVERTISE and REQUEST-REPLY per client
    assert 0 < s["latency_ms"]["p50"] <= s["latency_ms"]["p99"] <= s["latency_ms"]["max"]
    assert "clients 200, bound 200" in r.stdout
    # The pcap holds every datagram sent and received, and decodes cleanly.
    d = decode_summary(pcap)
    assert d["dhcp6_malformed"] == 0
    assert d["dhcp6"] == s["datagrams_sent"] + s["datagrams_received"] == s["pcap_packets"]
    assert d["types"]["SOLICIT"] == s["sent"]["SOLICIT"]
    assert d["types"]["REQUEST"] == s["sent"]["REQUEST"]
    assert d["types"]["ADVERTISE"] == s["received"]["ADVERTISE"]
    assert d["types"]["REPLY"] == s["received"]["REPLY"]


def test_time_compression_renews_keep_leases(daemon: Daemon, tmp_path: Path) -> None:
    # T1 = 1000 s and valid 4000 s at 400x: renewals every 2.5 s of wall-clock time.
    pcap, out = tmp_path / "renew.pcap", tmp_path / "renew.json"
    r = generate("--server", daemon.endpoint, "--clients", "200", "--rate", "1000",
                 "--duration", "6", "--time-scale", "400", "--na", "--pd", "--relays", "4",
                 "--relay-depth", "2", "--remote-id", "--pcap", str(pcap), "--json", str(out),
                 "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(out.read_text())
    assert s["clients_bound"] == 200
    assert s["leases_changed"] == 0
    assert s["sent"].get("RENEW", 0) >= 200
    assert s["exchanges_by_request"].get("RENEW", 0) >= 200
    assert "REBIND" not in s["sent"]  # the server always answered the RENEW
    lines = subprocess.run([str(CLI), "decode", "--json", str(pcap)], capture_output=True,
                           text=True, timeout=60).stdout.splitlines()
    first = json.loads(lines[0])
    assert first["relay_hops"] == 2
    assert first["dst"] == "::1" and first["dport"] == daemon.port
    assert first["src"].startswith("2001:db8:ffff::")  # the outer relay
    prefixes = {json.dumps(x["leases"]) for x in map(json.loads, lines) if x["type"] == "REPLY"}
    assert any("IA_PD" in p for p in prefixes)


def test_release_at_end(daemon: Daemon, tmp_path: Path) -> None:
    out = tmp_path / "rel.json"
    r = generate("--server", daemon.endpoint, "--clients", "50", "--rate", "500",
                 "--duration", "5", "--until-bound", "--release", "--json", str(out), "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(out.read_text())
    assert s["sent"]["RELEASE"] == 50
    assert s["exchanges_by_request"]["RELEASE"] == 50
    assert s["clients_bound"] == 0


def test_no_server_answering_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "none.json"
    r = generate("--server", f"[::1]:{free_udp_port()}", "--clients", "5", "--duration", "1.5",
                 "--json", str(out), "-q")
    assert r.returncode == 1, r.stdout + r.stderr
    s = json.loads(out.read_text())
    assert s["clients_bound"] == 0
    assert s["exchanges"] == 0
    assert s["sent"]["SOLICIT"] >= 5


@pytest.mark.parametrize("args, message", [
    (["--server", "10.0.0.1:547", "--clients", "1"], "is not [IPv6-ADDRESS]:PORT"),
    (["--server", "[::1]:99999", "--clients", "1"], "is not [IPv6-ADDRESS]:PORT"),
    (["--server", "[::1]:547", "--clients", "1", "--duid-types", "llt,xx"], "unknown DUID type 'xx'"),
    (["--server", "[::1]:547", "--clients", "1", "--link-address", "nope"], "is not an IPv6 address"),
    (["--server", "[::1]:547", "--clients", "0"], "--clients"),
    (["--server", "[::1]:547", "--clients", "1", "--relay-depth", "3"], "--relay-depth"),
    (["--clients", "1"], "--server"),
])
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    r = generate(*args, timeout=10)
    assert r.returncode == 2
    assert message in r.stderr + r.stdout
