"""Idempotent, resumable ingest: readers -> content hash -> versions -> passages -> indexes.

Records are written in batches, each batch one transaction, so a killed process leaves whole
batches behind and a re-run skips what is already stored (same external id and content hash).
A changed record becomes a new version of its source; the old version is retired, not deleted,
because stored articles may cite it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from curbside.config import ChunkSettings, IngestSettings
from curbside.domain import DeleteRecord, PassageDraft, ReadItem, RejectedRecord, SourceRecord
from curbside.index.lexical import LexicalIndex
from curbside.ingest.base import ReaderError, bytes_read
from curbside.ingest.chunking import chunk_sections, source_text
from curbside.store.sources import CurrentVersion, SourceStore

log = logging.getLogger(__name__)

KNOWN_SUFFIXES = (
    ".xml",
    ".xml.gz",
    ".nbib",
    ".txt",
    ".jsonl",
    ".jsonl.gz",
    ".json",
    ".json.gz",
    ".md",
    ".markdown",
    ".html",
    ".htm",
)


class IngestObserver(Protocol):
    """Progress callbacks (the CLI draws a rich progress bar from these)."""

    def file_started(self, path: Path, total_bytes: int) -> None: ...

    def advanced(self, path: Path, records: int, bytes_done: int) -> None: ...

    def file_finished(self, path: Path) -> None: ...


#: The per-file counters of a `FileReport`, in the order reports show them.
COUNT_FIELDS = ("records", "added", "updated", "unchanged", "deleted", "rejected", "passages")


@dataclass
class FileReport:
    path: str
    format: str
    records: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    passages: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    run_id: int
    files: list[FileReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: Sources touched in ways that matter to stored articles (living articles use these).
    superseded_source_ids: list[int] = field(default_factory=list)
    retracted_source_ids: list[int] = field(default_factory=list)
    new_source_ids: list[int] = field(default_factory=list)
    #: Rejected records not already in the quarantine (a re-run of the same file adds none).
    quarantined_new: int = 0

    def total(self, name: str) -> int:
        return sum(int(getattr(f, name)) for f in self.files)

    @property
    def ok(self) -> bool:
        """False only when nothing at all could be ingested (the CLI exits non-zero)."""
        stored = sum(self.total(n) for n in ("added", "updated", "unchanged", "deleted"))
        return stored > 0 or (not any(f.error for f in self.files) and self.total("rejected") == 0)

    def counts(self) -> dict[str, int]:
        return {n: self.total(n) for n in COUNT_FIELDS}


def content_hash(record: SourceRecord) -> str:
    """Hash of everything stored about a record; equal hash = nothing to do."""
    payload = [
        record.title,
        [(s.label, s.text) for s in record.sections],
        str(record.kind),
        record.container,
        record.container_abbrev,
        record.year,
        record.authors,
        record.pmid,
        record.doi,
        record.url,
        record.publication_types,
        record.mesh_terms,
        record.language,
        record.retracted,
        record.retraction_of,
        record.retraction_in,
        record.meta,
    ]
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files to read: plain files as given, directories walked for known extensions."""
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                name = child.name.lower()
                if child.is_file() and not name.startswith(".") and name.endswith(KNOWN_SUFFIXES):
                    yield child
        else:
            yield p


BatchHook = Callable[[Sequence[int], Sequence[int]], None]

#: Errors writing the store's own files: they stop the run (the CLI says what to do) instead of
#: being reported against the input file being read at the time.
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}


def file_digest(path: str) -> str:
    """SHA-256 of a file's bytes as stored (compressed files are not expanded)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _too_many_passages(
    record: SourceRecord, n: int, where: tuple[str, int], limits: IngestSettings
) -> RejectedRecord:
    return RejectedRecord(
        where[0], where[1],
        f"record {record.external_id} would make {n} passages, over the limit of "
        f"{limits.max_passages_per_record} (CURBSIDE_INGEST__MAX_PASSAGES_PER_RECORD)",
        record_id=record.external_id, excerpt=record.title[:200],
    )


class Ingester:
    """Reads files through readers and stores their records, batch by batch."""

    def __init__(
        self,
        *,
        store: SourceStore,
        lexical: LexicalIndex | None,
        chunking: ChunkSettings,
        batch_size: int = 500,
        on_batch: BatchHook | None = None,
        limits: IngestSettings | None = None,
    ) -> None:
        self.store = store
        self.lexical = lexical
        self.chunking = chunking
        self.batch_size = batch_size
        self.on_batch = on_batch
        self.limits = limits or IngestSettings()
        self._digests: dict[str, str] = {}

    def _key(self, rejected: RejectedRecord) -> str:
        """Quarantine key: the file's content hash, the record's position and the reason, so
        ingesting the same file again does not quarantine its bad records again."""
        origin = rejected.origin_file
        digest = self._digests.get(origin)
        if digest is None:
            try:
                digest = file_digest(origin)
            except OSError:  # gone or unreadable now: fall back to what the record shows
                digest = hashlib.sha256(f"{origin}\0{rejected.excerpt}".encode()).hexdigest()
            self._digests[origin] = digest
        blob = f"{digest}\0{rejected.origin_position}\0{rejected.reason}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _check_size(self, record: SourceRecord, path: str) -> SourceRecord | RejectedRecord:
        """The record, or a rejection when its text is over ``max_record_bytes`` characters
        (readers that can refuse a record before parsing it already did)."""
        cap = self.limits.max_record_bytes
        size = len(record.title) + sum(len(s.text) for s in record.sections)
        if size <= cap:
            return record
        return RejectedRecord(
            record.origin_file or path, record.origin_position or 0,
            f"record {record.external_id} has {size} characters of text, over the limit of "
            f"{cap} (CURBSIDE_INGEST__MAX_RECORD_BYTES)",
            record_id=record.external_id, excerpt=record.title[:200],
        )

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        fmt: str = "auto",
        mapping: str | None = None,
        observer: IngestObserver | None = None,
    ) -> IngestReport:
        from curbside.ingest.detect import (
            UnknownFormatError,
            auto_mapping,
            detect_format,
            make_reader,
        )

        t0 = time.perf_counter()
        files = list(expand_paths(paths))
        report = IngestReport(run_id=self.store.begin_run([str(p) for p in paths]))
        self._digests = {}
        seen: dict[str, tuple[str, int, str]] = {}
        status = "done"
        try:
            for path in files:
                frep = FileReport(path=str(path), format=fmt)
                report.files.append(frep)
                try:
                    if not path.exists():
                        raise ReaderError(f"{path}: no such file or directory")
                    if not path.is_file():
                        raise ReaderError(f"{path}: not a regular file")
                    file_fmt = detect_format(path) if fmt == "auto" else fmt
                    frep.format = file_fmt
                    reader = make_reader(file_fmt, mapping or auto_mapping(path),
                                         max_record_bytes=self.limits.max_record_bytes)
                    size = path.stat().st_size
                    if observer:
                        observer.file_started(path, size)
                    self._ingest_items(reader.read(path), path, frep, report, seen, observer)
                except (ReaderError, UnknownFormatError, OSError, ValueError) as exc:
                    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
                        raise
                    frep.error = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
                    log.warning("ingest error: %s", frep.error)
                finally:
                    if observer:
                        observer.file_finished(path)
        except BaseException:
            status = "failed"
            raise
        finally:
            report.seconds = time.perf_counter() - t0
            self.store.finish_run(report.run_id, status=status, counts=report.counts())
        return report

    def _ingest_items(
        self,
        items: Iterable[ReadItem],
        path: Path,
        frep: FileReport,
        report: IngestReport,
        seen: dict[str, tuple[str, int, str]],
        observer: IngestObserver | None,
    ) -> None:
        batch: list[ReadItem] = []
        for item in items:
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._write_batch(batch, frep, report, seen)
                batch = []
                if observer:
                    observer.advanced(path, frep.records, bytes_read())
        if batch:
            self._write_batch(batch, frep, report, seen)
        if observer:
            observer.advanced(path, frep.records, path.stat().st_size)

    def _write_batch(  # noqa: C901
        self,
        batch: list[ReadItem],
        frep: FileReport,
        report: IngestReport,
        seen: dict[str, tuple[str, int, str]],
    ) -> None:
        added_pids: list[int] = []
        removed_pids: list[int] = []
        store = self.store
        with store.engine.begin() as conn:
            ids = [i.external_id for i in batch if isinstance(i, SourceRecord | DeleteRecord)]
            current = store.current_versions(conn, ids)
            latest = store.max_versions(conn, ids)
            # New sources wait here and are inserted together (one statement for the sources,
            # one for their passages); anything that must see them first flushes the queue.
            pending: list[tuple[SourceRecord, int, str, list[PassageDraft]]] = []

            def flush() -> None:
                if not pending:
                    return
                sids = store.insert_sources(
                    conn,
                    [(r, v, h, source_text(r.sections)) for r, v, h, _d in pending],
                    run_id=report.run_id,
                )
                drafts = [d for _r, _v, _h, d in pending]
                pids = store.insert_passages_bulk(conn, list(zip(sids, drafts, strict=True)))
                added_pids.extend(pids)
                frep.passages += len(pids)
                report.new_source_ids.extend(sids)
                for (r, v, h, _d), sid in zip(pending, sids, strict=True):
                    current[r.external_id] = CurrentVersion(sid, v, h)
                    if r.retracted:
                        report.retracted_source_ids.append(sid)
                pending.clear()

            def retire(cur: CurrentVersion, *, deleted: bool) -> None:
                old_pids = store.passage_ids_of(conn, cur.source_id)
                if self.lexical is not None:
                    self.lexical.remove(conn, old_pids)
                removed_pids.extend(old_pids)
                store.retire_source(conn, cur.source_id, deleted=deleted)
                report.superseded_source_ids.append(cur.source_id)

            queued: set[str] = set()

            def reject(rejected: RejectedRecord) -> None:
                frep.rejected += 1
                if store.add_quarantine(conn, report.run_id, rejected, key=self._key(rejected)):
                    report.quarantined_new += 1

            for item in batch:
                if isinstance(item, SourceRecord):
                    item = self._check_size(item, frep.path)
                if isinstance(item, RejectedRecord):
                    reject(item)
                    continue
                frep.records += 1
                if item.external_id in queued:  # the same id twice in one batch
                    flush()
                    queued.clear()
                if isinstance(item, DeleteRecord):
                    cur = current.pop(item.external_id, None)
                    if cur is not None:
                        retire(cur, deleted=True)
                        frep.deleted += 1
                    continue
                record = item
                h = content_hash(record)
                where = (record.origin_file or frep.path, record.origin_position)
                prev = seen.get(record.external_id)
                if prev is not None and prev[:2] != where:
                    same = (
                        "identical, skipped" if prev[2] == h else "differs: stored as a new version"
                    )
                    report.warnings.append(
                        f"{where[0]} record {where[1]}: {record.external_id} duplicates "
                        f"{prev[0]} record {prev[1]} ({same})"
                    )
                seen[record.external_id] = (where[0], where[1], h)
                cur = current.get(record.external_id)
                if cur is not None and cur.content_hash == h:
                    frep.unchanged += 1
                    continue
                version = cur.version + 1 if cur is not None else (
                    latest.get(record.external_id, 0) + 1
                )
                drafts = chunk_sections(
                    record.sections, external_id=record.external_id, version=version,
                    settings=self.chunking,
                )
                if len(drafts) > self.limits.max_passages_per_record:
                    frep.records -= 1
                    reject(_too_many_passages(record, len(drafts), where, self.limits))
                    continue
                if cur is not None:
                    retire(cur, deleted=False)
                    frep.updated += 1
                else:
                    frep.added += 1
                latest[record.external_id] = version
                if record.retraction_of:
                    flush()  # the retracted record may be waiting in the queue
                    queued.clear()
                    report.retracted_source_ids += store.mark_retracted(
                        conn, record.retraction_of, record.pmid
                    )
                pending.append((record, version, h, drafts))
                queued.add(record.external_id)
            flush()
            if self.lexical is not None and added_pids:
                self.lexical.add(conn, added_pids)
        if self.on_batch and (added_pids or removed_pids):
            self.on_batch(added_pids, removed_pids)
