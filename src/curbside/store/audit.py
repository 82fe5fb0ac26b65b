"""The append-only, hash-chained audit log, and the review record (transitions, claim reviews).

Each audit entry holds ``hash = MAC(prev_hash + canonical content)``, where the content includes
the entry's own id. Two schemes, recorded per entry in ``scheme``:

- 1 (legacy, entries written before migration 0006): plain SHA-256, no key;
- 2 (every entry written since): HMAC-SHA256 with the audit key, a file outside the database.

Editing an entry breaks its MAC; recomputing it needs the key; deleting one breaks the next
entry's link (and leaves a gap in the ids, which the writer assigns as last + 1). Every write
also appends ``{id, hash}`` (itself MACed) to a checkpoint file outside the database, and
`verify` checks the chain against every checkpoint: deleting the newest entries, or rewriting
the whole chain with the public `entry_hash`, is caught there.

Several servers may append to one PostgreSQL database: each append takes a transaction-level
advisory lock (`AUDIT_LOCK_KEY`) before it reads the head, so concurrent appends queue up and
the chain stays one line; an append whose key does not verify the newest entry is refused
(`AuditKeyError`), so a server with another key file cannot fork the chain. Each server may
keep its own checkpoint file: `verify` checks the chain against whichever file it is given.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, and_, event, func, select, text
from sqlalchemy.exc import IntegrityError

from curbside.store.editorial_schema import audit_log, claim_reviews, transitions
from curbside.store.schema import article_versions
from curbside.store.sources import utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
SCHEME_SHA256 = 1  # legacy entries: SHA-256, no key
SCHEME_HMAC = 2  # HMAC-SHA256 keyed by the audit key file
MIN_KEY_CHARS = 32
#: PostgreSQL advisory lock held while an entry is appended (the bytes of "cb-audit"; the
#: writer lock of `curbside.store.locks` uses "curbside").
AUDIT_LOCK_KEY = int.from_bytes(b"cb-audit", "big") & ((1 << 63) - 1)
#: Characters that make a spreadsheet read a CSV cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class AuditKeyError(RuntimeError):
    """The audit key (or checkpoint file) needed to write or verify the log is missing or
    unusable; the message names the file and what to do."""


def _iso(t: dt.datetime) -> str:
    """Canonical UTC timestamp text (SQLite hands datetimes back without a zone)."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, *, id: int, at: dt.datetime, actor: str, action: str,
               subject: str, detail: Any, key: bytes | None = None) -> str:
    """An entry's hash: SHA-256 without `key` (scheme 1), HMAC-SHA256 with it (scheme 2)."""
    content = json.dumps(
        {"id": id, "at": _iso(at), "actor": actor, "action": action, "subject": subject,
         "detail": detail},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    data = (prev_hash + content).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def checkpoint_mac(key: bytes, id: int, hash: str) -> str:
    return hmac.new(key, f"checkpoint:{id}:{hash}".encode(), hashlib.sha256).hexdigest()


def pseudonym(key: bytes, text: str) -> str:
    """A keyed hash of `text` (e.g. an unknown login name): stable, not reversible."""
    return hmac.new(key, b"pseudonym:" + text.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def csv_safe(value: object) -> str:
    """The cell as text, with a leading ' when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str
    scheme: int = SCHEME_HMAC


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    first_broken_id: int | None = None
    problem: str | None = None
    head_id: int = 0
    legacy_entries: int = 0  # scheme-1 entries (before keyed MACs)
    checkpoints: int = 0  # checkpoint lines checked
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: int
    hash: str


class AuditLog:
    """Appends entries and verifies the chain. Nothing here updates or deletes an entry.

    `key_file` holds the HMAC key (created, mode 0600, on first write to a log with no keyed
    entries; never re-created once keyed entries exist). `checkpoint_file` receives one line per
    written entry; None turns checkpoints off (verify then cannot see the newest entries go).
    """

    def __init__(self, engine: Engine, *, key_file: Path,
                 checkpoint_file: Path | None = None) -> None:
        self.engine = engine
        self.key_file = key_file
        self.checkpoint_file = checkpoint_file
        self._key: bytes | None = None

    # the key ----------------------------------------------------------------------------
    def key(self, *, create: bool = True) -> bytes | None:
        """The audit key; created on first use unless the log already holds keyed entries.

        Returns None only when `create` is False and there is no key file and no keyed entry.
        """
        if self._key is not None:
            return self._key
        path = self.key_file
        if not path.exists():
            keyed = self._keyed_entries()
            if keyed:
                raise AuditKeyError(
                    f"the audit key file {path} is missing, but {keyed} audit entries were "
                    "written with it: restore it from your backup (or point "
                    "CURBSIDE_AUDIT_KEY_FILE at it); a new key cannot verify them")
            if not create:
                return None
            try:
                self._create_key(path)
            except OSError as exc:
                raise AuditKeyError(f"cannot create the audit key file {path}: {exc} (make "
                                    "the directory writable or set CURBSIDE_AUDIT_KEY_FILE)"
                                    ) from None
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditKeyError(f"cannot read the audit key file {path}: {exc}") from None
        if len(text) < MIN_KEY_CHARS:
            raise AuditKeyError(f"the audit key file {path} holds fewer than {MIN_KEY_CHARS} "
                                "characters: restore it from your backup")
        if os.name == "posix" and path.stat().st_mode & 0o077:
            log.warning("the audit key file %s is readable by other users: chmod 600 it", path)
        self._key = text.encode("utf-8")
        return self._key

    @staticmethod
    def _create_key(path: Path) -> None:
        """Write a new random key atomically (a racing writer's key wins; both then read it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # a racing writer's key wins
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        log.info("created the audit key file %s (keep a backup: it verifies the audit log)",
                 path)

    def _keyed_entries(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)
                                    .where(audit_log.c.scheme >= SCHEME_HMAC)).scalar() or 0)

    def pseudonym(self, text: str) -> str:
        key = self.key()
        assert key is not None
        return pseudonym(key, text)

    # writing ----------------------------------------------------------------------------
    def append(self, *, actor: str, action: str, subject: str,
               detail: dict[str, Any] | None = None, conn: Connection | None = None) -> int:
        """Add one entry (inside `conn`'s transaction when given); returns its id.

        The checkpoint line is written once the entry is committed (on `conn`'s commit).
        """
        detail = json.loads(json.dumps(detail or {}, default=str))  # what the JSON column keeps
        key = self.key()
        assert key is not None
        if conn is not None:
            new_id, h = self._append(conn, key, actor, action, subject, detail)
            self._checkpoint_on_commit(conn, new_id, h)
            return new_id
        for attempt in range(5):
            try:
                with self.engine.begin() as c:
                    new_id, h = self._append(c, key, actor, action, subject, detail)
                self._write_checkpoint(new_id, h)
                return new_id
            except IntegrityError:  # another writer took the same id: read the head again
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _append(self, conn: Connection, key: bytes, actor: str, action: str, subject: str,
                detail: dict[str, Any]) -> tuple[int, str]:
        if conn.dialect.name == "postgresql":
            # Several servers append to one chain: the head is read and extended under one
            # lock per database, held to the end of the caller's transaction, so the next
            # writer reads this entry as its head instead of failing on the same id. Taken
            # last in every transaction that appends (nothing else is locked after it).
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
        elif conn.dialect.name == "sqlite":
            # Several processes on one file (`serve --workers`, a CLI beside the server): a
            # write that matches nothing still opens the write transaction, so the head is
            # read under SQLite's one-writer lock (waiting out the busy timeout) instead of
            # before it.
            conn.execute(text("UPDATE audit_log SET id = id WHERE 0 = 1"))
        last = conn.execute(
            select(audit_log).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
        if last is not None and int(last.scheme) == SCHEME_HMAC:
            self._check_head_key(last, key)
        new_id = int(last.id) + 1 if last else 1
        prev = str(last.hash) if last else GENESIS
        at = utcnow()
        h = entry_hash(prev, id=new_id, at=at, actor=actor, action=action, subject=subject,
                       detail=detail, key=key)
        conn.execute(audit_log.insert().values(
            id=new_id, at=at, actor=actor, action=action, subject=subject, detail=detail,
            prev_hash=prev, hash=h, scheme=SCHEME_HMAC))
        return new_id, h

    def _check_head_key(self, head: Any, key: bytes) -> None:
        """Refuse to extend a chain whose newest entry this key did not write: a server with
        another audit key (a replica given its own key file) would make every entry it
        appends unverifiable. One HMAC per append."""
        expected = entry_hash(head.prev_hash, id=int(head.id), at=head.at, actor=head.actor,
                              action=head.action, subject=head.subject,
                              detail=dict(head.detail or {}), key=key)
        if not hmac.compare_digest(expected, str(head.hash)):
            raise AuditKeyError(
                f"the newest audit entry ({head.id}) does not verify with the audit key "
                f"{self.key_file}: every server of one database must use the same key file "
                "(CURBSIDE_AUDIT_KEY_FILE); run `curbside audit verify` to check the chain")

    def _checkpoint_on_commit(self, conn: Connection, new_id: int, h: str) -> None:
        state = {"pending": True}

        def on_commit(_conn: Connection) -> None:
            if state["pending"]:
                state["pending"] = False
                self._write_checkpoint(new_id, h)

        def on_rollback(_conn: Connection) -> None:
            state["pending"] = False

        event.listen(conn, "commit", on_commit, once=True)
        event.listen(conn, "rollback", on_rollback, once=True)

    def _write_checkpoint(self, id: int, h: str) -> None:
        """Append one checkpoint line; a failure is logged, never raised (the entry stands)."""
        if self.checkpoint_file is None:
            return
        key = self.key()
        assert key is not None
        line = json.dumps({"id": id, "hash": h, "at": _iso(utcnow()),
                           "mac": checkpoint_mac(key, id, h)}, separators=(",", ":")) + "\n"
        try:
            self.checkpoint_file.parent.mkdir(parents=True, exist_ok=True)
            # One short write with O_APPEND: lines from concurrent writers do not interleave.
            fd = os.open(self.checkpoint_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("could not write the audit checkpoint to %s: %s",
                        self.checkpoint_file, exc)

    def checkpoint(self) -> ChainReport:
        """Verify the chain, then record its head in the checkpoint file (and return it)."""
        if self.checkpoint_file is None:
            raise AuditKeyError("audit checkpoints are turned off "
                                "(CURBSIDE_AUDIT_CHECKPOINT_FILE is empty)")
        rep = self.verify(require_checkpoints=False)
        if rep.ok and rep.head_id:
            self._write_checkpoint(rep.head_id, rep.head)
            log.info("audit checkpoint: entry %d, hash %s", rep.head_id, rep.head)
        return rep

    # reading and verifying --------------------------------------------------------------
    def entries(self, *, after_id: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
        q = select(audit_log).where(audit_log.c.id > after_id).order_by(audit_log.c.id)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                yield AuditEntry(id=int(r.id), at=r.at, actor=r.actor, action=r.action,
                                 subject=r.subject, detail=dict(r.detail or {}),
                                 prev_hash=r.prev_hash, hash=r.hash, scheme=int(r.scheme))

    def read_checkpoints(self, key: bytes | None) -> dict[int, Checkpoint]:
        """Every checkpoint line by entry id; raises `AuditKeyError` for a line that is not
        genuine (bad JSON or MAC) or two lines that disagree."""
        path = self.checkpoint_file
        if path is None or not path.exists():
            return {}
        out: dict[int, Checkpoint] = {}
        try:
            fh = path.open(encoding="utf-8")
        except OSError as exc:
            raise AuditKeyError(f"cannot read the audit checkpoint file {path}: {exc}") from None
        with fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                if key is None:
                    raise AuditKeyError(
                        f"the audit key file {self.key_file} is missing, but the checkpoint "
                        f"file {path} was written with it: restore the key from your backup")
                try:
                    rec = json.loads(raw)
                    cp = Checkpoint(int(rec["id"]), str(rec["hash"]))
                    mac = str(rec["mac"])
                except (ValueError, KeyError, TypeError):
                    raise AuditKeyError(f"{path} line {n} is not a checkpoint record") from None
                if not hmac.compare_digest(mac, checkpoint_mac(key, cp.id, cp.hash)):
                    raise AuditKeyError(f"{path} line {n} (entry {cp.id}) was not written "
                                        "with this audit key: forged, or the key was replaced")
                if cp.id in out and out[cp.id].hash != cp.hash:
                    raise AuditKeyError(f"{path} line {n} records another hash for entry "
                                        f"{cp.id} than an earlier line")
                out[cp.id] = cp
        return out

    def verify(self, *, require_checkpoints: bool = True) -> ChainReport:
        """Walk the chain from the start; report the first entry that does not check out.

        Raises `AuditKeyError` when the key or the checkpoint file needed to decide is missing
        (the checkpoint file only with `require_checkpoints`) or not genuine.
        """
        key = self.key(create=False)
        cps = self.read_checkpoints(key)
        prev, expected_id, n, legacy, keyed = GENESIS, 1, 0, 0, False

        def broken(at_id: int, problem: str) -> ChainReport:
            return ChainReport(False, n, prev, at_id, problem, head_id=expected_id - 1,
                               legacy_entries=legacy, checkpoints=len(cps))

        for e in self.entries():
            n += 1
            if e.id != expected_id:
                return broken(e.id, f"entries {expected_id}..{e.id - 1} are missing (deleted)")
            if e.prev_hash != prev:
                return broken(e.id, "link to the previous entry is broken (an entry was "
                                    "deleted or edited)")
            if e.scheme == SCHEME_SHA256:
                if keyed:
                    return broken(e.id, "an unkeyed entry after keyed ones (forged: entries "
                                        "written since migration 0006 all carry a keyed MAC)")
                legacy += 1
                use_key = None
            elif e.scheme == SCHEME_HMAC:
                if key is None:  # unreachable: key(create=False) raised when keyed entries exist
                    raise AuditKeyError(f"the audit key file {self.key_file} is missing")
                keyed, use_key = True, key
            else:
                return broken(e.id, f"unknown hash scheme {e.scheme}")
            h = entry_hash(prev, id=e.id, at=e.at, actor=e.actor, action=e.action,
                           subject=e.subject, detail=e.detail, key=use_key)
            if not hmac.compare_digest(h, e.hash):
                return broken(e.id, "content does not match its MAC (edited, or rehashed "
                                    "without the audit key)")
            cp = cps.get(e.id)
            if cp is not None and cp.hash != e.hash:
                return broken(e.id, "differs from the checkpoint recorded for it (the chain "
                                    "was rewritten)")
            prev, expected_id = e.hash, e.id + 1
        last = expected_id - 1
        beyond = [i for i in cps if i > last]
        if beyond:
            gone = (f"entry {last + 1} is" if max(beyond) == last + 1
                    else f"entries {last + 1}..{max(beyond)} are")
            return ChainReport(
                False, n, prev, last + 1,
                f"{gone} recorded in the checkpoint file but missing from the log (the newest "
                "entries were deleted)",
                head_id=last, legacy_entries=legacy, checkpoints=len(cps))
        notes = []
        if (require_checkpoints and keyed and self.checkpoint_file is not None
                and not self.checkpoint_file.exists()):
            raise AuditKeyError(
                f"the audit checkpoint file {self.checkpoint_file} is missing although the log "
                "holds keyed entries: restore it from your backup, or run `curbside audit "
                "checkpoint` to start a new one (removal of entries before now then goes "
                "unnoticed)")
        if legacy:
            notes.append(f"entries 1..{legacy} predate keyed MACs (plain SHA-256)")
        if self.checkpoint_file is None:
            notes.append("checkpoints are off: deleting the newest entries goes unnoticed")
        return ChainReport(True, n, prev, head_id=last, legacy_entries=legacy,
                           checkpoints=len(cps), notes=notes)

    def head(self) -> str:
        with self.engine.connect() as conn:
            h = conn.execute(
                select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
        return str(h) if h else GENESIS

    def export_csv(self, out: IO[str]) -> int:
        """Write every entry as CSV (detail as JSON); returns the number of rows.

        A cell that starts with = + - @ tab or CR gets a leading ' so that a spreadsheet shows
        it as text instead of running it as a formula (strip it to recompute a hash).
        """
        w = csv.writer(out)
        w.writerow(["id", "at", "actor", "action", "subject", "detail", "prev_hash", "hash",
                    "scheme"])
        n = 0
        for e in self.entries():
            w.writerow([csv_safe(v) for v in (
                e.id, _iso(e.at), e.actor, e.action, e.subject,
                json.dumps(e.detail, sort_keys=True, ensure_ascii=False),
                e.prev_hash, e.hash, e.scheme)])
            n += 1
        return n


class ReviewRecords:
    """Who moved which article version to which state, and claim-level reviews."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_transition(self, conn: Connection, *, article_id: int, version: int, action: str,
                       from_state: str | None, to_state: str, actor_id: int | None,
                       actor_role: str, note: str | None) -> int:
        r = conn.execute(transitions.insert().values(
            article_id=article_id, version=version, action=action, from_state=from_state,
            to_state=to_state, actor_id=actor_id, actor_role=actor_role, note=note,
            at=utcnow()))
        return int(r.inserted_primary_key[0])  # type: ignore[index]

    def transitions(self, article_id: int, version: int | None = None) -> list[dict[str, Any]]:
        q = select(transitions).where(transitions.c.article_id == article_id)
        if version is not None:
            q = q.where(transitions.c.version == version)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q.order_by(transitions.c.id))]

    def add_claim_review(self, conn: Connection, *, article_id: int, version: int,
                         claim_id: str, reviewer_id: int, action: str, comment: str | None,
                         at: dt.datetime | None = None) -> int:
        r = conn.execute(claim_reviews.insert().values(
            article_id=article_id, version=version, claim_id=claim_id, reviewer_id=reviewer_id,
            action=action, comment=comment, at=at or utcnow()))
        return int(r.inserted_primary_key[0])  # type: ignore[index]

    def claim_reviews(self, article_id: int, version: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(claim_reviews).where(and_(claim_reviews.c.article_id == article_id,
                                                 claim_reviews.c.version == version))
                .order_by(claim_reviews.c.id))
            return [dict(r._mapping) for r in rows]

    def versions_in_states(self, states: tuple[str, ...]) -> list[dict[str, Any]]:
        """(article_id, version, status, created_at) of every version in one of `states`."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(article_versions.c.article_id, article_versions.c.version,
                       article_versions.c.status, article_versions.c.created_at)
                .where(article_versions.c.status.in_(states))
                .order_by(article_versions.c.created_at, article_versions.c.article_id))
            return [dict(r._mapping) for r in rows]
