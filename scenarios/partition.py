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

What must hold: every trace invariant, above all that no address or prefix is ever held by
two clients although both partners answer clients during the partition (each allocates only
from its own half, RFC 8156 §4.2) and that lifetimes stay within the MCLT; both partners notice
the partition (COMMUNICATIONS-INTERRUPTED) and return to NORMAL after the heal; the clients
keep their leases.
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
    "mode": "blackhole",        # blackhole | reset | refuse
    "before": 15.0,             # seconds of traffic before the partition
    "during": 30.0,             # seconds of partition
    "after": 15.0,              # seconds of traffic after the heal
    "late_clients": 100,        # clients that first appear during the partition
    "partner_down": False,      # operator declares PARTNER-DOWN on the secondary meanwhile
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
    sc.hold(sc["during"], "both partners serve while cut off from each other")

    sc.phase("heal: the partner link delivers again")
    pair.heal()
    sc.expect_normal(pair, sc["heal_timeout"], name="pair back in NORMAL after the heal")
    sc.hold(sc["after"], "traffic after the heal")
    sc.expect_clients(sc.finish(fleet))
    if late is not None:
        sc.expect_clients(sc.finish(late), label="late ")


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
