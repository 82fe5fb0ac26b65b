"""Backup and restore of a whole Curbside installation: the database and the files of the home.

A backup is one gzip-compressed tar file:

- ``manifest.json`` first: format, Curbside version, backend, schema revision, rows per table
  (SQLite) and the size and SHA-256 of every other member;
- ``database/curbside.db`` (SQLite, copied with the online backup API while the server may be
  running) or ``database/curbside.pgdump`` (PostgreSQL, ``pg_dump -Fc``);
- ``home/...``: every other file of the data directory that the database needs or that is costly
  to rebuild: the dense vector index, key files (``secret_key`` and the like). Caches
  (``eval/``), lock files, temporary files and the live database's WAL files are left out.

The archive holds key files: it is written readable by its owner only.

`restore` checks a backup completely (every checksum, SQLite ``integrity_check``, row counts, a
schema revision this Curbside knows, ``pg_restore --list``) before it touches the target. It
refuses a home that is not empty (or a PostgreSQL database that has tables) unless forced; a
forced restore first moves what was there aside, to ``<home>.before-restore-<time>``, so
nothing stored is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.exc import SQLAlchemyError

from curbside import __version__
from curbside.config import Settings
from curbside.services.runtime import Runtime
from curbside.store import backup as db
from curbside.store.engine import make_engine

__all__ = ["BackupError", "BackupReport", "RestoreReport", "backup", "read_backup", "restore"]

FORMAT = "curbside-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/curbside.db"
PG_MEMBER = "database/curbside.pgdump"
#: Files and folders of the home that are never backed up (caches, locks, temporary files).
SKIP_DIRS = {"eval"}
SKIP_SUFFIXES = (".tmp", ".lock", ".partial")


class BackupError(RuntimeError):
    """A backup could not be written or a backup file is not usable; the message names it."""


@dataclass
class BackupReport:
    path: Path
    backend: str
    schema_revision: str | None
    tables: dict[str, int]
    files: int
    bytes: int


@dataclass
class RestoreReport:
    source: Path
    backend: str
    schema_revision: str | None
    tables: dict[str, int]
    files: int
    moved_aside: Path | None = None
    notes: list[str] = field(default_factory=list)


# -- helpers -------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _backend(settings: Settings) -> str:
    return "sqlite" if db.sqlite_path(settings.db_url) is not None else "postgresql"


def _sqlite_file(settings: Settings) -> Path:
    path = db.sqlite_path(settings.db_url)
    if path is None:
        raise BackupError(f"not a SQLite database file: {settings.db_url.split('://', 1)[0]}")
    return path


def _home_files(home: Path, exclude: set[Path]) -> Iterator[Path]:
    """Regular files of the home worth keeping, relative to it, in a stable order.

    `exclude` holds resolved paths of files and folders to leave out."""
    if not home.is_dir():
        return
    for root, dirs, names in os.walk(home):
        rel_root = Path(root).relative_to(home)
        dirs[:] = sorted(d for d in dirs
                         if not (rel_root == Path(".") and d in SKIP_DIRS)
                         and not (Path(root) / d).is_symlink()
                         and (Path(root) / d).resolve() not in exclude)
        for name in sorted(names):
            full = Path(root) / name
            if (full.resolve() in exclude or name.endswith(SKIP_SUFFIXES)
                    or full.is_symlink() or not full.is_file()):
                continue
            yield rel_root / name


def _database_files(path: Path) -> set[Path]:
    """The database file and its companions (WAL, shared memory, rollback journal)."""
    return {Path(str(path) + s).resolve() for s in ("", "-wal", "-shm", "-journal")}


def _known_revision(settings: Settings, revision: str | None) -> bool:
    """Whether this Curbside's migrations contain `revision` (None: an empty schema)."""
    if revision is None:
        return True
    from alembic.script import ScriptDirectory

    from curbside.store.engine import alembic_config

    engine = make_engine("sqlite://")
    try:
        scripts = ScriptDirectory.from_config(alembic_config(engine))
        try:
            return scripts.get_revision(revision) is not None
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
            return False
    finally:
        engine.dispose()


# -- backup --------------------------------------------------------------------------------
def backup(rt: Runtime, dest: Path, *, force: bool = False) -> BackupReport:
    """Write a backup of the database and the home to `dest` (one file, written atomically)."""
    settings = rt.settings
    dest = dest.expanduser().resolve()
    if dest.is_dir():
        raise BackupError(f"{dest} is a directory: give a file name, "
                          f"e.g. {dest / 'curbside-backup.tar.gz'}")
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists (use --force to replace it)")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} does not exist")
    backend = _backend(settings)
    stage = Path(tempfile.mkdtemp(prefix=".curbside-backup-", dir=dest.parent))
    exclude = {dest, dest.with_name(dest.name + ".partial"), stage.resolve()}
    try:
        manifest: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "curbside_version": __version__,
            "created_at": _now(), "backend": backend, "files": {},
        }
        if backend == "sqlite":
            source = _sqlite_file(settings)
            exclude |= _database_files(source)
            copy = stage / SQLITE_MEMBER
            copy.parent.mkdir(parents=True)
            try:
                db.sqlite_online_copy(source, copy)
            except db.StoreBackupError as exc:
                raise BackupError(str(exc)) from exc
            manifest["schema_revision"] = db.sqlite_revision(copy)
            manifest["tables"] = db.sqlite_table_counts(copy)
            db_member = SQLITE_MEMBER
        else:
            tools = _pg_tools(settings)
            copy = stage / PG_MEMBER
            copy.parent.mkdir(parents=True)
            with rt.engine.connect() as conn:
                from alembic.runtime.migration import MigrationContext

                manifest["schema_revision"] = MigrationContext.configure(
                    conn).get_current_revision()
            try:
                db.pg_dump(settings.db_url, copy, tools)
            except db.StoreBackupError as exc:
                raise BackupError(str(exc)) from exc
            manifest["tables"] = None  # pg_dump's snapshot is the authority; see restore
            db_member = PG_MEMBER
        members = [(db_member, copy)]
        home = settings.home.resolve()
        for rel in _home_files(home, exclude):
            snap = stage / "home" / rel  # snapshot first: the server may replace files
            snap.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copy2(home / rel, snap)
            except FileNotFoundError:
                continue  # removed while we walked (an index being replaced)
            members.append((f"home/{rel.as_posix()}", snap))
        for name, path in members:
            manifest["files"][name] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        partial = dest.with_name(dest.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
            for name, path in members:
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, dest)
        return BackupReport(
            path=dest, backend=backend, schema_revision=manifest["schema_revision"],
            tables=manifest["tables"] or {}, files=len(members) - 1,
            bytes=dest.stat().st_size,
        )
    except OSError as exc:
        raise BackupError(f"could not write the backup {dest}: {exc}") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        with_partial = dest.with_name(dest.name + ".partial")
        if with_partial.exists():
            with_partial.unlink()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _pg_tools(settings: Settings) -> db.PgTools:
    try:
        return db.find_pg_tools(settings.postgres_bin_dir)
    except db.PgToolsMissing as exc:
        raise BackupError(str(exc)) from exc


# -- reading and checking a backup ---------------------------------------------------------
def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and (
        name == MANIFEST or p.parts[0] in ("database", "home"))


def read_backup(src: Path, stage: Path) -> dict[str, Any]:
    """Check `src` completely and unpack it into `stage`; the manifest.

    Raises `BackupError` naming the file (and the member) on anything unexpected.
    """
    where = str(src)
    if not src.is_file():
        raise BackupError(f"backup file not found: {where}")
    try:
        tar = tarfile.open(src, mode="r:*")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{where} is not a Curbside backup (not a tar archive)") from exc
    with tar:
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(f"{where} is not a Curbside backup (no {MANIFEST} first)")
            manifest = json.loads(_read_member(tar, first).decode("utf-8"))
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise BackupError(f"{where}: unreadable {MANIFEST} ({exc})") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(f"{where} is not a Curbside backup (format {manifest!r:.60})")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"{where}: backup format version {manifest.get('format_version')} "
                              f"is not supported (this Curbside reads {FORMAT_VERSION})")
        expected: dict[str, dict[str, Any]] = manifest.get("files") or {}
        seen: set[str] = set()
        try:
            for member in tar:
                if member.offset == first.offset:
                    continue  # the manifest, read above
                name = member.name
                if not _safe_member(name) or not member.isfile():
                    raise BackupError(f"{where}: unexpected member {name!r} (not a plain file "
                                      "inside database/ or home/)")
                if name not in expected:
                    raise BackupError(f"{where}: member {name!r} is not in the manifest")
                if name in seen:
                    raise BackupError(f"{where}: member {name!r} appears twice")
                seen.add(name)
                target = stage / name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = _extract(tar, member, target)
                if digest != expected[name].get("sha256"):
                    raise BackupError(f"{where}: member {name!r} is damaged (checksum mismatch)")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{where} is damaged or truncated ({exc})") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{where} is incomplete: missing {', '.join(missing[:5])}")
    return manifest


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    fh = tar.extractfile(member)
    if fh is None:
        raise BackupError(f"member {member.name!r} is not a file")
    with fh:
        return fh.read()


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    fh: IO[bytes] | None = tar.extractfile(member)
    if fh is None:
        raise BackupError(f"member {member.name!r} is not a file")
    h = hashlib.sha256()
    with fh, target.open("wb") as out:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            out.write(block)
    return h.hexdigest()


def _check_database(settings: Settings, src: Path, manifest: dict[str, Any], stage: Path) -> None:
    backend = manifest.get("backend")
    revision = manifest.get("schema_revision")
    if backend != _backend(settings):
        raise BackupError(f"{src} holds a {backend} database but this Curbside is configured "
                          f"for {_backend(settings)} (CURBSIDE_DATABASE_URL)")
    if not _known_revision(settings, revision):
        raise BackupError(f"{src} has schema revision {revision}, unknown to Curbside "
                          f"{__version__}: it was made by a newer version")
    if backend == "sqlite":
        copy = stage / SQLITE_MEMBER
        if not copy.is_file():
            raise BackupError(f"{src} has no {SQLITE_MEMBER}")
        verdict = db.sqlite_integrity(copy)
        if verdict != "ok":
            raise BackupError(f"{src}: {SQLITE_MEMBER} fails SQLite's integrity check: {verdict}")
        counts = db.sqlite_table_counts(copy)
        if counts != manifest.get("tables"):
            raise BackupError(f"{src}: {SQLITE_MEMBER} rows differ from the manifest's counts")
        if db.sqlite_revision(copy) != revision:
            raise BackupError(f"{src}: {SQLITE_MEMBER} schema revision differs from the manifest")
    else:
        dump = stage / PG_MEMBER
        if not dump.is_file():
            raise BackupError(f"{src} has no {PG_MEMBER}")
        try:
            db.pg_list(dump, _pg_tools(settings))
        except db.StoreBackupError as exc:
            raise BackupError(f"{src}: {PG_MEMBER} is not a readable pg_dump archive: {exc}") \
                from exc


# -- restore -------------------------------------------------------------------------------
def _occupants(settings: Settings) -> list[Path]:
    """What a restore would overwrite: the home's entries and a SQLite file kept elsewhere."""
    home = settings.home
    found = sorted(home.iterdir()) if home.is_dir() else []
    path = db.sqlite_path(settings.db_url)
    if path is not None and not path.resolve().is_relative_to(home.resolve()):
        found += [p for p in _database_files(path) if p.exists()]
    return found


def _move_aside(settings: Settings, occupants: list[Path]) -> Path:
    home = settings.home.resolve()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = home.with_name(f"{home.name}.before-restore-{stamp}")
    aside.mkdir(parents=True)
    for p in occupants:
        target = aside / (p.name if p.resolve().is_relative_to(home) else f"database-{p.name}")
        shutil.move(str(p), str(target))
    return aside


def restore(settings: Settings, src: Path, *, force: bool = False) -> RestoreReport:
    """Restore a backup into the configured home and database (see the module docstring).

    Takes `Settings`, not a `Runtime`: opening a runtime would create the very database that
    is about to be restored.
    """
    src = src.expanduser().resolve()
    backend = _backend(settings)
    home = settings.home.expanduser().resolve()
    occupants = _occupants(settings)
    engine = None if backend == "sqlite" else make_engine(settings.db_url)
    try:
        pg_has_tables = engine is not None and not db.pg_is_empty(engine)
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot reach the PostgreSQL database to restore into: {exc}") from exc
    if (occupants or pg_has_tables) and not force:
        what = [str(p) for p in occupants[:5]] + (["tables in the database"] if pg_has_tables
                                                   else [])
        raise BackupError(f"refusing to restore over existing data ({', '.join(what)}): "
                          "use --force (what is there is moved aside first)")
    home.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".curbside-restore-", dir=home.parent))
    report: RestoreReport | None = None
    try:
        manifest = read_backup(src, stage)
        _check_database(settings, src, manifest, stage)
        report = RestoreReport(source=src, backend=backend,
                               schema_revision=manifest.get("schema_revision"),
                               tables=manifest.get("tables") or {},
                               files=sum(1 for n in manifest["files"] if n.startswith("home/")))
        if occupants:
            report.moved_aside = _move_aside(settings, occupants)
        if engine is not None and pg_has_tables:
            aside = report.moved_aside or home.with_name(
                f"{home.name}.before-restore-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}")
            aside.mkdir(parents=True, exist_ok=True)
            try:
                db.pg_dump(settings.db_url, aside / "database.pgdump", _pg_tools(settings))
            except db.StoreBackupError as exc:
                raise BackupError(f"could not save the database's contents before the "
                                  f"restore, nothing was changed in it: {exc}") from exc
            report.moved_aside = aside
            report.notes.append(f"the database's previous contents: {aside / 'database.pgdump'}")
        home.mkdir(parents=True, exist_ok=True)
        staged_home = stage / "home"
        if staged_home.is_dir():
            for rel in sorted(p.relative_to(staged_home) for p in staged_home.rglob("*")
                              if p.is_file()):
                (home / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged_home / rel, home / rel)
        if backend == "sqlite":
            target = _sqlite_file(settings)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / SQLITE_MEMBER, target)
        else:
            assert engine is not None
            engine.dispose()
            try:
                db.pg_restore(settings.db_url, stage / PG_MEMBER, _pg_tools(settings),
                              clean=pg_has_tables)
            except db.StoreBackupError as exc:
                raise BackupError(f"restoring {src}: {exc}") from exc
            report.tables = db.pg_table_counts(engine)
        return report
    except (OSError, BackupError) as exc:
        if report is None or report.moved_aside is None:
            if isinstance(exc, BackupError):
                raise
            raise BackupError(f"restoring {src}: {exc}") from exc
        raise BackupError(f"restoring {src} failed part way ({exc}); the previous data is "
                          f"unchanged in {report.moved_aside}") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if engine is not None:
            engine.dispose()
