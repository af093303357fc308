"""The package's type information: _core.pyi names exactly what the extension has, and
mypy --strict accepts the package (when mypy is installed: Debian package `mypy`)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import failover6
from failover6 import _core

PACKAGE_DIR = Path(failover6.__file__).parent


def stub_names() -> set[str]:
    tree = ast.parse((PACKAGE_DIR / "_core.pyi").read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") or n == "__version__"}


def test_stub_matches_the_extension() -> None:
    runtime = {n for n in dir(_core) if not n.startswith("_")} | {"__version__"}
    assert stub_names() == runtime


def test_py_typed_is_installed() -> None:
    assert (PACKAGE_DIR / "py.typed").is_file()


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed")
def test_mypy_strict_accepts_the_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "-p", "failover6"],
        cwd=PACKAGE_DIR.parent, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
