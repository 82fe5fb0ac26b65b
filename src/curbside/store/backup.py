"""Database-level copies for backup and restore: SQLite's online backup API, pg_dump/pg_restore.

Nothing here knows about archives or homes (`curbside.services.backup` does); these functions
copy, check and count one database.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

__all__ = [
    "PgTools",
    "PgToolsMissing",
    "StoreBackupError",
    "find_pg_tools",
    "pg_dump",
    "pg_is_empty",
    "pg_list",
    "pg_restore",
    "pg_table_counts",
    "sqlite_integrity",
    "sqlite_online_copy",
    "sqlite_path",
    "sqlite_revision",
    "sqlite_table_counts",
]


class StoreBackupError(RuntimeError):
    """A database copy or check failed; the message says which and why."""


class PgToolsMissing(StoreBackupError):
    """pg_dump/pg_restore were not found where Curbside looks for them."""


# -- SQLite --------------------------------------------------------------------------------
def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, or None for another engine or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


@contextlib.contextmanager
def _connect(path: Path, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, timeout=60)
    try:
        yield conn
    finally:
        conn.close()


def sqlite_online_copy(source: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite database (other processes may keep writing).

    SQLite's online backup API copies one snapshot; in WAL mode readers do not block writers,
    so a running server is not paused. The copy is switched to a rollback journal, so it is one
    self-contained file.
    """
    if not source.is_file():
        raise StoreBackupError(f"SQLite database not found: {source}")
    with _connect(source) as src, _connect(dest) as dst:
        src.execute("PRAGMA busy_timeout=60000")
        try:
            src.backup(dst)
        except sqlite3.Error as exc:
            raise StoreBackupError(f"could not copy {source}: {exc}") from exc
        dst.execute("PRAGMA journal_mode=DELETE")


def sqlite_integrity(path: Path) -> str:
    """``"ok"`` or SQLite's first complaint about the file."""
    try:
        with _connect(path, readonly=True) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows[:3])


def sqlite_revision(path: Path) -> str | None:
    """The Alembic schema revision stored in the file (None before the first migration)."""
    with _connect(path, readonly=True) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return str(row[0]) if row else None


def sqlite_table_counts(path: Path) -> dict[str, int]:
    """Rows per table (virtual and FTS shadow tables included), by name."""
    with _connect(path, readonly=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: int(conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]) for n in names}


# -- PostgreSQL ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PgTools:
    pg_dump: Path
    pg_restore: Path
    major: int


def _major(binary: Path) -> int:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return -1
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(m.group(1)) if m else -1


def _candidate_dirs(bin_dir: Path | None) -> list[Path]:
    if bin_dir is not None:
        return [bin_dir]
    dirs: list[Path] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).parent)
    try:
        import importlib.util

        spec = importlib.util.find_spec("pgserver")
        if spec is not None and spec.origin:
            dirs.append(Path(spec.origin).parent / "pginstall" / "bin")
    except (ImportError, ValueError):
        pass
    return dirs


def find_pg_tools(bin_dir: Path | None = None) -> PgTools:
    """pg_dump and pg_restore from `bin_dir`, else the newest of PATH and pgserver's bundle.

    The newest major version wins because pg_dump refuses a server newer than itself.
    """
    found: list[PgTools] = []
    for d in _candidate_dirs(bin_dir):
        dump, restore = d / "pg_dump", d / "pg_restore"
        if dump.is_file() and restore.is_file():
            found.append(PgTools(dump, restore, _major(dump)))
    if not found:
        where = str(bin_dir) if bin_dir else "PATH or the pgserver package"
        raise PgToolsMissing(
            f"pg_dump and pg_restore not found in {where}: install the PostgreSQL client tools "
            "or set CURBSIDE_POSTGRES_BIN_DIR to the directory holding them"
        )
    return max(found, key=lambda t: t.major)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for a SQLAlchemy URL, and the environment carrying the password
    (never on the command line, where other users could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg(cmd: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    except OSError as exc:
        raise StoreBackupError(f"{what}: could not run {cmd[0]}: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise StoreBackupError(f"{what} failed ({Path(cmd[0]).name} exited {proc.returncode}): "
                               + " | ".join(detail[-5:]))


def pg_dump(url: str, dest: Path, tools: PgTools) -> None:
    """``pg_dump -Fc`` of the database (one consistent snapshot; the server keeps running)."""
    conninfo, env = _libpq(url)
    _run_pg([str(tools.pg_dump), "--format=custom", "--no-owner", "--no-privileges",
             f"--file={dest}", f"--dbname={conninfo}"], env, "pg_dump")


def pg_list(dump: Path, tools: PgTools) -> None:
    """Raise unless `pg_restore --list` can read the archive."""
    _run_pg([str(tools.pg_restore), "--list", str(dump)], dict(os.environ), "pg_restore --list")


def pg_restore(url: str, dump: Path, tools: PgTools, *, clean: bool) -> None:
    """Load a ``pg_dump -Fc`` archive into the database, in one transaction."""
    conninfo, env = _libpq(url)
    cmd = [str(tools.pg_restore), "--no-owner", "--no-privileges", "--exit-on-error",
           "--single-transaction", f"--dbname={conninfo}"]
    if clean:
        cmd += ["--clean", "--if-exists"]
    _run_pg([*cmd, str(dump)], env, "pg_restore")


def pg_is_empty(engine: Engine) -> bool:
    """No tables in the connection's default schema."""
    return not inspect(engine).get_table_names()


def pg_table_counts(engine: Engine) -> dict[str, int]:
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one())
                for n in names}
