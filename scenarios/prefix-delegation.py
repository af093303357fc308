#!/usr/bin/env python3
"""Prefix delegation through normal service, a failure and recovery (RFC 7031 §6, requirement 5).

RFC 7031 requires a DHCPv6 failover protocol to cover prefix delegation, not only addresses
(requirement 5 of its list in §6). RFC 8156 splits the delegable prefixes proportionally: the
secondary asks for its share with POOLREQ and the primary hands it FREE-BACKUP prefixes in
BNDUPDs (§4.2.2). This scenario runs a fleet of requesting routers that ask for an address and
a delegated prefix each (IA_NA + IA_PD), lets the secondary receive its share, kills the
primary, has the operator declare PARTNER-DOWN on the secondary, which must keep renewing the
delegated prefixes and delegate new ones from its own share to routers that arrive during the
outage, then restarts the primary and waits for NORMAL (quick runs only wait for it to rejoin its
partner).

What must hold: every trace invariant, in particular that no prefix (or overlapping prefix)
is ever delegated to two routers and that the secondary delegates, outside PARTNER-DOWN, only
prefixes it received as FREE-BACKUP; the secondary reaches PARTNER-DOWN; the routers end bound
with their prefixes.
"""

from __future__ import annotations

import sys

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 300,
    "relays": 4,
    "time_scale": 2.0,
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 300.0,
    "before": 15.0,
    "late_clients": 50,         # routers that first appear during the outage
    "outage": 25.0,
    "recover": True,
    "after": 10.0,
    "detect_timeout": 45.0,
    "recover_timeout": 120.0,
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 40, "late_clients": 10, "before": 3.0, "outage": 6.0, "recover": False,
         "after": 0.0}


def run(sc: Scenario) -> None:
    pair = sc.normal_pair(pd=True)
    fleet = sc.bind_fleet(pair, na=True, pd=True,
                          what=f"binding {sc['clients']} requesting routers (IA_NA + IA_PD)")
    sc.hold(sc["before"], "delegations renewed; the secondary holds its FREE-BACKUP share")

    sc.fail_over(pair, pair.primary, pair.secondary)
    late = None
    if sc["late_clients"] > 0:
        sc.phase(f"{sc['late_clients']} new routers ask for prefixes during the outage")
        late = sc.fleet(pair, clients=sc["late_clients"], na=True, pd=True).start()
    sc.hold(sc["outage"], "the secondary renews and delegates alone")

    sc.recover(pair, pair.primary)
    sc.expect_clients(sc.finish(fleet))
    if late is not None:
        sc.expect_clients(sc.finish(late), label="late ")


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
