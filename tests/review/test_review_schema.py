"""Migration 0003 creates exactly the editorial tables defined in store/editorial_schema.py."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from curbside.store import editorial_schema
from curbside.store.engine import alembic_config, make_engine, upgrade

EDITORIAL = ["users", "sessions", "api_tokens", "login_attempts", "transitions",
             "claim_reviews", "audit_log"]


def test_editorial_tables_match_the_migration(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    insp = inspect(engine)
    for name in EDITORIAL:
        table = editorial_schema.metadata.tables[name]
        assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}
        assert {i["name"] for i in insp.get_indexes(name)} == {i.name for i in table.indexes}


def test_downgrade_to_0002_removes_only_editorial_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    command.downgrade(alembic_config(engine), "0002")
    insp = inspect(engine)
    assert not any(insp.has_table(n) for n in EDITORIAL)
    assert insp.has_table("article_versions")
    upgrade(engine)
    assert all(inspect(engine).has_table(n) for n in EDITORIAL)
