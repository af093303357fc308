"""The generator from Python (failover6.gen, issue 5): a run against a real failover6d with
the GIL released, bad options as ValueError, and stop() from another thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from test_generate import CLI, DAEMON, Daemon, daemon, decode_summary  # noqa: F401

pytestmark = pytest.mark.skipif(
    not DAEMON.exists() or not CLI.exists(), reason=f"{DAEMON} or {CLI} not built"
)

gen = pytest.importorskip("failover6.gen")


def test_generate_from_python(daemon: Daemon, tmp_path: Path) -> None:  # noqa: F811
    pcap = tmp_path / "py.pcap"
    ticks = 0
    done = threading.Event()

    def count() -> None:  # runs only if the GIL is released during run()
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.01)

    t = threading.Thread(target=count)
    t.start()
    try:
        s = gen.generate([daemon.endpoint], clients=100, rate=500, duration=8, pd=True,
                         until_bound=True, pcap=str(pcap))
    finally:
        done.set()
        t.join()
    assert s["clients_bound"] == 100
    assert s["leases_changed"] == 0
    assert ticks > 10
    assert decode_summary(pcap)["dhcp6"] == s["pcap_packets"]


def test_bad_options_raise_value_error() -> None:
    with pytest.raises(ValueError, match="is not \\[IPv6-ADDRESS\\]:PORT"):
        gen.Generator(["1.2.3.4:5"], clients=1)
    with pytest.raises(ValueError, match="relay depth"):
        gen.Generator(["[::1]:547"], clients=1, relay_depth=3)
    with pytest.raises(ValueError, match="at least one client"):
        gen.Generator(["[::1]:547"], clients=0)


def test_stop_from_another_thread() -> None:
    g = gen.Generator(["[::1]:9"], clients=3, duration=60)
    timer = threading.Timer(0.3, g.stop)
    timer.start()
    t0 = time.monotonic()
    s = g.run()
    timer.join()
    assert time.monotonic() - t0 < 5
    assert s["duration_s"] < 5
    assert s["clients_bound"] == 0
