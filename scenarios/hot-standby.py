#!/usr/bin/env python3
"""Hot standby with a server failure (RFC 7031 §4.1 and §5.1.1).

RFC 7031 §4.1 describes the hot-standby model: the primary serves every client while the
secondary holds a copy of every lease, ready to take over; §5.1.1 is the failure that model is
for: the server that answers the clients dies. This scenario brings up a pair, binds a fleet
of clients behind relays, kills the primary with SIGKILL in the middle of the traffic, has the
operator declare PARTNER-DOWN on the secondary (RFC 8156 §8.4.1; a no-op for vendors without
that command), keeps the clients renewing and rebinding against the secondary alone, then
restarts the primary with its storage intact, waits until the pair is back in service (RECOVER,
UPDREQ, RECOVER-WAIT for the MCLT, NORMAL) and runs more traffic (quick runs only wait for the
primary to rejoin its partner).

What must hold: every trace invariant (no address or prefix held by two clients at once, the
MCLT bound, legal state sequences, ...); the secondary notices the failure and reaches
PARTNER-DOWN after the command; the pair returns to NORMAL after the restart; the clients end
bound and keep their addresses and prefixes across the failover.
"""

from __future__ import annotations

import sys

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 500,            # emulated clients
    "relays": 4,               # relays, one subnet each
    "time_scale": 2.0,         # client timers run this much faster (renewals within a minute)
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 500.0,             # clients started per second
    "before": 15.0,            # seconds of traffic before the failure
    "outage": 30.0,            # seconds the secondary serves alone
    "after": 15.0,             # seconds of traffic after recovery
    "partner_down": True,      # the operator declares PARTNER-DOWN on the secondary
    "recover": True,           # restart the primary and wait for NORMAL
    "detect_timeout": 30.0,    # seconds for the secondary to notice the failure
    "recover_timeout": 120.0,  # seconds for the pair to return to NORMAL
    "bind_timeout": 60.0,      # seconds for every client to bind
    "bound_pct": 99.0,         # percent of clients that must end bound
    "max_leases_changed": 0,   # clients allowed to end with a different lease
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "before": 3.0, "outage": 6.0, "after": 0.0, "recover": False}


def run(sc: Scenario) -> None:
    pair = sc.normal_pair()
    fleet = sc.bind_fleet(pair)
    sc.hold(sc["before"], "traffic before the failure")

    sc.fail_over(pair, pair.primary, pair.secondary, partner_down=sc["partner_down"])
    sc.hold(sc["outage"], "clients renew and rebind against the secondary alone")
    sc.recover(pair, pair.primary)
    sc.expect_clients(sc.finish(fleet))


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
