#!/usr/bin/env python3
"""Distant partners: a slow partner link, then a failover across it (RFC 7031 §4.2).

RFC 7031 §4.2 places the two partners far apart (different sites, so that one disaster
cannot take both), which makes the link between them slow. This scenario delays every byte of
the partner link by `delay` seconds in each direction from the start, binds and serves a fleet
with the lazy updates crossing the slow link, then, once the lazy updates have caught up, kills the primary
and has the operator declare PARTNER-DOWN on the distant secondary, which must carry on with
what the delayed updates told it; at the end the primary rejoins.

What must hold: every trace invariant (the MCLT bound is what makes the late updates safe);
the pair reaches and keeps NORMAL with the delay (a delay below the keepalive is not a
failure); the secondary reaches PARTNER-DOWN after the command; the clients keep their leases.
"""

from __future__ import annotations

import sys

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 500,
    "relays": 4,
    "time_scale": 2.0,
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 500.0,
    "delay": 0.25,              # seconds added to the partner link, each direction
    "during": 20.0,             # seconds of traffic over the slow link
    "failover": True,           # kill the primary, partner-down on the secondary
    "outage": 20.0,             # seconds the secondary serves alone
    "sync_timeout": 60.0,       # seconds for the lazy updates to catch up before the kill
    "bind_timeout": 60.0,
    "detect_timeout": 45.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "during": 5.0, "outage": 5.0}


def run(sc: Scenario) -> None:
    pair = sc.pair()
    sc.phase(f"partner link delayed by {sc['delay']:g} s each way")
    pair.delay(sc["delay"])
    pair.wait_normal(60)
    fleet = sc.bind_fleet(pair)
    sc.hold(sc["during"], "lazy updates cross the slow link")
    sc.expect_in_state(pair.servers, "NORMAL", "{server} stayed in NORMAL over the slow link",
                       observed="{server} state over the slow link")

    if sc["failover"]:
        sc.fail_over(pair, pair.primary, pair.secondary,
                     sync_name="lazy updates caught up over the slow link",
                     operator="operator: partner-down on the distant secondary")
        sc.hold(sc["outage"], "the secondary serves alone")
        sc.rejoin(pair.primary)
    sc.expect_clients(sc.finish(fleet))


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
