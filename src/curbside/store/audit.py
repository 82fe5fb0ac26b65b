"""The append-only, hash-chained audit log, and the review record (transitions, claim reviews).

Each audit entry holds ``hash = SHA-256(prev_hash + canonical content)``, where the content
includes the entry's own id. Editing an entry breaks its hash; deleting one breaks the next
entry's link (and leaves a gap in the ids, which the writer assigns as last + 1). Deleting the
newest entries leaves a shorter valid chain: compare `head()` with a copy kept elsewhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import Connection, Engine, and_, select
from sqlalchemy.exc import IntegrityError

from curbside.store.editorial_schema import audit_log, claim_reviews, transitions
from curbside.store.schema import article_versions
from curbside.store.sources import utcnow

GENESIS = "0" * 64


def _iso(t: dt.datetime) -> str:
    """Canonical UTC timestamp text (SQLite hands datetimes back without a zone)."""
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, *, id: int, at: dt.datetime, actor: str, action: str,
               subject: str, detail: Any) -> str:
    content = json.dumps(
        {"id": id, "at": _iso(at), "actor": actor, "action": action, "subject": subject,
         "detail": detail},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


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


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    first_broken_id: int | None = None
    problem: str | None = None


class AuditLog:
    """Appends entries and verifies the chain. Nothing here updates or deletes an entry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, *, actor: str, action: str, subject: str,
               detail: dict[str, Any] | None = None, conn: Connection | None = None) -> int:
        """Add one entry (inside `conn`'s transaction when given); returns its id."""
        detail = json.loads(json.dumps(detail or {}, default=str))  # what the JSON column keeps
        if conn is not None:
            return self._append(conn, actor, action, subject, detail)
        for attempt in range(5):
            try:
                with self.engine.begin() as c:
                    return self._append(c, actor, action, subject, detail)
            except IntegrityError:  # another writer took the same id: read the head again
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _append(self, conn: Connection, actor: str, action: str, subject: str,
                detail: dict[str, Any]) -> int:
        last = conn.execute(
            select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
        ).first()
        new_id = int(last.id) + 1 if last else 1
        prev = str(last.hash) if last else GENESIS
        at = utcnow()
        h = entry_hash(prev, id=new_id, at=at, actor=actor, action=action, subject=subject,
                       detail=detail)
        conn.execute(audit_log.insert().values(
            id=new_id, at=at, actor=actor, action=action, subject=subject, detail=detail,
            prev_hash=prev, hash=h))
        return new_id

    def entries(self, *, after_id: int = 0, limit: int | None = None) -> Iterator[AuditEntry]:
        q = select(audit_log).where(audit_log.c.id > after_id).order_by(audit_log.c.id)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            for r in conn.execute(q):
                yield AuditEntry(id=int(r.id), at=r.at, actor=r.actor, action=r.action,
                                 subject=r.subject, detail=dict(r.detail or {}),
                                 prev_hash=r.prev_hash, hash=r.hash)

    def verify(self) -> ChainReport:
        """Walk the chain from the start; report the first entry that does not check out."""
        prev, expected_id, n = GENESIS, 1, 0
        for e in self.entries():
            n += 1
            if e.id != expected_id:
                return ChainReport(False, n, prev, e.id,
                                   f"entries {expected_id}..{e.id - 1} are missing (deleted)")
            if e.prev_hash != prev:
                return ChainReport(False, n, prev, e.id,
                                   "link to the previous entry is broken (an entry was deleted "
                                   "or edited)")
            h = entry_hash(prev, id=e.id, at=e.at, actor=e.actor, action=e.action,
                           subject=e.subject, detail=e.detail)
            if h != e.hash:
                return ChainReport(False, n, prev, e.id, "content does not match its hash (edited)")
            prev, expected_id = e.hash, e.id + 1
        return ChainReport(True, n, prev)

    def head(self) -> str:
        with self.engine.connect() as conn:
            h = conn.execute(
                select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
        return str(h) if h else GENESIS

    def export_csv(self, out: IO[str]) -> int:
        """Write every entry as CSV (detail as JSON); returns the number of rows."""
        w = csv.writer(out)
        w.writerow(["id", "at", "actor", "action", "subject", "detail", "prev_hash", "hash"])
        n = 0
        for e in self.entries():
            w.writerow([e.id, _iso(e.at), e.actor, e.action, e.subject,
                        json.dumps(e.detail, sort_keys=True, ensure_ascii=False),
                        e.prev_hash, e.hash])
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
