"""What test_failover_pair.py needs beyond failover6.lab (unprivileged, loopback).

The pairs themselves are failover6.lab's (BundledPair / Cluster: failover6d processes, their
configurations, the partner link through failover6.fault.Proxy). Kept here: a ``Relay`` that
talks DHCPv6 to one server as a relay agent would (RELAY-FORW over UDP to its DHCP port, built
with the failover6 package), the bind/rebind exchanges on top of it, and a few readers of a
server's log and of `failover6 ctl`. Every wait is failover6.lab.poll (a deadline, no sleep).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from dataclasses import dataclass
from ipaddress import IPv6Address
from typing import Any

from failover6 import (
    ClientId,
    Duid,
    ElapsedTime,
    IaAddress,
    IaNa,
    InterfaceId,
    Message,
    MessageType,
    RelayMessage,
    ServerId,
)
from failover6._paths import build_dir, daemon_path
from failover6.lab import BundledServer, Pair, Subnet, poll

#: The daemon and the CLI of the build under test (FAILOVER6_BUILD_DIR / FAILOVER6_DAEMON).
CLI = build_dir() / "bin" / "failover6"
try:
    DAEMON = daemon_path()
except FileNotFoundError:
    DAEMON = build_dir() / "bin" / "failover6d"

#: Bound on one exchange or one CLI call.
DEADLINE_S = 15.0


def log_text(server: BundledServer) -> str:
    return server.log_path.read_text(errors="replace") if server.log_path.exists() else ""


def wait_state(pair: Pair, server: BundledServer, state: str, deadline_s: float,
               rel: str | None = None) -> None:
    """Polls @p server's status until relationship @p rel (the only one when None) is in
    @p state; the failure shows the log tails of every server of @p pair."""
    poll(f"{server.name} relationship {rel or ''} in {state}",
         lambda: server.state(rel) == state, deadline_s,
         lambda: f"{server.name} is in {server.state(rel)}\n{pair.logs()}")


def wait_log(server: BundledServer, needle: str, deadline_s: float, after: int = 0) -> str:
    """Polls @p server's log until @p needle appears past offset @p after; returns the line."""
    def find() -> str | None:
        for line in log_text(server)[after:].splitlines():
            if needle in line:
                return line
        return None
    return str(poll(f"'{needle}' in the log of {server.name}", find, deadline_s,
                    server.log_tail))


def ctl(server: BundledServer, *args: str) -> subprocess.CompletedProcess[str]:
    """`failover6 ctl --config <the server's config> ARGS`."""
    return subprocess.run([str(CLI), "ctl", "--config", str(server.config_path), *args],
                          capture_output=True, text=True, timeout=DEADLINE_S)


def active_addresses(server: BundledServer) -> dict[IPv6Address, str]:
    """The ACTIVE IA_NA leases through `failover6 ctl leases`: address -> client DUID."""
    r = ctl(server, "leases")
    assert r.returncode == 0, r.stderr
    return {IPv6Address(lease["ip-address"]): lease["duid"]
            for lease in json.loads(r.stdout)["leases"]
            if lease["type"] == "IA_NA" and lease["state"] == "ACTIVE"}


# ---- a relay and its clients --------------------------------------------------------------------


class Relay:
    """An emulated relay on one of @p server's subnets (its first when None), sending to the
    address the lab gives relays for it (server.dhcp)."""

    def __init__(self, server: BundledServer, subnet: Subnet | None = None) -> None:
        self.port = int(server.dhcp.rsplit(":", 1)[1])
        self.subnet = subnet or server.subnets[0]
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


def proxy_dropped(stats: dict[str, Any]) -> int:
    """Octets a failover6.fault.Proxy dropped, both directions (from its stats())."""
    return int(stats["dropped_to_target"]) + int(stats["dropped_from_target"])
