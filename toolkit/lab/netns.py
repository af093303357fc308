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
    partner link k P:<99+k>::/64 (veth ha<k>): primary k ::1, secondary ::2 (a pair: ha0,
                 P:99::1 and P:99::2; m_to_1(): one link per primary, see NetnsCluster)
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
:func:`missing_tools` says what is absent. Process handling, configurations and the control
API are failover6.lab's (DaemonServer, Failover6dServer, failover6d_config); this module adds
the namespaces, nft and dumpcap. Usage::

    from failover6.lab import Lab
    with Lab(topology="netns") as lab:              # root
        pair = lab.pair("bundled", subnets=4)       # a NetnsBundledPair, started
        pair.wait_normal(30)
        fleet = lab.fleet(pair, 200, duration=30, until_bound=True).start()
        fleet.wait(60)                              # the generator runs in pair.client_netns
        pair.partition("blackhole")                 # nft drop on the partner link
        pair.secondary.wait_state("COMMUNICATIONS-INTERRUPTED", 30)
        pair.heal()
        pair.primary.block_clients()                # RFC 7031 §4.7 with nft
    # every process, capture, nft table and namespace is gone here
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional, Sequence

from . import fault
from . import lab as _lab
from ._paths import bin_path
from .lab import (SEARCH_PATH, DaemonServer, Failover6dServer, LabError, Subnet,
                  failover6d_config, poll, relationship_config, resolve_argv, spawn_argv, which)

__all__ = ["Topology", "NsProcess", "Capture", "NetnsPairBase", "NetnsBundledServer",
           "NetnsBundledPair", "NetnsCluster", "NetnsServerMixin", "m_to_1", "missing_tools", "which", "subnet_layout",
           "netns_subnets", "run", "SEARCH_PATH", "STEP_TIMEOUT", "FAILOVER_PORT"]

#: Bound on one setup step (a command, an interface coming up, a process starting).
STEP_TIMEOUT = 15.0
#: The RFC 8156 failover port used on the partner link.
FAILOVER_PORT = 647

_counter = itertools.count()


def missing_tools(*extra: str) -> list[str]:
    """What a netns lab lacks here: "root" when not uid 0, and the names of the absent programs
    among ip, nft, dumpcap and @p extra (empty when everything is there)."""
    out = [] if os.geteuid() == 0 else ["root"]
    out += [t for t in ("ip", "nft", "dumpcap", *extra) if which(t) is None]
    return out


def run(argv: Sequence[str], ns: Optional[str] = None, *, check: bool = True,
        timeout: float = STEP_TIMEOUT, env: Optional[dict[str, str]] = None,
        input: Optional[str] = None) -> subprocess.CompletedProcess[str]:
    """Runs @p argv to completion (in namespace @p ns when given), output captured as text,
    within @p timeout seconds.

    :raises LabError: it failed (naming the command and its output) and @p check, or it did
                      not end in time.
    """
    full = resolve_argv(argv)
    if ns is not None:
        full = resolve_argv(["ip", "netns", "exec", ns, *full])
    try:
        r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, input=input,
                           env=None if env is None else {**os.environ, **env})
    except subprocess.TimeoutExpired as e:
        raise LabError(f"`{' '.join(full)}` did not end within {timeout:g} s") from e
    if check and r.returncode != 0:
        raise LabError(f"`{' '.join(full)}` exited with {r.returncode}: "
                       f"{(r.stdout + r.stderr).strip()}")
    return r


class NsProcess(fault.Process):
    """A program run in namespace @p ns (``ip netns exec`` execs it, so the pid is the
    program's) as a failover6.fault.Process (own process group, killed by close()), output
    appended to @p log; @p env is added to the environment (LD_PRELOAD, KEA_PIDFILE_DIR...).
    kill() is SIGKILL and reap, terminate() SIGTERM then SIGKILL, pause()/resume()
    SIGSTOP/SIGCONT."""

    def __init__(self, argv: Sequence[str], ns: Optional[str], log: Path,
                 env: Optional[dict[str, str]] = None) -> None:
        super().__init__(spawn_argv(argv, log, netns=ns), env=env, log=str(log))
        self.log = Path(log)

    def log_tail(self, lines: int = 40) -> str:
        """The last @p lines of its log."""
        return _lab.log_tail(self.log, str(self.log), lines)


class Capture:
    """dumpcap on interface @p dev of namespace @p ns writing the classic pcap @p path (filter
    @p bpf). Started at construction (returns once dumpcap reports "Capturing on"; dumpcap is
    ended when it does not); stop() ends it, so that the file is complete."""

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
                raise LabError(f"dumpcap on {dev} in {ns} exited:\n{self.proc.log_tail()}")
            return "Capturing on" in self.proc.log.read_text(errors="replace")

        try:
            poll(f"dumpcap to capture on {dev} in {ns}", started, STEP_TIMEOUT,
                 self.proc.log_tail)
        except BaseException:
            self.proc.close()
            raise

    def stop(self) -> None:
        """Ends dumpcap (SIGTERM: it flushes and closes the file). Idempotent."""
        try:
            self.proc.terminate(timeout=5)
        finally:
            self.proc.close()


class Topology:
    """Namespaces, links and addresses of one netns lab (see the module text); close() removes
    them all and ends every process left in them.

    @p servers server namespaces (at least 2), @p partner_links the server index pairs (a, b)
    joined by a partner link each (default [(0, 1)]: one link between the first two servers);
    link k is the veth pair ``ha<k>`` (that name at both ends) on P:<0x99+k>::/64, end a
    ::1, end b ::2. @p tag a short unique prefix for the names (made from the pid and a
    counter when None).
    """

    #: at most this many partner links (their /64s stay below the pd-pools' P:100::)
    MAX_PARTNER_LINKS = 100

    def __init__(self, servers: int = 2, *, tag: Optional[str] = None,
                 partner_links: Optional[Sequence[tuple[int, int]]] = None) -> None:
        if servers < 2:
            raise ValueError(f"a netns topology needs at least 2 servers, not {servers}")
        links = [(0, 1)] if partner_links is None else [(a, b) for a, b in partner_links]
        if len(links) > self.MAX_PARTNER_LINKS:
            raise ValueError(f"at most {self.MAX_PARTNER_LINKS} partner links, not {len(links)}")
        for a, b in links:
            if not (0 <= a < servers and 0 <= b < servers) or a == b:
                raise ValueError(f"partner link ({a}, {b}) does not join two of the "
                                 f"{servers} servers")
        #: the server index pairs joined by partner link k
        self.partner_links: list[tuple[int, int]] = links
        problems = missing_tools()
        if problems:
            raise LabError("a netns lab needs " + ", ".join(problems)
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

    def partner_address(self, i: int, link: int = 0) -> str:
        """Server @p i's address on partner link @p link (the first by default).

        :raises ValueError: server @p i is not an end of that link."""
        a, b = self.partner_links[link]
        if i not in (a, b):
            raise ValueError(f"server {i} is not on partner link {link} ({a}, {b})")
        return f"{self.prefix}{0x99 + link:x}::{1 if i == a else 2}"

    @staticmethod
    def partner_device(link: int = 0) -> str:
        """The interface name of partner link @p link (the same at both ends)."""
        return f"ha{link}"

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
        ready = [(c, "br0"), *((s, "eth0") for s in self.server_ns)]
        for k, ends in enumerate(self.partner_links):
            dev = self.partner_device(k)
            a, b = (self.server_ns[i] for i in ends)
            run(["ip", "-n", a, "link", "add", dev, "type", "veth", "peer", "name", dev,
                 "netns", b])
            for i, ns in zip(ends, (a, b)):
                run(["ip", "-n", ns, "addr", "add", f"{self.partner_address(i, k)}/64", "dev",
                     dev, "nodad"])
                run(["ip", "-n", ns, "link", "set", dev, "up"])
                ready.append((ns, dev))
        for ns, dev in ready:
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
        errors: list[Exception] = []
        for ns in self.namespaces:
            try:
                pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            except LabError as e:
                errors.append(e)
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        left: list[str] = []
        for ns in reversed(self.namespaces):
            try:
                if run(["ip", "netns", "del", ns], check=False).returncode != 0:
                    left.append(ns)
            except LabError as e:
                errors.append(e)
                left.append(ns)
        self.namespaces.clear()
        if left:
            raise LabError(f"namespaces not deleted: {', '.join(left)}"
                           + (f" ({errors[0]})" if errors else ""))

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def subnet_layout(topo: Topology, subnets: int, *, pd: bool = True) -> list[dict[str, Any]]:
    """Kea-schema subnet6 entries (accepted by failover6d and Kea alike) of netns_subnets()."""
    return [s.config(pd) for s in netns_subnets(topo, subnets)]


def netns_subnets(topo: Topology, subnets: int) -> list[Subnet]:
    """The lab subnets of a netns pair, one per relay of the generator: subnet i (id i+1) is
    selected by relay i's link-address (relay.ip-addresses), pool P:<0x10+i>::1000-ffff, and
    a pd-pool P:<0x100+i>::/48 delegating /64s."""
    return [Subnet(i + 1, f"{topo.prefix}{0x10 + i:x}::", topo.link_address(i),
                   f"{topo.prefix}{0x100 + i:x}::", 48, 64) for i in range(subnets)]


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
        """Removes every rule (each table even when removing another one failed)."""
        parts, self._parts = self._parts, []
        errors: list[Exception] = []
        for p in parts:
            try:
                p.close()
            except Exception as e:  # noqa: BLE001  (remove the others, then report)
                errors.append(e)
        if errors:
            raise LabError(f"removing nft rules: {errors[0]}") from errors[0]



class NetnsServerMixin(DaemonServer):
    """What the servers of a netns pair share beyond DaemonServer (process handling): their
    namespace (the process runs there), the §4.7 client block with nft, the pair's event
    marks. Subclasses call _init_netns() after their server __init__ and provide _argv(),
    _ready() and state()."""

    index: int
    pair: "NetnsPairBase"
    address: str

    def _init_netns(self, pair: "NetnsPairBase", index: int) -> None:
        self.pair, self.index = pair, index
        self.address = pair.topology.server_address(index)
        self.ns = pair.topology.server_ns[index]
        self.netns = self.ns
        self.lab = pair.lab
        self._blocked = _NftRules()

    @property
    def proc(self) -> Optional[fault.Process]:
        """The server's process (the same as ``process``)."""
        return self.process

    def _mark(self, what: str) -> None:
        self.mark(what)

    def block_clients(self) -> None:
        """Drops the clients' UDP traffic (port 547) to this server, in its namespace, from
        every client address, while everything else flows (RFC 7031 §4.7)."""
        if not self._blocked.active:
            for a in self.pair.topology.client_addresses:
                self._blocked.apply(self.ns, a, direction="in", proto="udp", port=547)
            self.mark("block-clients")

    def unblock_clients(self) -> None:
        """Undoes block_clients()."""
        if self._blocked.active:
            self._blocked.clear()
            self.mark("unblock-clients")

    def close(self) -> None:
        """Removes the client block and ends the process. Idempotent."""
        try:
            self._blocked.clear()
        finally:
            super().close()


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

    #: Longest a "reset" partition keeps rejecting while waiting for the open connections to
    #: die (a connection that sends nothing for that long, e.g. of a paused server, stays).
    reset_timeout: float = 10.0

    def _init_base(self, lab: Any, name: str, target: str, workdir: Path, *,
                   servers: int = 2, relationships: Optional[dict[str, tuple[int, int]]] = None
                   ) -> None:
        """Sets up what close() tears down (call it first in __init__, inside the try whose
        except calls close()). @p relationships maps each relationship name to the server
        indices (primary, secondary) its partner link joins (default: {name: (0, 1)}); link k
        of the topology is the k-th relationship's."""
        self.lab = lab
        self.name = name
        self.target = target
        self.servers = []
        self._captures: list[Capture] = []
        rels = dict(relationships or {name: (0, 1)})
        #: relationship name -> partner link index (in the topology)
        self._rel_links: dict[str, int] = {r: k for k, r in enumerate(rels)}
        self._partition: dict[int, _NftRules] = {k: _NftRules() for k in range(len(rels))}
        self.started = False
        self._next_client = 0
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        #: Short directory for unix sockets (107 octets at most in a path).
        self.sockdir = Path(tempfile.mkdtemp(prefix="f6n-"))
        self.topology = Topology(servers, partner_links=list(rels.values()))

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
            raise LabError(f"failover6 generate exited with {r.returncode}:\n"
                               f"{r.stdout}{r.stderr}")
        return dict(json.loads(out.read_text()))

    # ---- captures --------------------------------------------------------------------------

    def _start_captures(self) -> None:
        topo = self.topology
        single = len(self._rel_links) == 1
        for rel, k in self._rel_links.items():
            ns = topo.server_ns[topo.partner_links[k][0]]
            name = "partner-link.pcap" if single else f"partner-{rel}.pcap"
            self._captures.append(Capture(ns, topo.partner_device(k), self.workdir / name,
                                          f"tcp port {self.partner_port}"))
        self._captures.append(Capture(topo.client_ns, "br0",
                                      self.workdir / "client-link.pcap",
                                      "udp port 546 or udp port 547"))

    def pcaps(self, relationship: Optional[str] = None) -> list[Path]:
        """The partner-link captures, one per relationship in order (failover6 check reads
        them with the pair's failover_ports); of @p relationship only when given."""
        n = len(self._rel_links)
        if relationship is not None:
            k = self._link(relationship)
            return [self._captures[k].path] if len(self._captures) > k else []
        return [c.path for c in self._captures[:n]]

    def client_pcaps(self) -> list[Path]:
        """The capture of the client link (every DHCPv6 datagram between relays and servers;
        the same exchanges as the generator's own pcap, so do not check both together)."""
        return [c.path for c in self._captures[len(self._rel_links):]]

    def stop_captures(self) -> None:
        """Ends dumpcap so that the files are complete (stop() and close() do it too)."""
        for c in self._captures:
            c.stop()

    def _normal_report(self) -> str:
        return "\n".join(f"{s.name}: {s.state()}\n{s.log_tail()}" for s in self.servers)

    # ---- partner link ----------------------------------------------------------------------

    @property
    def relationship_names(self) -> list[str]:
        """The relationships' names, in the order of their partner links."""
        return list(self._rel_links)

    def _link(self, relationship: str) -> int:
        try:
            return self._rel_links[relationship]
        except KeyError:
            raise LabError(f"{self.name} has no relationship {relationship!r} "
                           f"(it has {', '.join(self._rel_links)})") from None

    def _links(self, relationship: Optional[str]) -> list[int]:
        return list(self._rel_links.values()) if relationship is None else \
            [self._link(relationship)]

    def _ends(self, k: int) -> tuple[str, str, str, str]:
        """(primary namespace, its address, secondary namespace, its address) of link @p k."""
        topo = self.topology
        a, b = topo.partner_links[k]
        return (topo.server_ns[a], topo.partner_address(a, k), topo.server_ns[b],
                topo.partner_address(b, k))

    def _connections(self, k: int) -> int:
        """Established TCP connections between the two ends of link @p k (counted at both
        ends: a reset must reach both sockets)."""
        ns_a, addr_a, ns_b, addr_b = self._ends(k)
        n = 0
        for ns, peer in ((ns_a, addr_b), (ns_b, addr_a)):
            out = run(["ss", "-Htn", "state", "established", "dst", f"[{peer}]"], ns=ns).stdout
            n += len([line for line in out.splitlines() if line.strip()])
        return n

    def partition(self, mode: str = "blackhole", *, drop: Optional[str] = None,
                  relationship: Optional[str] = None) -> None:
        """Cuts the partner link of @p relationship (every one when None) with nftables in
        the primary's namespace:

        * "blackhole" drops every packet both ways (TCP waits, as over a dead path);
        * "one-way" with drop="to-secondary" or "to-primary" drops one direction only;
        * "refuse" rejects both ways until heal(): every TCP segment is answered with a RST,
          so open connections are reset by their next segment (a keepalive at the latest)
          and new ones are refused, like a host that answers with RSTs;
        * "reset" is a one-shot event, as the loopback proxy's: the same reject rules, kept
          until no connection established between the two ends remains (checked with ``ss``
          at both ends; the lab's keepalive of 2 s makes that about 2 s), at most
          ``reset_timeout`` seconds, then removed: the link is healed when it returns (a
          connection that sent nothing meanwhile, e.g. a paused server's, is not reset; the
          event's ``left`` counts such connections).

        A new partition of a link replaces the previous one."""
        if mode == "one-way":
            if drop not in ("to-secondary", "to-primary"):
                raise LabError(f"one-way needs drop='to-secondary' or 'to-primary', not {drop!r}")
            direction, action = ("out" if drop == "to-secondary" else "in"), "drop"
        elif mode in ("blackhole", "reset", "refuse"):
            if drop is not None:
                raise LabError(f"drop= goes with mode 'one-way' only, not {mode!r}")
            direction, action = "both", ("drop" if mode == "blackhole" else "reject")
        else:
            raise LabError(f"partition mode {mode!r}: blackhole, reset, refuse or one-way")
        links = self._links(relationship)
        for k in links:
            ns, _, _, peer = self._ends(k)
            self._partition[k].clear()
            self._partition[k].apply(ns, peer, direction=direction, proto="tcp", port=None,
                                     action=action)
        fields: dict[str, Any] = {"mode": mode, "drop": drop}
        if relationship is not None:
            fields["relationship"] = relationship
        if mode == "reset":
            left = 0
            try:
                for k in links:
                    try:
                        poll(f"the partner-link connections of {self.name} to be reset",
                             lambda k=k: self._connections(k) == 0,  # type: ignore[misc]
                             self.reset_timeout)
                    except _lab.LabTimeout:
                        left += self._connections(k)
            finally:
                for k in links:
                    self._partition[k].clear()
            fields["left"] = left
        self.mark("partition", **fields)

    def heal(self, relationship: Optional[str] = None) -> None:
        """Removes the partition's nft rules (of @p relationship only when given)."""
        for k in self._links(relationship):
            self._partition[k].clear()
        if relationship is None:
            self.mark("heal")
        else:
            self.mark("heal", relationship=relationship)

    def delay(self, seconds: float, relationship: Optional[str] = None) -> None:
        """Delays the partner link (of @p relationship; every one when None) both ways with tc
        netem; a clear error where the kernel has no sch_netem (as on the CI VM)."""
        topo = self.topology
        for k in self._links(relationship):
            dev = topo.partner_device(k)
            for i in topo.partner_links[k]:
                ns = topo.server_ns[i]
                if seconds <= 0:
                    run(["tc", "qdisc", "del", "dev", dev, "root"], ns=ns, check=False)
                    continue
                r = run(["tc", "qdisc", "replace", "dev", dev, "root", "netem", "delay",
                         f"{seconds * 1000:.0f}ms"], ns=ns, check=False)
                if r.returncode != 0:
                    raise LabError("partner-link delay in netns mode needs tc netem, which "
                                   f"this kernel refused: {(r.stdout + r.stderr).strip()}")
        if relationship is None:
            self.mark("delay", seconds=seconds)
        else:
            self.mark("delay", seconds=seconds, relationship=relationship)

    # ---- life ------------------------------------------------------------------------------

    def wait_normal(self, timeout: float = 30) -> None:
        raise NotImplementedError

    #: the attributes naming the servers, in the order start() starts them
    start_order: tuple[str, ...] = ("primary", "secondary")

    def _start_sequence(self) -> list[_lab.Server]:
        """The servers in the order start() starts them (start_order's by default)."""
        return [getattr(self, name) for name in self.start_order]

    def start(self) -> None:
        """Starts the captures, then the servers in _start_sequence() (each answering its
        control socket); wait_normal() waits for the pair to settle. When a step fails, what
        started is stopped before the error is raised."""
        try:
            if not self._captures:
                self._start_captures()
            for s in self._start_sequence():
                if not s.alive:
                    s.start()
        except BaseException:
            self.stop()
            raise
        self.started = True

    def stop(self) -> None:
        """Stops the servers (SIGTERM) and the captures; the namespaces stay (close())."""
        for s in self._netns_servers():
            s.stop()
        self.stop_captures()

    def close(self) -> None:
        """Ends the servers and the captures, removes the nft rules and the namespaces (every
        step runs even when an earlier one failed; the first error is raised at the end).
        Idempotent; safe on a pair whose __init__ failed halfway."""
        steps: list[Any] = [s.close for s in self._netns_servers()]
        steps += [rules.clear for rules in getattr(self, "_partition", {}).values()]
        steps += [c.stop for c in getattr(self, "_captures", [])]
        if hasattr(self, "topology"):
            steps.append(self.topology.close)
        errors: list[Exception] = []
        for step in steps:
            try:
                step()
            except Exception as e:  # noqa: BLE001  (teardown must go on)
                errors.append(e)
        if hasattr(self, "sockdir"):
            shutil.rmtree(self.sockdir, ignore_errors=True)
        if errors:
            raise LabError(f"{self.name}: teardown: {errors[0]}") from errors[0]

    def __enter__(self) -> "NetnsPairBase":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NetnsBundledServer(NetnsServerMixin, Failover6dServer):
    """failover6d in its namespace, serving the client link at its address port 547 and
    speaking RFC 8156 over the partner link (status, state, partner-down, leases over its
    control socket: see failover6.lab.Failover6dServer)."""

    def __init__(self, pair: "NetnsBundledPair", index: int, name: str, role: str,
                 subnets: Optional[Sequence[Subnet]] = None) -> None:
        Failover6dServer.__init__(self, name, role, pair.workdir / name,
                                  pair.sockdir / f"{name}.sock",
                                  f"[{pair.topology.server_address(index)}]:547",
                                  list(subnets) if subnets is not None
                                  else netns_subnets(pair.topology, pair.subnets))
        self._init_netns(pair, index)

    def config(self) -> dict[str, Any]:
        return self.pair._config(self)  # type: ignore[attr-defined, no-any-return]


class NetnsBundledPair(NetnsPairBase):
    """A failover6d primary and secondary in their own namespaces (see the module text); with
    @p primaries > 1 the m-to-1 case (see NetnsCluster, which m_to_1() makes).

    Parameters as the loopback pair of :meth:`failover6.lab.Lab.pair`: subnets (one per relay;
    per primary), mclt, valid, preferred, t1, t2, pd, skew (faketime seconds on the
    secondary), auto_partner_down, max_unacked, keepalive, startup_time; the partner link is
    always partitioned with nft here (partner_link "proxy", the loopback default, is taken to
    mean that too), client_proxy is not needed (block_clients uses nft); tls=True (needs a
    Lab) runs the partner links over STARTTLS and TLS with the certificates of
    ci/make_test_certs, as on loopback.

    Servers 0..primaries-1 of the topology are the primaries, server ``primaries`` the
    secondary; relationship k ("lab-pair"-style @p name for a pair, "rel-<k+1>" otherwise)
    runs over partner link k between primary k and the secondary, and primary k serves
    subnets k*subnets .. (k+1)*subnets-1 (the secondary all of them).
    """

    primary: NetnsBundledServer
    secondary: NetnsBundledServer

    def __init__(self, lab: Any = None, *, workdir: Optional[Path] = None,
                 name: Optional[str] = None, subnets: int = 4, mclt: int = 30, valid: int = 90,
                 preferred: int = 60, t1: int = 30, t2: int = 48, pd: bool = True,
                 tls: bool = False, skew: float = 0.0, auto_partner_down: Optional[int] = None,
                 max_unacked: int = 64, keepalive: int = 2, startup_time: Optional[int] = 2,
                 partner_link: str = "nft", client_proxy: bool = False,
                 start: bool = True, primaries: int = 1) -> None:
        if tls and lab is None:
            raise ValueError("tls=True needs a Lab (its test certificates)")
        if partner_link not in ("nft", "proxy"):
            raise ValueError(f"partner_link={partner_link!r}: netns pairs partition with nft")
        if primaries < 1 or primaries > Topology.MAX_PARTNER_LINKS:
            raise ValueError(f"primaries must be 1..{Topology.MAX_PARTNER_LINKS}, not "
                             f"{primaries}")
        if subnets < 1 or primaries * subnets > 127:
            raise ValueError(f"subnets must be 1..{127 // primaries} per primary, not {subnets}")
        del client_proxy  # block_clients() uses nft in netns mode
        name = name or ("lab-pair" if primaries == 1 else "m-to-1")
        wd = Path(workdir or (lab.workdir if lab is not None else tempfile.mkdtemp()))
        self.name = name
        self.subnets, self.mclt, self.pd = subnets, mclt, pd
        self.timers = {"valid": valid, "preferred": preferred, "t1": t1, "t2": t2}
        self.auto_partner_down, self.max_unacked, self.keepalive = (auto_partner_down,
                                                                     max_unacked, keepalive)
        self.startup_time = startup_time
        self.certs: Optional[Path] = lab.test_certs() if tls else None
        self.failover_ports = (FAILOVER_PORT,)
        rels = {(name if primaries == 1 else f"rel-{k + 1}"): (k, primaries)
                for k in range(primaries)}
        try:
            self._init_base(lab, name, "bundled", wd / name, servers=primaries + 1,
                            relationships=rels)
            everything = netns_subnets(self.topology, primaries * subnets)
            self.primaries: list[NetnsBundledServer] = []
            for k in range(primaries):
                label = "primary" if primaries == 1 else f"primary-{k + 1}"
                self.primaries.append(NetnsBundledServer(
                    self, k, f"{name}-{label}", "primary",
                    everything[k * subnets:(k + 1) * subnets]))
            self.primary = self.primaries[0]
            self.secondary = NetnsBundledServer(self, primaries, f"{name}-secondary",
                                                "secondary", everything)
            self._f6 = [*self.primaries, self.secondary]
            self.servers = list(self._f6)
            if skew:
                self.secondary.env = _lab._skew_env(skew)
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    def relationships(self, server: _lab.Server) -> list[Optional[str]]:
        """The relationship names @p server takes part in."""
        if server is self.secondary:
            return list(self._rel_links)
        return [self.relationship_names[self.primaries.index(server)]]  # type: ignore[arg-type]

    def _tls(self, role: str) -> Optional[dict[str, Any]]:
        """The relationship's "tls" member for @p role, or None (insecure)."""
        if self.certs is None:
            return None
        peer = "secondary" if role == "primary" else "primary"
        return {"tls": {"cert-file": str(self.certs / f"{role}.crt"),
                        "key-file": str(self.certs / f"{role}.key"),
                        "ca-file": str(self.certs / "ca.crt"),
                        "peer-name": f"{peer}.failover6.test"}}

    def _config(self, server: NetnsBundledServer) -> dict[str, Any]:
        topo = self.topology
        rels = []
        for rel, k in self._rel_links.items():
            p, sec = topo.partner_links[k]
            if server.index not in (p, sec):
                continue
            peer = sec if server.index == p else p
            rels.append(relationship_config(
                rel, server.role, f"[{topo.partner_address(server.index, k)}]:{FAILOVER_PORT}",
                f"[{topo.partner_address(peer, k)}]:{FAILOVER_PORT}", mclt=self.mclt,
                keepalive=self.keepalive, max_unacked=self.max_unacked,
                subnets=[x.id for x in self.primaries[p].subnets],
                auto_partner_down=self.auto_partner_down, startup_time=self.startup_time,
                security=self._tls(server.role)))
        return failover6d_config(
            server.name, storage_dir=server.storage_dir, socket_path=server.socket,
            listen=server.dhcp, subnets=[x.config(self.pd) for x in server.subnets],
            relationships=rels, **self.timers)

    def _start_sequence(self) -> list[_lab.Server]:
        # the secondary first, so that the primaries find their partner listening
        return [self.secondary, *self.primaries]

    def _normal_report(self) -> str:
        out = []
        for s in self._f6:
            states = ", ".join(f"{rel}: {s.state(rel)}" for rel in self.relationships(s))
            out.append(f"{s.name}: {states}\n{s.log_tail()}")
        return "\n".join(out)

    def generate_argv(self, clients: int, relays: Optional[int] = None) -> list[str]:
        """As NetnsPairBase's, with one relay per subnet of every primary by default (relay r
        of the generator selects subnet r + 1: a fleet with ``relays=len(secondary.subnets)``
        covers every primary's subnets)."""
        return super().generate_argv(clients, relays or len(self.secondary.subnets))

    def wait_normal(self, timeout: float = 30) -> None:
        """Every relationship NORMAL on both sides, each side seeing its partner NORMAL."""
        def normal() -> bool:
            return all(s.in_normal(rel) for k, rel in enumerate(self._rel_links)
                       for s in (self.primaries[k], self.secondary))
        poll("every relationship NORMAL on both sides with the partner NORMAL", normal,
             timeout, self._normal_report)


class NetnsCluster(NetnsBundledPair):
    """m-to-1 in network namespaces (RFC 7031 §4.4), what :meth:`failover6.lab.Lab.m_to_1`
    returns in the netns topology (made by m_to_1()): @p primaries primaries, each in its own
    namespace with its own subnets, and one secondary namespace serving all of them, one
    relationship "rel-<k>" per primary over its own partner link (veth ``ha<k-1>``, its own
    /64, its own capture ``partner-rel-<k>.pcap``). partition(), heal() and delay() take
    ``relationship=`` (every relationship when None), like the loopback Cluster;
    ``primaries`` lists the primaries, ``primary`` is the first."""

    def __init__(self, lab: Any = None, *, primaries: int = 2, **params: Any) -> None:
        super().__init__(lab, primaries=primaries, **params)


def m_to_1(lab: Any, primaries: int = 2, **params: Any) -> NetnsCluster:
    """The netns m-to-1 cluster Lab.m_to_1() starts (not started here; @p params as
    NetnsBundledPair: subnets per primary, mclt, timers, ...)."""
    params.setdefault("start", False)
    return NetnsCluster(lab, primaries=primaries, **params)
