"""pytest fixtures for failover labs, so that a scenario can be a pytest test.

Load with ``pytest -p failover6.pytest_plugin`` or ``pytest_plugins = ["failover6.pytest_plugin"]``
in a conftest.py. Fixtures:

- ``lab``: a loopback :class:`failover6.lab.Lab` in the test's tmp_path, closed after the test
  (every process and proxy ended, whatever the test did).
- ``lab_netns``: the same in the netns topology; skips without root, ``ip`` or ``nft``.
- ``bundled_pair``: a started bundled pair of ``lab`` in NORMAL (parameters from an indirect
  parametrization, e.g. ``@pytest.mark.parametrize("bundled_pair", [{"tls": True}],
  indirect=True)``).

Example (a test file)::

    import pytest
    pytest_plugins = ["failover6.pytest_plugin"]

    @pytest.mark.parametrize("bundled_pair", [{"subnets": 2, "client_proxy": True}],
                             indirect=True)
    def test_failover(bundled_pair, lab):
        fleet = lab.fleet(bundled_pair, clients=50).start()
        fleet.wait_bound(50, timeout=30)
        bundled_pair.primary.kill()
        bundled_pair.secondary.wait_state("COMMUNICATIONS-INTERRUPTED", 20)
        fleet.stop()
        assert lab.check().ok                       # lab.close() runs after the test
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from .lab import Lab, Pair


def _log_to(path: Path) -> Any:
    """A log function that appends each line to @p path."""
    def log(line: str) -> None:
        with open(path, "a") as f:
            f.write(line + "\n")
    return log


def _lab_in(tmp_path: Path, topology: str) -> Iterator[Lab]:
    """A Lab of @p topology in tmp_path/lab (events in events.log there), closed after."""
    workdir = tmp_path / "lab"
    workdir.mkdir()
    the_lab = Lab(workdir, topology=topology, log=_log_to(workdir / "events.log"))
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A loopback Lab whose workdir is tmp_path/lab (events in tmp_path/lab/events.log)."""
    yield from _lab_in(tmp_path, "loopback")


def netns_skip_reason() -> str | None:
    """Why a netns lab cannot run here (None when it can)."""
    if os.geteuid() != 0:
        return "netns labs need root"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"netns labs need {tool} (Debian: iproute2, nftables)"
    return None


@pytest.fixture
def lab_netns(tmp_path: Path) -> Iterator[Lab]:
    """A netns Lab (root); skips with the reason when root, ip or nft are missing."""
    reason = netns_skip_reason()
    if reason is not None:
        pytest.skip(reason)
    yield from _lab_in(tmp_path, "netns")


@pytest.fixture
def bundled_pair(lab: Lab, request: pytest.FixtureRequest) -> Pair:
    """A bundled pair of ``lab``, started and NORMAL (request.param: BundledPair params)."""
    params: dict[str, Any] = dict(getattr(request, "param", None) or {})
    pair = lab.pair("bundled", **params)
    pair.wait_normal(timeout=30)
    return pair
