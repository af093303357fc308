"""Labs in network namespaces (root): a topology, processes in it, captures, and the bundled
failover6d pair there (part L2 of the lab; the loopback lab is :mod:`failover6.lab`).

A :class:`Topology` creates, with names unique to it, one namespace per server and one for the
clients. The *client link* is a bridge ``br0`` in the client namespace with one veth per server
(``eth0`` in the server's namespace): the servers and the clients share it, as on a real
segment. The *partner link* is a separate veth pair ``ha0`` between the first two servers.
Every address is in fd00::/8 (ULA), DAD is off (``accept_dad=0`` and ``nodad``), nothing is
routed anywhere else, and :meth:`Topology.close` ends every process started in the namespaces
and deletes them, whatever happened before.

Addresses of a topology with prefix ``P = fd00:<id>`` (``<id>`` unique per topology)::

    client link  P:1::/64    server i: P:1::<i>   clients (br0): P:1::100 - P:1::107
    partner link P:99::/64   server 1: P:99::1    server 2:      P:99::2
    relays' link-addresses   P:2::1, P:2::2, ...  (the generator's --link-address, + relay)
    subnet i     P:<0x10+i>::/64 (IA_NA), pd-pool P:<0x100+i>::/48 delegating /64s

Relayed clients come from the generator in the client namespace, bound to port 547 of one of
the client addresses (servers such as Kea answer a relay on port 547 of its address, so two
generators running at once need two addresses): see :attr:`NetnsPairBase.fleet_options`.

:class:`NetnsBundledPair` runs failover6d in each server namespace; the failover link
(TCP 647) goes over ``ha0``; :meth:`~NetnsBundledPair.partition` drops it with nftables
(:class:`failover6.fault.NftPartition`); :meth:`Server.block_clients` drops the UDP 547
traffic of the clients toward one server only (RFC 7031 §4.7); the partner link and the
client link are captured live with dumpcap into the lab's workdir.

Everything here needs root, ``ip`` (iproute2), ``nft`` and ``dumpcap``;
:func:`missing_tools` says what is absent.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from . import lab as _lab
from .lab import poll
from ._paths import bin_path, daemon_path

__all__ = ["Topology", "NsProcess", "Capture", "NetnsPairBase", "NetnsBundledServer",
           "NetnsBundledPair", "missing_tools", "which", "subnet_layout"]

#: Where programs are looked for: PATH, then the sbin directories a non-login shell may lack.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
#: Bound on one setup step (a command, an interface coming up, a process starting).
STEP_TIMEOUT = 15.0
#: The RFC 8156 failover port used on the partner link.
FAILOVER_PORT = 647

_counter = itertools.count()


def which(name: str) -> Optional[str]:
    """The absolute path of program @p name (PATH, /usr/sbin, /sbin), or None."""
    return shutil.which(name, path=SEARCH_PATH)


def missing_tools(*extra: str) -> list[str]:
    """What a netns lab lacks here: "root" when not uid 0, and the names of the absent programs
    among ip, nft, dumpcap and @p extra (empty when everything is there)."""
    out = [] if os.geteuid() == 0 else ["root"]
    out += [t for t in ("ip", "nft", "dumpcap", *extra) if which(t) is None]
    return out


def _resolve(argv: Sequence[str]) -> list[str]:
    argv = list(argv)
    if argv and "/" not in argv[0]:
        found = which(argv[0])
        if found is None:
            raise FileNotFoundError(f"program '{argv[0]}' not found (PATH, /usr/sbin, /sbin); "
                                    "install it with `ci/deps --interop`")
        argv[0] = found
    return argv


def run(argv: Sequence[str], ns: Optional[str] = None, *, check: bool = True,
        timeout: float = STEP_TIMEOUT, env: Optional[dict[str, str]] = None,
        input: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    """Runs @p argv to completion (in namespace @p ns when given), output captured as text.
    @throws RuntimeError naming the command and its output when it fails and @p check."""
    full = _resolve(argv)
    if ns is not None:
        full = _resolve(["ip", "netns", "exec", ns, *full])
    r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input,
                       env=None if env is None else {**os.environ, **env})
    if check and r.returncode != 0:
        raise RuntimeError(f"`{' '.join(full)}` exited with {r.returncode}: "
                           f"{(r.stdout + r.stderr).strip()}")
    return r


class NsProcess:
    """A program run in a namespace (``ip netns exec`` execs it, so the pid is the program's),
    in a session of its own, output appended to @p log. kill() is SIGKILL and reap;
    terminate() SIGTERM then SIGKILL; pause()/resume() SIGSTOP/SIGCONT; close() kills it
    when it still runs. @p env is added to the environment (LD_PRELOAD, KEA_PIDFILE_DIR...)."""

    def __init__(self, argv: Sequence[str], ns: Optional[str], log: Path,
                 env: Optional[dict[str, str]] = None) -> None:
        full = _resolve(argv)
        if ns is not None:
            full = _resolve(["ip", "netns", "exec", ns, *full])
        self.argv = full
        self.log = Path(log)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as f:
            f.write(f"==== {time.strftime('%H:%M:%S')} start {' '.join(full)}\n".encode())
            f.flush()
            self._proc = subprocess.Popen(full, stdout=f, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True,
                                          env={**os.environ, **(env or {})})
        self.pid = self._proc.pid

    @property
    def alive(self) -> bool:
        """True while the process has not ended (a paused process is alive)."""
        return self._proc.poll() is None

    @property
    def returncode(self) -> Optional[int]:
        return self._proc.poll()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL to its process group, then reap."""
        if self._proc.poll() is None:
            self._signal(signal.SIGKILL)
        self._proc.wait(timeout=STEP_TIMEOUT)

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM (and SIGCONT, should it be paused), SIGKILL after @p timeout; the exit
        status."""
        if self._proc.poll() is None:
            self._signal(signal.SIGTERM)
            self._signal(signal.SIGCONT)
            try:
                self._proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._proc.wait(timeout=STEP_TIMEOUT)
        return int(self._proc.returncode)

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def wait(self, timeout: float) -> Optional[int]:
        """The exit status, or None when still running after @p timeout seconds."""
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        if self._proc.poll() is None:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"---- {self.log} (tail) ----\n" + "\n".join(text.splitlines()[-lines:])


class Capture:
    """dumpcap on interface @p dev of namespace @p ns writing the classic pcap @p path (filter
    @p bpf). Started at construction (returns once dumpcap reports "Capturing on"); stop()
    ends it, so that the file is complete."""

    def __init__(self, ns: str, dev: str, path: Path, bpf: str = "") -> None:
        self.path = Path(path)
        self.ns, self.dev = ns, dev
        self.path.parent.mkdir(parents=True, exist_ok=True)
        argv = ["dumpcap", "-q", "-i", dev, "-P", "-w", str(self.path)]
        if bpf:
            argv += ["-f", bpf]
        self.proc = NsProcess(argv, ns, self.path.with_suffix(".dumpcap.log"))

        def started() -> bool:
            if not self.proc.alive:
                raise RuntimeError(f"dumpcap on {dev} in {ns} exited:\n{self.proc.log_tail()}")
            return "Capturing on" in self.proc.log.read_text(errors="replace")

        poll(f"dumpcap to capture on {dev} in {ns}", started, STEP_TIMEOUT, self.proc.log_tail)

    def stop(self) -> None:
        """Ends dumpcap (SIGTERM: it flushes and closes the file). Idempotent."""
        self.proc.terminate(timeout=5)


class Topology:
    """Namespaces, links and addresses of one netns lab (see the module text); close() removes
    them all and ends every process left in them.

    @p servers server namespaces (at least 2; the partner link joins the first two),
    @p tag a short unique prefix for the names (made from the pid and a counter when None).
    """

    def __init__(self, servers: int = 2, *, tag: Optional[str] = None) -> None:
        if servers < 2:
            raise ValueError(f"a netns topology needs at least 2 servers, not {servers}")
        problems = missing_tools()
        if problems:
            raise RuntimeError("a netns lab needs " + ", ".join(problems)
                               + " (run as root after `ci/deps --interop`)")
        n = next(_counter)
        self.tag = tag or f"f6n{os.getpid() % 100000}x{n}"
        #: The 16 bits after fd00: of every address of this topology.
        self.id = (os.getpid() * 31 + n) % 0xFFFF + 1
        self.prefix = f"fd00:{self.id:x}:"
        self.namespaces: list[str] = []
        self.server_ns: list[str] = []
        self.client_ns = ""
        self._closed = False
        try:
            self._build(servers)
        except BaseException:
            self.close()
            raise

    # ---- addresses -----------------------------------------------------------------------------

    def server_address(self, i: int) -> str:
        """Server @p i's (0-based) address on the client link."""
        return f"{self.prefix}1::{i + 1:x}"

    #: How many addresses the clients' side of the client link has (one per generator
    #: running at the same time).
    CLIENT_ADDRESSES = 8

    @property
    def client_addresses(self) -> list[str]:
        """The clients' side addresses on the client link (br0 in the client namespace)."""
        return [f"{self.prefix}1::{0x100 + k:x}" for k in range(self.CLIENT_ADDRESSES)]

    @property
    def client_address(self) -> str:
        """The first of client_addresses."""
        return self.client_addresses[0]

    def partner_address(self, i: int) -> str:
        """Server @p i's (0 or 1) address on the partner link."""
        return f"{self.prefix}99::{i + 1:x}"

    def link_address(self, relay: int = 0) -> str:
        """The link-address relay @p relay of the generator puts in its RELAY-FORW."""
        return f"{self.prefix}2::{relay + 1:x}"

    # ---- building ------------------------------------------------------------------------------

    def _namespace(self, name: str) -> str:
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        for key in ("all", "default"):
            run(["sysctl", "-qw", f"net.ipv6.conf.{key}.accept_dad=0"], ns=name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def _build(self, servers: int) -> None:
        self.client_ns = self._namespace(f"{self.tag}c")
        c = self.client_ns
        run(["ip", "-n", c, "link", "add", "br0", "type", "bridge", "forward_delay", "0",
             "stp_state", "0"])
        for i in range(servers):
            s = self._namespace(f"{self.tag}s{i + 1}")
            self.server_ns.append(s)
            port = f"p{i + 1}"
            run(["ip", "-n", s, "link", "add", "eth0", "type", "veth", "peer", "name", port,
                 "netns", c])
            run(["ip", "-n", s, "addr", "add", f"{self.server_address(i)}/64", "dev", "eth0",
                 "nodad"])
            run(["ip", "-n", c, "link", "set", port, "master", "br0"])
            run(["ip", "-n", c, "link", "set", port, "up"])
            run(["ip", "-n", s, "link", "set", "eth0", "up"])
        for a in self.client_addresses:
            run(["ip", "-n", c, "addr", "add", f"{a}/64", "dev", "br0", "nodad"])
        run(["ip", "-n", c, "link", "set", "br0", "up"])
        a, b = self.server_ns[0], self.server_ns[1]
        run(["ip", "-n", a, "link", "add", "ha0", "type", "veth", "peer", "name", "ha0",
             "netns", b])
        for i, ns in enumerate((a, b)):
            run(["ip", "-n", ns, "addr", "add", f"{self.partner_address(i)}/64", "dev", "ha0",
                 "nodad"])
            run(["ip", "-n", ns, "link", "set", "ha0", "up"])
        for ns, dev in [(c, "br0"), *((s, "eth0") for s in self.server_ns), (a, "ha0"),
                        (b, "ha0")]:
            self._wait_ready(ns, dev)

    def _wait_ready(self, ns: str, dev: str) -> None:
        def shown() -> str:
            return run(["ip", "-n", ns, "addr", "show", "dev", dev], check=False).stdout
        poll(f"{dev} in {ns} to be up with usable addresses", lambda: self._ready(ns, dev),
             STEP_TIMEOUT, shown)

    @staticmethod
    def _ready(ns: str, dev: str) -> bool:
        out = run(["ip", "-n", ns, "-6", "addr", "show", "dev", dev], check=False).stdout
        return ("state UP" in out and "scope global" in out and "tentative" not in out
                and "scope link" in out)

    # ---- use -----------------------------------------------------------------------------------

    def reachable(self, ns: str, address: str) -> bool:
        """A TCP connection from namespace @p ns to port 9 of @p address is refused (the host
        answered with a RST) or accepted within a second; False when nothing answered."""
        probe = ("import socket, sys\n"
                 "s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); s.settimeout(1)\n"
                 "try:\n    s.connect((sys.argv[1], 9))\n"
                 "except ConnectionRefusedError:\n    pass\n"
                 "except OSError:\n    sys.exit(1)\n")
        return run([sys.executable, "-c", probe, address], ns=ns, check=False).returncode == 0

    def close(self) -> None:
        """Kills whatever still runs in the namespaces and deletes them. Idempotent."""
        if self._closed:
            return
        self._closed = True
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

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def subnet_layout(topo: Topology, subnets: int, *, pd: bool = True) -> list[dict[str, Any]]:
    """Kea-schema subnet6 entries (accepted by failover6d and Kea alike), one per relay of the
    generator: subnet i (id i+1) is selected by relay i's link-address (relay.ip-addresses),
    pool P:<0x10+i>::1000-ffff, and, with @p pd, a /48 delegating /64s."""
    out = []
    for i in range(subnets):
        prefix = f"{topo.prefix}{0x10 + i:x}::"
        s: dict[str, Any] = {
            "id": i + 1, "subnet": f"{prefix}/64",
            "relay": {"ip-addresses": [topo.link_address(i)]},
            "pools": [{"pool": f"{prefix}1000 - {prefix}ffff"}],
        }
        if pd:
            s["pd-pools"] = [{"prefix": f"{topo.prefix}{0x100 + i:x}::", "prefix-len": 48,
                              "delegated-len": 64}]
        out.append(s)
    return out


def _control(sock: Path, command: str, arguments: Optional[dict[str, Any]] = None,
             timeout: float = 5.0) -> dict[str, Any]:
    """One exchange over a Kea-style unix control socket (failover6d and Kea): the answer
    object (read until it parses: Kea keeps the connection open for a while)."""
    req: dict[str, Any] = {"command": command}
    if arguments is not None:
        req["arguments"] = arguments
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(json.dumps(req).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            try:
                got = json.loads(data)
            except ValueError:
                continue
            break
    answer = json.loads(data)
    if isinstance(answer, list):  # what kea-ctrl-agent style answers look like
        answer = answer[0]
    return dict(answer)


class _NftRules:
    """Drop rules through failover6.fault.NftPartition objects, applied together and removed
    together."""

    def __init__(self) -> None:
        self._parts: list[Any] = []

    def apply(self, netns: str, peer: str, **kw: Any) -> None:
        from .fault import NftPartition  # the fault engineer's; imported when first needed
        p = NftPartition(netns, peer, **kw)
        self._parts.append(p)
        p.apply()

    @property
    def active(self) -> bool:
        return bool(self._parts)

    def clear(self) -> None:
        parts, self._parts = self._parts, []
        for p in parts:
            p.heal()
            p.close()


class NetnsServerMixin:
    """What the servers of a netns pair share: their namespace, the process, the §4.7 client
    block, the lab's event marks. Subclasses provide _argv(), _env(), _ready() and state()."""

    ns: str
    index: int
    name: str
    log_path: Path
    proc: Optional[NsProcess]
    pair: "NetnsPairBase"

    def _init_netns(self, pair: "NetnsPairBase", index: int, name: str, role: str,
                    workdir: Path, log_path: Path) -> None:
        address = pair.topology.server_address(index)
        _lab.Server.__init__(self, name, role, f"[{address}]:547",  # type: ignore[arg-type]
                             log_path)
        self.pair, self.index, self.address = pair, index, address
        self.ns = pair.topology.server_ns[index]
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self._blocked = _NftRules()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive

    @property
    def process(self) -> Optional[NsProcess]:
        """The server's process (what Lab.processes() looks at)."""
        return self.proc

    def _mark(self, what: str) -> None:
        self.pair.mark(what, server=self.name)

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return {}

    def _ready(self) -> bool:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Writes the configuration (called by start())."""

    def start(self) -> None:
        if self.alive:
            raise RuntimeError(f"{self.name} is already running")
        self._prepare()
        self.proc = NsProcess(self._argv(), self.ns, self.log_path, env=self._env())
        self._mark("start")

        def ready() -> bool:
            assert self.proc is not None
            if not self.proc.alive:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} while "
                                   f"starting:\n{self.proc.log_tail()}")
            try:
                return self._ready()
            except (OSError, ValueError):
                return False

        poll(f"{self.name} to answer on its control socket", ready, STEP_TIMEOUT,
             lambda: self.proc.log_tail() if self.proc else "")

    def stop(self) -> None:
        if self.proc is not None and self.proc.alive:
            self.proc.terminate(timeout=10)
            self._mark("stop")

    def kill(self) -> None:
        if self.proc is None or not self.proc.alive:
            raise RuntimeError(f"{self.name} is not running")
        self.proc.kill()
        self._mark("kill")

    def pause(self) -> None:
        if self.proc is None or not self.proc.alive:
            raise RuntimeError(f"{self.name} is not running")
        self.proc.pause()
        self._mark("pause")

    def resume(self) -> None:
        if self.proc is None or not self.proc.alive:
            raise RuntimeError(f"{self.name} is not running")
        self.proc.resume()
        self._mark("resume")

    def restart(self, *, wipe: bool = False) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.kill()
            self._mark("kill")
        if wipe:
            self.wipe_storage()
        self.start()

    def wipe_storage(self) -> None:
        raise NotImplementedError

    def block_clients(self) -> None:
        """Drops the clients' UDP traffic (port 547) to this server, in its namespace, from
        every client address, while everything else flows (RFC 7031 §4.7)."""
        if not self._blocked.active:
            for a in self.pair.topology.client_addresses:
                self._blocked.apply(self.ns, a, direction="in", proto="udp", port=547)
            self._mark("block-clients")

    def unblock_clients(self) -> None:
        if self._blocked.active:
            self._blocked.clear()
            self._mark("unblock-clients")

    def close(self) -> None:
        self._blocked.clear()
        if self.proc is not None:
            self.proc.close()


class NetnsPairBase(_lab.PairAdapter):
    """Shared by the netns pairs (bundled and Kea): the topology, the captures, the HA/partner
    link partitions with nftables, the lab's event marks and the generator options."""

    #: TCP port of the partner link (what partitions and the capture filter look at).
    partner_port: int = FAILOVER_PORT
    #: How many subnets (one per relay of the generator).
    subnets: int = 4

    def _netns_servers(self) -> list[NetnsServerMixin]:
        out: list[NetnsServerMixin] = []
        for s in self.servers:
            if isinstance(s, NetnsServerMixin):
                out.append(s)
        return out

    def _init_base(self, lab: Any, name: str, target: str, workdir: Path) -> None:
        self.lab = lab
        self.name = name
        self.target = target
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.topology = Topology()
        self._captures: list[Capture] = []
        self._partition = _NftRules()
        self.started = False
        self._next_client = 0
        #: Short directory for unix sockets (107 octets at most in a path).
        self.sockdir = Path(tempfile.mkdtemp(prefix="f6n-"))

    # ---- what the generator needs ------------------------------------------------------------

    @property
    def client_netns(self) -> str:
        """The namespace the generator (Fleet) must run in."""
        return self.topology.client_ns

    @property
    def fleet_options(self) -> dict[str, Any]:
        """Generator options for clients of this pair: run in ``netns``, bind the relays'
        socket to port 547 of a client link address, relay r's link-address selects subnet r.
        Each read hands out the next of the topology's client addresses (in turn), so that
        generators running at the same time do not collide on [ADDR]:547."""
        addrs = self.topology.client_addresses
        addr = addrs[self._next_client % len(addrs)]
        self._next_client += 1
        return {"netns": self.topology.client_ns, "bind": f"[{addr}]:547",
                "link_address": self.topology.link_address(0)}

    def generate_argv(self, clients: int, relays: Optional[int] = None) -> list[str]:
        """`failover6 generate` arguments (without the program) for @p clients clients behind
        @p relays relays (one per subnet by default) toward both servers of this pair."""
        relays = relays or self.subnets
        opts = self.fleet_options
        argv = ["--clients", str(clients), "--relays", str(relays), "--bind", opts["bind"],
                "--link-address", opts["link_address"]]
        for s in self.servers:
            argv += ["--server", s.dhcp]
        return argv

    def run_generate(self, clients: int, *args: str, timeout: float = 60.0,
                     json_path: Optional[Path] = None) -> dict[str, Any]:
        """Runs `failover6 generate` in the client namespace to its end; its JSON summary
        (also when not every client bound: look at "clients_bound"). @throws RuntimeError
        when the generator wrote no summary."""
        out = Path(json_path or self.workdir / f"generate-{next(_counter)}.json")
        out.unlink(missing_ok=True)
        r = run([str(bin_path("failover6")), "generate", *self.generate_argv(clients), "-q",
                 "--json", str(out), *args], ns=self.topology.client_ns, timeout=timeout,
                check=False)
        if not out.exists():
            raise RuntimeError(f"failover6 generate exited with {r.returncode}:\n"
                               f"{r.stdout}{r.stderr}")
        return dict(json.loads(out.read_text()))

    # ---- events ----------------------------------------------------------------------------

    def _mark(self, what: str, **fields: Any) -> None:
        self.mark(what, **fields)

    # ---- captures --------------------------------------------------------------------------

    def _start_captures(self) -> None:
        topo = self.topology
        self._captures.append(Capture(topo.server_ns[0], "ha0",
                                      self.workdir / "partner-link.pcap",
                                      f"tcp port {self.partner_port}"))
        self._captures.append(Capture(topo.client_ns, "br0",
                                      self.workdir / "client-link.pcap",
                                      "udp port 546 or udp port 547"))

    def pcaps(self) -> list[Path]:
        """The partner-link capture (failover6 check reads it with the pair's failover_ports)."""
        return [self._captures[0].path] if self._captures else []

    def client_pcaps(self) -> list[Path]:
        """The capture of the client link (every DHCPv6 datagram between relays and servers;
        the same exchanges as the generator's own pcap, so do not check both together)."""
        return [c.path for c in self._captures[1:]]

    def stop_captures(self) -> None:
        """Ends dumpcap so that the files are complete (stop() and close() do it too)."""
        for c in self._captures:
            c.stop()

    # ---- partner link ----------------------------------------------------------------------

    def partition(self, mode: str = "blackhole", *, drop: Optional[str] = None) -> None:
        """Cuts the partner link with nftables in the primary's namespace: "blackhole" drops
        every packet both ways (TCP waits, as over a dead path); "one-way" with
        drop="to-secondary" or "to-primary" drops one direction only. "reset" and "refuse"
        (RSTs) are what the loopback proxy offers; nft drops here, so they are refused."""
        topo = self.topology
        peer = topo.partner_address(1)
        if mode == "blackhole":
            direction = "both"
        elif mode == "one-way":
            if drop not in ("to-secondary", "to-primary"):
                raise ValueError(f"one-way needs drop='to-secondary' or 'to-primary', not {drop!r}")
            direction = "out" if drop == "to-secondary" else "in"
        else:
            raise ValueError(f"partition mode {mode!r} is not available in netns mode "
                             "(nft drops): use 'blackhole' or 'one-way'")
        self._partition.clear()
        self._partition.apply(topo.server_ns[0], peer, direction=direction, proto="tcp",
                              port=None)
        self._mark(f"partition-{mode}" + (f"-{drop}" if drop else ""))

    def heal(self) -> None:
        self._partition.clear()
        self._mark("heal")

    def delay(self, seconds: float) -> None:
        """Delays the partner link both ways with tc netem; a clear error where the kernel has
        no sch_netem (as on the CI VM)."""
        for i in (0, 1):
            ns = self.topology.server_ns[i]
            if seconds <= 0:
                run(["tc", "qdisc", "del", "dev", "ha0", "root"], ns=ns, check=False)
                continue
            r = run(["tc", "qdisc", "replace", "dev", "ha0", "root", "netem", "delay",
                     f"{seconds * 1000:.0f}ms"], ns=ns, check=False)
            if r.returncode != 0:
                raise RuntimeError("partner-link delay in netns mode needs tc netem, which this "
                                   f"kernel refused: {(r.stdout + r.stderr).strip()}")
        self._mark(f"delay {seconds:g}s")

    # ---- life ------------------------------------------------------------------------------

    def wait_normal(self, timeout: float = 30) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Ends the servers and the captures, removes the nft rules and the namespaces."""
        for s in self._netns_servers():
            try:
                s.close()
            except Exception:  # noqa: BLE001  (teardown must go on)
                pass
        try:
            self._partition.clear()
        except Exception:  # noqa: BLE001
            pass
        for c in self._captures:
            try:
                c.stop()
            except Exception:  # noqa: BLE001
                pass
        self.topology.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)

    def __enter__(self) -> "NetnsPairBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NetnsBundledServer(NetnsServerMixin, _lab.Server):
    """failover6d in its namespace, serving the client link at its address port 547 and
    speaking RFC 8156 over the partner link."""

    def __init__(self, pair: "NetnsBundledPair", index: int, name: str, role: str) -> None:
        self._init_netns(pair, index, name, role, pair.workdir / name,
                         pair.workdir / name / "failover6d.log")
        self.config_path = self.workdir / "failover6d.json"
        self.socket = pair.sockdir / f"{name}.sock"
        self.journal = self.workdir / "var" / "leases6.journal"
        self.env: dict[str, str] = {}

    def _prepare(self) -> None:
        cfg = self.pair._config(self)  # type: ignore[attr-defined]
        self.config_path.write_text(json.dumps(cfg, indent=2))

    def _argv(self) -> list[str]:
        return [str(daemon_path()), "--config", str(self.config_path)]

    def _env(self) -> dict[str, str]:
        return self.env

    def _ready(self) -> bool:
        return bool(_control(self.socket, "status", timeout=2)["result"] == 0)

    def status(self) -> dict[str, Any]:
        return dict(_control(self.socket, "status")["arguments"])

    def state(self, relationship: Optional[str] = None) -> str:
        """The relationship's RFC 8156 state ("NORMAL", ...), "(down)" when not answering."""
        if not self.alive:
            return "(down)"
        try:
            rels = self.status()["relationships"]
        except (OSError, ValueError, KeyError):
            return "(down)"
        for r in rels:
            if relationship is None or r["name"] == relationship:
                return str(r["state"])
        raise KeyError(f"{self.name} has no relationship {relationship}")

    def partner_state(self, relationship: Optional[str] = None) -> str:
        for r in self.status()["relationships"]:
            if relationship is None or r["name"] == relationship:
                return str(r.get("partner-state", ""))
        raise KeyError(f"{self.name} has no relationship {relationship}")

    def partner_down(self, relationship: Optional[str] = None) -> None:
        args = ["partner-down"] + ([relationship] if relationship else [])
        r = run([str(bin_path("failover6")), "ctl", "--config", str(self.config_path), *args])
        self._mark("partner-down")
        del r

    def leases(self) -> list[dict[str, Any]]:
        r = run([str(bin_path("failover6")), "ctl", "--config", str(self.config_path),
                 "leases"], timeout=60)
        return list(json.loads(r.stdout)["leases"])

    def wipe_storage(self) -> None:
        if self.alive:
            raise RuntimeError(f"{self.name} runs: kill it before wiping its storage")
        shutil.rmtree(self.workdir / "var", ignore_errors=True)
        self._mark("wipe-storage")


class NetnsBundledPair(NetnsPairBase):
    """A failover6d primary and secondary in their own namespaces (see the module text).

    Parameters as the loopback pair of :meth:`failover6.lab.Lab.pair`: subnets (one per relay),
    mclt, valid, preferred, t1, t2, pd, skew (faketime seconds on the secondary),
    auto_partner_down, max_unacked, keepalive, startup_time; the partner link is always
    partitioned with nft here (partner_link "proxy", the loopback default, is taken to mean
    that too), client_proxy is not needed (block_clients uses nft) and tls must be False.
    """

    primary: NetnsBundledServer
    secondary: NetnsBundledServer

    def __init__(self, lab: Any = None, *, workdir: Optional[Path] = None,
                 name: str = "lab-pair", subnets: int = 4, mclt: int = 30, valid: int = 90,
                 preferred: int = 60, t1: int = 30, t2: int = 48, pd: bool = True,
                 tls: bool = False, skew: float = 0.0, auto_partner_down: Optional[int] = None,
                 max_unacked: int = 64, keepalive: int = 2, startup_time: Optional[int] = 2,
                 partner_link: str = "nft", client_proxy: bool = False,
                 start: bool = True) -> None:
        if tls:
            raise ValueError("tls=True is not supported by the netns pair yet")
        if partner_link not in ("nft", "proxy"):
            raise ValueError(f"partner_link={partner_link!r}: netns pairs partition with nft")
        del client_proxy  # block_clients() uses nft in netns mode
        wd = Path(workdir or (lab.workdir if lab is not None else tempfile.mkdtemp()))
        self._init_base(lab, name, "bundled", wd / name)
        self.subnets, self.mclt, self.pd = subnets, mclt, pd
        self.timers = {"valid-lifetime": valid, "preferred-lifetime": preferred,
                       "renew-timer": t1, "rebind-timer": t2}
        self.auto_partner_down, self.max_unacked, self.keepalive = (auto_partner_down,
                                                                     max_unacked, keepalive)
        self.startup_time = startup_time
        self.failover_ports = (FAILOVER_PORT,)
        try:
            self.primary = NetnsBundledServer(self, 0, f"{name}-primary", "primary")
            self.secondary = NetnsBundledServer(self, 1, f"{name}-secondary", "secondary")
            self._f6 = [self.primary, self.secondary]
            self.servers = list(self._f6)
            if skew:
                from .fault import skew_env
                self.secondary.env = dict(skew_env(skew))
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    def _config(self, server: NetnsBundledServer) -> dict[str, Any]:
        topo = self.topology
        me, peer = server.index, 1 - server.index
        rel: dict[str, Any] = {
            "name": self.name, "role": server.role,
            "this-server": f"[{topo.partner_address(me)}]:{FAILOVER_PORT}",
            "peer": f"[{topo.partner_address(peer)}]:{FAILOVER_PORT}",
            "mclt": self.mclt, "keepalive": self.keepalive, "max-unacked": self.max_unacked,
            "subnets": list(range(1, self.subnets + 1)), "insecure": True,
        }
        if self.auto_partner_down is not None:
            rel["auto-partner-down"] = self.auto_partner_down
        if self.startup_time is not None:
            rel["startup-time"] = self.startup_time
        return {
            "Dhcp6": {
                **self.timers,
                "server-id": {"type": "EN", "enterprise-id": 2495,
                              "identifier": server.name.encode().hex()},
                "data-directory": str(server.workdir / "var"),
                "lease-database": {"type": "memfile", "persist": True,
                                   "name": str(server.journal)},
                "control-socket": {"socket-type": "unix", "socket-name": str(server.socket)},
                "subnet6": subnet_layout(topo, self.subnets, pd=self.pd),
                "loggers": [{"name": "failover6d", "severity": "INFO",
                             "output_options": [{"output": "stdout"}]}],
            },
            "Failover6": {"listen": [server.dhcp], "relationships": [rel]},
        }

    def start(self) -> None:
        """Starts the captures, then the secondary and the primary (each answering its control
        socket); wait_normal() waits for the failover link."""
        if not self._captures:
            self._start_captures()
        for s in (self.secondary, self.primary):
            if not s.alive:
                s.start()
        self.started = True

    def stop(self) -> None:
        for s in (self.primary, self.secondary):
            s.stop()
        self.stop_captures()

    def wait_normal(self, timeout: float = 30) -> None:
        """Both servers NORMAL and each seeing its partner NORMAL."""
        def normal() -> bool:
            return all(s.state() == "NORMAL" and s.partner_state() == "NORMAL"
                       for s in self._f6)
        poll("both servers NORMAL", normal, timeout,
             lambda: "\n".join(f"{s.name}: {s.state()}\n{s.proc.log_tail() if s.proc else ''}"
                               for s in self._f6))
