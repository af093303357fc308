#!/usr/bin/env python3
"""Partial communication loss: clients cannot reach one partner (RFC 7031 §4.7).

RFC 7031 §4.7 describes a failure the partners cannot see by themselves: the link between
them is fine, but the clients (their relays) can no longer reach one of them. Since the
partners still talk, neither enters COMMUNICATIONS-INTERRUPTED, and the secondary in NORMAL
does not answer the clients the primary no longer hears (it is renew-responsive only). This
scenario puts a UDP proxy in front of each server's DHCP port, binds a fleet, then drops
every client message toward the primary while the partner link stays up; after `blocked`
seconds the operator reacts the way the RFC leaves to operations: shuts the unreachable
primary down and declares PARTNER-DOWN on the secondary, which then serves everyone. At the
end the client path is restored and the primary restarted; the pair recovers to NORMAL (quick
runs only wait for the primary to rejoin its partner).

What must hold: every trace invariant; the partner link stays up while the clients are cut
off (both partners stay NORMAL, as §4.7 predicts); after the operator's action the secondary
is in PARTNER-DOWN and the clients end bound with their leases.
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
    "before": 15.0,             # seconds of traffic before the loss
    "blocked": 20.0,            # seconds the clients cannot reach the primary
    "outage": 20.0,             # seconds the secondary serves alone after partner-down
    "recover": True,            # restore the client path, restart the primary, recover
    "recover_timeout": 120.0,
    "detect_timeout": 45.0,
    "bind_timeout": 60.0,
    "bound_pct": 99.0,
    "max_leases_changed": 0,
}

QUICK = {"t1": 4, "t2": 6, "clients": 60, "before": 3.0, "blocked": 4.0, "outage": 5.0, "recover": False}


def run(sc: Scenario) -> None:
    pair = sc.normal_pair(client_proxy=True)
    fleet = sc.bind_fleet(pair)
    sc.hold(sc["before"], "traffic before the loss")

    sc.phase("client traffic toward the primary lost; partner link up")
    pair.primary.block_clients()
    sc.hold(sc["blocked"], "clients cannot reach the primary")
    sc.expect_in_state(pair.servers, "NORMAL",
                       "{server} still NORMAL while clients are cut off (§4.7)",
                       observed="{server} state while clients are cut off")

    sc.fail_over(pair, pair.primary, pair.secondary, stop=True, sync=False,
                 failure="operator: shuts the unreachable primary down",
                 noticed="secondary noticed the shutdown (COMMUNICATIONS-INTERRUPTED)")
    sc.hold(sc["outage"], "the secondary serves every client")

    if sc["recover"]:
        sc.phase("client path restored, primary restarted")
        pair.primary.unblock_clients()
        pair.primary.start()
        sc.expect_normal(pair, sc["recover_timeout"], name="pair back in NORMAL")
    else:
        pair.primary.unblock_clients()
        sc.rejoin(pair.primary)
    sc.expect_clients(sc.finish(fleet))


if __name__ == "__main__":
    sys.exit(main(run, DEFAULTS, __doc__, quick=QUICK))
