"""Corpus use cases: ingest, stats, sources, quarantine, schema upgrades."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curbside.domain import Passage, Source
from curbside.ingest.pipeline import Ingester, IngestObserver, IngestReport
from curbside.services.faults import StorageError, database_label
from curbside.services.runtime import NotFoundError, Runtime
from curbside.store.engine import upgrade
from curbside.store.locks import LockBusy, writer_lock

log = logging.getLogger(__name__)


def upgrade_database(rt: Runtime) -> str | None:
    """Apply pending migrations; returns the revision now in force."""
    from curbside.store.engine import current_revision

    upgrade(rt.engine)
    return current_revision(rt.engine)


WaitHook = Callable[[str], None]


@contextmanager
def library_writer(rt: Runtime, purpose: str, on_wait: WaitHook | None = None) -> Iterator[None]:
    """Hold the database's writer lock (one ingest or index build at a time, across processes).

    A second writer waits up to ``settings.ingest.lock_timeout_s``, telling `on_wait` once
    whom it waits for, then raises `StorageError` (kind ``ingest_locked``).
    """
    timeout = rt.settings.ingest.lock_timeout_s
    try:
        with writer_lock(rt.engine, purpose=purpose, timeout_s=timeout, on_wait=on_wait):
            yield
    except LockBusy as exc:
        raise StorageError(
            "ingest_locked",
            f"{exc.holder} still holds the writer lock of {database_label(rt.settings)} after "
            f"{exc.waited_s:.0f} s; run this again when it has finished, or wait longer with "
            "CURBSIDE_INGEST__LOCK_TIMEOUT_S.",
        ) from None


def ingest(
    rt: Runtime,
    *,
    paths: Sequence[Path],
    fmt: str = "auto",
    mapping: str | None = None,
    observer: IngestObserver | None = None,
    embed: bool = True,
    on_wait: WaitHook | None = None,
) -> IngestReport:
    """Ingest files or directories into the store and keep the indexes current.

    With `embed` (the default) new passages are embedded batch by batch, so `search` and
    `ask` work right after; ``embed=False`` defers that to `build_index`. One ingest writes to
    a database at a time: a second one waits for the first (see `library_writer`).
    """
    from curbside.services.answers import dense_index

    with library_writer(rt, "ingest", on_wait):
        dense = dense_index(rt) if embed else None
        ingester = Ingester(
            store=rt.store,
            lexical=rt.lexical,
            chunking=rt.settings.chunking,
            limits=rt.settings.ingest,
            on_batch=dense.on_batch if dense is not None else None,
        )
        report = ingester.ingest(paths, fmt=fmt, mapping=mapping, observer=observer)
        if dense is not None:
            dense.sync()  # catches up anything a killed earlier run left unembedded
            rt.forget_retrieval()
        _after_ingest(rt, report)
    return report


def _after_ingest(rt: Runtime, report: IngestReport) -> None:
    """Living articles: approved articles whose evidence changed go back to review."""
    from curbside.services.review import after_ingest

    if not (report.superseded_source_ids or report.retracted_source_ids or report.new_source_ids):
        return
    if not rt.articles.has_approved_versions():
        return  # nothing approved can become outdated

    def retrieve(question: str) -> list[int]:
        from curbside.services.answers import search

        # Only confidently relevant hits count: a small library returns everything otherwise.
        hits = search(rt, query=question, k=5).evidence
        return [e.source.id for e in hits if e.scores.get("dense", 0.0) >= 0.45]

    after_ingest(rt, report, retrieve=retrieve)


def build_index(
    rt: Runtime,
    *,
    rebuild: bool = False,
    progress: Any = None,
    on_wait: WaitHook | None = None,
    engine: str | None = None,
) -> dict[str, Any]:
    """Embed every current passage missing from the dense index (all of them with `rebuild`),
    with the build engine `engine` (default: the setting ``index_build.engine``)."""
    from curbside.registry import BUILD_ENGINES
    from curbside.services.answers import dense_index

    name = engine or rt.settings.index_build.engine
    builder = BUILD_ENGINES.get(name)(rt.settings)  # an unknown name fails before the lock
    with library_writer(rt, "index build", on_wait):
        dense = dense_index(rt)
        added = builder.build(dense, rebuild=rebuild, progress=progress)
        rt.forget_retrieval()
    return {"embedded": added, "engine": name, **index_status(rt)}


def index_status(rt: Runtime) -> dict[str, Any]:
    from curbside.services.answers import dense_index

    st = dense_index(rt).status()
    return {
        "directory": st.directory,
        "fingerprint": st.fingerprint,
        "exists": st.exists,
        "vectors": st.vectors,
        "current_passages": st.current_passages,
        "missing": st.missing,
        "stale_entries": st.stale_entries,
        "bytes_on_disk": st.bytes_on_disk,
        "bytes_per_vector": round(st.bytes_per_vector, 1),
    }


def starter_library_path() -> Path:
    from curbside.starter import notes_dir

    return notes_dir()


def ingest_starter_library(
    rt: Runtime,
    *,
    observer: IngestObserver | None = None,
    embed: bool = True,
    on_wait: WaitHook | None = None,
) -> IngestReport:
    """Ingest the bundled starter library (Markdown evidence notes)."""
    return ingest(
        rt, paths=[starter_library_path()], fmt="markdown", observer=observer, embed=embed,
        on_wait=on_wait,
    )


def stats(rt: Runtime) -> dict[str, Any]:
    """Counts of sources and passages (per kind), versions, quarantine, database size."""
    out = rt.store.stats()
    if rt.engine.url.get_backend_name() == "sqlite" and rt.engine.url.database:
        db = Path(rt.engine.url.database)
        out["database_bytes"] = sum(
            p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file()
        )
    out["database"] = rt.engine.url.render_as_string(hide_password=True)
    return out


def list_sources(
    rt: Runtime, *, kind: str | None = None, limit: int = 50, offset: int = 0
) -> list[Source]:
    return rt.store.list_sources(kind=kind, limit=limit, offset=offset)


def get_source(rt: Runtime, *, ref: str) -> tuple[Source, list[Passage]]:
    """A source by id, external id or PMID, with its passages."""
    src = rt.store.find_source(ref)
    if src is None:
        raise NotFoundError(
            f"no source {ref!r} (try an id from `curbside sources list`, "
            "an external id such as pmid:12345, or a PMID)"
        )
    return src, rt.store.passages_of(src.id)


def search_passages_lexical(
    rt: Runtime, *, text: str, limit: int = 10
) -> list[tuple[Passage, Source, float]]:
    """Keyword (FTS5 bm25) search over current passages."""
    from curbside.text.tokens import lexical_tokens

    hits = rt.lexical.search(lexical_tokens(text[:2000]), limit)
    found = rt.store.get_passages([pid for pid, _ in hits])
    return [(found[pid][0], found[pid][1], score) for pid, score in hits if pid in found]


def quarantine(rt: Runtime, *, limit: int = 100) -> list[dict[str, Any]]:
    return rt.store.quarantined(limit)
