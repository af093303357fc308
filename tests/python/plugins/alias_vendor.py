"""A vendor plugin for the scenario tests: target "alias", a thin adapter around the bundled
pair (failover6d on loopback under another name).

`failover6 run hot-standby --plugin tests/python/plugins/alias_vendor.py --target alias` runs a
scenario against it the way it would against another vendor's servers: the scenario knows no
"alias", so it judges the clients and the trace and only observes the failover states.
"""

from __future__ import annotations

from failover6.lab import BundledPair, register_target


class AliasPair(BundledPair):
    """The bundled loopback pair, reported as target "alias"."""

    target = "alias"

    #: The lab topology this adapter needs: "loopback" (no root); "netns" would ask
    #: `failover6 run` for network namespaces (root).
    lab_topology = "loopback"


register_target("alias", AliasPair)
