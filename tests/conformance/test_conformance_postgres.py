"""The storage conformance suite on a real PostgreSQL 16 (pgserver), plus its migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from conformance_suite import StoreConformance
from sqlalchemy import inspect

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
        assert current_revision(engine) == "0006"
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
