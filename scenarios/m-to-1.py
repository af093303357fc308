#!/usr/bin/env python3
"""One secondary backing several primaries (m-to-1, RFC 7031 §4.4).

RFC 7031 §4.4 lets one server act as the failover partner of several others: m primaries,
each in its own failover relationship with a single shared secondary that holds the leases of
all of them. This scenario builds `primaries` primaries (each with its own subnets behind its
own relays) around one secondary, runs a fleet per relationship, kills the first primary and
has the operator declare PARTNER-DOWN on the secondary for that relationship only, then
restarts the primary and waits for every relationship to be NORMAL again (quick runs only
wait for it to rejoin its partner, not out the MCLT of a full recovery).

What must hold: every trace invariant in every relationship (each judged on its own client and
partner-link captures, since on loopback all servers share ::1); the failed relationship goes to
PARTNER-DOWN on the secondary while every other relationship stays NORMAL (a failure in one
relationship must not disturb the others); the clients of every relationship end bound with
their leases.
"""

from __future__ import annotations

import sys

from failover6.scenario import Scenario, ScenarioError, main

DEFAULTS = {
    "primaries": 2,             # relationships, one primary each
    "clients": 600,             # clients in all, split between the relationships
    "relays": 4,                # relays (subnets) per relationship
    "time_scale": 2.0,
    "t1": 30,                  # renew timer (s) of the pair's leases
    "t2": 48,                  # rebind timer (s)
    "rate": 500.0,
    "before": 15.0,
    "outage": 20.0,
    "recover": True,
    "after": 10.0,
    "detect_timeout": 45.0,
    "recover_timeout": 120.0,
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 80, "before": 3.0, "outage": 5.0, "recover": False, "after": 0.0}


def run(sc: Scenario) -> None:
    if not sc.bundled:
        raise ScenarioError(f"m-to-1 needs RFC 8156 relationships (the bundled target); "
                            f"{sc.target} has no m-to-1 mode")
    if sc["primaries"] < 2:
        raise ValueError("m-to-1 needs at least 2 primaries")
    sc.log(f"starting {sc['primaries']} primaries around one secondary")
    cluster = sc.lab.m_to_1(primaries=sc["primaries"], subnets=sc["relays"], t1=sc["t1"],
                           t2=sc["t2"], tls=sc.tls)
    rels = cluster.relationship_names
    secondary = cluster.secondary
    sc.phase("waiting for every relationship to reach NORMAL")
    cluster.wait_normal(90)
    per = max(1, sc["clients"] // len(cluster.primaries))
    fleets = []
    for primary in cluster.primaries:
        fleets.append(sc.fleet([primary, secondary], clients=per).start())
    sc.phase(f"binding {per} clients in each of {len(fleets)} relationships")
    for rel, fleet in zip(rels, fleets):
        sc.wait_bound(fleet, per, timeout=sc["bind_timeout"], name=f"{rel}: clients bound")
    sc.hold(sc["before"], "traffic before the failure")

    victim, failed = cluster.primaries[0], rels[0]
    sc.fail_over(cluster, victim, secondary, relationship=failed,
                 failure=f"failure: kill -9 of {victim.name} ({failed})",
                 noticed=f"secondary noticed the failure in {failed}",
                 operator=f"operator: partner-down on the secondary for {failed} only",
                 reached=f"secondary reached PARTNER-DOWN in {failed}")
    for rel in rels[1:]:
        state = sc.state_of(secondary, rel)
        sc.expect(f"{rel} undisturbed (NORMAL) while {failed} is down", state == "NORMAL",
                  f"secondary {rel} state {state}")
    sc.hold(sc["outage"], f"the secondary serves {failed} alone")
    for rel in rels[1:]:
        state = sc.state_of(secondary, rel)
        sc.expect(f"{rel} still NORMAL at the end of the outage", state == "NORMAL",
                  f"secondary {rel} state {state}")

    sc.recover(cluster, victim, phase=f"restarting {victim.name} (storage intact)",
               name="every relationship back in NORMAL")
    for rel, fleet in zip(rels, fleets):
        sc.expect_clients(sc.finish(fleet), label=f"{rel}: ")
    # The relationships serve disjoint subnets, so each is judged on its own captures: on
    # loopback every server is ::1 and one trace cannot tell the relationships' states apart.
    links = cluster.pcaps()
    sc.check_groups = [(rel, [fleet.pcap, *[p for p in links if p.name.endswith(f"-{rel}.pcap")]])
                       for rel, fleet in zip(rels, fleets)]


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
