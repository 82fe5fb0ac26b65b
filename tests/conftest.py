"""Shared fixtures: temporary Curbside homes, the development data (skips when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data; skips the test (with the reason) when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"development data not found at {SHARED_DATA} (needs ../shared/data)")
    return SHARED_DATA


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CURBSIDE_HOME for one test."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("CURBSIDE_HOME", str(h))
    yield h
