"""Helpers to run failover6d partners as real processes on loopback (unprivileged).

A ``Node`` is one failover6d: its configuration (made here from the lab's subnets, with free
ephemeral ports and paths in a short temporary directory, because unix socket paths are limited
to 107 octets), its process, its log file and its control socket. A ``Relay`` talks DHCPv6 to a
node as a relay agent would (RELAY-FORW over UDP to [::1]:port), built with the failover6
package. Every wait is a poll with a deadline; nothing sleeps to wait for something.

Used by test_failover_pair.py. The partner link usually goes through partner_proxy.PartnerProxy.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest

from failover6 import (
    ClientId,
    Duid,
    ElapsedTime,
    IaAddress,
    IaNa,
    Message,
    MessageType,
    RelayMessage,
    ServerId,
    InterfaceId,
)

CHECKOUT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("FAILOVER6_BUILD_DIR", CHECKOUT / "build"))
if not BUILD.is_absolute():
    BUILD = CHECKOUT / BUILD
#: The daemon; FAILOVER6_DAEMON runs another build of it (a sanitizer build, say).
DAEMON = Path(os.environ.get("FAILOVER6_DAEMON", BUILD / "bin" / "failover6d"))
CLI = BUILD / "bin" / "failover6"

#: Bound on one exchange or one start-up.
DEADLINE_S = 15.0
#: The smallest MCLT the configuration accepts (RFC 8156 §4.4 needs one; 30 s keeps waits short).
MCLT = 30
KEEPALIVE = 2


@dataclass(frozen=True)
class Subnet:
    """A lab subnet: id, prefix, its relay's link address and its address pool."""

    id: int
    prefix: str  # "2001:db8:1::"

    @property
    def relay(self) -> str:
        return f"{self.prefix}1"

    @property
    def pool(self) -> tuple[IPv6Address, IPv6Address]:
        return IPv6Address(f"{self.prefix}1000"), IPv6Address(f"{self.prefix}ffff")

    def config(self) -> dict[str, Any]:
        lo, hi = self.pool
        return {"id": self.id, "subnet": f"{self.prefix}/64",
                "relay": {"ip-addresses": [self.relay]},
                "pools": [{"pool": f"{lo} - {hi}"}]}


SUBNET1 = Subnet(1, "2001:db8:1::")
SUBNET2 = Subnet(2, "2001:db8:2::")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port the kernel just handed out on [::1] (free unless someone races for it)."""
    with socket.socket(socket.AF_INET6, kind) as s:
        s.bind(("::1", 0))
        return int(s.getsockname()[1])


def poll(what: str, check: Callable[[], Any], deadline_s: float,
         on_timeout: Callable[[], str] = lambda: "") -> Any:
    """Calls @p check until it returns something true (returned), or fails the test after
    @p deadline_s seconds saying @p what and what @p on_timeout tells."""
    deadline = time.monotonic() + deadline_s
    delay = 0.02
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {deadline_s} s waiting for {what}\n{on_timeout()}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)


def control(sock: Path, command: str, arguments: dict[str, Any] | None = None,
            timeout: float = DEADLINE_S) -> dict[str, Any]:
    """One control API exchange over the unix socket."""
    req: dict[str, Any] = {"command": command}
    if arguments is not None:
        req["arguments"] = arguments
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(json.dumps(req).encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return json.loads(data)


@dataclass
class Node:
    """One failover6d of the lab, and (once started) its process."""

    name: str
    dir: Path
    subnets: Sequence[Subnet]
    relationships: list[dict[str, Any]] = field(default_factory=list)
    port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    duid_hex: str = ""
    proc: subprocess.Popen[bytes] | None = None
    _logf: Any = None

    @property
    def config(self) -> Path:
        return self.dir / "config.json"

    @property
    def socket(self) -> Path:
        return self.dir / "ctl.sock"

    @property
    def journal(self) -> Path:
        return self.dir / "var" / "leases6.journal"

    @property
    def log(self) -> Path:
        return self.dir / "failover6d.log"

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        cfg = {
            "Dhcp6": {
                "renew-timer": 1000, "rebind-timer": 2000,
                "preferred-lifetime": 3000, "valid-lifetime": 4000,
                "server-id": {"type": "EN", "enterprise-id": 2495,
                              "identifier": self.duid_hex or self.name.encode().hex()},
                "data-directory": str(self.dir / "var"),
                "lease-database": {"type": "memfile", "persist": True, "name": str(self.journal)},
                "control-socket": {"socket-type": "unix", "socket-name": str(self.socket)},
                "subnet6": [s.config() for s in self.subnets],
                "loggers": [{"name": "failover6d", "severity": "INFO",
                             "output_options": [{"output": "stdout"}]}],
            },
            "Failover6": {"listen": [f"[::1]:{self.port}"],
                          "relationships": self.relationships},
        }
        self.config.write_text(json.dumps(cfg, indent=2))

    # ---- process -------------------------------------------------------------------------------

    def start(self, wrapper: Sequence[str] = (), env: dict[str, str] | None = None) -> None:
        """Writes the configuration, starts failover6d (under @p wrapper, e.g. faketime) and
        waits until its control socket answers."""
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} already runs"
        self.write_config()
        self._logf = open(self.log, "ab")
        self._logf.write(f"==== start {' '.join(wrapper)} {DAEMON}\n".encode())
        self._logf.flush()
        # A session of its own, so that signals reach the daemon under a wrapper too
        # (faketime forks it and does not forward them).
        self.proc = subprocess.Popen([*wrapper, str(DAEMON), "--config", str(self.config)],
                                     stdout=self._logf, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, start_new_session=True)

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                return control(self.socket, "status", timeout=2)["result"] == 0
            except (FileNotFoundError, ConnectionRefusedError, json.JSONDecodeError,
                    socket.timeout):
                return False

        poll(f"{self.name} to answer on its control socket", ready, DEADLINE_S, self.log_tail)

    def kill9(self) -> None:
        """SIGKILL: no shutdown, no DISCONNECT, no final commit."""
        assert self.proc is not None and self.proc.poll() is None, f"{self.name} is not running"
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE_S)
        self._close_log()

    def stop(self) -> None:
        """Ends the process if it runs (SIGTERM, then SIGKILL after the deadline)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:  # the whole group is gone already
                pass
        self._close_log()

    def _close_log(self) -> None:
        if self._logf is not None:
            self._logf.close()
            self._logf = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return f"---- {self.name} log (tail) ----\n" + "\n".join(
            self.log_text().splitlines()[-lines:])

    # ---- control API ---------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return control(self.socket, "status")["arguments"]

    def relationship(self, name: str | None = None) -> dict[str, Any]:
        rels = self.status()["relationships"]
        if name is None:
            assert len(rels) == 1, rels
            return rels[0]
        for r in rels:
            if r["name"] == name:
                return r
        raise AssertionError(f"{self.name} has no relationship {name}: {rels}")

    def state(self, name: str | None = None) -> str:
        try:
            return str(self.relationship(name)["state"])
        except (FileNotFoundError, ConnectionRefusedError):
            return "(down)"

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`failover6 ctl --config <this node's config> ARGS`."""
        return subprocess.run([str(CLI), "ctl", "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=DEADLINE_S)

    def active_addresses(self) -> dict[IPv6Address, str]:
        """The ACTIVE IA_NA leases through `failover6 ctl leases`: address -> client DUID."""
        r = self.ctl("leases")
        assert r.returncode == 0, r.stderr
        return {IPv6Address(lease["ip-address"]): lease["duid"]
                for lease in json.loads(r.stdout)["leases"]
                if lease["type"] == "IA_NA" and lease["state"] == "ACTIVE"}


def wait_state(node: Node, state: str, deadline_s: float, rel: str | None = None,
               others: Sequence[Node] = ()) -> None:
    """Polls @p node's status until relationship @p rel (the only one when None) is in
    @p state; the failure shows the logs of @p node and @p others."""
    poll(f"{node.name} relationship {rel or ''} in {state}",
         lambda: node.state(rel) == state, deadline_s,
         lambda: f"{node.name} is in {node.state(rel)}\n" + "\n".join(
             n.log_tail() for n in (node, *others)))


def wait_log(node: Node, needle: str, deadline_s: float, after: int = 0) -> str:
    """Polls @p node's log until @p needle appears past offset @p after; returns the line."""
    def find() -> str | None:
        text = node.log_text()[after:]
        for line in text.splitlines():
            if needle in line:
                return line
        return None
    return str(poll(f"'{needle}' in the log of {node.name}", find, deadline_s, node.log_tail))


# ---- a relay and its clients --------------------------------------------------------------------


class Relay:
    """An emulated relay on one lab subnet, talking to one node's DHCPv6 port."""

    def __init__(self, node: Node, subnet: Subnet = SUBNET1) -> None:
        self.port = node.port
        self.subnet = subnet
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind(("::1", 0))

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exchange(self, msg: Message, deadline_s: float = DEADLINE_S,
                 retransmit_s: float = 1.0) -> Message | None:
        """Sends @p msg in a RELAY-FORW, retransmitting as a client would, and returns the
        relayed answer, or None when none came within @p deadline_s."""
        fwd = RelayMessage.wrap(msg, link_address=self.subnet.relay, peer_address="fe80::1",
                                options=[InterfaceId(b"lab")])
        deadline = time.monotonic() + deadline_s
        while True:
            self.sock.sendto(fwd.encode(), ("::1", self.port))
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(max(0.01, min(retransmit_s, left)))
            try:
                while True:
                    data, _ = self.sock.recvfrom(65536)
                    outer = Message.decode(data)
                    assert isinstance(outer, RelayMessage), outer
                    inner = outer.relayed
                    assert isinstance(inner, Message), inner
                    if inner.transaction_id == msg.transaction_id:
                        return inner
            except socket.timeout:
                continue


def client_duid(n: int) -> Duid:
    return Duid.ll(1, bytes([2, 0, 0, 0, n >> 8 & 0xFF, n & 0xFF]))


@dataclass
class Lease:
    """What a client got: its address, lifetimes and the server that answered."""

    address: IPv6Address
    preferred: int
    valid: int
    server: Duid


def _lease_of(reply: Message, what: str) -> Lease:
    assert reply.type == MessageType.Reply, f"{what}: {reply}"
    na = reply.find(IaNa)
    assert na is not None, f"{what}: no IA_NA in {reply}"
    addr = na.find(IaAddress)
    assert addr is not None, f"{what}: no address in {reply}"
    sid = reply.find(ServerId)
    assert sid is not None
    return Lease(addr.address, addr.preferred, addr.valid, sid.duid)


def bind(relay: Relay, duid: Duid, xid: int) -> Lease:
    """SOLICIT/ADVERTISE, REQUEST/REPLY for one IA_NA; the lease must come from the pool."""
    adv = relay.exchange(Message(MessageType.Solicit, xid,
                                 [ClientId(duid), ElapsedTime(0), IaNa(iaid=1)]))
    assert adv is not None, f"no ADVERTISE for {duid}"
    assert adv.type == MessageType.Advertise, adv
    sid = adv.find(ServerId)
    assert sid is not None
    reply = relay.exchange(Message(MessageType.Request, xid + 1,
                                   [ClientId(duid), sid, ElapsedTime(0), *adv.find_all(IaNa)]))
    assert reply is not None, f"no REPLY to the REQUEST of {duid}"
    lease = _lease_of(reply, f"REQUEST of {duid}")
    lo, hi = relay.subnet.pool
    assert lo <= lease.address <= hi, lease
    assert lease.valid > 0, reply
    return lease


def rebind(relay: Relay, duid: Duid, address: IPv6Address, xid: int) -> Lease | None:
    """REBIND (no Server Identifier) for @p address; None when no server answered."""
    reply = relay.exchange(Message(MessageType.Rebind, xid,
                                   [ClientId(duid), ElapsedTime(0),
                                    IaNa(iaid=1, options=[IaAddress(address, 0, 0)])]))
    return None if reply is None else _lease_of(reply, f"REBIND of {duid}")
