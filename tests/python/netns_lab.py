"""Network-namespace helpers shared by the interoperability tests (tests/python/test_interop_*).

A `Lab` creates network namespaces joined by veth pairs, with ULA (fd00::/8) addresses, DAD
off and links up, runs processes inside them, and on close() ends those processes and deletes
the namespaces, whatever happened before. `Failover6d` runs build/bin/failover6d in a namespace
(or in the current one) on a config given as a dict and waits, by polling its control socket
with a deadline, until it answers. `wait_until` polls a condition with a deadline: no test
sleeps a fixed time waiting for something.

Nothing here sends a packet: the tests do, only to loopback or into the namespaces they made.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Optional, TypeVar

import pytest

from failover6.lab import control, poll

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FAILOVER6_BUILD_DIR", CHECKOUT / "build"))
DAEMON = BUILD / "bin" / "failover6d"
CLI = BUILD / "bin" / "failover6"

#: Bound on every single wait (a server starting, a client binding, a process ending).
DEADLINE_S = 15.0

T = TypeVar("T")

#: Where programs are looked for: PATH, then the sbin directories a non-login root shell may
#: lack (ip, dhclient, perfdhcp and kea-dhcp6 live in /usr/sbin).
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def which(name: str) -> Optional[str]:
    """The absolute path of program @p name, or None."""
    return shutil.which(name, path=SEARCH_PATH)


def resolve(argv: list[str]) -> list[str]:
    """@p argv with its program (not already a path) made absolute, when it can be found."""
    if argv and "/" not in argv[0]:
        return [which(argv[0]) or argv[0], *argv[1:]]
    return argv


def skip_reason(*tools: str, root: bool = True) -> Optional[str]:
    """Why a test that needs root (when @p root) and the programs @p tools cannot run here, or
    None when it can."""
    if not DAEMON.exists() or not CLI.exists():
        return f"{DAEMON} or {CLI} not built"
    if root and os.geteuid() != 0:
        return "needs root (network namespaces, port 547)"
    missing = [t for t in tools if which(t) is None]
    if missing:
        return (f"{', '.join(missing)} not installed (Debian packages: run `ci/deps --interop`)")
    return None


def needs(*tools: str, root: bool = True) -> pytest.MarkDecorator:
    """A skipif mark for tests needing root (when @p root) and the programs @p tools."""
    reason = skip_reason(*tools, root=root)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def wait_until(probe: Callable[[], Optional[T]], what: str, timeout: float = DEADLINE_S,
               diagnostics: Callable[[], str] = lambda: "") -> T:
    """Calls @p probe until it returns something other than None/False and returns that (0,
    "" and [] count as an answer), or fails the test after @p timeout seconds naming @p what
    (plus @p diagnostics()). failover6.lab.poll does the polling."""
    def answered() -> tuple[T] | None:
        got = probe()
        return None if got is None or got is False else (got,)
    got = poll(what, answered, timeout, diagnostics)
    assert got is not None
    return got[0]


def run(argv: list[str], ns: Optional[str] = None, check: bool = True,
        timeout: float = DEADLINE_S, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Runs @p argv (in namespace @p ns when given) to completion, output captured as text."""
    argv = resolve(argv)
    if ns is not None:
        argv = resolve(["ip", "netns", "exec", ns, *argv])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited with {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def end_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after @p timeout seconds; reaps the process."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Link:
    """A veth pair between two namespaces and its /64: the server end gets ::1, the client end
    ::2 (unless told not to), both without DAD."""

    server_ns: str
    client_ns: str
    server_if: str
    client_if: str
    prefix: str  # "fd00:f6:1234::" (a /64)

    @property
    def server_addr(self) -> str:
        return self.prefix + "1"

    @property
    def client_addr(self) -> str:
        return self.prefix + "2"

    @property
    def subnet(self) -> str:
        return self.prefix + "/64"


_counter = itertools.count()


@dataclass
class Lab:
    """Namespaces and processes of one test; close() removes everything it made."""

    tag: str = field(default_factory=lambda: f"f6i{os.getpid() % 100000}x{next(_counter)}")
    namespaces: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[Any]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    def namespace(self, role: str) -> str:
        """Creates namespace "<tag><role>" with lo up and DAD off; returns its name."""
        name = f"{self.tag}{role}"
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        for key in ("all", "default"):
            run(["sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0"], ns=name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def link(self, server_ns: str, client_ns: str, server_if: str = "v0",
             client_if: str = "v1", client_address: bool = True) -> Link:
        """A veth pair server_ns:server_if <-> client_ns:client_if in a fresh fd00::/64, up,
        with non-tentative link-local addresses on both ends (MACs 02:f6:00:00:00:01 and :02;
        each pair lives in its own namespaces, so the MACs never meet)."""
        n = (os.getpid() * 7 + next(_counter)) & 0xFFFF
        link = Link(server_ns, client_ns, server_if, client_if, f"fd00:f6:{n:x}::")
        # Fixed, locally administered MACs: clients derive DUIDs and IAIDs from them.
        run(["ip", "-n", server_ns, "link", "add", server_if, "address", "02:f6:00:00:00:01",
             "type", "veth", "peer", "name", client_if, "address", "02:f6:00:00:00:02",
             "netns", client_ns])
        run(["ip", "-n", server_ns, "addr", "add", f"{link.server_addr}/64", "dev", server_if,
             "nodad"])
        if client_address:
            run(["ip", "-n", client_ns, "addr", "add", f"{link.client_addr}/64", "dev",
                 client_if, "nodad"])
        run(["ip", "-n", server_ns, "link", "set", server_if, "up"])
        run(["ip", "-n", client_ns, "link", "set", client_if, "up"])
        for ns, dev in ((server_ns, server_if), (client_ns, client_if)):
            wait_until(lambda: self._link_ready(ns, dev), f"{dev} in {ns} to come up")
        return link

    @staticmethod
    def _link_ready(ns: str, dev: str) -> bool:
        out = run(["ip", "-n", ns, "-6", "addr", "show", "dev", dev], check=False).stdout
        return "scope link" in out and "tentative" not in out and "state UP" in out

    def addresses(self, ns: str, dev: str) -> list[str]:
        """Global addresses ("addr/len") on @p dev in @p ns."""
        out = run(["ip", "-n", ns, "-j", "-6", "addr", "show", "dev", dev, "scope", "global"])
        return [f"{a['local']}/{a['prefixlen']}" for i in json.loads(out.stdout)
                for a in i.get("addr_info", []) if "local" in a]

    def popen(self, argv: list[str], ns: Optional[str], log: Path,
              **kw: Any) -> subprocess.Popen[bytes]:
        """Starts @p argv (in namespace @p ns when given; `ip netns exec` execs it, so the pid is
        the program's), output to @p log; close() ends it."""
        argv = resolve(argv)
        if ns is not None:
            argv = resolve(["ip", "netns", "exec", ns, *argv])
        f = open(log, "ab")
        self.logs.append(f)
        proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, **kw)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in reversed(self.procs):
            end_process(proc)
        # Anything left inside our namespaces was started by this test (e.g. a client that
        # daemonized): end it by pid before the namespace goes.
        for ns in self.namespaces:
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        for ns in reversed(self.namespaces):
            run(["ip", "netns", "del", ns], check=False)
        self.namespaces.clear()
        for f in self.logs:
            f.close()
        self.logs.clear()

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def short_dir() -> Path:
    """A short temporary directory (unix socket paths are limited to 107 octets)."""
    return Path(tempfile.mkdtemp(prefix="f6i-"))


class Failover6d:
    """failover6d on a config dict, in namespace @p ns (or the current one), under @p lab.

    The config's control socket, lease journal and data directory are set to paths in
    @p workdir and @p sockdir; the log goes to workdir/failover6d.log.
    """

    def __init__(self, lab: Lab, ns: Optional[str], cfg: dict[str, Any], workdir: Path,
                 sockdir: Path) -> None:
        d = cfg["Dhcp6"]
        d["data-directory"] = str(workdir / "var")
        d["lease-database"] = {"type": "memfile", "persist": True,
                               "name": str(workdir / "var" / "leases6.journal")}
        self.socket = sockdir / "ctl.sock"
        d["control-socket"] = {"socket-type": "unix", "socket-name": str(self.socket)}
        d.setdefault("loggers", [{"name": "failover6d", "severity": "INFO",
                                  "output_options": [{"output": "stdout"}]}])
        cfg.setdefault("Failover6", {"listen": []})
        self.config = workdir / "failover6d.json"
        self.config.write_text(json.dumps(cfg, indent=2))
        self.log = workdir / "failover6d.log"
        self.proc = lab.popen([str(DAEMON), "--config", str(self.config)], ns, self.log)
        wait_until(self._ready, "failover6d to answer on its control socket",
                   diagnostics=self.log_text)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"failover6d exited with {self.proc.returncode}:\n{self.log_text()}")
        try:
            return bool(control(self.socket, "status")["result"] == 0)
        except (FileNotFoundError, ConnectionRefusedError, json.JSONDecodeError):
            return False

    def ctl(self, *args: str) -> Any:
        """`failover6 ctl --config CONFIG ARGS...` as parsed JSON (the contract of the CLI)."""
        r = run([str(CLI), "ctl", "--config", str(self.config), *args])
        return json.loads(r.stdout)

    def leases(self, *args: str) -> list[dict[str, Any]]:
        """`failover6 ctl leases [filters]`: the lease objects."""
        return list(self.ctl("leases", *args)["leases"])

    def statistics(self) -> dict[str, Any]:
        return dict(self.ctl("statistics"))

    def shutdown(self) -> int:
        """The control API's shutdown; returns the exit status."""
        assert control(self.socket, "shutdown")["result"] == 0
        return self.proc.wait(timeout=DEADLINE_S)


class Capture:
    """dumpcap on @p dev in namespace @p ns (filter @p bpf), writing a classic pcap file; stop()
    ends it and udp() reads back the UDP datagrams (IPv6 over Ethernet, no extension headers)."""

    def __init__(self, lab: Lab, ns: str, dev: str, path: Path,
                 bpf: str = "udp port 546 or udp port 547") -> None:
        self.path = path
        self.log = path.with_suffix(".log")
        self.proc = lab.popen(["dumpcap", "-q", "-i", dev, "-f", bpf, "-P", "-w",
                               str(path)], ns, self.log)
        wait_until(self._started, f"dumpcap to capture on {dev}",
                   diagnostics=lambda: self.log.read_text(errors="replace"))

    def _started(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(f"dumpcap exited: {self.log.read_text(errors='replace')}")
        return "Capturing on" in self.log.read_text(errors="replace")

    def stop(self) -> None:
        end_process(self.proc)

    def udp(self) -> list[tuple[str, int, str, int, bytes]]:
        """(src, sport, dst, dport, payload) of every captured IPv6 UDP datagram."""
        import ipaddress
        import struct
        data = self.path.read_bytes()
        magic = struct.unpack_from("<I", data)[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        off, out = 24, []
        while off + 16 <= len(data):
            incl = struct.unpack_from(endian + "IIII", data, off)[2]
            frame = data[off + 16: off + 16 + incl]
            off += 16 + incl
            if len(frame) < 62 or frame[12:14] != b"\x86\xdd" or frame[20] != 17:
                continue
            ip6 = frame[14:54]
            sport, dport, ulen = struct.unpack_from(">HHH", frame, 54)
            out.append((str(ipaddress.IPv6Address(ip6[8:24])), sport,
                        str(ipaddress.IPv6Address(ip6[24:40])), dport, frame[62:54 + ulen]))
        return out
