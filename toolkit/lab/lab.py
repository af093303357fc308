"""The failover lab: DHCPv6 failover pairs (ours or another vendor's) made from a few
parameters, faults applied to them, traffic from the generator and the trace checker's verdict.

A :class:`Lab` owns everything it starts and tears it all down in :meth:`Lab.close` (also as a
context manager, and at interpreter exit)::

    from failover6.lab import Lab
    with Lab() as lab:
        pair = lab.pair("bundled", subnets=4, mclt=30)   # two failover6d on ::1, started
        pair.wait_normal()
        fleet = lab.fleet(pair, clients=200).start()
        fleet.wait_bound(200, timeout=30)
        pair.primary.kill()
        pair.secondary.wait_state("COMMUNICATIONS-INTERRUPTED", timeout=20)
        pair.secondary.partner_down()
        fleet.stop()
        assert lab.check().ok

Topologies: ``"loopback"`` (unprivileged; :class:`BundledPair`, the partner link through a
:class:`failover6.fault.Proxy` that records it) and ``"netns"`` (root; delegated to
:mod:`failover6.netns`). Vendors plug in through :class:`PairAdapter` and
:func:`register_target`. Every wait polls a condition with a deadline (:func:`poll`) and raises
:class:`LabTimeout` (an ``AssertionError``, so pytest shows it as a failure) with the servers'
log tails.
"""

from __future__ import annotations

import abc
import atexit
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar, Union

from . import fault
from ._paths import checkout_dir, cli_path, daemon_path
from .check import CheckResult, check as _check
from .fleet import Fleet
from .spawn import SEARCH_PATH, log_tail, resolve_argv, spawn, spawn_argv, which

__all__ = [
    "BundledPair", "BundledServer", "Cluster", "Lab", "LabError", "LabTimeout", "Pair",
    "PairAdapter", "Server", "Subnet", "control", "free_port", "lab_subnet", "pid_alive",
    "poll", "register_target", "relabel_pcap", "targets", "DaemonServer", "Failover6dServer",
    "failover6d_config", "relationship_config", "spawn", "spawn_argv", "resolve_argv", "which",
    "log_tail", "SEARCH_PATH", "check_command", "target_factory",
]

T = TypeVar("T")
PathLike = Union[str, "os.PathLike[str]"]

#: Bound on one start-up (the control socket answering) or one control exchange.
START_S = 15.0
#: What Server.state() returns when the server does not run / does not answer.
DOWN = "(down)"
NO_ANSWER = "(no answer)"


class LabError(RuntimeError):
    """A lab operation could not be done (bad parameter, a server that does not start, ...)."""


class LabTimeout(LabError, AssertionError):
    """A condition the lab waited for did not come within its deadline."""


def poll(what: str, fn: Callable[[], T], timeout: float,
         on_timeout: Callable[[], str] | None = None) -> T:
    """Calls @p fn until it returns something true, and returns that.

    :raises LabTimeout: after @p timeout seconds, saying @p what (and what @p on_timeout adds).
    """
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() >= deadline:
            extra = on_timeout() if on_timeout is not None else ""
            raise LabTimeout(f"timed out after {timeout:g} s waiting for {what}"
                             + (f"\n{extra}" if extra else ""))
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def free_port(kind: int = socket.SOCK_STREAM, host: str = "::1") -> int:
    """A port the kernel just handed out on @p host (free unless someone races for it)."""
    with socket.socket(socket.AF_INET6, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def control(sock: PathLike, command: str, arguments: dict[str, Any] | None = None,
            timeout: float = 5.0) -> dict[str, Any]:
    """One exchange over a Kea-style unix control socket (failover6d's, what `failover6 ctl`
    does, and Kea's): the answer object, read until it parses (Kea keeps the connection open)
    or the peer closes; a list answer (kea-ctrl-agent style) gives its first element. The
    whole exchange is bounded by @p timeout. Socket errors (OSError, socket.timeout) and a
    malformed answer (ValueError) propagate."""
    req: dict[str, Any] = {"command": command}
    if arguments is not None:
        req["arguments"] = arguments
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(os.fspath(sock))
        s.sendall(json.dumps(req).encode())
        data = b""
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            try:
                json.loads(data)
            except ValueError:
                continue
            break
    answer = json.loads(data)
    if isinstance(answer, list) and answer:
        answer = answer[0]
    if not isinstance(answer, dict):
        raise ValueError(f"control socket {os.fspath(sock)}: not a JSON object: {data[:200]!r}")
    return answer


# ---- subnets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    """A lab subnet: one per relay. The generator's relay r has link address
    ``relay_base + r``, so a fleet of N relays starting at subnet 1's relay covers subnets 1..N.
    """

    id: int
    prefix: str      # "2001:db8:1::" (a /64)
    relay: str       # the relay's link address, matched by relay.ip-addresses
    pd_prefix: str   # the pd-pool prefix (a /pd_len) from which /delegated_len are delegated
    pd_len: int = 40
    delegated_len: int = 56

    @property
    def pool(self) -> tuple[IPv6Address, IPv6Address]:
        """The IA_NA pool, first and last address."""
        return IPv6Address(f"{self.prefix}1000"), IPv6Address(f"{self.prefix}ffff")

    def config(self, pd: bool = True) -> dict[str, Any]:
        """The Kea-style ``subnet6`` entry."""
        lo, hi = self.pool
        c: dict[str, Any] = {"id": self.id, "subnet": f"{self.prefix}/64",
                             "relay": {"ip-addresses": [self.relay]},
                             "pools": [{"pool": f"{lo} - {hi}"}]}
        if pd:
            c["pd-pools"] = [{"prefix": self.pd_prefix, "prefix-len": self.pd_len,
                              "delegated-len": self.delegated_len}]
        return c


def lab_subnet(id: int) -> Subnet:
    """Subnet @p id (1..127): 2001:db8:<id>::/64, relay 2001:db8::<id>, PD from
    2001:db8:<80+id>00::/40."""
    if not 1 <= id <= 127:
        raise LabError(f"subnet id {id} out of the lab's range 1..127")
    return Subnet(id, f"2001:db8:{id:x}::", f"2001:db8::{id:x}",
                  f"2001:db8:{0x8000 + id * 0x100:x}::")


# ---- captures on loopback ------------------------------------------------------------------------

#: Every server of a loopback lab is ::1, but the trace checker tells servers apart by address
#: (a DHCP server's replies and its failover endpoint are linked by their address). Before
#: checking, the lab rewrites each server's ::1 in its captures to an address of its own,
#: fd00:f6::<n> (its capture_address), chosen by the port the packet used.
LOOPBACK = IPv6Address("::1").packed
_capture_counter = iter(range(1, 1 << 30))


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


def relabel_pcap(src: Path, dst: Path, by_port: dict[int, bytes],
                 other: bytes | None = None) -> int:
    """Copies the pcap @p src to @p dst with every ::1 address of an IPv6 UDP/TCP packet
    replaced: by by_port[port] when that side's port is there, else by @p other (when given),
    the transport checksum recomputed. Handles classic pcap (micro or nanosecond, either byte
    order) with raw IPv6 or Ethernet framing, as PcapWriter writes. Returns the packets
    rewritten.

    :raises LabError: @p src is not such a capture.
    """
    data = src.read_bytes()
    if len(data) < 24:
        raise LabError(f"{src}: not a pcap file (too short)")
    magic = data[:4]
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    elif magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    else:
        raise LabError(f"{src}: not a classic pcap file (magic {magic.hex()})")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype == 1:
        l2 = 14
    elif linktype in (12, 101, 229):
        l2 = 0
    else:
        raise LabError(f"{src}: link type {linktype} is not raw IPv6 or Ethernet")
    out = bytearray(data[:24])
    off, changed = 24, 0
    rec = struct.Struct(end + "IIII")
    while off + 16 <= len(data):
        _, _, caplen, _ = rec.unpack_from(data, off)
        frame = bytearray(data[off + 16:off + 16 + caplen])
        out += data[off:off + 16]
        off += 16 + caplen
        ip = l2
        if len(frame) >= ip + 44 and frame[ip] >> 4 == 6 and frame[ip + 6] in (6, 17):
            nh = frame[ip + 6]
            t = ip + 40
            sport, dport = struct.unpack_from("!HH", frame, t)
            hit = False
            for a, port in ((ip + 8, sport), (ip + 24, dport)):
                if bytes(frame[a:a + 16]) == LOOPBACK:
                    new = by_port.get(port, other)
                    if new is not None:
                        frame[a:a + 16] = new
                        hit = True
            if hit:
                ck = t + (16 if nh == 6 else 6)
                seg_len = struct.unpack_from("!H", frame, ip + 4)[0]
                if len(frame) >= t + seg_len and len(frame) >= ck + 2:
                    frame[ck:ck + 2] = b"\0\0"
                    pseudo = (bytes(frame[ip + 8:ip + 40]) + struct.pack("!I", seg_len)
                              + b"\0\0\0" + bytes([nh]))
                    c = _checksum(pseudo + bytes(frame[t:t + seg_len]))
                    if nh == 17 and c == 0:
                        c = 0xFFFF
                    struct.pack_into("!H", frame, ck, c)
                changed += 1
        out += frame
    dst.write_bytes(bytes(out))
    return changed


# ---- processes (failover6.spawn) ----------------------------------------------------------------


def _skew_env(seconds: float) -> dict[str, str]:
    try:
        env: dict[str, str] = dict(fault.skew_env(seconds))
    except RuntimeError as e:  # libfaketime is not installed
        raise LabError(f"skew={seconds:g} needs libfaketime: {e}") from e
    return env


# ---- configurations ------------------------------------------------------------------------------


def relationship_config(name: str, role: str, this_server: str, peer: str, *, mclt: int,
                        keepalive: int, max_unacked: int, subnets: Sequence[int],
                        auto_partner_down: int | None = None,
                        startup_time: int | None = None,
                        security: dict[str, Any] | None = None,
                        extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One ``Failover6.relationships`` entry of a failover6d configuration. @p this_server and
    @p peer are "[ADDR]:PORT"; @p security is ``{"tls": {...}}`` or (None) insecure; @p extra
    more keys verbatim (``{"prefix-share": 10, "use-partner-prefixes": True}``)."""
    r: dict[str, Any] = {
        "name": name, "role": role, "this-server": this_server, "peer": peer, "mclt": mclt,
        "keepalive": keepalive, "max-unacked": max_unacked, "subnets": list(subnets)}
    if auto_partner_down is not None:
        r["auto-partner-down"] = auto_partner_down
    if startup_time is not None:
        r["startup-time"] = startup_time
    r.update(security if security is not None else {"insecure": True})
    r.update(extra or {})
    return r


def failover6d_config(name: str, *, storage_dir: PathLike, socket_path: PathLike,
                      listen: str, subnets: Sequence[dict[str, Any]],
                      relationships: Sequence[dict[str, Any]], t1: int, t2: int,
                      preferred: int, valid: int) -> dict[str, Any]:
    """A whole failover6d configuration: server-id from @p name, the lease journal in
    @p storage_dir, the control socket @p socket_path, DHCP on @p listen ("[ADDR]:PORT"),
    @p subnets (``subnet6`` entries, e.g. Subnet.config()), @p relationships
    (relationship_config()), log to stdout."""
    storage = Path(storage_dir)
    return {
        "Dhcp6": {
            "renew-timer": t1, "rebind-timer": t2,
            "preferred-lifetime": preferred, "valid-lifetime": valid,
            "server-id": {"type": "EN", "enterprise-id": 2495,
                          "identifier": name.encode().hex()},
            "data-directory": str(storage),
            "lease-database": {"type": "memfile", "persist": True,
                               "name": str(storage / "leases6.journal")},
            "control-socket": {"socket-type": "unix", "socket-name": str(socket_path)},
            "subnet6": list(subnets),
            "loggers": [{"name": "failover6d", "severity": "INFO",
                         "output_options": [{"output": "stdout"}]}],
        },
        "Failover6": {"listen": [listen], "relationships": list(relationships)},
    }


# ---- servers -------------------------------------------------------------------------------------


class Server:
    """One DHCPv6 server of a lab, whatever its vendor. Adapters subclass it (usually through
    DaemonServer) and implement what their server can do; the rest raises NotImplementedError
    naming the operation."""

    def __init__(self, name: str, role: str, dhcp: str = "", log_path: PathLike = "",
                 subnets: Sequence[Subnet] = ()) -> None:
        self.name = name
        self.role = role
        #: "[ADDR]:PORT" where relays send RELAY-FORW (the UdpProxy in front when there is one)
        self.dhcp = dhcp
        self.log_path = Path(log_path)
        #: the subnets this server serves (the fleet derives its relays from them)
        self.subnets: list[Subnet] = list(subnets)
        self.lab: Lab | None = None
        #: the §4.7 client-traffic proxy in front of the DHCP port, when the lab put one there
        self.client_proxy: fault.UdpProxy | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.role}) dhcp {self.dhcp}>"

    def mark(self, what: str, **fields: Any) -> None:
        """Records an event of this server in the lab's event list."""
        if self.lab is not None:
            self.lab.mark(what, server=self.name, **fields)

    def _missing(self, op: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} ({self.name}) cannot {op}")

    @property
    def alive(self) -> bool:
        """True while the server's process runs (paused counts as alive)."""
        return False

    def start(self) -> None:
        """Starts the server and waits until it answers its control channel."""
        raise self._missing("start")

    def stop(self) -> None:
        """Ends the server gracefully (SIGTERM, drained)."""
        raise self._missing("stop")

    def kill(self) -> None:
        """kill -9."""
        raise self._missing("be killed")

    def pause(self) -> None:
        """SIGSTOP."""
        raise self._missing("pause")

    def resume(self) -> None:
        """SIGCONT."""
        raise self._missing("resume")

    def wipe_storage(self) -> None:
        """Removes the server's lease storage (while it is stopped)."""
        raise self._missing("wipe its storage")

    def restart(self, *, wipe: bool = False) -> None:
        """kill -9 when alive, wipe the storage when asked, start again."""
        if self.alive:
            self.kill()
        if wipe:
            self.wipe_storage()
        self.start()

    def close(self) -> None:
        """Ends whatever the server runs (process, proxies). Idempotent."""
        if self.client_proxy is not None:
            self.client_proxy.close()

    def status(self) -> dict[str, Any]:
        """The server's status (``failover6 ctl status`` for ours; adapters: best effort)."""
        raise self._missing("report its status")

    def state(self, relationship: str | None = None) -> str:
        """The failover state of @p relationship (the only one when None), RFC 8156 spelling
        or the vendor's; ``"(down)"`` when the server does not run."""
        raise self._missing("report its state")

    def wait_state(self, state: str, timeout: float, relationship: str | None = None) -> None:
        """Waits until state(@p relationship) == @p state.

        :raises LabTimeout: it did not within @p timeout seconds (with the log tail).
        """
        what = f"{self.name} {relationship} in {state}" if relationship else \
            f"{self.name} in {state}"
        poll(what, lambda: self.state(relationship) == state, timeout,
             lambda: f"{self.name} is in {self.state(relationship)}\n{self.log_tail()}")

    def partner_down(self, relationship: str | None = None) -> None:
        """The operator's command: the partner is down (RFC 8156 PARTNER-DOWN)."""
        raise self._missing("be told partner-down")

    def block_clients(self) -> None:
        """Client traffic toward this server is lost (RFC 7031 §4.7); the partner link stays."""
        if self.client_proxy is None:
            raise LabError(f"{self.name} has no client proxy: make the pair with "
                           "client_proxy=True to block client traffic toward one server")
        self.client_proxy.blackhole()
        self.mark("block-clients")

    def unblock_clients(self) -> None:
        """Undoes block_clients()."""
        if self.client_proxy is None:
            raise LabError(f"{self.name} has no client proxy (client_proxy=True)")
        self.client_proxy.pass_through()
        self.mark("unblock-clients")

    def leases(self) -> list[dict[str, Any]]:
        """The server's leases (``ctl leases``); adapters may return []."""
        return []

    def log_tail(self, lines: int = 40) -> str:
        """The last @p lines of the server's log, headed by its name."""
        return log_tail(self.log_path, f"{self.name} log", lines)


class DaemonServer(Server):
    """A server that is one process the lab runs: start() writes its configuration
    (_prepare()), spawns _argv() (with _env() added to the environment, in the namespace
    ``netns`` when set) and polls _ready() until it answers; stop, kill, pause, resume,
    restart and close act on that process. Vendors' adapters subclass it and provide
    _argv() and _ready() (and _prepare(), _env() as needed)."""

    #: the network namespace the process runs in (None: the lab's own)
    netns: str | None = None

    def __init__(self, name: str, role: str, dhcp: str = "", log_path: PathLike = "",
                 subnets: Sequence[Subnet] = ()) -> None:
        super().__init__(name, role, dhcp, log_path, subnets)
        #: the server's process (failover6.fault.Process) once started
        self.process: fault.Process | None = None
        #: added to the process's environment (e.g. failover6.fault.skew_env())
        self.env: dict[str, str] = {}

    def _prepare(self) -> None:
        """Writes the configuration (called by start())."""

    def _argv(self) -> list[str]:
        """The command line of the server."""
        raise self._missing("start")

    def _env(self) -> dict[str, str]:
        """What start() adds to the environment: ``env`` by default."""
        return dict(self.env)

    def _ready(self) -> bool:
        """True once the server answers (its control socket); OSError/ValueError: not yet."""
        raise self._missing("say it is ready")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.alive

    def _running(self) -> fault.Process:
        if self.process is None or not self.process.alive:
            raise LabError(f"{self.name} is not running")
        return self.process

    def start(self) -> None:
        """Writes the configuration, starts the process and waits (START_S at most) until it
        answers. On failure the process is killed before the error is raised.

        :raises LabError: it already runs, exited at start (with its log tail) or did not
                          answer in time (LabTimeout).
        """
        if self.alive:
            raise LabError(f"{self.name} already runs")
        self._prepare()
        if self.process is not None:
            self.process.close()
        self.process = spawn(self._argv(), self.log_path, env=self._env(), netns=self.netns)
        self.mark("start", pid=self.process.pid)
        proc = self.process

        def ready() -> bool:
            if not proc.alive:
                raise LabError(f"{self.name} exited with {proc.returncode} at start:\n"
                               f"{self.log_tail()}")
            try:
                return self._ready()
            except (OSError, ValueError, KeyError):
                return False

        try:
            poll(f"{self.name} to answer on its control socket", ready, START_S, self.log_tail)
        except BaseException:
            proc.close()
            raise

    def stop(self) -> None:
        """SIGTERM (SIGCONT too, should it be paused), SIGKILL after 10 s. Nothing when it
        does not run."""
        if self.process is not None and self.process.alive:
            self.process.terminate(timeout=10)
            self.mark("stop")

    def kill(self) -> None:
        """kill -9 (and reap).

        :raises LabError: it does not run.
        """
        self._running().kill()
        self.mark("kill")

    def pause(self) -> None:
        """SIGSTOP.

        :raises LabError: it does not run.
        """
        self._running().pause()
        self.mark("pause")

    def resume(self) -> None:
        """SIGCONT.

        :raises LabError: it does not run.
        """
        self._running().resume()
        self.mark("resume")

    def restart(self, *, wipe: bool = False) -> None:
        """kill -9 when alive, wipe the storage when asked, start again (events: kill,
        wipe-storage, start, restart)."""
        super().restart(wipe=wipe)
        self.mark("restart", wipe=wipe)

    def close(self) -> None:
        """Ends the process (SIGTERM, then SIGKILL after 5 s) and the client proxy.
        Idempotent."""
        try:
            if self.process is not None:
                try:
                    if self.process.alive:
                        self.process.terminate(timeout=5)
                finally:
                    self.process.close()
        finally:
            super().close()


class Failover6dServer(DaemonServer):
    """A failover6d (loopback or netns): its configuration file, storage and control socket;
    status, state, partner-down and leases over the control API. Subclasses provide
    config()."""

    def __init__(self, name: str, role: str, directory: Path, socket_path: Path,
                 dhcp: str = "", subnets: Sequence[Subnet] = ()) -> None:
        super().__init__(name, role, dhcp, directory / "failover6d.log", subnets)
        self.dir = directory
        #: the control socket (unix)
        self.socket = socket_path
        self.dir.mkdir(parents=True, exist_ok=True)

    @property
    def config_path(self) -> Path:
        """The configuration file start() writes."""
        return self.dir / "config.json"

    @property
    def storage_dir(self) -> Path:
        """The data directory (lease journal)."""
        return self.dir / "var"

    @property
    def workdir(self) -> Path:
        """The server's directory (config, log, storage)."""
        return self.dir

    @property
    def journal(self) -> Path:
        """The lease journal."""
        return self.storage_dir / "leases6.journal"

    def config(self) -> dict[str, Any]:
        """The failover6d configuration this server runs with."""
        raise self._missing("make its configuration")

    def _prepare(self) -> None:
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        if self.socket.exists():
            self.socket.unlink()

    def _argv(self) -> list[str]:
        return [str(daemon_path()), "--config", str(self.config_path)]

    def _ready(self) -> bool:
        return control(self.socket, "status", timeout=2).get("result") == 0

    def control(self, command: str, arguments: dict[str, Any] | None = None,
                timeout: float = 5.0) -> dict[str, Any]:
        """One control API exchange; a result other than 0 raises LabError."""
        try:
            answer = control(self.socket, command, arguments, timeout)
        except (OSError, ValueError) as e:
            raise LabError(f"{self.name}: control command {command} failed: {e}") from e
        if answer.get("result") != 0:
            raise LabError(f"{self.name}: {command}: {answer.get('text', answer)}")
        return answer

    def status(self) -> dict[str, Any]:
        args: dict[str, Any] = self.control("status").get("arguments", {})
        return args

    def _pick(self, rels: list[dict[str, Any]], name: str | None) -> dict[str, Any]:
        if name is None:
            if len(rels) != 1:
                raise LabError(f"{self.name} has {len(rels)} relationships "
                               f"({', '.join(str(r.get('name')) for r in rels)}): name one")
            return rels[0]
        for r in rels:
            if r.get("name") == name:
                return r
        raise LabError(f"{self.name} has no relationship {name!r}")

    def relationship(self, name: str | None = None) -> dict[str, Any]:
        """The status of relationship @p name (the only one when None).

        :raises LabError: no such relationship, or the server does not answer.
        """
        return self._pick(list(self.status().get("relationships", [])), name)

    def state(self, relationship: str | None = None) -> str:
        """The RFC 8156 state of @p relationship; "(down)" when the server does not run or
        its socket refuses, "(no answer)" when it does not answer (paused, say).

        :raises LabError: no such relationship.
        """
        try:
            rels: list[dict[str, Any]] = control(self.socket, "status",
                                                 timeout=2)["arguments"]["relationships"]
        except (FileNotFoundError, ConnectionRefusedError):
            return DOWN
        except (OSError, ValueError, KeyError):
            return DOWN if not self.alive else NO_ANSWER
        return str(self._pick(rels, relationship)["state"])

    def partner_state(self, relationship: str | None = None) -> str:
        """The partner's state as this server last heard it ("" when unknown)."""
        return str(self.relationship(relationship).get("partner-state", ""))

    def in_normal(self, relationship: str | None = None) -> bool:
        """True when @p relationship is NORMAL here and this server knows its partner NORMAL
        (False while the server does not answer)."""
        try:
            r = self.relationship(relationship)
        except LabError:
            return False
        return r.get("state") == "NORMAL" and r.get("partner-state") == "NORMAL"

    def partner_down(self, relationship: str | None = None) -> None:
        if relationship is None:
            relationship = str(self.relationship()["name"])
        self.control("partner-down", {"name": relationship})
        self.mark("partner-down", relationship=relationship)

    def leases(self) -> list[dict[str, Any]]:
        leases: list[dict[str, Any]] = self.control("leases", timeout=60).get(
            "arguments", {}).get("leases", [])
        return leases

    def wipe_storage(self) -> None:
        if self.alive:
            raise LabError(f"{self.name} runs: stop or kill it before wiping its storage")
        shutil.rmtree(self.storage_dir, ignore_errors=True)
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        self.mark("wipe-storage")


class BundledServer(Failover6dServer):
    """One failover6d of a bundled pair or cluster on loopback: its configuration (made from
    the pair's parameters), its process (failover6.fault.Process) and its control socket."""

    def __init__(self, name: str, role: str, directory: Path, sock_dir: Path,
                 subnets: Sequence[Subnet], params: dict[str, Any],
                 env: dict[str, str] | None = None, client_proxy: bool = False) -> None:
        self.dhcp_port = free_port(socket.SOCK_DGRAM)
        super().__init__(name, role, directory, sock_dir / f"{name}.sock",
                         f"[::1]:{self.dhcp_port}", subnets)
        self.params = params
        self.env = dict(env or {})
        #: this server's failover (partner link) port
        self.failover_port = free_port()
        #: the RFC 8156 relationships, as the config's "Failover6.relationships" entries
        self.relationships: list[dict[str, Any]] = []
        #: the address that stands for this server in the captures the lab checks (see
        #: relabel_pcap): every server of a loopback lab is ::1 on the wire
        self.capture_address = f"fd00:f6::{next(_capture_counter):x}"
        if client_proxy:
            self.client_proxy = fault.UdpProxy(f"[::1]:{self.dhcp_port}", name=f"clients-{name}")
            self.dhcp = f"[::1]:{self.client_proxy.port}"

    def config(self) -> dict[str, Any]:
        p = self.params
        return failover6d_config(
            self.name, storage_dir=self.storage_dir, socket_path=self.socket,
            listen=f"[::1]:{self.dhcp_port}",
            subnets=[s.config(bool(p["pd"])) for s in self.subnets],
            relationships=self.relationships, t1=p["t1"], t2=p["t2"],
            preferred=p["preferred"], valid=p["valid"])

# ---- pairs ---------------------------------------------------------------------------------------


class Pair:
    """What a lab's failover pair offers, whatever the vendor (see PairAdapter). A Cluster
    (m-to-1) offers the same, with ``primaries`` and one ``secondary``."""

    name: str = "pair"
    target: str = "bundled"
    #: seconds; 0 when the vendor has none (Kea)
    mclt: int = 0
    #: the partner-link ports the trace checker reads as RFC 8156 (() when not RFC 8156)
    failover_ports: tuple[int, ...] = ()
    #: the lab that owns the pair (set by Lab.pair / attach)
    lab: Lab | None = None
    #: true once start() ran (Lab.pair starts a pair only when false)
    started: bool = False
    primary: Server
    secondary: Server
    _servers: list[Server] | None = None

    @property
    def servers(self) -> list[Server]:
        """Every server of the pair (primary first; for a Cluster the primaries, then the
        secondary)."""
        if self._servers is not None:
            return list(self._servers)
        return [self.primary, self.secondary]

    @servers.setter
    def servers(self, value: Sequence[Server]) -> None:
        self._servers = list(value)

    def attach(self, lab: Lab) -> None:
        """Makes @p lab the owner (events, teardown) of this pair and its servers."""
        self.lab = lab
        for s in self.servers:
            s.lab = lab

    def mark(self, what: str, **fields: Any) -> None:
        """Records an event of this pair in the lab's event list."""
        if self.lab is not None:
            self.lab.mark(what, pair=self.name, **fields)

    def start(self) -> None:
        """Starts the servers (see PairAdapter.start)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stops the servers and whatever the pair started (see PairAdapter.stop)."""
        raise NotImplementedError

    def close(self) -> None:
        """Tears down everything of the pair. Idempotent."""
        self.stop()

    def __enter__(self) -> Pair:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def relationships(self, server: Server) -> list[str | None]:
        """The relationship names @p server takes part in ([None]: its only one)."""
        return [None]

    def wait_normal(self, timeout: float = 30) -> None:
        """Waits until every server is in service in every relationship (NORMAL)."""
        deadline = time.monotonic() + timeout
        for s in self.servers:
            for rel in self.relationships(s):
                s.wait_state("NORMAL", max(0.1, deadline - time.monotonic()), rel)

    def partition(self, mode: str = "blackhole", *, drop: str | None = None) -> None:
        """Breaks the partner link (see PairAdapter.partition)."""
        raise NotImplementedError

    def heal(self) -> None:
        """Restores the partner link."""
        raise NotImplementedError

    def delay(self, seconds: float) -> None:
        """Delays the partner link by @p seconds each way (0 heals)."""
        raise NotImplementedError

    def pcaps(self) -> list[Path]:
        """The partner-link captures ([] when the pair records none)."""
        return []

    def logs(self) -> str:
        """The log tails of every server."""
        return "\n".join(s.log_tail() for s in self.servers)


class PairAdapter(Pair, abc.ABC):
    """The vendor interface: a pair of some vendor's servers that the lab starts, breaks in the
    ways of issue 7 and tears down. Subclasses set primary, secondary, name, target, mclt and
    failover_ports and implement the abstract methods; ``lab.pair(MyVendorPair(...))`` or
    ``register_target("myvendor", factory)`` + ``lab.pair("myvendor")`` use them."""

    @abc.abstractmethod
    def start(self) -> None:
        """Starts the servers (the pair need not be in service yet: see wait_normal)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stops the servers and whatever the adapter started. Idempotent."""

    @abc.abstractmethod
    def partition(self, mode: str = "blackhole", *, drop: str | None = None) -> None:
        """Breaks the partner link: "blackhole", "reset", "refuse" or "one-way" with
        drop="to-secondary" | "to-primary"."""

    @abc.abstractmethod
    def heal(self) -> None:
        """Restores the partner link."""

    @abc.abstractmethod
    def delay(self, seconds: float) -> None:
        """Delays every byte of the partner link by @p seconds (geo-delay); 0 heals."""

    @abc.abstractmethod
    def pcaps(self) -> list[Path]:
        """The partner-link captures."""


_DROPS = {"to-secondary": "to-target", "to-primary": "from-target"}


class Cluster(PairAdapter):
    """Bundled failover6d on loopback: @p primaries primaries and one secondary, one RFC 8156
    relationship per primary ("rel-1", "rel-2", ...; "lab-pair" for a pair). Primary k serves
    its own @p subnets subnets (one per relay), the secondary all of them. Each primary reaches
    the secondary through its own failover6.fault.Proxy, whose pcap goes into the lab's
    workdir. Made by Lab.m_to_1(); BundledPair is the one-primary case."""

    target = "bundled"
    primary: BundledServer
    secondary: BundledServer

    def __init__(self, lab: Lab, *, primaries: int = 2, subnets: int = 4, mclt: int = 30,
                 keepalive: int = 2, valid: int = 90, preferred: int = 60, t1: int = 30,
                 t2: int = 48, pd: bool = True, tls: bool = False, skew: float = 0.0,
                 auto_partner_down: int | None = None, max_unacked: int = 64,
                 startup_time: int | None = 2, partner_link: str = "proxy",
                 client_proxy: bool = False, name: str | None = None,
                 failover_options: Mapping[str, Any] | None = None) -> None:
        if primaries < 1:
            raise LabError(f"primaries must be at least 1, not {primaries}")
        if subnets < 1 or primaries * subnets > 127:
            raise LabError(f"subnets must be 1..{127 // primaries} per primary, not {subnets}")
        if mclt < 30:
            raise LabError(f"mclt {mclt} is below the configuration's minimum of 30 s")
        if not (0 < t1 <= t2 <= preferred <= valid):
            raise LabError(f"timers must satisfy 0 < t1 <= t2 <= preferred <= valid "
                           f"(t1 {t1}, t2 {t2}, preferred {preferred}, valid {valid})")
        if partner_link not in ("proxy", "direct"):
            raise LabError(f"partner_link {partner_link!r} on loopback: 'proxy' or 'direct' "
                           "('nft' needs Lab(topology='netns'))")
        self.lab = lab
        self.name = name or ("lab-pair" if primaries == 1 else "m-to-1")
        self.mclt = mclt
        self.skew = skew
        self.params: dict[str, Any] = {"t1": t1, "t2": t2, "preferred": preferred,
                                       "valid": valid, "pd": pd}
        self._proxies: dict[str, fault.Proxy] = {}
        self._pcaps: list[Path] = []
        self._pcap_primary: dict[Path, BundledServer] = {}
        root = lab.workdir / self.name
        sock_dir = lab.socket_dir
        tls_files = lab.test_certs() if tls else None

        def tls_of(me: str, peer: str) -> dict[str, Any] | None:
            if tls_files is None:
                return None
            return {"tls": {"cert-file": str(tls_files / f"{me}.crt"),
                            "key-file": str(tls_files / f"{me}.key"),
                            "ca-file": str(tls_files / "ca.crt"),
                            "peer-name": f"{peer}.failover6.test"}}

        # Subnet ids are unique in the lab, so that pairs side by side never share addresses.
        all_subnets = [lab_subnet(i) for i in lab.allocate_subnets(primaries * subnets)]
        sec_env = _skew_env(skew) if skew else {}
        self.secondary = BundledServer(f"{self.name}-secondary", "secondary",
                                       root / "secondary", sock_dir, all_subnets,
                                       self.params, sec_env, client_proxy)
        self.primaries: list[BundledServer] = []
        self._rel_names: list[str] = []
        try:
            for k in range(primaries):
                rel = "lab-pair" if primaries == 1 else f"rel-{k + 1}"
                label = "primary" if primaries == 1 else f"primary-{k + 1}"
                mine = all_subnets[k * subnets:(k + 1) * subnets]
                p = BundledServer(f"{self.name}-{label}", "primary", root / label, sock_dir,
                                  mine, self.params, None, client_proxy)
                self.primaries.append(p)
                self._rel_names.append(rel)
                peer_port = self.secondary.failover_port
                if partner_link == "proxy":
                    pcap = lab.workdir / f"partner-{self.name}-{rel}.pcap"
                    proxy = fault.Proxy(f"[::1]:{self.secondary.failover_port}", pcap=str(pcap),
                                        name=rel)
                    self._proxies[rel] = proxy
                    self._pcaps.append(pcap)
                    self._pcap_primary[pcap] = p
                    peer_port = proxy.port

                def relationship(role: str, this: int, peer: int, me: str,
                                 other: str) -> dict[str, Any]:
                    return relationship_config(
                        rel, role, f"[::1]:{this}", f"[::1]:{peer}", mclt=mclt,
                        keepalive=keepalive, max_unacked=max_unacked,
                        subnets=[s.id for s in mine], auto_partner_down=auto_partner_down,
                        startup_time=startup_time, security=tls_of(me, other),
                        extra=failover_options)

                p.relationships.append(relationship("primary", p.failover_port, peer_port,
                                                    "primary", "secondary"))
                self.secondary.relationships.append(relationship(
                    "secondary", self.secondary.failover_port, p.failover_port, "secondary",
                    "primary"))
        except BaseException:
            self.stop()
            raise
        self.primary = self.primaries[0]
        self.servers = [*self.primaries, self.secondary]
        #: the secondary's failover port: the target of every proxy, so what pcaps show
        self.failover_ports = (self.secondary.failover_port,)
        self.attach(lab)

    @property
    def relationship_names(self) -> list[str]:
        """The relationships' names, in the order of the primaries."""
        return list(self._rel_names)

    def relationships(self, server: Server) -> list[str | None]:
        if server is self.secondary:
            return list(self._rel_names)
        return [self._rel_names[self.primaries.index(server)]]  # type: ignore[arg-type]

    def proxy(self, relationship: str | None = None) -> fault.Proxy:
        """The partner-link proxy of @p relationship (the first when None)."""
        if not self._proxies:
            raise LabError(f"{self.name} has no partner-link proxy (partner_link='direct')")
        if relationship is None:
            return next(iter(self._proxies.values()))
        try:
            return self._proxies[relationship]
        except KeyError:
            raise LabError(f"{self.name} has no relationship {relationship!r} "
                           f"(it has {', '.join(self._proxies)})") from None

    def _targets(self, relationship: str | None) -> list[fault.Proxy]:
        if relationship is not None:
            return [self.proxy(relationship)]
        if not self._proxies:
            raise LabError(f"{self.name} has no partner-link proxy (partner_link='direct')")
        return list(self._proxies.values())

    def start(self) -> None:
        """Starts the secondary, then the primaries (each waits for its control socket)."""
        for s in (self.secondary, *self.primaries):
            if not s.alive:
                s.start()
        self.started = True

    def stop(self) -> None:
        errors: list[BaseException] = []
        for s in (*getattr(self, "primaries", []), getattr(self, "secondary", None)):
            if s is None:
                continue
            try:
                s.close()
            except Exception as e:  # keep tearing down the rest
                errors.append(e)
        for p in self._proxies.values():
            try:
                p.close()
            except Exception as e:
                errors.append(e)
        if errors:
            raise LabError(f"{self.name}: teardown: {errors}")

    def wait_normal(self, timeout: float = 30) -> None:
        """Every relationship NORMAL on both sides, each knowing its partner NORMAL."""
        deadline = time.monotonic() + timeout
        for k, p in enumerate(self.primaries):
            rel = self._rel_names[k]
            for s in (p, self.secondary):
                poll(f"{s.name} {rel} NORMAL with its partner NORMAL",
                     lambda s=s, rel=rel: s.in_normal(rel),  # type: ignore[misc]
                     max(0.1, deadline - time.monotonic()), self.logs)

    def partition(self, mode: str = "blackhole", *, drop: str | None = None,
                  relationship: str | None = None) -> None:
        """Breaks the partner link of @p relationship (every one when None)."""
        proxies = self._targets(relationship)
        if mode == "one-way":
            if drop not in _DROPS:
                raise LabError(f"one-way needs drop='to-secondary' or 'to-primary', not {drop!r}")
            for p in proxies:
                p.one_way(_DROPS[drop])
        elif mode in ("blackhole", "reset", "refuse"):
            if drop is not None:
                raise LabError(f"drop= goes with mode 'one-way' only, not {mode!r}")
            for p in proxies:
                getattr(p, mode)()
        else:
            raise LabError(f"partition mode {mode!r}: blackhole, reset, refuse or one-way")
        self.mark("partition", mode=mode, drop=drop, relationship=relationship)

    def heal(self, relationship: str | None = None) -> None:
        for p in self._targets(relationship):
            p.pass_through()
        self.mark("heal", relationship=relationship)

    def delay(self, seconds: float, relationship: str | None = None) -> None:
        if seconds < 0:
            raise LabError(f"delay {seconds} s is negative")
        for p in self._targets(relationship):
            if seconds == 0:
                p.pass_through()
            else:
                p.delay(seconds)
        self.mark("delay", seconds=seconds, relationship=relationship)

    def pcaps(self) -> list[Path]:
        """The partner-link captures, each complete up to now (the proxies flush them)."""
        for proxy in self._proxies.values():
            proxy.flush()
        return [p for p in self._pcaps if p.exists()]

    def capture_labels(self, pcap: Path) -> tuple[dict[int, bytes], bytes | None] | None:
        """How relabel_pcap() rewrites @p pcap, one of this cluster's partner-link captures:
        the secondary's failover port to its capture address, any other ::1 side to the
        relationship's primary. None when @p pcap is not one of them."""
        primary = self._pcap_primary.get(pcap)
        if primary is None:
            return None
        sec = IPv6Address(self.secondary.capture_address).packed
        return {self.secondary.failover_port: sec}, IPv6Address(primary.capture_address).packed


class BundledPair(Cluster):
    """Two failover6d on ::1 with free ports, one relationship "lab-pair": the primary reaches
    the secondary through a failover6.fault.Proxy (pcap in the lab workdir). Parameters as
    Cluster (subnets=4, mclt=30, keepalive=2, valid/preferred/t1/t2 short, pd=True, tls=False,
    skew=0.0 on the secondary, auto_partner_down, max_unacked, startup_time, partner_link,
    client_proxy, failover_options: more relationship keys such as ``{"prefix-share": 10}``)."""

    def __init__(self, lab: Lab, **params: Any) -> None:
        if "primaries" in params:
            raise LabError("a pair has one primary: use Lab.m_to_1(primaries=N) for more")
        super().__init__(lab, primaries=1, **params)


# ---- targets -------------------------------------------------------------------------------------

PairFactory = Callable[..., Pair]
_TARGETS: dict[str, PairFactory] = {}


def register_target(name: str, factory: PairFactory) -> None:
    """Makes ``lab.pair(name, **params)`` call ``factory(lab, **params)``."""
    if not name:
        raise ValueError("a target needs a name")
    _TARGETS[name] = factory


def targets() -> list[str]:
    """The registered target names."""
    return sorted(_TARGETS)


def target_factory(name: str) -> PairFactory | None:
    """The factory register_target() gave for @p name, or None."""
    return _TARGETS.get(name)


def _kea(lab: Lab, **params: Any) -> Pair:
    from . import kea  # L2; imported only when asked for

    pair: Pair = kea.KeaHaPair(lab, start=False, **params)
    return pair


register_target("bundled", BundledPair)
register_target("kea", _kea)


# ---- the lab -------------------------------------------------------------------------------------

_OPEN_LABS: weakref.WeakSet[Lab] = weakref.WeakSet()


@atexit.register
def _close_open_labs() -> None:
    for lab in list(_OPEN_LABS):
        try:
            lab.close()
        except Exception:
            pass


class Lab:
    """A set of pairs, fleets and faults in one work directory, torn down together.

    :param workdir: where configs, logs and pcaps go (a new temporary directory when None,
                    removed at close unless @p keep).
    :param topology: "loopback" (unprivileged) or "netns" (root; see failover6.netns).
    :param keep: keep a temporary workdir after close().
    :param log: where the lab's event lines go (print by default; None: nowhere).
    """

    def __init__(self, workdir: PathLike | None = None, *, topology: str = "loopback",
                 keep: bool = False, log: Callable[[str], Any] | None = print) -> None:
        if topology not in ("loopback", "netns"):
            raise LabError(f"topology {topology!r}: 'loopback' or 'netns'")
        self.topology = topology
        self.keep = keep
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="failover6-lab-") if workdir is None
                            else workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = log
        #: {"time": unix float, "what": str, "server"?: name, ...}, in order
        self.events: list[dict[str, Any]] = []
        self.pairs: list[Pair] = []
        self.fleets: list[Fleet] = []
        self._closers: list[Callable[[], None]] = []
        self._socket_dir: Path | None = None
        self._certs: Path | None = None
        self._next_subnet = 1
        self._lock = threading.Lock()
        self.closed = False
        _OPEN_LABS.add(self)

    def __repr__(self) -> str:
        return f"<Lab {self.topology} {self.workdir}>"

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def socket_dir(self) -> Path:
        """A short directory for unix sockets (paths are limited to 107 octets)."""
        if self._socket_dir is None:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="f6lab-"))
        return self._socket_dir

    def test_certs(self) -> Path:
        """The TLS test material of ci/make_test_certs, made once in the workdir."""
        if self._certs is None:
            checkout = checkout_dir()
            script = checkout / "ci" / "make_test_certs" if checkout else None
            if script is None or not script.is_file():
                raise LabError("tls=True needs ci/make_test_certs of the source checkout, "
                               "which this build does not name")
            d = self.workdir / "certs"
            r = subprocess.run([str(script), str(d)], capture_output=True, text=True,
                               timeout=60)
            if r.returncode != 0:
                raise LabError(f"ci/make_test_certs failed: {r.stderr.strip()}")
            self._certs = d
        return self._certs

    def allocate_subnets(self, n: int) -> list[int]:
        """@p n subnet ids not used yet in this lab (1..127 in all).

        :raises LabError: the lab has no more.
        """
        with self._lock:
            first = self._next_subnet
            if first + n - 1 > 127:
                raise LabError(f"the lab has {127 - first + 1} subnet ids left, not {n}")
            self._next_subnet += n
        return list(range(first, first + n))

    def mark(self, what: str, **fields: Any) -> None:
        """Records an event (unix time now) and logs it."""
        ev: dict[str, Any] = {"time": time.time(), "what": what}
        ev.update({k: v for k, v in fields.items() if v is not None})
        with self._lock:
            self.events.append(ev)
        if self._log is not None:
            extra = " ".join(f"{k}={v}" for k, v in ev.items() if k not in ("time", "what"))
            self._log(f"[lab {time.strftime('%H:%M:%S')}] {what} {extra}".rstrip())

    def add_closer(self, fn: Callable[[], None]) -> None:
        """Runs @p fn at close() (after the fleets and pairs), latest first."""
        self._closers.append(fn)

    def _check_open(self) -> None:
        if self.closed:
            raise LabError("the lab is closed")

    def pair(self, target: str | Pair = "bundled", *, start: bool = True,
             **params: Any) -> Pair:
        """A failover pair, started unless @p start is false (wait_normal() to see it in
        service). @p target is a registered name ("bundled", "kea", ...) or a Pair already
        made (an adapter instance). In the netns topology, failover6.netns makes it.

        When start() fails, the pair is torn down (no process, proxy, namespace or nft table
        left) before the error is raised; it stays in ``pairs`` for its logs.
        """
        self._check_open()
        if isinstance(target, Pair):
            pair = target
        elif self.topology == "netns" and target == "bundled":
            from . import netns  # L2; imported only in that topology

            pair = netns.NetnsBundledPair(self, start=False, **params)
        else:
            factory = _TARGETS.get(target)
            if factory is None:
                raise LabError(f"unknown target {target!r} (known: {', '.join(targets())})")
            pair = factory(self, **params)
        pair.attach(self)
        self.pairs.append(pair)
        self.mark("pair", pair=pair.name, target=pair.target)
        if start and not (pair.started or getattr(pair, "_started", False)):
            try:
                pair.start()
            except BaseException as e:
                self.mark("start-failed", pair=pair.name, error=str(e).splitlines()[0]
                          if str(e) else type(e).__name__)
                try:
                    pair.close()
                except Exception:  # noqa: BLE001  (the start error is the one to report)
                    pass
                raise
            pair.started = True
        return pair

    def m_to_1(self, primaries: int = 2, *, start: bool = True, **params: Any) -> Cluster:
        """One secondary in @p primaries relationships, each primary with its own subnets
        (``subnets`` per primary). Parameters as BundledPair."""
        self._check_open()
        if self.topology == "netns":
            from . import netns

            make = getattr(netns, "m_to_1", None)
            if make is None:
                raise LabError("m-to-1 in the netns topology is not provided by failover6.netns")
            cluster: Cluster = make(self, primaries, **params)
        else:
            cluster = Cluster(self, primaries=primaries, **params)
        return self.pair(cluster, start=start)  # type: ignore[return-value]

    def fleet(self, servers: Sequence[Server] | Pair, clients: int, *,
              relays: int | None = None, na: bool = True, pd: bool = False,
              time_scale: float = 1.0, rate: float = 0, duration: float = 0,
              seed: int | None = None,
              pcap: PathLike | None = None, netns: str | None = None,
              **generator_options: Any) -> Fleet:
        """A Fleet (not started) of @p clients behind relays toward @p servers (a Pair: all of
        its servers). By default one relay per subnet of the first server in @p servers, or
        for a Pair of its server with the most subnets (an m-to-1 cluster's secondary: every
        primary's), its link address that subnet's relay; the pcap in the workdir, (duration 0) a run until stop(), and
        (seed None) the fleet's number as seed, so that the clients of two fleets differ.
        """
        self._check_open()
        pair = servers if isinstance(servers, Pair) else None
        targets_ = list(servers.servers if isinstance(servers, Pair) else servers)
        if not targets_:
            raise LabError("a fleet needs at least one server")
        # Relay r sits on subnet r + 1 of the first server given; for a whole pair, of the
        # server with the most subnets (an m-to-1 cluster's secondary has every primary's).
        candidates = targets_ if pair is not None else targets_[:1]
        subnets: list[Subnet] = max(
            (list(getattr(s, "subnets", None) or []) for s in candidates), key=len)
        # A pair may say how its clients must be generated (netns: namespace, bind, link).
        for k, v in dict(getattr(pair, "fleet_options", None) or {}).items():
            if k == "netns":
                netns = netns or v
            else:
                generator_options.setdefault(k, v)
        if relays is None:
            count = getattr(pair, "subnets", None)
            relays = len(subnets) or (count if isinstance(count, int) else 4)
        if subnets and "link_address" not in generator_options:
            generator_options["link_address"] = subnets[0].relay
        n = len(self.fleets) + 1
        path = Path(pcap) if pcap is not None else self.workdir / f"fleet-{n}.pcap"
        f = Fleet([s.dhcp for s in targets_], clients, relays=relays, na=na, pd=pd,
                  time_scale=time_scale, rate=rate, duration=duration,
                  seed=n if seed is None else seed,
                  pcap=path, netns=netns, name=f"fleet-{n}", on_event=self.mark,
                  **generator_options)
        self.fleets.append(f)
        return f

    def pcaps(self) -> list[Path]:
        """Every capture the lab wrote that exists: fleets', then partner links'."""
        out = [f.pcap for f in self.fleets if f.recording and f.pcap.exists()]
        for p in self.pairs:
            out += [c for c in p.pcaps() if c not in out]
        return out

    def check_pcaps(self) -> list[Path]:
        """The captures check() reads: pcaps(), and on loopback (every server is ::1 there)
        copies of them in workdir/checked with each bundled server's ::1 replaced by its
        capture_address, so that the checker can tell the servers apart."""
        files = self.pcaps()
        bundled = [p for p in self.pairs if isinstance(p, Cluster)]
        if self.topology != "loopback" or not bundled:
            return files
        dhcp: dict[int, bytes] = {}
        for pair in bundled:
            for s in pair.servers:
                assert isinstance(s, BundledServer)
                addr = IPv6Address(s.capture_address).packed
                dhcp[s.dhcp_port] = addr
                if s.client_proxy is not None:
                    dhcp[int(s.client_proxy.port)] = addr
        out_dir = self.workdir / "checked"
        out_dir.mkdir(exist_ok=True)
        out: list[Path] = []
        for f in files:
            labels: tuple[dict[int, bytes], bytes | None] | None = None
            for pair in bundled:
                labels = pair.capture_labels(f)
                if labels is not None:
                    break
            by_port, other = labels if labels is not None else (dhcp, None)
            dst = out_dir / f.name
            relabel_pcap(f, dst, by_port, other)
            out.append(dst)
        return out

    def check(self, **options: Any) -> CheckResult:
        """The trace checker over check_pcaps() (pcaps(), relabeled on loopback) with the
        pairs' MCLT (when they agree) and failover ports filled in, and the servers' DHCP ports
        added to the UDP ports; @p options (those of failover6.check.check, and files=)
        override."""
        files = options.pop("files", None) or self.check_pcaps()
        if not files:
            raise LabError("no capture to check (no fleet ran and no partner link was "
                           "recorded)")
        result = _check(*files, **self.check_options(**options))
        self.mark("check", verdict="PASS" if result.ok else "FAIL")
        return result

    def check_options(self, **options: Any) -> dict[str, Any]:
        """The keyword arguments check() gives failover6.check.check(): @p options with the
        pairs' MCLT (when they agree), their failover ports and the servers' DHCP ports filled
        in where @p options leaves them out."""
        mclts = {p.mclt for p in self.pairs if p.mclt}
        ports: list[int] = []
        udp = [546, 547]
        for p in self.pairs:
            ports += [x for x in p.failover_ports if x not in ports]
            for s in p.servers:
                port = int(s.dhcp.rsplit(":", 1)[1]) if ":" in s.dhcp else 547
                if port not in udp:
                    udp.append(port)
        options.setdefault("mclt", mclts.pop() if len(mclts) == 1 else 0)
        if ports:
            options.setdefault("failover_ports", tuple(ports))
        options.setdefault("udp_ports", tuple(udp))
        return options

    def close(self) -> None:
        """Tears everything down: fleets, pairs (processes, proxies), netns, nft; then the
        socket directory and (a temporary workdir, unless keep) the workdir. Idempotent; every
        step runs even when an earlier one fails (the first error is raised at the end)."""
        if self.closed:
            return
        self.closed = True
        _OPEN_LABS.discard(self)
        errors: list[BaseException] = []
        for f in self.fleets:
            try:
                f.close()  # a run that failed was reported by its wait(); not an error here
            except Exception as e:
                errors.append(e)
        for p in reversed(self.pairs):
            try:
                p.close()
            except Exception as e:
                errors.append(e)
        for fn in reversed(self._closers):
            try:
                fn()
            except Exception as e:
                errors.append(e)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        if self._own_workdir and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise LabError(f"lab teardown: {errors[0]}") from errors[0]

    def processes(self) -> list[int]:
        """The pids of the lab's live server processes (for teardown checks)."""
        pids: list[int] = []
        for p in self.pairs:
            for s in p.servers:
                proc = getattr(s, "process", None)
                if proc is not None and proc.alive:
                    pids.append(int(proc.pid))
        return pids


def pid_alive(pid: int) -> bool:
    """True when a process @p pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


#: check() keyword -> `failover6 check` option, for check_command().
_CHECK_FLAGS = {"mclt": "--mclt", "max_outage": "--max-outage", "skew": "--skew",
                "dedup_window": "--dedup-window", "udp_ports": "--udp-port",
                "failover_ports": "--failover-port"}


def check_command(files: Sequence[str | Path], options: Mapping[str, Any]) -> list[str]:
    """The `failover6 check` command line that gives the verdict failover6.check.check(
    *files, **options) gave, so that anyone can re-judge a lab's captures without Python.
    Options the command line has no flag for (timeline) are left out."""
    argv = [str(cli_path()), "check", *(str(f) for f in files)]
    for key, flag in _CHECK_FLAGS.items():
        value = options.get(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            if value:
                argv += [flag, *(str(v) for v in value)]
        else:
            argv += [flag, str(value)]
    return argv
