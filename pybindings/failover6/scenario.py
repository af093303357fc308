"""Scenarios: a scripted fault story against a DHCPv6 failover pair, ending in a verdict.

A scenario script (``scenarios/<name>.py``) has a docstring, a ``DEFAULTS`` dict of tunables,
optionally a ``QUICK`` dict (the overrides of ``--quick``), and a ``run(sc)`` function that
drives the lab through a :class:`Scenario`::

    DEFAULTS = {"clients": 500, "relays": 4, "outage": 20.0}

    def run(sc: Scenario) -> None:
        pair = sc.pair()
        pair.wait_normal()
        fleet = sc.fleet(pair).start()
        sc.hold(10, "traffic before the failure")
        pair.primary.kill()
        ...

    if __name__ == "__main__":
        sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))

:func:`main` parses the command line (``--target bundled|kea|VENDOR``, ``--plugin
MODULE_OR_FILE``, ``--out DIR``, ``--clients N``, ``--relays N``, ``--set key=value``,
``--quick``, ``--keep``), imports the vendor plugins (``--plugin`` and $FAILOVER6_PLUGINS: each
registers its targets with :func:`failover6.lab.register_target`), builds the
:class:`~failover6.lab.Lab` in the target's topology (loopback for the bundled server, network
namespaces for Kea, a plugin factory's ``lab_topology`` attribute), runs the scenario, stops
the fleets, runs the trace checker over every capture and writes to DIR:

- ``report.json``: the checker's JSON report, plus ``scenario``, ``doc``, ``target``,
  ``tunables``, ``events`` (the lab's fault events), ``phases``, ``fleets`` (generator
  summaries), ``expectations`` (scenario-specific checks), ``verdict`` ("pass", "fail" or
  "error"), ``check_verdict`` (the checker's own) and ``reproduce`` (the ``failover6 check``
  command line(s) that give the checker's verdict again from the captures in DIR);
- ``report.html``: one self-contained page: the verdict, the tunables, the invariants and
  expectations, and a timeline on which the lab's faults (kill, partition, heal, ...) are drawn
  across the checker's per-server timelines (failover states, outages, violations);
- ``junit.xml``: one test case per invariant and per expectation, named after the scenario;
- the captures (``*.pcap``), copied from the lab, and in ``checked/`` the copies the checker
  read where the lab prepared them (on loopback every server is ::1; the copies give each
  server its own address, so that the checker can tell them apart).

The exit code is 0 when every invariant held and every expectation was met, 1 when one was
not, and 2 when the scenario could not run (bad options, a lab error).
"""

from __future__ import annotations

import argparse
import html
import importlib
import importlib.util
import json
import math
import os
import shlex
import shutil
import sys
import tempfile
import time
import traceback
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping, Sequence
from xml.sax.saxutils import escape as _xml_escape, quoteattr as _xml_attr

__all__ = ["Expectation", "Scenario", "ScenarioError", "load_plugin", "main", "parse_tunable",
           "plugin_specs", "target_topology"]

#: Lab topology used for each target when the scenario does not say otherwise.
TOPOLOGY = {"bundled": "loopback", "kea": "netns"}

#: Pair parameters only the bundled server understands (left out for other targets).
_BUNDLED_ONLY = ("mclt", "tls", "skew", "auto_partner_down", "max_unacked", "partner_link",
                 "client_proxy", "keepalive")


class ScenarioError(RuntimeError):
    """A scenario cannot run: bad tunables, a missing target, a lab that failed to start."""


@dataclass
class Expectation:
    """A scenario-specific check that joins the verdict (``ok`` None: informational only)."""

    name: str
    ok: bool | None
    detail: str = ""
    time: float = field(default_factory=time.time)


def parse_tunable(text: str, default: Any) -> Any:
    """Converts the text of ``--set key=text`` to the type of the tunable's default.

    :raises ValueError: the text is not a value of that type.
    """
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"'{text}' is not a boolean (true/false)")
    if isinstance(default, int):
        return int(text, 0)
    if isinstance(default, float):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"'{text}' is not a finite number")
        return value
    if default is None or isinstance(default, str):
        return text
    raise ValueError(f"tunables of type {type(default).__name__} cannot be set from the command line")


class Scenario:
    """One run of a scenario: its tunables, its lab, and what it observed.

    ``run(sc)`` uses :meth:`pair` and :meth:`fleet` to build the lab (they fill in the target
    and the sizes from the tunables), the lab's fault methods to break things, :meth:`hold` to
    follow its script in time, :meth:`wait` to wait for a condition, and :meth:`expect` to
    record scenario-specific checks. ``sc["name"]`` reads a tunable.
    """

    def __init__(self, name: str, doc: str, tunables: Mapping[str, Any], *, target: str,
                 out: Path, lab: Any, quick: bool = False, log: Callable[[str], None] | None = None,
                 tls: bool = False) -> None:
        self.name = name
        self.doc = doc
        self.tunables: dict[str, Any] = dict(tunables)
        self.target = target
        self.out = out
        self.lab = lab
        self.quick = quick
        #: ``--tls``: the bundled partners talk over STARTTLS and TLS (the test certificates).
        self.tls = tls
        self.expectations: list[Expectation] = []
        self.phases: list[dict[str, Any]] = []
        self.fleets: list[Any] = []
        self.pairs: list[Any] = []
        #: Extra keyword arguments for lab.check() (e.g. max_outage).
        self.check_options: dict[str, Any] = {}
        #: When set, the checker runs once per (label, captures) group and the reports are
        #: merged: for independent relationships whose servers the captures cannot tell
        #: apart (m-to-1 on loopback, where every server is ::1).
        self.check_groups: list[tuple[str, list[Path]]] | None = None
        self.started = time.time()
        self._log = log or (lambda line: print(line, flush=True))

    # -- tunables -------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        try:
            return self.tunables[key]
        except KeyError:
            raise KeyError(f"scenario {self.name} has no tunable '{key}' "
                           f"(tunables: {', '.join(sorted(self.tunables))})") from None

    def get(self, key: str, default: Any = None) -> Any:
        """A tunable, or ``default`` when the scenario has none of that name."""
        return self.tunables.get(key, default)

    @property
    def bundled(self) -> bool:
        """True for the bundled failover6d (RFC 8156 states and operator commands)."""
        return self.target == "bundled"

    # -- progress -------------------------------------------------------------------------

    def log(self, text: str) -> None:
        """Prints one progress line, prefixed with the time since the start."""
        self._log(f"[{time.time() - self.started:7.1f}s] {self.name}: {text}")

    def phase(self, text: str) -> None:
        """Starts a phase of the script: prints it and puts it on the report's timeline."""
        self.phases.append({"time": time.time(), "what": text})
        self.log(text)

    def hold(self, seconds: float, why: str = "") -> None:
        """Follows the script in time: lets ``seconds`` of traffic pass (no condition to wait
        for exists; the scenario's story is "after N seconds of traffic, ...")."""
        if seconds <= 0:
            return
        self.log(f"holding {seconds:g} s{': ' + why if why else ''}")
        time.sleep(seconds)

    def wait(self, what: str, condition: Callable[[], bool], timeout: float,
             interval: float = 0.25) -> bool:
        """Polls ``condition`` until it is true or ``timeout`` seconds have passed.

        :return: whether the condition became true (the caller decides what a timeout means).
        """
        deadline = time.monotonic() + timeout
        last_error = ""
        while True:
            try:
                if condition():
                    return True
                last_error = ""
            except Exception as e:  # a server being restarted may not answer yet: poll again
                last_error = f"{type(e).__name__}: {e}"
            left = deadline - time.monotonic()
            if left <= 0:
                self.log(f"gave up waiting for {what} after {timeout:g} s"
                         + (f" (last error: {last_error})" if last_error else ""))
                return False
            time.sleep(min(interval, left))

    # -- expectations ---------------------------------------------------------------------

    def expect(self, name: str, ok: bool, detail: str = "") -> bool:
        """Records a scenario-specific check; a failed one makes the verdict FAIL."""
        self.expectations.append(Expectation(name, bool(ok), detail))
        self.log(f"expect {name}: {'ok' if ok else 'FAILED'}{' (' + detail + ')' if detail else ''}")
        return bool(ok)

    def observe(self, name: str, detail: str) -> None:
        """Records an observation that does not count for the verdict (e.g. a vendor's state)."""
        self.expectations.append(Expectation(name, None, detail))
        self.log(f"observed {name}: {detail}")

    def state_of(self, server: Any, relationship: str | None = None) -> str:
        """The server's failover state, or "unknown (reason)" when it cannot be read."""
        try:
            if relationship is None:
                return str(server.state())
            return str(server.state(relationship))
        except Exception as e:
            return f"unknown ({e})"

    def expect_state(self, server: Any, state: str, timeout: float, *,
                     relationship: str | None = None, name: str | None = None) -> bool:
        """Waits for ``server`` to reach ``state`` (RFC 8156 spelling) and records it as an
        expectation. For targets other than the bundled server the state names differ, so
        the state reached is only observed, never judged."""
        label = name or f"{server.name} reached {state}"
        if not self.bundled:
            self.observe(label, f"state now {self.state_of(server, relationship)}")
            return True
        start = time.monotonic()
        try:
            if relationship is None:
                server.wait_state(state, timeout)
            else:
                server.wait_state(state, timeout, relationship=relationship)
            return self.expect(label, True, f"after {time.monotonic() - start:.1f} s")
        except Exception as e:
            return self.expect(label, False, f"state {self.state_of(server, relationship)} "
                               f"after {timeout:g} s ({type(e).__name__}: {e})")

    # -- lab building ---------------------------------------------------------------------

    def pair(self, **params: Any) -> Any:
        """A pair of the scenario's target with the lab's short lifetimes; ``params`` go to
        ``lab.pair`` (bundled-only ones are left out for other targets)."""
        params.setdefault("subnets", self.get("relays", 4))
        if self.tls:
            params.setdefault("tls", True)
        for key in ("mclt", "valid", "preferred", "t1", "t2"):
            if key in self.tunables and key not in params:
                params[key] = self.tunables[key]
        if not self.bundled:
            params = {k: v for k, v in params.items() if k not in _BUNDLED_ONLY}
        self.log(f"starting a {self.target} pair ({_kv(params)})")
        pair = self.lab.pair(self.target, **params)
        self.pairs.append(pair)
        return pair

    def fleet(self, servers: Any, *, clients: int | None = None, **options: Any) -> Any:
        """A fleet of emulated clients behind the scenario's relays, not yet started.

        ``clients`` defaults to the tunable "clients"; ``relays``, ``time_scale``, ``rate``
        and ``seed`` to their tunables when the scenario has them. The fleet's summary goes in
        the report."""
        n = int(clients if clients is not None else self["clients"])
        for key in ("relays", "time_scale", "rate", "seed"):
            if key in self.tunables and key not in options:
                options[key] = self.tunables[key]
        options.setdefault("seed", len(self.fleets) + 1)
        fleet = self.lab.fleet(servers, n, **options)
        self.fleets.append(fleet)
        return fleet

    def wait_bound(self, fleet: Any, n: int | None = None, timeout: float = 60.0,
                   name: str = "clients bound") -> bool:
        """Waits until ``n`` clients of ``fleet`` (default: all) are bound; an expectation."""
        want = int(n if n is not None else self["clients"])
        start = time.monotonic()
        try:
            fleet.wait_bound(want, timeout)
            return self.expect(name, True, f"{want} bound in {time.monotonic() - start:.1f} s")
        except Exception as e:
            got = _snapshot(fleet).get("clients_bound", "?")
            return self.expect(name, False, f"{got} of {want} bound after {timeout:g} s ({e})")

    def partner_down(self, server: Any, relationship: str | None = None) -> None:
        """The operator's partner-down command on ``server``. For targets other than the
        bundled server it is best effort (a vendor may lack it or refuse it): a refusal is
        recorded as an observation instead of ending the scenario."""
        try:
            if relationship is None:
                server.partner_down()
            else:
                server.partner_down(relationship)
        except Exception as e:
            if self.bundled:
                raise
            self.observe(f"partner-down on {server.name}", f"not done: {type(e).__name__}: {e}")

    def wait_synced(self, pair: Any, timeout: float = 60.0,
                    name: str = "lazy updates caught up (no queued BNDUPD)") -> bool:
        """Waits until no server of ``pair`` has a binding update queued behind the
        max-unacked window (RFC 8156 §6.1.2) or sent and not yet acknowledged, i.e. the
        partner has acknowledged every lease; recorded as an expectation. A failover script
        calls it before killing a server when its story is "the partner knew the leases": an
        update still in flight at the kill is lost, and the survivor in PARTNER-DOWN then
        rightly withdraws a lease it never heard of (a lease-stability violation the story
        did not intend). Over a slow link the prefix hand-over (FREE-BACKUP BNDUPDs) fills
        the window ahead of the clients' leases for seconds. The clients' renewals come in
        bursts, so the moment between two bursts when nothing is in flight is what this
        waits for. Bundled target only."""
        if not self.bundled:
            return True

        def pending() -> tuple[int, int]:
            queued = unacked = 0
            for server in pair.servers:
                for rel in server.status().get("relationships", []):
                    queued += int(rel.get("queued-updates", 0) or 0)
                    unacked += int(rel.get("unacked-updates", 0) or 0)
            return queued, unacked

        start = time.monotonic()
        ok = self.wait("the lazy updates to be acknowledged", lambda: pending() == (0, 0),
                       timeout, interval=0.05)
        left: str
        try:
            queued, unacked = pending()
            left = f"{queued} update(s) queued, {unacked} unacknowledged"
        except Exception as e:
            left = f"updates unknown ({e})"
        return self.expect(name, ok, f"after {time.monotonic() - start:.1f} s" if ok
                           else f"{left} after {timeout:g} s")

    def rejoin(self, server: Any, timeout: float = 30.0) -> bool:
        """Restarts ``server`` (storage intact) and waits until it has reconnected to its
        partner (RECOVER, RECOVER-WAIT, RECOVER-DONE, POTENTIAL-CONFLICT or NORMAL), without
        waiting out the MCLT of a full recovery. The partner's STATE messages then reach the
        partner-link capture, so the checker learns the PARTNER-DOWN it could not see while
        the link was down (quick runs end this way).

        The client fleets are stopped first: the rejoin only puts the states on the record,
        and a REPLY sent between the new CONNECT and the partner's first STATE would be judged
        against the state reported before the failure (the checker cannot know the state of
        a session before its first STATE)."""
        self.stop_fleets()
        self.phase(f"restarting {server.name}: it rejoins its partner")
        server.restart()
        joined = ("RECOVER", "RECOVER-WAIT", "RECOVER-DONE", "POTENTIAL-CONFLICT", "NORMAL",
                  "CONFLICT-DONE")
        if not self.bundled:
            self.wait(f"{server.name} to answer", lambda: not self.state_of(server).startswith(("(", "unknown")),
                      timeout)
            self.observe(f"{server.name} after the restart", f"state {self.state_of(server)}")
            return True
        ok = self.wait(f"{server.name} to rejoin", lambda: self.state_of(server) in joined, timeout)
        return self.expect(f"{server.name} rejoined its partner", ok, f"state {self.state_of(server)}")

    def expect_normal(self, pair: Any, timeout: float, name: str = "pair in NORMAL") -> bool:
        """Waits for ``pair.wait_normal`` (both sides in service) and records it."""
        start = time.monotonic()
        try:
            pair.wait_normal(timeout)
            return self.expect(name, True, f"after {time.monotonic() - start:.1f} s")
        except Exception as e:
            states = ", ".join(f"{s.name} {self.state_of(s)}" for s in getattr(pair, "servers", []))
            return self.expect(name, False, f"not after {timeout:g} s: {states} "
                               f"({type(e).__name__}: {e})")

    # -- the phases the scenarios share --------------------------------------------------

    def normal_pair(self, timeout: float = 60.0, **params: Any) -> Any:
        """:meth:`pair` with ``params``, then waits up to ``timeout`` seconds for it to be in
        service (``pair.wait_normal``; a timeout ends the scenario with an error)."""
        pair = self.pair(**params)
        self.phase("waiting for the pair to reach NORMAL")
        pair.wait_normal(timeout)
        return pair

    def bind_fleet(self, servers: Any, *, what: str | None = None, name: str = "clients bound",
                   **options: Any) -> Any:
        """Starts a :meth:`fleet` (``options`` as there) and waits for all its clients to bind
        (tunable "bind_timeout", 60 s without it), recorded as the expectation ``name``.
        ``what`` is the phase's text (default "binding N clients behind R relays")."""
        fleet = self.fleet(servers, **options).start()
        n = int(options.get("clients") or self["clients"])
        self.phase(what or f"binding {n} clients behind {self.get('relays', 4)} relays")
        self.wait_bound(fleet, n, timeout=float(self.get("bind_timeout", 60.0)), name=name)
        return fleet

    def fail_over(self, pair: Any, victim: Any, survivor: Any, *, partner_down: bool = True,
                  relationship: str | None = None, stop: bool = False, sync: bool = True,
                  sync_name: str | None = None, failure: str | None = None,
                  noticed: str | None = None, operator: str | None = None,
                  reached: str | None = None, down_timeout: float = 15.0) -> None:
        """The failover story most scenarios tell: waits for the lazy updates to catch up
        (``sync``; :meth:`wait_synced`, tunable "sync_timeout", 60 s without it), kills
        ``victim`` with SIGKILL (``stop``: shuts it down in order instead), waits for
        ``survivor`` to notice (COMMUNICATIONS-INTERRUPTED within tunable "detect_timeout")
        and, with ``partner_down``, has the operator declare PARTNER-DOWN on it and waits
        ``down_timeout`` seconds for that state. Each wait is an expectation; ``failure`` and
        ``operator`` are the phases' texts, ``noticed`` and ``reached`` the expectations'
        names, ``sync_name`` the sync expectation's (defaults: the hot-standby story's)."""
        if sync:
            timeout = float(self.get("sync_timeout", 60.0))
            if sync_name is None:
                self.wait_synced(pair, timeout)
            else:
                self.wait_synced(pair, timeout, name=sync_name)
        self.phase(failure or f"failure: kill -9 of the {victim.role}")
        if stop:
            victim.stop()
        else:
            victim.kill()
        self.expect_state(survivor, "COMMUNICATIONS-INTERRUPTED", float(self["detect_timeout"]),
                          relationship=relationship,
                          name=noticed or f"{survivor.role} noticed the failure "
                                          "(COMMUNICATIONS-INTERRUPTED)")
        if partner_down:
            self.phase(operator or f"operator: partner-down on the {survivor.role}")
            self.partner_down(survivor, relationship)
            self.expect_state(survivor, "PARTNER-DOWN", down_timeout, relationship=relationship,
                              name=reached or f"{survivor.role} reached PARTNER-DOWN")

    def recover(self, pair: Any, victim: Any, *, phase: str | None = None,
                name: str = "pair back in NORMAL after the restart") -> bool:
        """Brings ``victim`` back with its storage intact. With tunable "recover" true:
        restarts it, waits for the pair to return to NORMAL (tunable "recover_timeout"; the
        expectation ``name``) and lets tunable "after" seconds of traffic pass. Otherwise
        (quick runs) only :meth:`rejoin`, without waiting out the MCLT."""
        if not self.get("recover", True):
            return self.rejoin(victim)
        self.phase(phase or f"restarting the {victim.role} (storage intact)")
        victim.restart()
        ok = self.expect_normal(pair, float(self["recover_timeout"]), name=name)
        self.hold(float(self.get("after", 0.0)), "traffic after recovery")
        return ok

    def expect_in_state(self, servers: Iterable[Any], state: str, name: str,
                        observed: str | None = None) -> bool:
        """Judges that every server is in ``state`` now (no wait: the story says it must
        still be there), one expectation per server named ``name.format(server=NAME)``. For
        targets other than the bundled server the state is observed instead, under
        ``observed`` (same format; ``name`` when None)."""
        ok = True
        for server in servers:
            now = self.state_of(server)
            if self.bundled:
                ok = self.expect(name.format(server=server.name), now == state,
                                 f"state {now}") and ok
            else:
                self.observe((observed or name).format(server=server.name), now)
        return ok

    def finish(self, fleet: Any, timeout: float = 60.0) -> dict[str, Any]:
        """Stops ``fleet`` (if still running) and returns its summary."""
        return _finish_fleet(fleet, timeout)

    def expect_clients(self, summary: Mapping[str, Any], *, bound_pct: float | None = None,
                       max_changed: int | None = None, label: str = "") -> bool:
        """Judges a fleet summary: at least ``bound_pct`` percent of the clients ended bound
        (tunable "bound_pct" by default) and at most ``max_changed`` clients got a different
        address or prefix (tunable "max_leases_changed"; RFC 7031: a failover must not make
        clients change their leases)."""
        if "error" in summary:
            return self.expect(f"{label}fleet ran", False, str(summary["error"]))
        clients = int(summary.get("clients", 0) or 0)
        bound = int(summary.get("clients_bound", 0) or 0)
        changed = int(summary.get("leases_changed", 0) or 0)
        pct = float(self.get("bound_pct", 100.0) if bound_pct is None else bound_pct)
        limit = int(self.get("max_leases_changed", 0) if max_changed is None else max_changed)
        ok1 = self.expect(f"{label}clients bound at the end", clients > 0 and bound * 100.0 >= pct * clients,
                          f"{bound} of {clients} (need {pct:g}%)")
        ok2 = self.expect(f"{label}clients kept their leases", changed <= limit,
                          f"{changed} lease change(s), at most {limit} allowed")
        return ok1 and ok2

    def stop_fleets(self, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Stops every fleet still running and returns their summaries."""
        out = []
        for fleet in self.fleets:
            out.append(_finish_fleet(fleet, timeout))
        return out


# -- helpers ------------------------------------------------------------------------------


def _kv(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items())


def _snapshot(fleet: Any) -> dict[str, Any]:
    try:
        snap = fleet.snapshot()
        return dict(snap) if snap else {}
    except Exception:
        return {}


def _finish_fleet(fleet: Any, timeout: float) -> dict[str, Any]:
    summary = getattr(fleet, "summary", None)
    if summary:
        return dict(summary)
    try:
        if getattr(fleet, "running", False):
            fleet.stop()
        got = fleet.wait(timeout)
        return dict(got or getattr(fleet, "summary", None) or {})
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}


def _first_line(doc: str) -> str:
    for line in (doc or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_iso(text: str) -> float | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    return None


def _jsonable(value: Any) -> Any:
    """Makes lab objects (Paths, tuples, dataclasses) fit for json.dumps."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _events(lab: Any) -> list[dict[str, Any]]:
    out = []
    for e in getattr(lab, "events", None) or []:
        if isinstance(e, dict):
            out.append(_jsonable(e))
        elif isinstance(e, (tuple, list)) and len(e) >= 2:
            out.append({"time": e[0], "what": str(e[1])})
    out.sort(key=lambda e: e.get("time") or 0)
    return out


# -- reports ------------------------------------------------------------------------------


def _copy_pcaps(pcaps: Iterable[Path], out: Path) -> dict[str, str]:
    """Copies the captures into ``out``; returns old path -> new path."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for src in pcaps:
        src = Path(src)
        if not src.is_file():
            continue
        name = src.name
        if name in used or (out / name).resolve() == src.resolve():
            if (out / name).resolve() == src.resolve():
                mapping[str(src)] = str(src)
                used.add(name)
                continue
            name = f"{src.parent.name}-{src.name}"
            i = 2
            while name in used:
                name = f"{src.parent.name}-{i}-{src.name}"
                i += 1
        dst = out / name
        shutil.copyfile(src, dst)
        used.add(name)
        mapping[str(src)] = str(dst)
    return mapping


def _remap(report: dict[str, Any], mapping: Mapping[str, str]) -> None:
    """Rewrites the capture paths in a checker report to the copies in the output folder."""
    if not mapping:
        return

    def sub(s: str) -> str:
        for old, new in mapping.items():
            if s == old or s.startswith(old + ":"):
                return new + s[len(old):]
        return s

    if isinstance(report.get("files"), list):
        report["files"] = [sub(f) for f in report["files"]]
    for v in report.get("violations", []) or []:
        if isinstance(v.get("frames"), list):
            v["frames"] = [sub(f) for f in v["frames"]]
    for g in report.get("check_groups", []) or []:
        g["files"] = [sub(f) for f in g.get("files", [])]


def merge_reports(parts: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One checker report from several (label, report) made over disjoint groups of captures:
    counts summed, violations and servers concatenated (server names prefixed by the label),
    the worst verdict."""
    out: dict[str, Any] = {"files": [], "invariants": {}, "violations": [], "violations_total": 0,
                           "stats": {}, "servers": [], "check_groups": []}
    firsts, lasts = [], []
    longest_s, longest_client = 0.0, ""
    exit_code = 0
    for label, r in parts:
        exit_code = max(exit_code, int(r.get("exit_code", 0)))
        out["files"] += [f for f in r.get("files", []) if f not in out["files"]]
        for name, inv in (r.get("invariants") or {}).items():
            m = out["invariants"].setdefault(name, {"checked": 0, "violations": 0,
                                                    "applicable": False})
            m["checked"] += int(inv.get("checked", 0))
            m["violations"] += int(inv.get("violations", 0))
            m["applicable"] = bool(m["applicable"] or inv.get("applicable", True))
            if inv.get("note"):
                m["note"] = (m.get("note", "") + "; " if m.get("note") else "") + f"{label}: {inv['note']}"
        for v in r.get("violations", []) or []:
            out["violations"].append({**v, "detail": f"[{label}] {v.get('detail', '')}"})
        out["violations_total"] += int(r.get("violations_total", 0))
        for k, v in (r.get("stats") or {}).items():
            if isinstance(v, (int, float)):
                out["stats"][k] = out["stats"].get(k, 0) + v
        for sv in r.get("servers", []) or []:
            out["servers"].append({**sv, "name": f"{label}: {sv.get('name', '?')}"})
        cap = r.get("capture") or {}
        if cap.get("first"):
            firsts.append(cap["first"])
        if cap.get("last"):
            lasts.append(cap["last"])
        lo = r.get("longest_outage") or {}
        if float(lo.get("seconds", 0) or 0) > longest_s:
            longest_s, longest_client = float(lo["seconds"]), str(lo.get("client", ""))
        out["check_groups"].append({"label": label, "files": list(r.get("files", [])),
                                    "verdict": r.get("verdict", "fail" if r.get("exit_code") else "pass")})
    out["violations"].sort(key=lambda v: v.get("time_unix") or 0)
    first, last = (min(firsts) if firsts else ""), (max(lasts) if lasts else "")
    a, b = _parse_iso(first), _parse_iso(last)
    out["capture"] = {"first": first, "last": last,
                      "seconds": (b - a) if a is not None and b is not None else 0.0}
    out["longest_outage"] = {"seconds": longest_s, "client": longest_client}
    out["exit_code"] = exit_code
    out["verdict"] = "fail" if exit_code else "pass"
    return out


def verdict_of(check_report: Mapping[str, Any] | None, expectations: Sequence[Expectation],
               error: str | None) -> str:
    """"error" when the run failed, "fail" when an invariant or expectation failed, else
    "pass"."""
    if error is not None or check_report is None:
        return "error"
    if int(check_report.get("exit_code", 1 if check_report.get("verdict") == "fail" else 0)):
        return "fail"
    if any(e.ok is False for e in expectations):
        return "fail"
    return "pass"


def write_junit(report: Mapping[str, Any], path: Path) -> None:
    """JUnit XML: one test case per invariant and per expectation, class = the scenario."""
    name = str(report.get("scenario", "scenario"))
    cls = f"failover6.scenario.{name}"
    cases: list[str] = []
    failures = skipped = errors = 0
    violations = report.get("violations", []) or []
    for inv, r in (report.get("invariants") or {}).items():
        body = ""
        if not r.get("applicable", True):
            skipped += 1
            body = f"      <skipped message={_xml_attr(str(r.get('note', 'not applicable')))}/>\n"
        elif r.get("violations"):
            failures += 1
            lines = [f"{v.get('time', '')} {v.get('detail', '')} {{{', '.join(v.get('frames', []))}}}"
                     for v in violations if v.get("invariant") == inv][:200]
            body = (f"      <failure message={_xml_attr(str(r['violations']) + ' violation(s) in ' + str(r.get('checked', 0)) + ' checked')}"
                    f" type=\"violation\">{_xml_escape(chr(10).join(lines))}</failure>\n")
        note = f"checked {r.get('checked', 0)}" + (f"; {r['note']}" if r.get("note") else "")
        cases.append(f"    <testcase classname={_xml_attr(cls)} name={_xml_attr(str(inv))}>\n{body}"
                     f"      <system-out>{_xml_escape(note)}</system-out>\n    </testcase>\n")
    for e in report.get("expectations", []) or []:
        body = ""
        if e.get("ok") is None:
            skipped += 1
            body = f"      <skipped message={_xml_attr('observation: ' + str(e.get('detail', '')))}/>\n"
        elif not e.get("ok"):
            failures += 1
            body = (f"      <failure message={_xml_attr(str(e.get('detail', '')))} type=\"expectation\">"
                    f"{_xml_escape(str(e.get('detail', '')))}</failure>\n")
        cases.append(f"    <testcase classname={_xml_attr(cls)} name={_xml_attr('expect: ' + str(e.get('name')))}>\n"
                     f"{body}    </testcase>\n")
    if report.get("error"):
        errors += 1
        cases.append(f"    <testcase classname={_xml_attr(cls)} name=\"run\">\n      <error message="
                     f"{_xml_attr(str(report['error']).splitlines()[0] if report['error'] else '')}>"
                     f"{_xml_escape(str(report.get('traceback', report['error'])))}</error>\n    </testcase>\n")
    n = len(cases)
    text = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name={_xml_attr('failover6 ' + name)} "
            f"tests=\"{n}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name={_xml_attr(name)} "
            f"tests=\"{n}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{errors}\">\n"
            + "".join(cases) + "  </testsuite>\n</testsuites>\n")
    path.write_text(text, encoding="utf-8")


_STATE_COLORS = {
    "NORMAL": "#4caf50", "COMMUNICATIONS-INTERRUPTED": "#ff9800", "PARTNER-DOWN": "#e53935",
    "POTENTIAL-CONFLICT": "#8e24aa", "RESOLUTION-INTERRUPTED": "#8e24aa",
    "CONFLICT-DONE": "#5e35b1", "RECOVER": "#1e88e5", "RECOVER-WAIT": "#1e88e5",
    "RECOVER-DONE": "#1e88e5",
}

_EVENT_COLORS = {"kill": "#b71c1c", "partition": "#e65100", "blackhole": "#e65100",
                 "heal": "#1b5e20", "restart": "#0d47a1", "start": "#0d47a1",
                 "partner-down": "#6a1b9a", "partner_down": "#6a1b9a", "wipe": "#3e2723"}


#: Lab events that are bookkeeping rather than faults: drawn faint and only in the event lane.
_MINOR_EVENTS = ("pair", "fleet-start", "fleet-end", "check")


def _event_color(what: str) -> str:
    w = what.lower()
    if w in _MINOR_EVENTS:
        return "#b0bec5"
    for key, color in _EVENT_COLORS.items():
        if key in w:
            return color
    return "#37474f"


def _h(x: Any) -> str:
    return html.escape(str(x), quote=True)


def write_html(report: Mapping[str, Any], path: Path) -> None:
    """A self-contained page: verdict, tunables, invariants and expectations, and a timeline
    with the lab's fault events drawn across the checker's per-server timelines."""
    verdict = str(report.get("verdict", "error")).upper()
    name = str(report.get("scenario", "scenario"))
    events = list(report.get("events", []) or [])
    phases = list(report.get("phases", []) or [])
    servers = list(report.get("servers", []) or [])
    violations = list(report.get("violations", []) or [])
    cap = report.get("capture") or {}
    # The time axis covers the capture and every event.
    times = [t for t in (_parse_iso(cap.get("first", "")), _parse_iso(cap.get("last", ""))) if t]
    times += [float(e["time"]) for e in events + phases if isinstance(e.get("time"), (int, float))]
    for s in servers:
        times += [t for t in (_parse_iso(st.get("time", "")) for st in s.get("states", [])) if t]
    t0 = min(times) if times else 0.0
    t1 = max(times) if times else 1.0
    span = max(t1 - t0, 1e-3)
    width = 1000.0

    def x(t: float) -> float:
        return max(0.0, min(width, (t - t0) / span * width))

    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
    w(f"<title>{_h(name)}: {verdict}</title>\n<style>\n"
      "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1100px}"
      "h1 .PASS{color:#2e7d32}h1 .FAIL{color:#c62828}h1 .ERROR{color:#6a1b9a}"
      "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;"
      "text-align:left;font-size:90%;vertical-align:top}tr.fail td{background:#fdecea}"
      "tr.na td{color:#888}pre{background:#f5f5f5;padding:.6em;white-space:pre-wrap;font-size:85%}"
      "svg{background:#fafafa;border:1px solid #ddd}.legend span{display:inline-block;"
      "margin-right:1em;font-size:85%}.sw{display:inline-block;width:.9em;height:.9em;"
      "vertical-align:middle;margin-right:.3em}code{font-size:85%}\n</style></head><body>\n")
    w(f"<h1>{_h(name)}: <span class=\"{verdict}\">{verdict}</span></h1>\n")
    w(f"<p>target <b>{_h(report.get('target'))}</b> &middot; started {_h(report.get('started', ''))}"
      f" &middot; {float(report.get('duration_s', 0)):.1f} s &middot; checker: "
      f"{_h(report.get('check_verdict', '-'))} ({_h(report.get('violations_total', 0))} violation(s))"
      f"{' &middot; quick' if report.get('quick') else ''}</p>\n")
    if report.get("error"):
        w(f"<h2>Error</h2><pre>{_h(report.get('traceback') or report['error'])}</pre>\n")
    w(f"<pre>{_h(str(report.get('doc', '')).strip())}</pre>\n")
    if report.get("reproduce"):
        w("<p>The checker's verdict again, from the captures beside this report:</p>\n")
        for cmd in report["reproduce"]:
            w(f"<pre>{_h(cmd)}</pre>\n")
    w("<h2>Tunables</h2>\n<table><tr><th>name</th><th>value</th></tr>\n")
    for k, v in (report.get("tunables") or {}).items():
        w(f"<tr><td>{_h(k)}</td><td>{_h(v)}</td></tr>\n")
    w("</table>\n<h2>Invariants</h2>\n<table><tr><th>invariant</th><th>result</th><th>checked</th>"
      "<th>violations</th><th>note</th></tr>\n")
    for inv, r in (report.get("invariants") or {}).items():
        cls = "na" if not r.get("applicable", True) else ("fail" if r.get("violations") else "ok")
        res = "n/a" if cls == "na" else ("FAIL" if cls == "fail" else "ok")
        w(f"<tr class=\"{cls}\"><td>{_h(inv)}</td><td>{res}</td><td>{_h(r.get('checked', 0))}</td>"
          f"<td>{_h(r.get('violations', 0))}</td><td>{_h(r.get('note', ''))}</td></tr>\n")
    w("</table>\n<h2>Expectations</h2>\n")
    exps = report.get("expectations") or []
    if not exps:
        w("<p>None.</p>\n")
    else:
        w("<table><tr><th>expectation</th><th>result</th><th>detail</th></tr>\n")
        for e in exps:
            cls = "na" if e.get("ok") is None else ("ok" if e.get("ok") else "fail")
            res = "observed" if cls == "na" else ("ok" if cls == "ok" else "FAIL")
            w(f"<tr class=\"{cls}\"><td>{_h(e.get('name'))}</td><td>{res}</td>"
              f"<td>{_h(e.get('detail', ''))}</td></tr>\n")
        w("</table>\n")

    # Timeline: a lane of lab events and phases, then one lane per server; each event is a
    # vertical line through every lane, so a kill lines up with the states it caused.
    w("<h2>Timeline</h2>\n<div class=\"legend\">")
    for s in ("NORMAL", "COMMUNICATIONS-INTERRUPTED", "PARTNER-DOWN", "POTENTIAL-CONFLICT",
              "RECOVER", "CONFLICT-DONE"):
        w(f"<span><i class=\"sw\" style=\"background:{_STATE_COLORS[s]}\"></i>{s}</span>")
    w("<span><i class=\"sw\" style=\"background:#000;opacity:.35\"></i>outage</span>"
      "<span><i class=\"sw\" style=\"background:#c62828;border-radius:50%\"></i>violation</span>"
      "<span><i class=\"sw\" style=\"background:#37474f;width:.2em\"></i>lab event</span></div>\n")
    lane_h, label_w = 46, 150
    event_lane = 70
    height = event_lane + lane_h * max(len(servers), 1) + 24
    w(f"<svg width=\"{width + label_w + 20:.0f}\" height=\"{height}\" "
      f"viewBox=\"{-label_w} 0 {width + label_w + 20:.0f} {height}\" font-size=\"10\">\n")
    # Time axis ticks.
    step = _tick_step(span)
    k = 0
    while k * step <= span:
        tx = k * step / span * width
        w(f"<line x1=\"{tx:.1f}\" y1=\"{event_lane - 4}\" x2=\"{tx:.1f}\" y2=\"{height - 14}\" "
          f"stroke=\"#e0e0e0\"/><text x=\"{tx:.1f}\" y=\"{height - 3}\" text-anchor=\"middle\" "
          f"fill=\"#777\">{k * step:g}s</text>\n")
        k += 1
    w(f"<text x=\"{-label_w + 4}\" y=\"14\" fill=\"#333\">phases</text>"
      f"<text x=\"{-label_w + 4}\" y=\"44\" fill=\"#333\">lab events</text>\n")
    for i, p in enumerate(phases):
        px = x(float(p["time"]))
        w(f"<line x1=\"{px:.1f}\" y1=\"2\" x2=\"{px:.1f}\" y2=\"24\" stroke=\"#90a4ae\"/>"
          f"<text x=\"{px + 2:.1f}\" y=\"{10 + (i % 2) * 11}\" fill=\"#607d8b\"><title>{_h(_iso(p['time']))} "
          f"{_h(p['what'])}</title>{_h(_short(p['what'], 22))}</text>\n")
    for i, e in enumerate(events):
        if not isinstance(e.get("time"), (int, float)):
            continue
        ex = x(float(e["time"]))
        what = str(e.get("what", "?"))
        label = what + (f" {e['server']}" if e.get("server") else "")
        color = _event_color(what)
        bottom = event_lane - 4 if what in _MINOR_EVENTS else height - 14
        detail = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("time",))
        w(f"<line x1=\"{ex:.1f}\" y1=\"28\" x2=\"{ex:.1f}\" y2=\"{bottom}\" stroke=\"{color}\" "
          f"stroke-width=\"1.5\" stroke-dasharray=\"4,2\"><title>{_h(_iso(e['time']))} "
          f"{_h(detail)}</title></line><text x=\"{ex + 2:.1f}\" y=\"{40 + (i % 3) * 10}\" "
          f"fill=\"{color}\"><title>{_h(detail)}</title>{_h(_short(label, 24))}</text>\n")
    for si, s in enumerate(servers):
        y = event_lane + si * lane_h
        sname = str(s.get("name", "?"))
        w(f"<text x=\"{-label_w + 4}\" y=\"{y + 16}\" fill=\"#222\"><title>{_h(' '.join(s.get('addresses', [])))}"
          f"</title>{_h(_short(sname, 24))}</text><text x=\"{-label_w + 4}\" y=\"{y + 28}\" "
          f"fill=\"#777\">{_h(s.get('replies', 0))} answers</text>\n")
        states = [(t, st) for st in s.get("states", []) if (t := _parse_iso(st.get("time", "")))]
        for j, (t, st) in enumerate(states):
            a = x(t)
            b = x(states[j + 1][0]) if j + 1 < len(states) else width
            color = _STATE_COLORS.get(str(st.get("state")), "#9e9e9e")
            faint = ' opacity=".5"' if st.get("startup") else ""
            w(f"<rect x=\"{a:.1f}\" y=\"{y + 4}\" width=\"{max(b - a, 1):.1f}\" height=\"16\" "
              f"fill=\"{color}\"{faint}><title>"
              f"{_h(st.get('state'))}{' (STARTUP flag)' if st.get('startup') else ''} from "
              f"{_h(st.get('time'))}</title></rect>\n")
        for o in s.get("outages", []):
            oa, ob = _parse_iso(o.get("from", "")), _parse_iso(o.get("to", ""))
            if oa is None or ob is None:
                continue
            w(f"<rect x=\"{x(oa):.1f}\" y=\"{y + 22}\" width=\"{max(x(ob) - x(oa), 1):.1f}\" height=\"10\" "
              f"fill=\"#000\" opacity=\".35\"><title>no answer from {_h(o.get('from'))} to "
              f"{_h(o.get('to'))} ({_h(o.get('seconds'))} s)</title></rect>\n")
        marks = 0
        names = {sname, *s.get("addresses", [])}
        for v in violations:
            if not names.intersection(v.get("servers", [])):
                continue
            marks += 1
            if marks > 500:
                break
            tv = v.get("time_unix") or _parse_iso(v.get("time", ""))
            if tv is None:
                continue
            w(f"<circle cx=\"{x(float(tv)):.1f}\" cy=\"{y + 38}\" r=\"4\" fill=\"#c62828\"><title>"
              f"{_h(v.get('invariant'))} {_h(v.get('time'))}: {_h(v.get('detail'))}</title></circle>\n")
        w(f"<line x1=\"0\" y1=\"{y + lane_h - 2}\" x2=\"{width}\" y2=\"{y + lane_h - 2}\" stroke=\"#ccc\"/>\n")
    if not servers:
        w(f"<text x=\"4\" y=\"{event_lane + 20}\" fill=\"#777\">no server seen in the captures</text>\n")
    w("</svg>\n")

    w("<h2>Lab events</h2>\n")
    if not events:
        w("<p>None.</p>\n")
    else:
        w("<table><tr><th>time</th><th>+s</th><th>event</th><th>detail</th></tr>\n")
        for e in events:
            t = e.get("time")
            rest = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("time", "what"))
            ts = _iso(float(t)) if isinstance(t, (int, float)) else ""
            rel = f"{float(t) - t0:.1f}" if isinstance(t, (int, float)) else ""
            w(f"<tr><td>{_h(ts)}</td><td>{rel}</td><td>{_h(e.get('what'))}</td><td>{_h(rest)}</td></tr>\n")
        w("</table>\n")
    w("<h2>Violations</h2>\n")
    if not violations:
        w("<p>None.</p>\n")
    else:
        w("<table><tr><th>time</th><th>invariant</th><th>detail</th><th>frames</th></tr>\n")
        for v in violations[:2000]:
            w(f"<tr><td>{_h(v.get('time'))}</td><td>{_h(v.get('invariant'))}</td><td>"
              f"{_h(v.get('detail'))}</td><td><code>{_h(', '.join(v.get('frames', [])))}</code></td></tr>\n")
        w("</table>\n")
        if int(report.get("violations_total", 0)) > min(len(violations), 2000):
            w(f"<p>... and {int(report['violations_total']) - min(len(violations), 2000)} more.</p>\n")
    w("<h2>Client fleets</h2>\n")
    fleets = report.get("fleets") or []
    if not fleets:
        w("<p>None.</p>\n")
    else:
        w("<table><tr><th>#</th><th>clients</th><th>bound</th><th>leases changed</th><th>exchanges</th>"
          "<th>latency ms p50 / p99 / max</th><th>failures</th></tr>\n")
        for i, f in enumerate(fleets):
            lat = f.get("latency_ms") or {}
            w(f"<tr><td>{i + 1}</td><td>{_h(f.get('clients', ''))}</td><td>{_h(f.get('clients_bound', ''))}"
              f"</td><td>{_h(f.get('leases_changed', ''))}</td><td>{_h(f.get('exchanges', ''))}</td><td>"
              f"{_fmt(lat.get('p50'))} / {_fmt(lat.get('p99'))} / {_fmt(lat.get('max'))}</td>"
              f"<td>{_h(f.get('failures', f.get('error', '')))}</td></tr>\n")
        w("</table>\n")
    stats = report.get("stats") or {}
    files = report.get("files") or []
    w(f"<h2>Input</h2><p>{_h(stats.get('frames', 0))} frames, {_h(stats.get('dhcp6', 0))} DHCPv6 "
      f"messages, {_h(stats.get('failover', 0))} failover messages, "
      f"{_h(stats.get('leases_granted', 0))} leases granted. Captures:")
    for f in files:
        w(f" <code>{_h(Path(f).name)}</code>")
    w("</p>\n</body></html>\n")
    path.write_text("".join(out), encoding="utf-8")


def _fmt(v: Any) -> str:
    return f"{v:.2f}" if isinstance(v, (int, float)) else "-"


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def _tick_step(span: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if span / step <= 12:
            return float(step)
    return 7200.0


def build_report(sc: Scenario, check_report: dict[str, Any] | None, fleets: list[dict[str, Any]],
                 error: str | None, tb: str | None, pcaps: list[str]) -> dict[str, Any]:
    """The report.json contents (the checker's keys at the top level, then the scenario's)."""
    report: dict[str, Any] = dict(check_report or {})
    report["check_verdict"] = (check_report or {}).get("verdict", "none")
    report.update({
        "scenario": sc.name,
        "summary": _first_line(sc.doc),
        "doc": sc.doc.strip(),
        "target": sc.target,
        "tls": sc.tls,
        "quick": sc.quick,
        "tunables": _jsonable(sc.tunables),
        "started": _iso(sc.started),
        "duration_s": round(time.time() - sc.started, 3),
        "events": _events(sc.lab) if sc.lab is not None else [],
        "phases": [_jsonable(p) for p in sc.phases],
        "fleets": _jsonable(fleets),
        "expectations": [_jsonable(asdict(e)) for e in sc.expectations],
        "pcaps": pcaps,
    })
    report["verdict"] = verdict_of(check_report, sc.expectations, error)
    if error is not None:
        report["error"] = error
        report["traceback"] = tb or ""
    return report


# -- main ---------------------------------------------------------------------------------


def _scenario_name(run: Callable[..., Any]) -> str:
    mod = sys.modules.get(getattr(run, "__module__", ""), None)
    file = getattr(mod, "__file__", None) or sys.argv[0]
    return Path(file).stem


#: Environment variable with plugins to import before the lab is built (colon-separated, each
#: as ``--plugin``).
PLUGINS_ENV = "FAILOVER6_PLUGINS"


def load_plugin(spec: str) -> ModuleType:
    """Imports one vendor plugin: a ``.py`` file (a path, relative to the working directory)
    or a dotted module on ``sys.path``. A plugin registers its targets when imported
    (``failover6.lab.register_target(name, factory)``).

    :raises ScenarioError: the plugin cannot be found or raised while being imported; the
        message names the plugin and the cause.
    """
    spec = spec.strip()
    if not spec:
        raise ScenarioError("plugin '': an empty name")
    is_file = spec.endswith(".py") or os.sep in spec
    try:
        if is_file:
            path = Path(spec).expanduser().resolve()
            if not path.is_file():
                raise ScenarioError(f"plugin {spec}: no such file ({path})")
            stem = "".join(c if c.isalnum() else "_" for c in path.stem)
            modname = f"failover6_plugin_{stem}_{zlib.crc32(str(path).encode()):08x}"
            if modname in sys.modules:  # named twice (--plugin and the environment)
                return sys.modules[modname]
            loader_spec = importlib.util.spec_from_file_location(modname, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ScenarioError(f"plugin {spec}: not a Python module")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[modname] = module
            try:
                loader_spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(modname, None)
                raise
            return module
        return importlib.import_module(spec)
    except ScenarioError:
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # ImportError, SyntaxError, whatever the module raised, SystemExit
        where = ""
        tb = traceback.extract_tb(e.__traceback__)
        if tb:
            where = f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
        raise ScenarioError(f"plugin {spec} failed to load: {type(e).__name__}: {e}{where}") from None


def plugin_specs(args: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """The plugins to load: those of $FAILOVER6_PLUGINS (colon-separated), then ``args``
    (``--plugin``, in order), each once."""
    env = os.environ if env is None else env
    out: list[str] = []
    for spec in [*env.get(PLUGINS_ENV, "").split(":"), *args]:
        spec = spec.strip()
        if spec and spec not in out:
            out.append(spec)
    return out


def target_topology(target: str, factory: Any) -> str:
    """The lab topology a target needs: the factory's ``lab_topology`` attribute when it has
    one ("loopback": unprivileged, or "netns": network namespaces, root), else the built-in
    table (kea: netns), else loopback."""
    topo = getattr(factory, "lab_topology", None)
    if topo is None:
        topo = TOPOLOGY.get(target, "loopback")
    if topo not in ("loopback", "netns"):
        raise ScenarioError(f"target {target}: lab_topology {topo!r} is not 'loopback' or 'netns'")
    return str(topo)


def _resolve_target(target: str) -> str:
    """Checks that ``target`` is registered (after the plugins) and returns its topology."""
    try:
        from . import lab as lab_mod
    except ImportError as e:
        raise ScenarioError(f"the lab (failover6.lab) is not available: {e}") from None
    known = lab_mod.targets()
    if target not in known:
        raise ScenarioError(f"unknown target '{target}' (known: {', '.join(known)}; a vendor "
                            f"adapter registers its own with --plugin or ${PLUGINS_ENV})")
    factory = lab_mod.target_factory(target)
    return target_topology(target, factory)


def _parser(name: str, doc: str, defaults: Mapping[str, Any]) -> argparse.ArgumentParser:
    tun = "\n".join(f"  {k} = {v!r}" for k, v in defaults.items())
    p = argparse.ArgumentParser(
        prog=name, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(doc or "").strip(),
        epilog=f"tunables (--set key=value):\n{tun}\n\nexit: 0 every invariant held, 1 one did "
               "not, 2 the scenario could not run")
    p.add_argument("--target", default="bundled",
                   help="the servers under test: bundled (failover6d, loopback), kea (Kea 2.2 "
                        "HA in network namespaces, root) or any target a plugin registers")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                   help="import a vendor plugin (a .py file or a dotted module) before the lab "
                        f"is built (repeatable; also ${PLUGINS_ENV}, colon-separated)")
    p.add_argument("--topology", choices=("loopback", "netns"), default=None,
                   help="override the lab topology (default: the target's: loopback for "
                        "bundled, netns for kea, a plugin's lab_topology)")
    p.add_argument("--out", default=None, help="output folder (default: a new temporary folder)")
    p.add_argument("--clients", type=int, default=None, help="number of emulated clients")
    p.add_argument("--relays", type=int, default=None, help="number of relays (and subnets)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="set a tunable (repeatable)")
    p.add_argument("--quick", action="store_true", help="test-sized run (well under a minute)")
    p.add_argument("--tls", action="store_true",
                   help="bundled target: the partners talk over STARTTLS and TLS 1.3 with the "
                        "test certificates of ci/make_test_certs")
    p.add_argument("--keep", action="store_true", help="keep the lab's working folder")
    return p


def _tunables(args: argparse.Namespace, defaults: Mapping[str, Any],
              quick: Mapping[str, Any] | None) -> dict[str, Any]:
    tun = dict(defaults)
    if args.quick and quick:
        for k, v in quick.items():
            if k not in tun:
                raise ScenarioError(f"QUICK sets '{k}', which is not a tunable")
            tun[k] = v
    for item in args.set:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(f"--set '{item}' is not KEY=VALUE")
        if key not in tun:
            raise ScenarioError(f"unknown tunable '{key}' (tunables: {', '.join(sorted(tun))})")
        try:
            tun[key] = parse_tunable(text, defaults[key])
        except ValueError as e:
            raise ScenarioError(f"--set {key}: {e}") from None
    for key in ("clients", "relays"):
        val = getattr(args, key)
        if val is not None:
            if key not in tun:
                raise ScenarioError(f"this scenario has no tunable '{key}'")
            tun[key] = val
    for key in ("clients", "relays"):
        if key in tun and (not isinstance(tun[key], int) or tun[key] < 1):
            raise ScenarioError(f"{key} must be a positive integer, not {tun[key]!r}")
    return tun


def main(run: Callable[[Scenario], Any], defaults: Mapping[str, Any], doc: str | None, *,
         quick: Mapping[str, Any] | None = None, argv: Sequence[str] | None = None,
         name: str | None = None) -> int:
    """Runs a scenario script from the command line; returns the exit code (0, 1 or 2).

    :param run: the scenario's ``run(sc)``.
    :param defaults: its tunables with their default values (the types of ``--set``).
    :param doc: its docstring (the help text and the report's description).
    :param quick: the tunables ``--quick`` overrides (test-sized runs).
    """
    name = name or _scenario_name(run)
    doc = doc or ""
    parser = _parser(name, doc, defaults)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors, 0 for --help
        return int(e.code or 0)
    try:
        tunables = _tunables(args, defaults, quick)
        for spec in plugin_specs(args.plugin):
            load_plugin(spec)
        target_topo = _resolve_target(args.target)
    except ScenarioError as e:
        print(f"{name}: {e}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix=f"failover6-{name}-"))
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        print(f"{name}: cannot write to --out {out}: {e}", file=sys.stderr)
        return 2
    out = out.resolve()
    topology = args.topology or target_topo

    if args.tls and args.target != "bundled":
        print(f"{name}: --tls applies to the bundled target only (a vendor's pair is "
              "configured by its adapter)", file=sys.stderr)
        return 2
    sc = Scenario(name, doc, tunables, target=args.target, out=out, lab=None, quick=args.quick,
                  tls=args.tls)
    sc.log(f"target {args.target} ({topology}), output {out}"
           f"{', quick' if args.quick else ''}; {_kv(tunables)}")
    error: str | None = None
    tb: str | None = None
    check_report: dict[str, Any] | None = None
    fleets: list[dict[str, Any]] = []
    pcaps: list[str] = []
    lab = None
    try:
        try:
            from .lab import Lab, check_command
        except ImportError as e:
            raise ScenarioError(f"the lab (failover6.lab) is not available: {e}") from None
        lab = Lab(None, topology=topology, keep=args.keep, log=sc.log)
        sc.lab = lab
        try:
            sc.phase("running")
            run(sc)
        except KeyboardInterrupt:
            error = "interrupted"
            tb = "interrupted by the user"
        except BaseException as e:  # SystemExit too: the report must still be written
            error = f"{type(e).__name__}: {e}"
            tb = traceback.format_exc()
            sc.log(f"ERROR {error}")
        sc.phase("stopping the client fleets and the servers")
        fleets = sc.stop_fleets()
        for pair in list(getattr(lab, "pairs", [])):
            try:  # closes the partner-link proxies too, so their captures are complete
                pair.stop()
            except Exception as e:
                sc.log(f"stopping {getattr(pair, 'name', 'a pair')}: {type(e).__name__}: {e}")
        sc.phase("checking the captures")
        try:
            mapping = _copy_pcaps([Path(p) for p in lab.pcaps()], out)
            pcaps = sorted(set(mapping.values()))
            if not pcaps:
                raise ScenarioError("the lab wrote no capture")
            # What the checker reads: the groups a scenario chose, or every capture as the lab
            # prepares it (on loopback, copies with each server's ::1 relabeled). Those copies
            # go to DIR/checked, so that the report's evidence and the command that reproduces
            # the verdict point into DIR.
            groups: list[tuple[str | None, list[Path]]] = (
                [(label, [Path(f) for f in files]) for label, files in sc.check_groups]
                if sc.check_groups else [(None, [Path(p) for p in lab.check_pcaps()])])
            extra = [f for _, files in groups for f in files if str(f) not in mapping]
            if extra:
                (out / "checked").mkdir(exist_ok=True)
                mapping.update(_copy_pcaps(extra, out / "checked"))
            parts = []
            reproduce = []
            for label, files in groups:
                result = lab.check(files=files, **sc.check_options)
                parts.append((label or "", dict(result.report)))
                argv = check_command([mapping.get(str(f), str(f)) for f in files],
                                     lab.check_options(**sc.check_options))
                reproduce.append(" ".join(shlex.quote(a) for a in argv))
            check_report = merge_reports(parts) if sc.check_groups else parts[0][1]
            _remap(check_report, mapping)
            check_report["reproduce"] = reproduce
        except Exception as e:
            if error is None:
                error = f"trace check failed: {type(e).__name__}: {e}"
                tb = traceback.format_exc()
            sc.log(f"ERROR {type(e).__name__}: {e}")
    except KeyboardInterrupt:
        if error is None:
            error, tb = "interrupted", "interrupted by the user"
    except Exception as e:
        if error is None:  # the scenario's own error is the one to report
            error = f"{type(e).__name__}: {e}"
            tb = traceback.format_exc()
        sc.log(f"ERROR {type(e).__name__}: {e}")
    finally:
        if lab is not None:
            try:
                lab.close()
            except Exception as e:
                sc.log(f"lab teardown: {type(e).__name__}: {e}")
                if error is None:
                    error = f"lab teardown failed: {type(e).__name__}: {e}"
                    tb = traceback.format_exc()
    report = build_report(sc, check_report, fleets, error, tb, pcaps)
    try:
        (out / "report.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        write_html(report, out / "report.html")
        write_junit(report, out / "junit.xml")
    except OSError as e:
        print(f"{name}: cannot write the report in {out}: {e}", file=sys.stderr)
        return 2
    verdict = report["verdict"].upper()
    held = sum(1 for r in (check_report or {}).get("invariants", {}).values()
               if r.get("applicable", True) and not r.get("violations"))
    broken = sorted(n for n, r in (check_report or {}).get("invariants", {}).items() if r.get("violations"))
    failed = [e.name for e in sc.expectations if e.ok is False]
    why = ""
    if verdict == "PASS":
        why = f"every invariant held ({held} checked), {sum(1 for e in sc.expectations if e.ok)} expectation(s) met"
    elif verdict == "FAIL":
        reasons = []
        if broken:
            reasons.append("violated: " + ", ".join(broken))
        if failed:
            reasons.append("unmet: " + "; ".join(failed))
        why = " / ".join(reasons)
    else:
        why = error or "no check result"
    print(f"{name}: {verdict} ({why})", flush=True)
    print(f"{name}: report {out / 'report.html'}", flush=True)
    return {"PASS": 0, "FAIL": 1}.get(verdict, 2)
