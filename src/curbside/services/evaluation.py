"""Evaluation use cases: retrieval on a BEIR-layout data set."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from curbside.eval.retrieval import BeirSet, MethodResult, evaluate, load_beir, passage_docs
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services.corpus import ingest
from curbside.services.runtime import Runtime, open_runtime


def eval_home(rt: Runtime, root: Path) -> Path:
    """A cached evaluation home per data set and settings fingerprint."""
    key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:8]
    return rt.settings.home / "eval" / f"{root.name}-{key}-{rt.settings.fingerprint()}"


def open_beir_runtime(
    rt: Runtime, root: Path, *, split: str = "test", observer: object = None
) -> tuple[Runtime, BeirSet]:
    """Load the BEIR set and a runtime whose store holds its corpus (ingested once)."""
    data = load_beir(root, split)
    settings = rt.settings.model_copy(update={"home": eval_home(rt, root), "database_url": None})
    ert = open_runtime(settings)
    ingest(ert, paths=[data.corpus], fmt="jsonl", mapping="beir", observer=observer)  # type: ignore[arg-type]
    return ert, data


def eval_retrieval(
    rt: Runtime,
    *,
    root: Path,
    split: str = "test",
    methods: Mapping[str, RetrievalOptions] | None = None,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, MethodResult]:
    ert, data = open_beir_runtime(rt, root, split=split)
    try:
        docs_of = passage_docs(ert.store.current_passage_sources())
        return evaluate(ert.retriever, docs_of, data, methods, limit=limit, progress=progress)
    finally:
        ert.close()
