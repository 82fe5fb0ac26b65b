"""Engine creation and schema upgrades (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:  # Alembic loads only when a schema must change or be inspected
    from alembic.config import Config


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (plain or ``sqlite:///file:PATH?mode=ro&uri=true``), or None
    for an in-memory database or another backend."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    db = parsed.database or ""
    if db.startswith("file:"):
        db = db[len("file:"):]
    if not db or db == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    return Path(db)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout (one writer)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(files("curbside.store") / "migrations"))
    # configparser treats "%" as interpolation: a socket path in the URL is percent-encoded.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["engine"] = engine
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(None|\"[^\"]*\")", re.MULTILINE)


def head_from_scripts() -> str | None:
    """The head revision, read from the migration scripts' ``revision``/``down_revision`` lines
    without loading Alembic; None unless exactly one revision is nobody's parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (files("curbside.store") / "migrations" / "versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        body = script.read_text(encoding="utf-8")
        found: dict[str, str] = {m[1]: m[2] for m in _REVISION.finditer(body)}
        if "revision" not in found or found["revision"] == "None":
            return None
        revisions.add(found["revision"].strip('"'))
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"].strip('"'))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the database is already at the head revision (checked without Alembic: the
    ``alembic_version`` table holds exactly the newest script's revision)."""
    head = head_from_scripts()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no table yet, or a fault Alembic will report as before
        return False
    return [r[0] for r in rows] == [head]


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (idempotent; a database already at the head
    is left alone without loading Alembic, so every command starts faster)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def scrub_free_space(engine: Engine) -> bool:
    """SQLite: checkpoint the write-ahead log and VACUUM, so text that was overwritten does not
    linger in free pages or the log. Returns False (does nothing) on other databases."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return True


#: `probe_writable` calls a file system with less free space than this full.
MIN_FREE_BYTES = 1024 * 1024


def probe_writable(engine: Engine, home: Path) -> str:
    """Raise the OS or database error a write would meet now; return a short note otherwise.

    Writes (and removes) a 4 KiB file in `home` with fsync, so a read-only or full file system
    shows (less than `MIN_FREE_BYTES` free counts as full); then, on SQLite, rewrites the
    header's user_version inside ``BEGIN IMMEDIATE`` and rolls back, which fails on a read-only
    database file even where ``SELECT`` and ``BEGIN`` succeed. Waits at most 0.2 s for another
    writer (that one proves the database writable). On PostgreSQL it checks that the session
    is not read-only (a standby or a read-only default).
    """
    import errno
    import os
    import shutil
    import tempfile

    try:
        home.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-probe-", dir=home)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
        if shutil.disk_usage(home).free < MIN_FREE_BYTES:
            raise OSError(errno.ENOSPC, "less than 1 MiB free")
    except OSError as exc:  # name the directory, not the probe file
        raise OSError(exc.errno, exc.strerror, str(home)) from exc
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("PRAGMA busy_timeout=200")
            try:
                version = cur.execute("PRAGMA user_version").fetchone()[0]
                try:
                    cur.execute("BEGIN IMMEDIATE")
                except Exception as exc:
                    if "locked" in str(exc):
                        return "another writer holds the database (so it is writable)"
                    raise
                try:
                    cur.execute(f"PRAGMA user_version={int(version)}")
                finally:
                    cur.execute("ROLLBACK")
            finally:
                cur.execute("PRAGMA busy_timeout=30000")
            return "home and database writable"
        cur.execute("SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")
        row = cur.fetchone()
        read_only, recovery = row if row is not None else ("off", False)
        if read_only == "on" or recovery:
            raise PermissionError(errno.EROFS, "the PostgreSQL session is read-only (a standby?)")
        return "home writable; database session read-write"
    finally:
        raw.close()
