"""Faults for the lab: the partner-link proxy, client-traffic loss, process faults, clock
skew and nftables partitions (the C++ of toolkit/fault, bound in :mod:`failover6._core`).

Partner link (RFC 8156 TCP connection) through a :class:`Proxy`::

    from failover6.fault import Proxy
    with Proxy("[::1]:8647", pcap="link.pcap") as link:     # the secondary listens on 8647
        primary_config["partner"] = f"[::1]:{link.port}"    # the primary connects here
        ...
        link.blackhole()        # partition: every byte dropped both ways
        link.pass_through()     # heal (connections that lost bytes are reset)
        link.delay(0.2)         # geo distance: 200 ms each way, order kept
        link.one_way("to-target")
        link.reset()            # RST every open connection once

The proxy runs its own thread; every method is thread-safe and returns once the change is in
force. ``link.pcap`` holds the stream as delivered, addressed to the target's port, so
``failover6 check link.pcap --failover-port 8647`` reads it like a capture of the real link.

Client traffic toward one server only (RFC 7031 §4.7) through a :class:`UdpProxy` in front of
its DHCPv6 port; :class:`Process` for kill -9, SIGTERM, SIGSTOP/SIGCONT; :func:`skew_env` for a
partner with a skewed clock; :class:`NftPartition` for partitions in network namespaces.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar

from . import _core

__all__ = ["NftPartition", "Process", "Proxy", "UdpProxy", "nft_apply_script", "skew_env"]


_F = TypeVar("_F", bound="_Forwarder")


class _Forwarder:
    """What the two proxies share: the bound endpoint, the mode, pass/blackhole, counters,
    the event list, close() and the context manager. ``_p`` is the C++ object."""

    _p: Any
    target: str
    name: str

    @property
    def port(self) -> int:
        """The listening port actually bound."""
        return int(self._p.port)

    @property
    def listen_address(self) -> str:
        """``"[ADDR]:PORT"`` actually listened on."""
        return str(self._p.listen_address)

    @property
    def mode(self) -> str:
        """The current fault: ``"pass"``, ``"blackhole"``, or (Proxy only) ``"refuse"``,
        ``"delay"`` or ``"one-way"``."""
        return str(self._p.mode)

    def pass_through(self) -> None:
        """Heals: traffic flows again (Proxy: see its class documentation)."""
        self._p.pass_through()

    def blackhole(self) -> None:
        """Drops traffic from now on (Proxy: both ways; UdpProxy: client -> server)."""
        self._p.blackhole()

    def stats(self) -> dict[str, Any]:
        """The counters (each class documents its own keys)."""
        result: dict[str, Any] = self._p.stats()
        return result

    def events(self) -> list[tuple[float, str]]:
        """Mode changes (and, for Proxy, resets) so far: ``(unix time, "blackhole" | "pass" |
        ...)``."""
        return [(float(t), str(w)) for t, w in self._p.events()]

    def close(self) -> None:
        """Closes every socket (Proxy: and the pcap, raising RuntimeError when it could not
        be written completely); idempotent."""
        self._p.close()

    def __enter__(self: _F) -> _F:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, port={self.port}, target={self.target!r})"


class Proxy(_Forwarder):
    """A TCP proxy for the partner link with switchable faults.

    ``target`` and ``listen`` are ``"[ADDR]:PORT"``; ``listen`` port 0 (the default) picks a
    free port, see :attr:`port`. ``pcap`` writes the stream as delivered to each side (bytes a
    fault dropped are not in it). Raises ValueError for a bad endpoint and RuntimeError when it
    cannot listen or create the pcap.

    :meth:`pass_through` heals: bytes held by a delay are delivered at once, in order. Whenever
    delivery resumes in a direction that lost bytes to a fault (any mode change), the
    connections concerned are reset first, so the partners reconnect (TCP never delivers a
    stream with a hole). :meth:`blackhole` drops every byte (and FIN) both ways; sockets stay
    open; new connections are accepted and stay silent.

    :meth:`stats` keys: ``connections``, ``open_connections``, ``bytes_to_target``,
    ``bytes_from_target``, ``dropped_to_target``, ``dropped_from_target``, ``resets``,
    ``refused``, ``connect_failures``, ``held_bytes``, ``mode``, ``delay_seconds``, ``drop``,
    ``pcap_packets``, ``pcap_error``.
    """

    def __init__(self, target: str, listen: str = "[::1]:0", pcap: str | None = None,
                 name: str = "partner-link") -> None:
        self._p = _core.PartnerProxy(target, listen, pcap or "", name)
        self.target = target
        self.pcap = pcap
        self.name = name

    def reset(self) -> int:
        """Resets (RST) every open connection once; the mode becomes ``"pass"``.
        Returns how many connections were reset."""
        return int(self._p.reset())

    def refuse(self) -> None:
        """Like a dead host that answers with RST: open connections are reset and new ones
        are reset at once, until another mode is set."""
        self._p.refuse()

    def delay(self, seconds: float) -> None:
        """Every byte delivered ``seconds`` later, order kept, both directions (0..3600)."""
        self._p.delay(float(seconds))

    def one_way(self, drop: str) -> None:
        """Drops the bytes of one direction: ``drop="to-target"`` or ``"from-target"``."""
        self._p.one_way(drop)

    def flush(self) -> None:
        """Writes out what the pcap holds so far, so that it can be read while the proxy
        runs (Lab.check() does this); RuntimeError when the file cannot be written."""
        self._p.flush()


class UdpProxy(_Forwarder):
    """A UDP forwarder in front of one server's DHCPv6 port (RFC 7031 §4.7): relays send to
    :attr:`port`; :meth:`blackhole` drops client->server datagrams only, while the partner
    link stays up. One upstream socket per relay source, so replies return to the sender.

    Mappings are bounded: one without a datagram for ``idle_timeout`` seconds is closed, and
    beyond ``UdpProxy.MAX_SOURCES`` sources the least recently used one is closed (its source
    gets a new mapping with its next datagram).

    :meth:`stats` keys: ``sources`` (seen), ``open_sources`` (mapped now), ``expired``,
    ``to_target``, ``from_target``, ``dropped``, ``bytes_to_target``, ``bytes_from_target``,
    ``send_errors``, ``mode``."""

    #: Most sources mapped at once.
    MAX_SOURCES: int = int(_core.UdpProxy.MAX_SOURCES)

    def __init__(self, target: str, listen: str = "[::1]:0", name: str = "",
                 idle_timeout: float = 120.0) -> None:
        self._p = _core.UdpProxy(target, listen, name or "client-proxy", float(idle_timeout))
        self.target = target
        self.name = name


class Process:
    """A child process for process faults, started with posix_spawn in its own process
    group (signals reach the helpers it starts too), default signal dispositions, stdin from
    /dev/null. Never leaves a child behind: :meth:`close` (and the context manager, and
    garbage collection) kills a live child.

    ``env`` entries are set ON TOP of this process's environment (e.g. :func:`skew_env`).
    ``log`` receives stdout and stderr (appended). ``netns`` runs it with
    ``ip netns exec NS``. Raises RuntimeError naming the command when it cannot start.
    """

    def __init__(self, argv: list[str], env: dict[str, str] | None = None,
                 log: str | None = None, netns: str | None = None,
                 cwd: str | None = None) -> None:
        self.argv = [str(a) for a in argv]
        self._p = _core.Process(self.argv, dict(env or {}), str(log or ""), netns or "",
                                str(cwd or ""))

    @property
    def pid(self) -> int:
        """The child's pid."""
        return int(self._p.pid)

    @property
    def alive(self) -> bool:
        """True until the child has exited (a paused child is alive)."""
        return bool(self._p.alive)

    @property
    def returncode(self) -> int | None:
        """None while running; the exit code, or -N after death by signal N."""
        rc: int | None = self._p.returncode
        return rc

    def kill(self) -> None:
        """kill -9 and reap. Harmless once the child has exited."""
        self._p.kill()

    def terminate(self, timeout: float = 10) -> int:
        """SIGTERM (and SIGCONT), wait up to ``timeout`` s, then SIGKILL; the return code."""
        return int(self._p.terminate(float(timeout)))

    def pause(self) -> None:
        """SIGSTOP. RuntimeError when the child has exited."""
        self._p.pause()

    def resume(self) -> None:
        """SIGCONT. RuntimeError when the child has exited."""
        self._p.resume()

    def wait(self, timeout: float) -> int | None:
        """Waits up to ``timeout`` seconds (GIL released): the return code, or None."""
        rc: int | None = self._p.wait(float(timeout))
        return rc

    def close(self) -> None:
        """Kills the child if it is alive; idempotent."""
        self._p.kill()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Process({self.argv[0]!r}, pid={self.pid}, returncode={self.returncode})"


def skew_env(seconds: float) -> dict[str, str]:
    """Environment additions that run a child with its wall clock ``seconds`` ahead (negative:
    behind) with libfaketime: ``LD_PRELOAD``, ``FAKETIME="+Ns"``, ``DONT_FAKE_MONOTONIC=1``
    (timers on the monotonic clock are not skewed). Pass it as ``Process(env=...)``.
    Raises RuntimeError naming the paths searched when libfaketime is not installed."""
    env: dict[str, str] = _core.skew_env(float(seconds))
    return env


def nft_apply_script(table: str, peer: str, *, direction: str = "both", proto: str = "tcp",
                     port: int | None = None, action: str = "drop") -> str:
    """The ``nft -f -`` script :meth:`NftPartition.apply` runs (for inspection and tests)."""
    return str(_core.nft_apply_script(table, peer, direction, proto, port, action))


class NftPartition:
    """Drops traffic between network namespace ``netns`` and ``peer`` with nftables (root).

    ``direction``: ``"both"``, ``"in"`` (from the peer) or ``"out"`` (to the peer);
    ``proto``: ``"tcp"``, ``"udp"`` or ``"all"``; ``port`` matches either end's port;
    ``action``: ``"drop"`` (silent, the default) or ``"reject"`` (TCP gets a RST: open
    connections are reset by their next segment and new ones refused; other protocols an
    ICMP(v6) admin-prohibited error). The table name is unique per object. :meth:`apply` and :meth:`heal` are idempotent;
    :meth:`heal` and :meth:`close` remove the table. Raises ValueError for a bad argument,
    RuntimeError with nft's message when nft fails.
    """

    def __init__(self, netns: str, peer: str, *, direction: str = "both", proto: str = "tcp",
                 port: int | None = None, action: str = "drop") -> None:
        self.netns = netns
        self.peer = peer
        self._p = _core.NftPartition(netns, peer, direction, proto, port, action)

    @property
    def action(self) -> str:
        """``"drop"`` or ``"reject"``."""
        return str(self._p.action)

    @property
    def table(self) -> str:
        """The nftables table (family inet) holding the rules."""
        return str(self._p.table)

    @property
    def applied(self) -> bool:
        """Whether the drop rules are in place."""
        return bool(self._p.applied)

    def apply(self) -> None:
        """Drops the traffic from now on."""
        self._p.apply()

    def heal(self) -> None:
        """Lets the traffic pass again."""
        self._p.heal()

    def close(self) -> None:
        """Removes the table; idempotent."""
        self._p.close()

    def __enter__(self) -> NftPartition:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
