"""pytest fixtures for failover labs, so that a scenario can be a pytest test.

Load with ``pytest -p failover6.pytest_plugin`` or ``pytest_plugins = ["failover6.pytest_plugin"]``
in a conftest.py. Fixtures:

- ``lab``: a loopback :class:`failover6.lab.Lab` in the test's tmp_path, closed after the test
  (every process and proxy ended, whatever the test did).
- ``lab_netns``: the same in the netns topology; skips without root, ``ip`` or ``nft``.
- ``bundled_pair``: a started bundled pair of ``lab`` in NORMAL (parameters from an indirect
  parametrization, e.g. ``@pytest.mark.parametrize("bundled_pair", [{"tls": True}],
  indirect=True)``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from .lab import Lab, Pair


def _log_to(path: Path) -> Any:
    def log(line: str) -> None:
        with open(path, "a") as f:
            f.write(line + "\n")
    return log


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A loopback Lab whose workdir is tmp_path/lab (events in tmp_path/lab/events.log)."""
    workdir = tmp_path / "lab"
    workdir.mkdir()
    the_lab = Lab(workdir, topology="loopback", log=_log_to(workdir / "events.log"))
    try:
        yield the_lab
    finally:
        the_lab.close()


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
    workdir = tmp_path / "lab"
    workdir.mkdir()
    the_lab = Lab(workdir, topology="netns", log=_log_to(workdir / "events.log"))
    try:
        yield the_lab
    finally:
        the_lab.close()


@pytest.fixture
def bundled_pair(lab: Lab, request: pytest.FixtureRequest) -> Pair:
    """A bundled pair of ``lab``, started and NORMAL (request.param: BundledPair params)."""
    params: dict[str, Any] = dict(getattr(request, "param", None) or {})
    pair = lab.pair("bundled", **params)
    pair.wait_normal(timeout=30)
    return pair
