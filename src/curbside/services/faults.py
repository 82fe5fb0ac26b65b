"""Storage faults as one service error: read-only home, full disk, damaged database, busy writer.

The database driver and the operating system report these as assorted exceptions
(``sqlite3.OperationalError: attempt to write a readonly database``, ``OSError(ENOSPC)``,
``psycopg.errors.DiskFull``...), usually deep inside a use case and wrapped by SQLAlchemy.
`storage_error` recognises them anywhere in an exception's chain and returns a `StorageError`
with one line that names the data directory or file and says what to do; the CLI prints it and
exits with `StorageError.exit_code`, the API answers 503 with `StorageError.code`.
Anything it does not recognise stays what it was (a bug, reported as such).

`ServiceUnavailable` is the other service error of this kind: a part a use case needs is
missing or broken (`IndexUnavailable`: the vector index or its embedding model); `index_faults`
turns the index backend's own exceptions into it, so adapters answer 503, never a 500.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from curbside.config import Settings

Kind = Literal["read_only", "disk_full", "corrupt", "busy", "ingest_locked", "cannot_open"]

#: CLI exit status per kind (documented in README "Exit codes"). 1 is any other error, 2 misuse.
EXIT_CODES: dict[str, int] = {
    "read_only": 10,
    "disk_full": 11,
    "corrupt": 12,
    "busy": 13,
    "ingest_locked": 14,
    "cannot_open": 15,
}

_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT} if hasattr(errno, "EDQUOT") else {errno.ENOSPC}

# SQLSTATE classes (PostgreSQL) -> kind.
_SQLSTATE = {
    "25006": "read_only",  # read_only_sql_transaction (a hot standby, a read-only default)
    "53100": "disk_full",
    "53000": "disk_full",  # insufficient_resources
    "XX001": "corrupt",  # data_corrupted
    "XX002": "corrupt",  # index_corrupted
    "55P03": "busy",  # lock_not_available
    "57P03": "cannot_open",  # cannot_connect_now
}


class ServiceUnavailable(RuntimeError):
    """A use case cannot run now: a part it needs is missing or broken. The message says what
    to do; the API answers 503 with `code`."""

    code = "unavailable"


class IndexUnavailable(ServiceUnavailable):
    """The dense search index (its files or its embedding model) is missing, stale or damaged:
    `curbside index build` rebuilds it."""

    code = "index_unavailable"


@contextmanager
def index_faults() -> Iterator[None]:
    """Turn the vector index's and the embedder's exceptions into `IndexUnavailable`."""
    from curbside.index.embedder import EmbedderUnavailable
    from curbside.index.vectors import VectorIndexError

    try:
        yield
    except (VectorIndexError, EmbedderUnavailable) as exc:
        raise IndexUnavailable(str(exc)) from exc


class StorageError(RuntimeError):
    """The data directory or database cannot be used as asked; the message says what to do."""

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind: Kind = kind
        self.message = message

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]

    @property
    def code(self) -> str:
        """Machine-readable error code for the API's JSON error body."""
        return f"storage_{self.kind}"


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        orig = getattr(cur, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's error
        if isinstance(orig, BaseException) and id(orig) not in seen:
            out.append(orig)
            seen.add(id(orig))
        cur = cur.__cause__ or cur.__context__
    return out


def _sqlite_kind(message: str) -> Kind | None:
    m = message.lower()
    if "readonly database" in m or "read-only" in m or "read only" in m:
        return "read_only"
    if "database or disk is full" in m:
        return "disk_full"
    if "file is not a database" in m or "malformed" in m or "database corrupt" in m:
        return "corrupt"
    if "database is locked" in m or "database table is locked" in m:
        return "busy"
    if "unable to open database file" in m:
        return "cannot_open"
    return None


def _classify(exc: BaseException) -> tuple[Kind, str | None] | None:
    """(kind, file name if known) for one exception of the chain, or None."""
    if isinstance(exc, StorageError):
        return exc.kind, None
    if isinstance(exc, sqlite3.Error):
        kind = _sqlite_kind(str(exc))
        return (kind, None) if kind else None
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(state, str) and state in _SQLSTATE:
        return _SQLSTATE[state], None  # type: ignore[return-value]
    if isinstance(exc, OSError) and exc.errno is not None:
        name = str(exc.filename) if exc.filename else None
        if exc.errno in _FULL_ERRNOS:
            return "disk_full", name
        if exc.errno in _READ_ONLY_ERRNOS:
            return "read_only", name
        return None
    text = str(exc)
    if "No space left on device" in text:  # native libraries (the vector index) say it in text
        return "disk_full", None
    if "Read-only file system" in text:
        return "read_only", None
    return None


def _message(kind: Kind, settings: Settings, where: str) -> str:
    home = settings.home
    server = not settings.db_url.startswith("sqlite")
    if kind == "read_only" and server and where == database_label(settings):
        return (
            f"cannot write to the database {where}: the session is read-only (a standby "
            "server, or a read-only role or default). Point CURBSIDE_DATABASE_URL at the "
            "primary or grant write access; nothing was changed."
        )
    if kind == "read_only":
        return (
            f"cannot write to {where}: the data directory or database is read-only. Make "
            f"{home} writable (or free it from a read-only mount), or point --home / "
            "CURBSIDE_HOME at a writable directory; nothing was changed."
        )
    if kind == "disk_full":
        return (
            f"the disk holding {where} is full. Free some space (see `df -h {home}`) or move "
            "the data directory, then run the command again; the interrupted batch was rolled "
            "back and a re-run resumes where it stopped."
        )
    if kind == "corrupt":
        return (
            f"the database {where} is damaged or is not a Curbside database. Restore it from a "
            f"backup, or move it aside and ingest your sources again; check it with "
            f"`sqlite3 {where} 'PRAGMA integrity_check'`."
        )
    if kind == "busy":
        return (
            f"the database {where} stayed locked by another writer beyond the busy timeout. "
            "Wait for the other command (an ingest or index build) to finish and try again."
        )
    if kind == "cannot_open":
        return (
            f"cannot open the database {where}. Check that {home} exists, is a directory you "
            "may write to, and is on a local file system; or set CURBSIDE_DATABASE_URL."
        )
    return f"{where}: storage error ({kind})"


def database_label(settings: Settings) -> str:
    """The database as a user knows it: the SQLite file path, or the URL without password."""
    from sqlalchemy.engine import make_url

    from curbside.store.engine import sqlite_path

    url = settings.db_url
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        return str(path) if path is not None else "the in-memory database"

    return make_url(url).render_as_string(hide_password=True)


def storage_error(exc: BaseException, settings: Settings) -> StorageError | None:
    """`exc` (or one in its chain) as a `StorageError`, or None when it is not a storage fault."""
    for e in _chain(exc):
        if isinstance(e, StorageError):
            return e
        found = _classify(e)
        if found is None:
            continue
        kind, filename = found
        if kind == "cannot_open" and _read_only_dir(settings):
            # SQLite in WAL mode cannot open a database whose directory it may not write
            # (it must create the -shm/-wal files): that is a read-only home.
            kind = "read_only"
        where = filename or database_label(settings)
        if filename and kind == "read_only" and not _inside(Path(filename), settings.home):
            continue  # an input file the user named, not the home: the caller reports it
        return StorageError(kind, _message(kind, settings, where))
    return None


def _read_only_dir(settings: Settings) -> bool:
    from curbside.store.engine import sqlite_path

    db = sqlite_path(settings.db_url)
    folder = db.parent if db is not None else settings.home
    return folder.is_dir() and not os.access(folder, os.W_OK)


def _inside(path: Path, home: Path) -> bool:
    try:
        path.resolve().relative_to(home.resolve())
        return True
    except (ValueError, OSError):
        return False
