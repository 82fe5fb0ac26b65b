"""The storage conformance suite on SQLite (a temporary database file; FTS5 lexical index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.testing.conformance import StoreConformance


class TestSqliteStore(StoreConformance):
    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'conformance.db'}"
