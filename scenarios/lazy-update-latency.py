#!/usr/bin/env python3
"""Lazy updates keep the partner link out of the clients' latency (RFC 7031 §6, requirement 6).

RFC 7031 requires that failover not slow down the answers to clients (requirement 6 of its
list in §6); RFC 8156 meets it with lazy updates: the server answers the client first and
sends the binding update to its partner afterwards, so a slow partner link must not show in
the client's latency (the MCLT bounds what the partner may not know yet). This scenario
measures a fleet's exchange latency twice on the same pair: once with a fast partner link
(baseline) and once with every byte of the partner link delayed by `delay` seconds, with a
fresh set of clients each time (so each run makes new leases and BNDUPDs).

What must hold: every trace invariant over both runs (the lazy-update consistency invariant
checks that each new lease still reaches the partner); the p99 latency with the slow link
exceeds the baseline p99 by less than `max_increase` of the link delay (a server that waited
for BNDREPLY before answering would add a full round trip, 2 x delay); the pair stays in
NORMAL; every client binds.
"""

from __future__ import annotations

import sys
from typing import Any

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 1000,
    "relays": 4,
    "time_scale": 1.0,
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 200.0,              # clients started per second (a steady load)
    "duration": 20.0,           # seconds per measurement
    "delay": 0.5,               # seconds added to the partner link, each direction
    "max_increase": 0.5,        # allowed p99 increase, as a fraction of `delay`
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 150, "rate": 100.0, "duration": 4.0, "delay": 0.3}


def measure(sc: Scenario, pair: Any, label: str, seed: int) -> dict[str, Any]:
    fleet = sc.bind_fleet(pair, seed=seed, what=f"{label}: binding {sc['clients']} new clients",
                          name=f"{label}: clients bound")
    sc.hold(sc["duration"], f"{label} measurement")
    summary = sc.finish(fleet)
    lat = summary.get("latency_ms") or {}
    sc.observe(f"{label} latency",
               f"p50 {lat.get('p50', 0):.2f} ms, p99 {lat.get('p99', 0):.2f} ms, "
               f"max {lat.get('max', 0):.2f} ms over {summary.get('exchanges', 0)} exchanges")
    sc.expect_clients(summary, label=f"{label}: ")
    return summary


def run(sc: Scenario) -> None:
    pair = sc.normal_pair()
    sc.phase("baseline: fast partner link")
    base = measure(sc, pair, "baseline", seed=1)

    sc.phase(f"partner link delayed by {sc['delay']:g} s each way")
    pair.delay(sc["delay"])
    slow = measure(sc, pair, "slow link", seed=2)
    sc.expect_in_state(pair.servers, "NORMAL", "{server} stayed in NORMAL",
                       observed="{server} state with the slow link")

    if not (base.get("latency_ms") or {}).get("p99") or not (slow.get("latency_ms") or {}).get("p99"):
        sc.expect("p99 latency unaffected by the partner-link delay", False,
                  "no latency measured (baseline "
                  f"{base.get('exchanges', 0)}, slow link {slow.get('exchanges', 0)} exchanges)")
        return
    p99_base = float(base["latency_ms"]["p99"])
    p99_slow = float(slow["latency_ms"]["p99"])
    allowed = sc["max_increase"] * sc["delay"] * 1000.0
    ratio = p99_slow / p99_base if p99_base > 0 else float("inf")
    sc.expect("p99 latency unaffected by the partner-link delay",
              p99_slow - p99_base < allowed,
              f"p99 {p99_base:.2f} ms -> {p99_slow:.2f} ms (ratio {ratio:.2f}); increase "
              f"{p99_slow - p99_base:.2f} ms, allowed < {allowed:.0f} ms "
              f"({sc['max_increase']:g} x {sc['delay'] * 1000:.0f} ms link delay)")


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
