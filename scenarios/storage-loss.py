#!/usr/bin/env python3
"""A partner that lost its stable storage (RFC 7031 §5.1.1; RFC 8156 §8.2, §8.5.2).

A server failure (RFC 7031 §5.1.1) can take the disk with it: the server comes back with no
lease database and no record of its failover state. RFC 8156 has it start in RECOVER and ask
its partner for the whole binding database with UPDREQALL, then wait out the MCLT
(RECOVER-WAIT) before it answers clients again. This scenario binds a fleet, kills the
`victim` (the secondary by default) with SIGKILL, keeps the clients renewing against the
survivor for `outage` seconds, restarts the victim with its storage wiped, and waits for the
pair to return to NORMAL while the clients keep renewing.

What must hold: every trace invariant (above all: the wiped server never hands out an address
or prefix the survivor has leased, and answers no client before its recovery is done); the
pair returns to NORMAL; after recovery the wiped server knows the leases again (its lease
list holds at least `known_pct` percent of the bound clients); the clients keep their leases.
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
    "victim": "secondary",      # secondary | primary
    "before": 15.0,
    "outage": 10.0,
    "after": 10.0,
    "partner_down": False,      # partner-down on the survivor during the outage
    "known_pct": 90.0,          # leases the wiped server must know again after recovery
    "detect_timeout": 45.0,
    "recover_timeout": 150.0,
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "before": 3.0, "outage": 2.0, "after": 2.0}


def run(sc: Scenario) -> None:
    if sc["victim"] not in ("primary", "secondary"):
        raise ValueError(f"victim must be primary or secondary, not {sc['victim']!r}")
    pair = sc.normal_pair()
    victim = pair.primary if sc["victim"] == "primary" else pair.secondary
    survivor = pair.secondary if sc["victim"] == "primary" else pair.primary
    fleet = sc.bind_fleet(pair)
    sc.hold(sc["before"], "traffic before the failure")

    sc.fail_over(pair, victim, survivor, partner_down=sc["partner_down"],
                 noticed=f"{survivor.name} noticed the failure",
                 reached=f"{survivor.name} reached PARTNER-DOWN")
    sc.hold(sc["outage"], f"the {survivor.role} serves alone")

    sc.phase(f"restarting the {victim.role} with its storage wiped")
    victim.restart(wipe=True)
    sc.expect_normal(pair, sc["recover_timeout"], name="pair back in NORMAL after the wiped restart")
    if sc.bundled:
        bound = int(fleet.snapshot().get("clients_bound", 0) or 0)
        seen: list[int] = []

        def knows() -> bool:
            seen.append(len(victim.leases()))
            return bound > 0 and seen[-1] * 100.0 >= sc["known_pct"] * bound

        known = sc.wait("the wiped server to learn the leases", knows, 30)
        n = seen[-1] if seen else "no answer:"
        sc.expect(f"{victim.name} knows the leases again (UPDREQALL)", known,
                  f"{n} leases known, {bound} clients bound, need {sc['known_pct']:g}%")
    sc.hold(sc["after"], "traffic after recovery")
    sc.expect_clients(sc.finish(fleet))


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
