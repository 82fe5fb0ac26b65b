"""The storage conformance suite on a real PostgreSQL 16 (pgserver), plus its migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from curbside.testing.conformance import StoreConformance

pytestmark = pytest.mark.postgres


class TestPostgresStore(StoreConformance):
    @pytest.fixture
    def db_url(self, pg_url: str) -> str:
        return pg_url


def test_migrations_match_the_table_definitions_and_round_trip(pg_url: str) -> None:
    from alembic import command

    import curbside.store.editorial_schema  # noqa: F401  (registers the editorial tables)
    from curbside.store.engine import alembic_config, current_revision, make_engine, upgrade
    from curbside.store.schema import metadata

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        for table in metadata.sorted_tables:
            assert insp.has_table(table.name), table.name
            db_cols = {c["name"] for c in insp.get_columns(table.name)}
            assert db_cols == {c.name for c in table.columns}, table.name
        extra = set(insp.get_table_names()) - {t.name for t in metadata.sorted_tables}
        assert extra == {"alembic_version", "passage_tsv"}
        assert {ix["name"] for ix in insp.get_indexes("passage_tsv")} == {"ix_passage_tsv_gin"}
        command.downgrade(alembic_config(engine), "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == "0009"
        assert inspect(engine).has_table("passage_tsv")
    finally:
        engine.dispose()


def test_open_runtime_picks_postgres_full_text(pg_url: str, tmp_path: Path) -> None:
    from curbside import services
    from curbside.config import Settings
    from curbside.index.lexical_pg import PgFullTextLexicalIndex

    rt = services.open_runtime(Settings(home=tmp_path / "home", database_url=pg_url))
    try:
        assert isinstance(rt.lexical, PgFullTextLexicalIndex)
    finally:
        rt.close()


def test_read_only_session_is_a_read_only_fault(pg_url: str, tmp_path: Path) -> None:
    """A read-only PostgreSQL session (a standby, or default_transaction_read_only) is not
    ready, and a write in it is the read-only storage fault (exit 10, API 503)."""
    from sqlalchemy.engine import make_url

    from curbside import services
    from curbside.config import Settings

    home = tmp_path / "home"
    services.open_runtime(Settings(home=home, database_url=pg_url)).close()  # schema first
    ro = make_url(pg_url).update_query_dict({"options": "-c default_transaction_read_only=on"})
    settings = Settings(home=home, database_url=ro.render_as_string(hide_password=False))
    rt = services.open_runtime(settings)
    try:
        ok, checks, detail = services.readiness(rt)
        assert not ok and checks["database"] and not checks["writable"]
        assert "session is read-only" in detail["writable"]
        with pytest.raises(Exception, match="read-only") as err:
            rt.store.begin_run(["x.jsonl"])
        fault = services.storage_error(err.value, settings)
        assert fault is not None and fault.kind == "read_only" and fault.exit_code == 10
    finally:
        rt.close()
