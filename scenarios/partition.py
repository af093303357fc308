#!/usr/bin/env python3
"""Network partition between the partners, and recovery (RFC 7031 §5.1.2).

RFC 7031 §5.1.2 is the failure a server cannot tell from its partner's death: the network
between the partners breaks while both keep running and both can still reach (some of) the
clients. This scenario binds a fleet behind relays, then partitions the partner link (a
blackhole by default: the TCP connection stays open and every byte is dropped, so only the
keepalive can detect it; "reset" and "refuse" are also available), lets the clients renew and
new clients arrive while both partners run cut off from each other, then heals the link and
waits for the pair to reconcile. Optionally (partner_down=true) the operator wrongly declares
PARTNER-DOWN on the secondary during the partition, the case RFC 8156 §8.3 resolves through
POTENTIAL-CONFLICT.

Optionally (split_clients=true) the partition also splits the clients, RFC 7031 §5.1.2's
worst case: once both partners have noticed the partition (and, with partner_down=true, once
the operator has declared PARTNER-DOWN on BOTH of them, for targets that have the command),
two more fleets start at the same time, one that reaches only the primary and one that reaches
only the secondary (late_clients clients each, clients/5 when late_clients is 0; distinct seeds,
so distinct clients). Each partner then hands out new leases to clients its partner never
sees. The bundled pair must still PASS: in COMMUNICATIONS-INTERRUPTED each side allocates only
from its own share of the pools, in PARTNER-DOWN only from its own until the MCLT has passed
(RFC 8156 §4.2). A Kea 2.2 hot-standby pair shares one pool, so there duplicates are expected.
The split fleets must bind (bundled; observed only for other targets) and keep their leases.

What must hold: every trace invariant, above all that no address or prefix is ever held by
two clients although both partners answer clients during the partition (each allocates only
from its own half, RFC 8156 §4.2) and that lifetimes stay within the MCLT; both partners notice
the partition (COMMUNICATIONS-INTERRUPTED) and return to NORMAL after the heal; the clients
keep their leases.
"""

from __future__ import annotations

import sys
from typing import Any

from failover6.scenario import Scenario, main

DEFAULTS = {
    "clients": 500,
    "relays": 4,
    "time_scale": 2.0,
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 500.0,
    "mode": "blackhole",        # blackhole | reset | refuse
    "before": 15.0,             # seconds of traffic before the partition
    "during": 30.0,             # seconds of partition
    "after": 15.0,              # seconds of traffic after the heal
    "late_clients": 100,        # clients that first appear during the partition
    "partner_down": False,      # operator declares PARTNER-DOWN on the secondary meanwhile
    "split_clients": False,     # + fleets reaching only one partner each (and partner-down on both)
    "detect_timeout": 45.0,     # seconds for the partners to notice (keepalive)
    "heal_timeout": 120.0,      # seconds to return to NORMAL after the heal
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "late_clients": 20, "before": 3.0, "during": 6.0, "after": 2.0}


def run(sc: Scenario) -> None:
    pair = sc.normal_pair()
    fleet = sc.bind_fleet(pair)
    sc.hold(sc["before"], "traffic before the partition")

    sc.phase(f"partition of the partner link ({sc['mode']})")
    pair.partition(sc["mode"])
    sc.expect_state(pair.primary, "COMMUNICATIONS-INTERRUPTED", sc["detect_timeout"],
                    name="primary noticed the partition (COMMUNICATIONS-INTERRUPTED)")
    sc.expect_state(pair.secondary, "COMMUNICATIONS-INTERRUPTED", sc["detect_timeout"],
                    name="secondary noticed the partition (COMMUNICATIONS-INTERRUPTED)")
    late = None
    if sc["late_clients"] > 0:
        sc.phase(f"{sc['late_clients']} new clients arrive during the partition")
        late = sc.fleet(pair, clients=sc["late_clients"]).start()
    if sc["partner_down"]:
        sc.phase("operator (wrongly): partner-down on the secondary")
        sc.partner_down(pair.secondary)
        sc.expect_state(pair.secondary, "PARTNER-DOWN", 15, name="secondary reached PARTNER-DOWN")
        if sc["split_clients"]:
            sc.phase("operator (wrongly): partner-down on the primary as well")
            sc.partner_down(pair.primary)
            sc.expect_state(pair.primary, "PARTNER-DOWN", 15, name="primary reached PARTNER-DOWN")
    split = start_split_fleets(sc, pair) if sc["split_clients"] else []
    sc.hold(sc["during"], "both partners serve while cut off from each other")
    observe_split_fleets(sc, split)

    sc.phase("heal: the partner link delivers again")
    pair.heal()
    sc.expect_normal(pair, sc["heal_timeout"], name="pair back in NORMAL after the heal")
    sc.hold(sc["after"], "traffic after the heal")
    sc.expect_clients(sc.finish(fleet))
    if late is not None:
        sc.expect_clients(sc.finish(late), label="late ")
    for side, extra in split:
        sc.expect_clients(sc.finish(extra), label=f"{side}-only ")


def start_split_fleets(sc: Scenario, pair: Any) -> list[tuple[str, Any]]:
    """Starts one fleet that reaches only the primary and one that reaches only the secondary
    (the clients of a partition that also splits them); for the bundled server waits for
    them to bind (an expectation; other targets: :func:`observe_split_fleets`).

    :return: ("primary" or "secondary", fleet) of each.
    """
    n = int(sc["late_clients"]) or max(1, int(sc["clients"]) // 5)
    sc.phase(f"the partition splits the clients: {n} reach only the primary, "
             f"{n} only the secondary")
    split: list[tuple[str, Any]] = []
    for side, server in (("primary", pair.primary), ("secondary", pair.secondary)):
        # A list of servers loses the pair's generator options (netns, bind address): pass them.
        options = dict(getattr(pair, "fleet_options", None) or {})
        split.append((side, sc.fleet([server], clients=n, **options).start()))
    if sc.bundled:
        for side, fleet in split:
            sc.wait_bound(fleet, n, timeout=float(sc["bind_timeout"]),
                          name=f"{side}-only clients bound during the partition")
    return split


def observe_split_fleets(sc: Scenario, split: list[tuple[str, Any]]) -> None:
    """For targets other than the bundled server: how many split clients bound (observed)."""
    if sc.bundled:
        return
    for side, fleet in split:
        try:
            got = dict(fleet.snapshot() or {}).get("clients_bound", "?")
        except Exception as e:
            got = f"unknown ({e})"
        sc.observe(f"{side}-only clients bound during the partition",
                   f"{got} of {fleet.clients}")


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
