from pathlib import Path

from sqlalchemy import inspect

from curbside.store.engine import current_revision, head_revision, make_engine, upgrade
from curbside.store.schema import metadata


def test_upgrade_creates_schema_matching_the_table_definitions(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    insp = inspect(engine)
    for table in metadata.sorted_tables:
        assert insp.has_table(table.name), table.name
        db_cols = {c["name"] for c in insp.get_columns(table.name)}
        assert db_cols == {c.name for c in table.columns}, table.name


def test_upgrade_is_idempotent_and_downgrade_round_trips(tmp_path: Path) -> None:
    from alembic import command

    from curbside.store.engine import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    assert not inspect(engine).has_table("sources")
    upgrade(engine)
    assert inspect(engine).has_table("sources")


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_0007_gives_existing_articles_reader_keys_shared_within_a_thread(tmp_path: Path) -> None:
    import datetime as dt

    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine, "0005")
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO threads (id, created_at, context) VALUES "
                          "(1, :t, '{}'), (2, :t, '{}')"), {"t": now})
        for aid, thread in ((1, None), (2, 1), (3, 1), (4, 2), (5, None)):
            conn.execute(text(
                "INSERT INTO articles (id, thread_id, turn, title, audience, status, "
                "current_version, created_at, updated_at) VALUES "
                "(:id, :th, 1, 'old', 'clinician', 'draft', 1, :t, :t)"),
                {"id": aid, "th": thread, "t": now})
    upgrade(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, access_key FROM articles")).all())
    assert all(k and len(k) == 24 for k in keys.values()), keys
    assert keys[2] == keys[3]  # one thread, one key
    assert len({keys[1], keys[2], keys[4], keys[5]}) == 4
