"""The source store: sources (with versions), passages, ingest runs and the quarantine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, Select, Table, and_, func, select, update

from curbside.domain import (
    Passage,
    PassageDraft,
    RejectedRecord,
    Source,
    SourceKind,
    SourceRecord,
)
from curbside.store.schema import ingest_runs, passages, quarantine, sources


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True, frozen=True)
class CurrentVersion:
    source_id: int
    version: int
    content_hash: str


def _source(row: RowMapping) -> Source:
    ingested = row["ingested_at"]
    return Source(
        id=row["id"],
        external_id=row["external_id"],
        version=row["version"],
        kind=SourceKind(row["kind"]),
        title=row["title"],
        container=row["container"],
        container_abbrev=row["container_abbrev"],
        year=row["year"],
        authors=list(row["authors"] or []),
        pmid=row["pmid"],
        doi=row["doi"],
        url=row["url"],
        publication_types=list(row["publication_types"] or []),
        mesh_terms=list(row["mesh_terms"] or []),
        retracted=bool(row["retracted"]),
        is_current=bool(row["is_current"]),
        content_hash=row["content_hash"],
        meta=dict(row["meta"] or {}),
        ingested_at=ingested.isoformat() if hasattr(ingested, "isoformat") else str(ingested),
    )


def _passage(row: RowMapping) -> Passage:
    return Passage(
        id=row["id"],
        uid=row["uid"],
        source_id=row["source_id"],
        ord=row["ord"],
        section=row["section"],
        text=row["text"],
        char_start=row["char_start"],
        char_end=row["char_end"],
    )


_SOURCE_COLS = [c for c in sources.c if c.name != "text"]


def _insert_many_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in one executemany and return their ids in row order.

    SQLite: RETURNING with guaranteed order makes SQLAlchemy insert one row per statement, so
    we rely on SQLite's rowid allocation instead — inside our write transaction (one writer)
    new ids are max(id)+1, +2, ... — and check the count afterwards. Other databases use
    RETURNING, which their drivers batch.
    """
    if conn.dialect.name != "sqlite":
        result = conn.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return [int(x) for x in result.scalars()]
    start = int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
    conn.execute(table.insert(), rows)
    end = int(conn.execute(select(func.max(table.c.id))).scalar() or 0)
    if end - start != len(rows):  # pragma: no cover - would mean a second writer
        raise RuntimeError(f"{table.name}: concurrent insert detected; ingest again")
    return list(range(start + 1, end + 1))


class SourceStore:
    """Reads and writes sources and passages. Write methods take an open transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- ingest runs ---------------------------------------------------------------------------
    def begin_run(self, paths: Sequence[str]) -> int:
        with self.engine.begin() as conn:
            # A run still "running" was killed: say so rather than leave it ambiguous.
            conn.execute(
                update(ingest_runs)
                .where(ingest_runs.c.status == "running")
                .values(status="interrupted")
            )
            result = conn.execute(
                ingest_runs.insert().values(
                    started_at=utcnow(), status="running", paths=list(paths), counts={}
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int, *, status: str, counts: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ingest_runs)
                .where(ingest_runs.c.id == run_id)
                .values(status=status, counts=counts, finished_at=utcnow())
            )

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ingest_runs).order_by(ingest_runs.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    # -- writes (inside the caller's transaction) ---------------------------------------------
    def current_versions(
        self, conn: Connection, external_ids: Iterable[str]
    ) -> dict[str, CurrentVersion]:
        ids = list(set(external_ids))
        out: dict[str, CurrentVersion] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(
                select(
                    sources.c.id, sources.c.external_id, sources.c.version, sources.c.content_hash
                ).where(and_(sources.c.external_id.in_(chunk), sources.c.is_current.is_(True)))
            )
            for r in rows:
                out[r.external_id] = CurrentVersion(r.id, r.version, r.content_hash)
        return out

    def latest_version(self, conn: Connection, external_id: str) -> int:
        v = conn.execute(
            select(func.max(sources.c.version)).where(sources.c.external_id == external_id)
        ).scalar()
        return int(v or 0)

    def max_versions(self, conn: Connection, external_ids: Iterable[str]) -> dict[str, int]:
        """Highest stored version per external id (current or not)."""
        ids = list(set(external_ids))
        out: dict[str, int] = {}
        for i in range(0, len(ids), 500):
            rows = conn.execute(
                select(sources.c.external_id, func.max(sources.c.version))
                .where(sources.c.external_id.in_(ids[i : i + 500]))
                .group_by(sources.c.external_id)
            )
            out.update({ext: int(v) for ext, v in rows})
        return out

    def insert_sources(
        self,
        conn: Connection,
        items: Sequence[tuple[SourceRecord, int, str, str]],
        *,
        run_id: int | None,
    ) -> list[int]:
        """Insert (record, version, content hash, text) rows in one statement; returns ids."""
        if not items:
            return []
        now = utcnow()
        rows = [
            {
                "external_id": r.external_id,
                "version": version,
                "is_current": True,
                "deleted": False,
                "content_hash": h,
                "kind": str(r.kind),
                "title": r.title,
                "container": r.container,
                "container_abbrev": r.container_abbrev,
                "year": r.year,
                "authors": r.authors,
                "pmid": r.pmid,
                "doi": r.doi,
                "url": r.url,
                "publication_types": r.publication_types,
                "mesh_terms": r.mesh_terms,
                "language": r.language,
                "retracted": r.retracted,
                "retraction_of": r.retraction_of,
                "retraction_in": r.retraction_in,
                "meta": r.meta,
                "text": text,
                "origin_file": r.origin_file,
                "origin_position": r.origin_position,
                "ingest_run_id": run_id,
                "ingested_at": now,
            }
            for r, version, h, text in items
        ]
        return _insert_many_ids(conn, sources, rows)

    def insert_passages_bulk(
        self, conn: Connection, items: Sequence[tuple[int, Sequence[PassageDraft]]]
    ) -> list[int]:
        """Insert the passages of several sources in one statement; returns ids in order."""
        rows = [
            {
                "uid": d.uid,
                "source_id": sid,
                "ord": d.ord,
                "section": d.section,
                "text": d.text,
                "char_start": d.char_start,
                "char_end": d.char_end,
            }
            for sid, drafts in items
            for d in drafts
        ]
        if not rows:
            return []
        return _insert_many_ids(conn, passages, rows)

    def insert_source(
        self,
        conn: Connection,
        record: SourceRecord,
        *,
        version: int,
        content_hash: str,
        text: str,
        run_id: int | None,
    ) -> int:
        result = conn.execute(
            sources.insert().values(
                external_id=record.external_id,
                version=version,
                is_current=True,
                deleted=False,
                content_hash=content_hash,
                kind=str(record.kind),
                title=record.title,
                container=record.container,
                container_abbrev=record.container_abbrev,
                year=record.year,
                authors=record.authors,
                pmid=record.pmid,
                doi=record.doi,
                url=record.url,
                publication_types=record.publication_types,
                mesh_terms=record.mesh_terms,
                language=record.language,
                retracted=record.retracted,
                retraction_of=record.retraction_of,
                retraction_in=record.retraction_in,
                meta=record.meta,
                text=text,
                origin_file=record.origin_file,
                origin_position=record.origin_position,
                ingest_run_id=run_id,
                ingested_at=utcnow(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def insert_passages(
        self, conn: Connection, source_id: int, drafts: Sequence[PassageDraft]
    ) -> list[int]:
        if not drafts:
            return []
        rows = [
            {
                "uid": d.uid,
                "source_id": source_id,
                "ord": d.ord,
                "section": d.section,
                "text": d.text,
                "char_start": d.char_start,
                "char_end": d.char_end,
            }
            for d in drafts
        ]
        conn.execute(passages.insert(), rows)
        ids = conn.execute(
            select(passages.c.id).where(passages.c.source_id == source_id).order_by(passages.c.ord)
        ).scalars()
        return list(ids)

    def passage_ids_of(self, conn: Connection, source_id: int) -> list[int]:
        rows = conn.execute(select(passages.c.id).where(passages.c.source_id == source_id))
        return list(rows.scalars())

    def retire_source(self, conn: Connection, source_id: int, *, deleted: bool = False) -> None:
        conn.execute(
            update(sources)
            .where(sources.c.id == source_id)
            .values(is_current=False, deleted=deleted)
        )

    def mark_retracted(
        self, conn: Connection, pmids: Iterable[str], notice_pmid: str | None
    ) -> list[int]:
        """Flag current sources with these PMIDs as retracted; returns their ids."""
        ids: list[int] = []
        for pmid in set(pmids):
            rows = conn.execute(
                select(sources.c.id, sources.c.retraction_in).where(
                    and_(sources.c.pmid == pmid, sources.c.is_current.is_(True))
                )
            ).all()
            for r in rows:
                rin = list(r.retraction_in or [])
                if notice_pmid and notice_pmid not in rin:
                    rin.append(notice_pmid)
                conn.execute(
                    update(sources)
                    .where(sources.c.id == r.id)
                    .values(retracted=True, retraction_in=rin)
                )
                ids.append(r.id)
        return ids

    def add_quarantine(
        self,
        conn: Connection,
        run_id: int | None,
        rejected: RejectedRecord,
        *,
        key: str | None = None,
    ) -> bool:
        """Quarantine a rejected record; with `key`, once: False when that key is already in."""
        if key is not None:
            found = conn.execute(
                select(quarantine.c.id).where(quarantine.c.record_key == key).limit(1)
            ).first()
            if found is not None:
                return False
        conn.execute(
            quarantine.insert().values(
                ingest_run_id=run_id,
                file=rejected.origin_file,
                position=rejected.origin_position,
                record_id=rejected.record_id,
                reason=rejected.reason,
                excerpt=rejected.excerpt[:500],
                record_key=key,
                created_at=utcnow(),
            )
        )
        return True

    # -- reads ---------------------------------------------------------------------------------
    def get_source(self, source_id: int) -> Source | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_SOURCE_COLS).where(sources.c.id == source_id)).first()
            return _source(row._mapping) if row else None

    def find_source(self, ref: str) -> Source | None:
        """A source by numeric id, external id (``pmid:123``) or bare PMID (current version)."""
        if ref.isdigit():
            found = self.get_source(int(ref))
            if found:
                return found
            ref = f"pmid:{ref}"
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_SOURCE_COLS)
                .where(sources.c.external_id == ref)
                .order_by(sources.c.is_current.desc(), sources.c.version.desc())
            ).first()
            return _source(row._mapping) if row else None

    def source_text(self, source_id: int) -> str:
        with self.engine.connect() as conn:
            return str(
                conn.execute(select(sources.c.text).where(sources.c.id == source_id)).scalar() or ""
            )

    def versions(self, external_id: str) -> list[Source]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_SOURCE_COLS)
                .where(sources.c.external_id == external_id)
                .order_by(sources.c.version)
            )
            return [_source(r._mapping) for r in rows]

    def list_sources(
        self, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[Source]:
        q = select(*_SOURCE_COLS).where(sources.c.is_current.is_(True))
        if kind:
            q = q.where(sources.c.kind == kind)
        q = q.order_by(sources.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [_source(r._mapping) for r in conn.execute(q)]

    def passages_of(self, source_id: int) -> list[Passage]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(passages).where(passages.c.source_id == source_id).order_by(passages.c.ord)
            )
            return [_passage(r._mapping) for r in rows]

    def get_passages(self, ids: Sequence[int]) -> dict[int, tuple[Passage, Source]]:
        """Passages with their sources, keyed by passage id."""
        out: dict[int, tuple[Passage, Source]] = {}
        if not ids:
            return out
        with self.engine.connect() as conn:
            for i in range(0, len(ids), 500):
                chunk = list(ids[i : i + 500])
                found = [
                    _passage(r._mapping)
                    for r in conn.execute(select(passages).where(passages.c.id.in_(chunk)))
                ]
                # Sources in a second query: each source's row (and its JSON) is read once,
                # however many of its passages were asked for.
                wanted = sorted({p.source_id for p in found})
                srcs = {
                    int(r._mapping["id"]): _source(r._mapping)
                    for r in conn.execute(select(*_SOURCE_COLS).where(sources.c.id.in_(wanted)))
                }
                for p in found:
                    out[p.id] = (p, srcs[p.source_id])
        return out

    def get_passage_by_uid(self, uid: str) -> tuple[Passage, Source] | None:
        with self.engine.connect() as conn:
            pid = conn.execute(select(passages.c.id).where(passages.c.uid == uid)).scalar()
        if pid is None:
            return None
        return self.get_passages([int(pid)]).get(int(pid))

    def current_passage_ids(
        self, conn: Connection | None = None, *, lo: int | None = None, hi: int | None = None
    ) -> list[int]:
        """Ids of the passages of current sources, ascending; only ``lo <= id <= hi`` when
        given (a range of a batch build)."""
        q = _current_passage_ids_query()
        if lo is not None:
            q = q.where(passages.c.id >= lo)
        if hi is not None:
            q = q.where(passages.c.id <= hi)
        if conn is not None:
            return list(conn.execute(q).scalars())
        with self.engine.connect() as c:
            return list(c.execute(q).scalars())

    def passage_ids_where(
        self,
        *,
        kinds: Collection[str] | None = None,
        year_min: int | None = None,
        year_max: int | None = None,
    ) -> list[int]:
        """Ids of current passages whose source is of one of ``kinds`` (None: any) and was
        published in ``[year_min, year_max]`` (a bound set leaves out sources with no year),
        in id order: the ``allowed`` set of a filtered vector search."""
        q = _current_passage_ids_query()
        if kinds is not None:
            q = q.where(sources.c.kind.in_(sorted(kinds)))
        if year_min is not None:
            q = q.where(sources.c.year >= int(year_min))
        if year_max is not None:
            q = q.where(sources.c.year <= int(year_max))
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(q).scalars()]

    def passage_attributes(
        self, passage_ids: Sequence[int]
    ) -> dict[int, tuple[str, int | None, bool]]:
        """Passage id -> (its source's kind, year, whether current), 500 ids a query; ids with
        no passage are left out (what a vector backend stores beside each vector)."""
        out: dict[int, tuple[str, int | None, bool]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(passage_ids), 500):
                chunk = [int(x) for x in passage_ids[i : i + 500]]
                rows = conn.execute(
                    select(passages.c.id, sources.c.kind, sources.c.year, sources.c.is_current)
                    .join(sources, sources.c.id == passages.c.source_id)
                    .where(passages.c.id.in_(chunk))
                )
                out.update(
                    (
                        int(r.id),
                        (str(r.kind), None if r.year is None else int(r.year), bool(r.is_current)),
                    )
                    for r in rows
                )
        return out

    def passage_texts(self, passage_ids: Sequence[int]) -> list[tuple[int, str, str | None, str]]:
        """(passage id, source title, section, text) of these passages, 500 ids a query; ids
        with no passage are left out."""
        out: list[tuple[int, str, str | None, str]] = []
        with self.engine.connect() as conn:
            for i in range(0, len(passage_ids), 500):
                chunk = list(passage_ids[i : i + 500])
                rows = conn.execute(
                    select(passages.c.id, sources.c.title, passages.c.section, passages.c.text)
                    .join(sources, sources.c.id == passages.c.source_id)
                    .where(passages.c.id.in_(chunk))
                )
                out += [(int(r.id), r.title, r.section, r.text) for r in rows]
        return out

    def current_passage_owners(self) -> list[tuple[int, int, int]]:
        """(passage id, source id, ord) of every passage of a current source."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(passages.c.id, passages.c.source_id, passages.c.ord)
                .join(sources, sources.c.id == passages.c.source_id)
                .where(sources.c.is_current.is_(True))
            )
            return [(int(p), int(s), int(o)) for p, s, o in rows]

    def current_passage_sources(self) -> dict[int, str]:
        """Passage id -> its source's external id, for every passage of a current source."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(passages.c.id, sources.c.external_id)
                .join(sources, sources.c.id == passages.c.source_id)
                .where(sources.c.is_current.is_(True))
            )
            return {int(pid): str(ext) for pid, ext in rows}

    def quarantined(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(quarantine).order_by(quarantine.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]

    def stats(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            n_sources = conn.execute(
                select(func.count()).select_from(sources).where(sources.c.is_current.is_(True))
            ).scalar_one()
            n_versions = conn.execute(select(func.count()).select_from(sources)).scalar_one()
            per_kind: dict[str, int] = dict(
                conn.execute(
                    select(sources.c.kind, func.count())
                    .where(sources.c.is_current.is_(True))
                    .group_by(sources.c.kind)
                ).all()
            )
            n_passages = conn.execute(
                select(func.count())
                .select_from(passages.join(sources, sources.c.id == passages.c.source_id))
                .where(sources.c.is_current.is_(True))
            ).scalar_one()
            passages_per_kind: dict[str, int] = dict(
                conn.execute(
                    select(sources.c.kind, func.count())
                    .select_from(passages.join(sources, sources.c.id == passages.c.source_id))
                    .where(sources.c.is_current.is_(True))
                    .group_by(sources.c.kind)
                ).all()
            )
            n_quarantine = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
            retracted = conn.execute(
                select(func.count())
                .select_from(sources)
                .where(and_(sources.c.is_current.is_(True), sources.c.retracted.is_(True)))
            ).scalar_one()
        return {
            "sources": n_sources,
            "passages": n_passages,
            "source_versions": n_versions,
            "kinds": {k: per_kind.get(str(k), 0) for k in SourceKind},
            "passages_per_kind": {k: passages_per_kind.get(str(k), 0) for k in SourceKind},
            "retracted": retracted,
            "quarantined": n_quarantine,
        }


def _current_passage_ids_query() -> Select[Any]:
    """Ids of the passages of current sources, ascending (narrowed by the callers)."""
    return (
        select(passages.c.id)
        .join(sources, sources.c.id == passages.c.source_id)
        .where(sources.c.is_current.is_(True))
        .order_by(passages.c.id)
    )
