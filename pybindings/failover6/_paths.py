"""Where the package finds the project's programs: the ONE place that knows (lab_api.md).

The programs live in ``<build>/bin`` next to ``<build>/python`` (the package is copied to
``<build>/python/failover6``), so the default build directory is two levels above this file.
Environment overrides:

- ``FAILOVER6_BUILD_DIR``: another build directory (relative paths are taken from the current
  directory); its ``bin`` holds ``failover6`` and ``failover6d``.
- ``FAILOVER6_DAEMON``: the ``failover6d`` to run (a sanitizer build, say).

Example::

    import subprocess
    from failover6._paths import bin_path, build_dir, checkout_dir, daemon_path

    print(build_dir())                          # e.g. /work/main/build
    subprocess.run([str(bin_path("failover6")), "--help"], check=True)
    daemon = daemon_path()                      # $FAILOVER6_DAEMON or <build>/bin/failover6d
    subprocess.Popen([str(daemon), "--config", "config.json"])
    src = checkout_dir()                        # None for an installed package
    if src is not None:
        print(src / "ci" / "make_test_certs")
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["build_dir", "bin_path", "cli_path", "daemon_path", "checkout_dir"]


def build_dir() -> Path:
    """The build directory: ``$FAILOVER6_BUILD_DIR`` or the one this package was copied into."""
    env = os.environ.get("FAILOVER6_BUILD_DIR")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def bin_path(name: str) -> Path:
    """The program @p name (``failover6``, ``failover6d``) in the build's ``bin`` directory.

    :raises FileNotFoundError: the program is not there (the message says how to build it).
    """
    if name == "failover6d":
        return daemon_path()
    p = build_dir() / "bin" / name
    if not p.is_file():
        raise FileNotFoundError(
            f"{p} does not exist: build it (ci/build) or set FAILOVER6_BUILD_DIR to a build "
            "directory that has bin/" + name)
    return p


def cli_path() -> Path:
    """The ``failover6`` command line tool."""
    return bin_path("failover6")


def daemon_path() -> Path:
    """The ``failover6d`` to run: ``$FAILOVER6_DAEMON`` or ``<build>/bin/failover6d``.

    :raises FileNotFoundError: it does not exist.
    """
    env = os.environ.get("FAILOVER6_DAEMON")
    p = Path(env).resolve() if env else build_dir() / "bin" / "failover6d"
    if not p.is_file():
        raise FileNotFoundError(
            f"{p} does not exist: build failover6d (ci/build), or set FAILOVER6_BUILD_DIR or "
            "FAILOVER6_DAEMON")
    return p


def checkout_dir() -> Path | None:
    """The source checkout the build came from (for ci/make_test_certs), or None when it
    cannot be found (an installed package). Read from the build's CMakeCache.txt."""
    cache = build_dir() / "CMakeCache.txt"
    try:
        for line in cache.read_text(errors="replace").splitlines():
            if line.startswith("CMAKE_HOME_DIRECTORY:"):
                p = Path(line.split("=", 1)[1].strip())
                return p if p.is_dir() else None
    except OSError:
        pass
    return None
