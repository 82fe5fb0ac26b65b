"""One library writer at a time: an inter-process lock per database.

Two ingests into one database would both compute the same next version of a record and the
second would fail on the unique (external id, version) key half-way through. `writer_lock`
serialises them: SQLite takes an exclusive ``flock`` on ``<database file>.lock`` (released by
the kernel when the process ends, even on ``kill -9``, so it never goes stale); PostgreSQL takes
a session advisory lock held on one connection for the duration.

A second writer waits, polling, and calls ``on_wait`` once with a line naming the holder; after
``timeout_s`` it raises `LockBusy`. In-memory SQLite databases need no lock.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

#: PostgreSQL advisory lock key: the bytes of "curbside" (one lock per database).
ADVISORY_KEY = int.from_bytes(b"curbside", "big") & ((1 << 63) - 1)


class LockBusy(Exception):
    """Another process kept the writer lock for longer than the caller would wait."""

    def __init__(self, holder: str, waited_s: float) -> None:
        super().__init__(f"{holder} (waited {waited_s:.0f} s)")
        self.holder = holder
        self.waited_s = waited_s


def lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file (None for in-memory and other databases)."""
    from curbside.store.engine import sqlite_path

    db = sqlite_path(engine.url.render_as_string(hide_password=False))
    return db.with_name(db.name + ".lock") if db is not None else None


@contextmanager
def writer_lock(
    engine: Engine,
    *,
    purpose: str,
    timeout_s: float,
    on_wait: Callable[[str], None] | None = None,
    poll_s: float = 0.2,
) -> Iterator[None]:
    """Hold the database's writer lock; `purpose` (e.g. "ingest") is shown to a waiting one."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, purpose, timeout_s, on_wait, poll_s):
            yield
        return
    path = lock_path(engine)
    if path is None:
        yield
        return
    with _file_lock(path, purpose, timeout_s, on_wait, poll_s):
        yield


def _try_flock(fh: IO[bytes]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _wait(
    try_once: Callable[[], bool],
    holder: Callable[[], str],
    target: str,
    timeout_s: float,
    on_wait: Callable[[str], None] | None,
    poll_s: float,
) -> None:
    start = time.monotonic()
    told = False
    while not try_once():
        waited = time.monotonic() - start
        if waited >= timeout_s:
            raise LockBusy(holder(), waited)
        if not told and on_wait is not None:
            on_wait(f"waiting for {holder()} to finish writing {target} (up to {timeout_s:g} s)")
            told = True
        time.sleep(min(poll_s, max(0.01, timeout_s - waited)))


@contextmanager
def _file_lock(
    path: Path,
    purpose: str,
    timeout_s: float,
    on_wait: Callable[[str], None] | None,
    poll_s: float,
) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+b")  # noqa: SIM115 - held open for the whole block
    try:
        def holder() -> str:
            try:
                note = path.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                note = ""
            return f"another {note or 'writer'}"

        target = str(path.with_suffix(""))
        _wait(lambda: _try_flock(fh), holder, target, timeout_s, on_wait, poll_s)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        fh.seek(0)
        fh.truncate()
        fh.write(f"{purpose} (pid {os.getpid()}, started {now})".encode())
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
    finally:
        fh.close()  # releases the flock


@contextmanager
def _advisory_lock(
    engine: Engine,
    purpose: str,
    timeout_s: float,
    on_wait: Callable[[str], None] | None,
    poll_s: float,
) -> Iterator[None]:
    conn: Connection = engine.connect()
    try:
        def try_once() -> bool:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
            ok = bool(got.scalar())
            conn.commit()
            return ok

        def holder() -> str:
            pid = conn.execute(
                text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                     "AND ((objid::bigint) | ((classid::bigint) << 32)) = :k LIMIT 1"),
                {"k": ADVISORY_KEY},
            ).scalar()
            conn.commit()
            who = f" (server pid {pid})" if pid else ""
            return f"another writer{who}"

        target = f"database {engine.url.database}"
        _wait(try_once, holder, target, timeout_s, on_wait, poll_s)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
    finally:
        conn.close()
