"""The layer contracts of pyproject.toml ``[tool.importlinter]`` hold (`lint-imports`).

Layers (cli > app > api | web > edge > services > ... > domain types), the API and the web
pages independent of each other, and the store's tables (``store.schema``) imported only by
the store. `python scripts/layers.py` prints the package graph against the same order.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "src" / "curbside"


def _contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_every_package_has_a_place_in_the_layer_order() -> None:
    # lint-imports checks this too (exhaustive = true); this copy runs without it.
    declared = {name.strip() for layer in _contracts()["layers"]["layers"]
                for name in layer.replace("|", ":").split(":")}
    present = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    present |= {p.stem for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert present - declared == set(), "place these in [tool.importlinter] layers"
    assert declared - present == set(), "these layers name no package"


def test_import_contracts_hold() -> None:
    if importlib.util.find_spec("importlinter") is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--config", str(PYPROJECT), "--no-cache"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout
