"""A real PostgreSQL 16 (pgserver) for the conformance suite: one server per test session.

`pg_server_url` starts it in a temporary directory (skipping, with the reason, when pgserver
is missing or cannot start) and removes it at the end; `pg_url` gives each test its own fresh
database on that server, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _sqlalchemy_url(uri: str, database: str) -> str:
    """pgserver's ``postgresql://user:@/db?host=/socket/dir`` as a psycopg 3 SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    url = make_url(uri).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _wait_until_accepting(url: str, seconds: float) -> None:
    """pg_ctl reports "ready" a moment before a loaded machine accepts connections.

    Returns as soon as a connection works; `seconds` only bounds a server that never accepts.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                return
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_server_url(hang_s: float) -> Iterator[str]:
    """SQLAlchemy URL of the session's PostgreSQL server (its ``postgres`` database)."""
    # pgserver reads XDG_RUNTIME_DIR (for its lock file) when imported; give it one if unset.
    runtime_dir = tempfile.mkdtemp(prefix="curbside-pgrun-")
    had = os.environ.get("XDG_RUNTIME_DIR")
    os.environ.setdefault("XDG_RUNTIME_DIR", runtime_dir)
    try:
        import pgserver
        import psycopg  # noqa: F401  (the driver the URL names)
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests need pgserver and psycopg (pip install -e '.[dev]'): {exc}")
    finally:
        if had is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
    # Not under pytest's basetemp: other pytest runs on the machine rotate those directories.
    pgdata = Path(tempfile.mkdtemp(prefix="curbside-pgdata-"))
    try:
        server = pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]
        url = _sqlalchemy_url(server.get_uri(), "postgres")
        _wait_until_accepting(url, hang_s)
    except Exception as exc:  # pgserver raises plain exceptions (initdb, pg_ctl, permissions)
        shutil.rmtree(pgdata, ignore_errors=True)
        pytest.skip(f"pgserver could not start PostgreSQL in {pgdata}: {exc!r}")
    try:
        yield url
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)
        shutil.rmtree(runtime_dir, ignore_errors=True)


@contextlib.contextmanager
def fresh_pg_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the session server (its URL); dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"curbside_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(server_url).set(database=name)
        yield url.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the session server for one test; dropped afterwards."""
    with fresh_pg_database(pg_server_url) as url:
        yield url


@pytest.fixture
def second_pg_url(pg_server_url: str) -> Iterator[str]:
    """Another fresh, empty database on the session server (e.g. a restore target)."""
    with fresh_pg_database(pg_server_url) as url:
        yield url
