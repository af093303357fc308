#!/usr/bin/env python3
"""Long-lived clients through several failovers (RFC 7031 §4.6).

RFC 7031 §4.6 is about clients that stay on the network for a long time: their leases are
renewed over and over, across every failure and recovery of the servers, and they must keep
the same addresses and prefixes throughout. This scenario binds one fleet of clients and keeps
it renewing (short lifetimes, time_scale) while the script runs a list of faults one after the
other, each followed by a return to NORMAL:

- kill-primary / kill-secondary: kill -9, partner-down on the survivor, restart with storage,
  recovery (RECOVER, RECOVER-WAIT for the MCLT, NORMAL);
- pause-primary / pause-secondary: SIGSTOP for `pause` seconds (longer than the keepalive),
  then SIGCONT;
- partition: the partner link blackholed for `pause` seconds, then healed.

What must hold: every trace invariant over the whole run; the pair returns to NORMAL after
every fault; every client ends bound with the lease it had at the start (leases_changed 0).
"""

from __future__ import annotations

import sys
from typing import Any

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 300,
    "relays": 4,
    "time_scale": 4.0,          # many renewals per client over the run
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 300.0,
    "faults": "kill-primary,partition,kill-secondary",
    "between": 15.0,            # seconds of renewals between faults
    "outage": 15.0,             # seconds a killed server stays down
    "pause": 12.0,              # seconds of SIGSTOP or of partition
    "partner_down": True,       # partner-down on the survivor of a kill
    "detect_timeout": 45.0,
    "recover_timeout": 120.0,
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "faults": "pause-primary,partition", "between": 3.0, "pause": 6.0}

KINDS = ("kill-primary", "kill-secondary", "pause-primary", "pause-secondary", "partition")


def fault(sc: Scenario, pair: Any, kind: str) -> None:
    if kind == "partition":
        sc.phase("partition of the partner link")
        pair.partition("blackhole")
        sc.hold(sc["pause"], "partitioned")
        sc.phase("heal")
        pair.heal()
        return
    role = kind.split("-", 1)[1]
    victim = pair.primary if role == "primary" else pair.secondary
    survivor = pair.secondary if role == "primary" else pair.primary
    if kind.startswith("pause"):
        sc.phase(f"pause (SIGSTOP) of the {role}")
        victim.pause()
        sc.hold(sc["pause"], f"{role} frozen")
        sc.phase(f"resume (SIGCONT) of the {role}")
        victim.resume()
        return
    sc.fail_over(pair, victim, survivor, partner_down=sc["partner_down"],
                 noticed=f"{survivor.name} noticed the failure of {victim.name}",
                 reached=f"{survivor.name} reached PARTNER-DOWN")
    sc.hold(sc["outage"], f"the {survivor.role} serves alone")
    sc.phase(f"restarting the {role} (storage intact)")
    victim.restart()


def run(sc: Scenario) -> None:
    kinds = [k.strip() for k in str(sc["faults"]).split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"unknown fault(s) {', '.join(bad)}; known: {', '.join(KINDS)}")
    pair = sc.normal_pair()
    fleet = sc.bind_fleet(pair, what=f"binding {sc['clients']} long-lived clients")
    for i, kind in enumerate(kinds, 1):
        sc.hold(sc["between"], "clients renew")
        fault(sc, pair, kind)
        sc.expect_normal(pair, sc["recover_timeout"], name=f"pair back in NORMAL after fault {i} ({kind})")
    sc.hold(sc["between"], "clients renew after the last fault")
    sc.expect_clients(sc.finish(fleet))


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
