"""A fleet of emulated DHCPv6 clients that runs while a test or scenario does other things.

:class:`Fleet` runs :class:`failover6._core.Generator` in a thread (its ``run()`` releases the
GIL), so the caller can kill servers, partition links and read the live progress meanwhile::

    from failover6.fleet import Fleet
    fleet = Fleet(["[::1]:5547", "[::1]:6547"], 200, relays=4, pcap="fleet.pcap").start()
    fleet.wait_bound(200, timeout=30)      # polls snapshot()["clients_bound"]
    ...
    summary = fleet.stop()                 # the summary of `failover6 generate --json`

With ``netns=NS`` the generator runs as a child process instead
(``ip netns exec NS failover6 generate ... --json FILE``), since the clients must send from
inside that namespace; snapshot() then reads its progress lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Union

from ._core import Generator
from ._paths import cli_path

__all__ = ["Fleet", "FleetError"]

PathLike = Union[str, "os.PathLike[str]"]

#: The run of a fleet without a duration: until stop() (a day bounds it anyway).
FOREVER_S = 86400.0

_PROGRESS = re.compile(r"generate: ([0-9.]+) s\s+bound (\d+)/(\d+).*?retransmissions (\d+)"
                       r"\s+failures (\d+)")


class FleetError(RuntimeError):
    """The fleet could not run, or a wait on it timed out (FleetTimeout)."""


class FleetTimeout(FleetError, AssertionError):
    """A wait on the fleet did not end within its deadline."""


# Generator keyword names whose CLI option is spelled differently or is a flag.
_FLAGS = {"na": "--na", "pd": "--pd", "rapid_commit": "--rapid-commit",
          "remote_id": "--remote-id", "release": "--release", "until_bound": "--until-bound"}


class Fleet:
    """@p clients emulated clients behind @p relays relays, toward @p servers ("[ADDR]:PORT").

    :param duration: seconds of the run; 0: until stop().
    :param rate: clients started per second; 0: all at once.
    :param pcap: where every datagram is recorded (None: nowhere).
    :param netns: run the generator in this network namespace (as a child process).
    :param name: how events and errors name the fleet.
    :param on_event: called as on_event(what, fleet=name, ...) at start and end (Lab.mark).
    :param options: the other keyword arguments of failover6._core.Generator (``seed``,
        ``time_scale``, ``link_address``, ``until_bound``, ``release``, ...); with netns also
        ``bind`` ("[ADDR]:PORT" of the relays' socket).
    :raises ValueError: a bad option (from the generator's own check).
    """

    def __init__(self, servers: list[str], clients: int, *, relays: int = 4, na: bool = True,
                 pd: bool = False, time_scale: float = 1.0, rate: float = 0,
                 duration: float = 0, seed: int = 1, pcap: PathLike | None = None,
                 netns: str | None = None, name: str = "fleet",
                 on_event: Callable[..., Any] | None = None, **options: Any) -> None:
        self.servers = list(servers)
        self.clients = clients
        self.name = name
        self.netns = netns
        #: the capture of the fleet's datagrams (os.devnull when pcap=None: see recording)
        self.pcap = Path(pcap) if pcap is not None else Path(os.devnull)
        #: true when the fleet writes a capture (pcap= given)
        self.recording = pcap is not None
        self._ended_marked = False
        self._on_event = on_event
        self._options: dict[str, Any] = dict(
            relays=relays, na=na, pd=pd, time_scale=time_scale, rate=rate,
            duration=duration if duration > 0 else FOREVER_S, seed=seed,
            pcap=str(self.pcap) if pcap is not None else "", **options)
        self.summary: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._gen: Generator | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        #: set by stop(): a run that has not begun yet must not begin
        self._stop_requested = threading.Event()
        self._lock = threading.Lock()
        self._tmpdir: str | None = None
        if netns is None:
            if "bind" in options:
                raise ValueError("bind= needs netns= (the in-process generator binds [::]:any)")
            self._gen = Generator(self.servers, clients=clients, **self._options)
        else:
            self._argv = self._cli_argv()

    def __repr__(self) -> str:
        return f"<Fleet {self.name} {self.clients} clients {'running' if self.running else ''}>"

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        """close() (never raises for a run that failed: read .error)."""
        self.close()

    def _event(self, what: str, **fields: Any) -> None:
        if self._on_event is not None:
            self._on_event(what, fleet=self.name, **fields)

    def _cli_argv(self) -> list[str]:
        o = dict(self._options)
        argv = ["ip", "netns", "exec", str(self.netns), str(cli_path()), "generate",
                "--clients", str(self.clients)]
        for s in self.servers:
            argv += ["--server", s]
        na, pd = o.pop("na"), o.pop("pd")
        if pd:
            argv.append("--pd")
            if na:
                argv.append("--na")
        pcap = o.pop("pcap")
        if pcap:
            argv += ["--pcap", pcap]
        if not o.pop("start_delay", True):
            argv.append("--no-start-delay")
        if not o.pop("renew_unicast", True):
            argv.append("--renew-multicast")
        o.pop("progress", None)
        for k, v in o.items():
            if k in _FLAGS:
                if v:
                    argv.append(_FLAGS[k])
            elif k in ("relays", "rate", "duration", "time_scale", "seed", "relay_depth",
                       "info_only", "decline", "link_address", "bind", "duid_types"):
                argv += ["--" + k.replace("_", "-"), str(v)]
            else:
                raise ValueError(f"generator option {k!r} is not available with netns")
        return argv

    # ---- running -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from start() until the run has ended."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Fleet:
        """Starts the run in the background; returns self."""
        with self._lock:
            if self._thread is not None:
                raise FleetError(f"{self.name} was started already")
            self._started_at = time.time()
            if self.netns is None:
                target = self._run_inprocess
            else:
                self._json_path().unlink(missing_ok=True)  # a stale summary is no summary
                with open(self._log_path(), "wb") as out:
                    # Its progress lines (one a second) go to the log, for snapshot().
                    self._child = subprocess.Popen(
                        [*self._argv, "--json", str(self._json_path())], stdout=out,
                        stderr=subprocess.STDOUT)
                target = self._run_child
            self._thread = threading.Thread(target=target, name=f"fleet-{self.name}",
                                            daemon=True)
            self._thread.start()
        self._event("fleet-start", clients=self.clients)
        return self

    def _base(self) -> Path:
        if self.recording:
            return self.pcap
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="failover6-fleet-")
        return Path(self._tmpdir) / "fleet"

    def _log_path(self) -> Path:
        return self._base().with_suffix(".log")

    def _json_path(self) -> Path:
        return self._base().with_suffix(".json")

    def _run_inprocess(self) -> None:
        assert self._gen is not None
        try:
            if self._stop_requested.is_set():  # stop() came before the run began
                self.summary = {"clients": self.clients, "clients_bound": 0}
                return
            self.summary = dict(self._gen.run())
        except BaseException as e:  # surfaced by wait()
            self.error = e

    def _run_child(self) -> None:
        assert self._child is not None
        rc = self._child.wait()
        try:
            self.summary = dict(json.loads(self._json_path().read_text()))
        except (OSError, ValueError) as e:
            self.error = FleetError(f"{self.name}: failover6 generate exited with {rc} and no "
                                    f"summary ({e}):\n{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return "\n".join(self._log_path().read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """Ends the run early (if it runs) and returns its summary (None when it never ran).

        :raises FleetError: the run failed (its error), or did not end within @p timeout.
        """
        if self._thread is None:
            return None
        self._stop_requested.set()
        if self._gen is not None:
            # Generator.run() clears its stop flag when it begins: a stop() that comes
            # before that is lost, so it is repeated until the thread has ended.
            gen, thread = self._gen, self._thread
            deadline = time.monotonic() + timeout
            while thread.is_alive() and time.monotonic() < deadline:
                gen.stop()
                thread.join(0.05)
        elif self._child is not None and self._child.poll() is None:
            self._child.terminate()  # the CLI ends its run on SIGTERM and writes --json
        return self.wait(max(0.0, timeout))

    def wait(self, timeout: float) -> dict[str, Any]:
        """Waits for the run to end; returns its summary.

        :raises FleetTimeout: it still runs after @p timeout seconds.
        :raises FleetError: it was never started, or the run failed.
        """
        if self._thread is None:
            raise FleetError(f"{self.name} was not started")
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise FleetTimeout(f"{self.name} still runs after {timeout:g} s")
        if self.error is not None:
            raise FleetError(f"{self.name} failed: {self.error}") from self.error
        assert self.summary is not None
        if not self._ended_marked:
            self._ended_marked = True
            self._event("fleet-end", clients_bound=self.summary.get("clients_bound"))
        return self.summary

    def close(self) -> None:
        """Stops the run and ends a child generator. Idempotent; never raises for a run that
        failed (read .error)."""
        try:
            self.stop()
        except FleetError:
            pass
        if self._child is not None and self._child.poll() is None:
            self._child.kill()
            self._child.wait()
        if self._tmpdir is not None and not self.running:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    # ---- progress ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The live progress: ``running``, ``elapsed_s``, ``clients``, ``clients_bound``,
        ``exchanges``, ``leases_changed``, ``retransmissions``, ``failures``, ... (in-process:
        updated about every 100 ms; netns: the last progress line, and the summary's
        figures once the run ended)."""
        if self.summary is not None:
            snap = {k: v for k, v in self.summary.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)}
            snap.update(running=False, elapsed_s=self.summary.get("duration_s", 0.0))
            return snap
        if self._gen is not None:
            live: dict[str, Any] = dict(self._gen.snapshot())
            live["running"] = self.running
            return live
        snap = {"running": self.running, "clients": self.clients, "clients_bound": 0,
                "elapsed_s": time.time() - self._started_at if self._started_at else 0.0}
        try:
            lines = self._log_path().read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        for line in reversed(lines):
            m = _PROGRESS.search(line)
            if m:
                snap.update(elapsed_s=float(m.group(1)), clients_bound=int(m.group(2)),
                            retransmissions=int(m.group(4)), failures=int(m.group(5)))
                break
        return snap

    def wait_bound(self, n: int, timeout: float) -> None:
        """Waits until at least @p n clients are bound.

        :raises FleetTimeout: not within @p timeout seconds (says how many were).
        :raises FleetError: the run ended (or failed) before.
        """
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            snap = self.snapshot()
            if int(snap.get("clients_bound", 0)) >= n:
                return
            if self._thread is not None and not self._thread.is_alive():
                if self.error is not None:
                    raise FleetError(f"{self.name} failed: {self.error}") from self.error
                raise FleetError(f"{self.name} ended with {snap.get('clients_bound')} of "
                                 f"{n} clients bound")
            if self._thread is None:
                raise FleetError(f"{self.name} was not started")
            if time.monotonic() >= deadline:
                raise FleetTimeout(f"timed out after {timeout:g} s waiting for {n} clients of "
                                   f"{self.name} bound: {snap.get('clients_bound')} are")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)
