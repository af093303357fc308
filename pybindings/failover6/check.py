"""Trace checking: prove lease safety from pcap traces (the C++ checker of toolkit/check).

:func:`check` runs every invariant of DESIGN.md over one or more captures, merged by time, and
returns a :class:`CheckResult`; it is what ``failover6 check`` runs. Example::

    from failover6.check import check
    result = check("primary.pcap", "secondary.pcap")
    assert result.ok, result.summary()

A missing or unreadable capture raises :class:`TraceError` (a ``ValueError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike, fspath
from typing import Any, Union

from . import _core

__all__ = ["INVARIANTS", "CheckResult", "TraceError", "Violation", "check"]

TraceError = _core.TraceError

#: The invariant names, as reports spell them.
INVARIANTS: tuple[str, ...] = tuple(_core.invariant_names())

_Path = Union[str, "PathLike[str]"]


@dataclass(frozen=True)
class Violation:
    """One broken invariant with its evidence (frames are ``"file:frame"``)."""

    invariant: str
    time: str
    detail: str
    clients: list[str] = field(default_factory=list)
    leases: list[str] = field(default_factory=list)
    servers: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    transactions: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CheckResult:
    """The verdict. ``report`` is the JSON report of ``failover6 check --json`` as a dict."""

    report: dict[str, Any]

    @property
    def exit_code(self) -> int:
        """0 when no invariant was violated, 1 otherwise (as ``failover6 check``)."""
        return int(self.report["exit_code"])

    @property
    def ok(self) -> bool:
        """True when no invariant was violated."""
        return self.exit_code == 0

    @property
    def invariants(self) -> dict[str, dict[str, Any]]:
        """Invariant name -> {"checked", "violations", "applicable", "note"?}."""
        inv: dict[str, dict[str, Any]] = self.report["invariants"]
        return inv

    @property
    def violated(self) -> set[str]:
        """Names of the invariants with at least one violation."""
        return {n for n, r in self.invariants.items() if r["violations"]}

    @property
    def violations(self) -> list[Violation]:
        """The violations kept in the report (the first 10,000), in time order."""
        keys = ("invariant", "time", "detail", "clients", "leases", "servers", "frames",
                "transactions")
        return [Violation(**{k: v[k] for k in keys if k in v}) for v in self.report["violations"]]

    @property
    def timeline(self) -> list[dict[str, Any]]:
        """The lease events (only when check(..., timeline=True))."""
        t: list[dict[str, Any]] = self.report.get("timeline", [])
        return t

    def summary(self) -> str:
        """A short readable verdict: one line per invariant and the first violations."""
        lines = [f"failover6 check: {'PASS' if self.ok else 'FAIL'}"]
        for name, r in self.invariants.items():
            state = "n/a" if not r["applicable"] else ("FAIL" if r["violations"] else "ok")
            lines.append(f"  {name:<24} {state:<5} checked {r['checked']} "
                         f"violations {r['violations']}")
        for v in self.violations[:10]:
            lines.append(f"  [{v.invariant}] {v.time} {v.detail}")
        stats = self.report.get("stats", {})
        if stats.get("tls_streams"):
            lines.append(f"  note: {stats['tls_streams']} failover stream direction(s) switched "
                         "to TLS after STARTTLS; what they carried is not visible, so "
                         "failover-wire, mclt-bound and state-legality judge only what went "
                         "in clear")
        if stats.get("streams_lost") or stats.get("resyncs") or stats.get("truncated_files"):
            lines.append(f"  note: {stats.get('streams_lost', 0)} failover stream gap(s), "
                         f"{stats.get('resyncs', 0)} resynchronisation(s), "
                         f"{stats.get('truncated_files', 0)} truncated file(s)")
        return "\n".join(lines)


def check(*files: _Path, mclt: int = 0, max_outage: float = 0.0, skew: float = 5.0,
          dedup_window: float = 0.5, udp_ports: tuple[int, ...] = (546, 547),
          failover_ports: tuple[int, ...] = (647,), timeline: bool = False) -> CheckResult:
    """Checks every invariant over ``files`` (pcap or pcapng), merged by capture time.

    :param mclt: MCLT in seconds for mclt-bound (0: taken from CONNECT in the capture).
    :param max_outage: seconds; a longer client outage is a service-continuity violation.
    :param skew: failover sent-time tolerance in seconds (0: not checked).
    :param dedup_window: seconds within which the same datagram from two files is one.
    :param timeline: also return the lease timeline (memory grows with the capture).
    :raises TraceError: a file is missing or not a capture.
    :raises ValueError: no file, or a negative tolerance.
    """
    report = _core.check([fspath(f) for f in files], mclt=mclt, max_outage=max_outage,
                         skew=skew, dedup_window=dedup_window, udp_ports=list(udp_ports),
                         failover_ports=list(failover_ports), timeline=timeline)
    return CheckResult(report)
