"""A TCP proxy for the failover partner link, run in the test process (threads, loopback only).

The primary connects to the proxy's port instead of the secondary's failover port; the proxy
opens a connection to the secondary for each one it accepts and copies bytes both ways. The
test can change what the link does at any time:

- ``pass_through()``: bytes flow (the initial mode). Connections that were blackholed are
  closed on the way back to pass: their streams lost bytes in the middle, so neither side could
  parse what follows; the partners reconnect, as they would after a real outage.
- ``cut()``: every open connection is closed on both sides at once (the partners see EOF or a
  reset); new connections are accepted and passed.
- ``blackhole()``: sockets stay open, every byte is read and dropped, in both directions, on
  open connections and on those accepted meanwhile (which are not forwarded upstream). To the
  partners it looks like a partition: nothing arrives, nothing is refused.

Every socket operation uses a short timeout, so ``close()`` stops all threads within a bound.
"""

from __future__ import annotations

import select
import socket
import threading
from dataclasses import dataclass, field

#: How often the copy threads look at the mode and the stop flag (seconds).
_POLL_S = 0.05
#: Octets kept per connection of what the target sent (see PartnerProxy.from_target).
_KEEP = 1 << 16


@dataclass
class _Conn:
    """One proxied connection: the accepted socket and its upstream socket (None in a
    connection accepted during a blackhole)."""

    down: socket.socket
    up: socket.socket | None
    blackholed: bool = False
    closed: threading.Event = field(default_factory=threading.Event)
    #: The first octets the target sent on this connection (up to _KEEP), as forwarded.
    from_target: bytearray = field(default_factory=bytearray)

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.down, self.up):
            if s is None:
                continue
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class PartnerProxy:
    """Listens on [::1]:<ephemeral port> and forwards to (target_host, target_port)."""

    PASS = "pass"
    BLACKHOLE = "blackhole"

    def __init__(self, target_port: int, target_host: str = "::1") -> None:
        self.target = (target_host, target_port)
        self._lsock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind(("::1", 0))
        self._lsock.listen(16)
        self._lsock.settimeout(_POLL_S)
        self.port: int = self._lsock.getsockname()[1]
        self._mode = self.PASS
        self._lock = threading.Lock()
        self._conns: list[_Conn] = []
        self._history: list[_Conn] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        #: Connections accepted so far (a test can wait for a reconnection).
        self.accepted = 0
        #: Octets dropped while blackholed.
        self.dropped = 0
        t = threading.Thread(target=self._accept_loop, name=f"proxy-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)

    # ---- commands ----------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    def pass_through(self) -> None:
        """Bytes flow again; connections that lost bytes while blackholed are closed."""
        with self._lock:
            self._mode = self.PASS
            stale = [c for c in self._conns if c.blackholed]
        for c in stale:
            c.close()

    def blackhole(self) -> None:
        """Drop every byte from now on, keeping every socket open."""
        with self._lock:
            self._mode = self.BLACKHOLE
            for c in self._conns:
                c.blackholed = True

    def cut(self) -> int:
        """Close every open connection on both sides. @return how many were closed."""
        with self._lock:
            conns = [c for c in self._conns if not c.closed.is_set()]
        for c in conns:
            c.close()
        return len(conns)

    def from_target(self) -> list[bytes]:
        """Per connection accepted so far (oldest first), the first octets the target (the
        secondary) sent through the proxy, so a test can decode what reached the primary."""
        with self._lock:
            return [bytes(c.from_target) for c in self._history]

    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for c in self._conns if not c.closed.is_set())

    def close(self) -> None:
        """Stops every thread and closes every socket (bounded by the poll interval)."""
        self._stop.set()
        self.cut()
        for t in list(self._threads):
            t.join(timeout=5)
        self._lsock.close()

    # ---- threads -----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                down, _ = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            up: socket.socket | None = None
            blackholed = self._mode == self.BLACKHOLE
            if not blackholed:
                try:
                    up = socket.create_connection(self.target, timeout=2)
                except OSError:
                    down.close()  # the secondary is not listening: refuse, as it would
                    continue
            conn = _Conn(down, up, blackholed)
            with self._lock:
                self._conns = [c for c in self._conns if not c.closed.is_set()]
                self._conns.append(conn)
                self._history.append(conn)
            t = threading.Thread(target=self._copy_loop, args=(conn,), daemon=True,
                                 name=f"proxy-{self.port}-conn")
            t.start()
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)

    def _copy_loop(self, conn: _Conn) -> None:
        socks = [conn.down] + ([conn.up] if conn.up is not None else [])
        peer = {conn.down: conn.up, conn.up: conn.down} if conn.up is not None else {}
        try:
            while not self._stop.is_set() and not conn.closed.is_set():
                try:
                    readable, _, _ = select.select(socks, [], [], _POLL_S)
                except (OSError, ValueError):
                    break
                for s in readable:
                    try:
                        data = s.recv(65536)
                    except OSError:
                        data = b""
                    if not data:  # EOF or reset on one side: close the other too
                        conn.close()
                        return
                    if conn.blackholed or conn.up is None:
                        self.dropped += len(data)
                        continue
                    if s is conn.up and len(conn.from_target) < _KEEP:
                        conn.from_target += data[:_KEEP - len(conn.from_target)]
                    try:
                        peer[s].sendall(data)
                    except OSError:
                        conn.close()
                        return
        finally:
            conn.close()
