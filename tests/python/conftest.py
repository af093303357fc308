"""Shared fixtures for the pytest suites.

ctest runs these with PYTHONPATH=build/python, FAILOVER6_BUILD_DIR and FAILOVER6_SHARED_DIR
(tests/python/CMakeLists.txt). Run by hand, the package is looked for in
$FAILOVER6_BUILD_DIR/python, then build/python of this checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_CHECKOUT = Path(__file__).resolve().parents[2]


def _add_package_path() -> None:
    try:
        import failover6  # noqa: F401
        return
    except ImportError:
        pass
    build = Path(os.environ.get("FAILOVER6_BUILD_DIR", _CHECKOUT / "build"))
    sys.path.insert(0, str(build / "python"))


_add_package_path()


def shared_dir() -> Path:
    """The read-only shared/ folder beside the checkout (captures, notes)."""
    return Path(os.environ.get("FAILOVER6_SHARED_DIR", _CHECKOUT.parent / "shared"))


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    """shared/captures/dhcpv6; skips the test when it is absent."""
    d = shared_dir() / "captures" / "dhcpv6"
    if not d.is_dir():
        pytest.skip(f"{d} not present")
    return d
