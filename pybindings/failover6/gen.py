"""The traffic generator: emulated DHCPv6 clients behind relays (the engine of
``failover6 generate``), run from Python.

Each client runs the RFC 8415 client state machine (SOLICIT, optionally with rapid commit;
the best ADVERTISE by preference; REQUEST; RENEW at T1 to the granting server; REBIND at T2 to
all; RELEASE, DECLINE, INFORMATION-REQUEST), with RFC 8415 retransmission. Relays wrap every
message in RELAY-FORW (one or two deep) and forward it to every server::

    from failover6.gen import generate
    summary = generate(["[::1]:5547"], clients=200, duration=5, until_bound=True,
                       pcap="run.pcap")
    assert summary["clients_bound"] == 200 and summary["leases_changed"] == 0

The run happens in C++ with the GIL released; Ctrl-C ends it early. The summary is the dict
that ``failover6 generate --json`` writes: ``exchanges``, ``rate``, ``latency_ms`` (``p50``,
``p90``, ``p99``, ``max``), ``clients_bound``, ``leases_changed``, ``sent``/``received`` counts
per message type, and more. Bad options raise :class:`ValueError`; socket or pcap errors
:class:`RuntimeError`.
"""

from __future__ import annotations

from typing import Any

from ._core import Generator

__all__ = ["Generator", "generate"]


def generate(servers: list[str], *, clients: int, **options: Any) -> dict[str, Any]:
    """Runs one generator to its end and returns its summary.

    ``servers`` are ``"[ADDR]:PORT"`` strings; ``options`` are the keyword arguments of
    :class:`Generator` (``relays``, ``rate``, ``duration``, ``na``, ``pd``, ``time_scale``,
    ``pcap``, ``seed``, ``rapid_commit``, ``relay_depth``, ``remote_id``, ``release``,
    ``until_bound``, ``info_only``, ``decline``, ``link_address``, ``renew_unicast``,
    ``start_delay``, ``progress``).
    """
    summary: dict[str, Any] = Generator(servers, clients=clients, **options).run()
    return summary
