"""Evaluation use cases: retrieval on a BEIR-layout data set."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from curbside.domain import Evidence
from curbside.eval.retrieval import BeirSet, MethodResult, evaluate, load_beir
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services.answers import search
from curbside.services.corpus import ingest
from curbside.services.runtime import Runtime, open_runtime


def corpus_digest(corpus: Path) -> str:
    """SHA-256 of the corpus file's bytes: the same corpus anywhere shares one cache."""
    h = hashlib.sha256()
    with corpus.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def index_key(rt: Runtime) -> str:
    """The settings an evaluation index depends on: the vector fingerprint (chunking,
    embedder) and the vector index backend. Retrieval knobs that act at query time
    (candidates, fusion, rerank) are left out: they do not change what is stored."""
    shape = {
        "fingerprint": rt.settings.fingerprint(),
        "vectors": rt.settings.retrieval.vector_index,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:12]


def eval_home(rt: Runtime, corpus: Path) -> Path:
    """A cached evaluation home per corpus content and index-shaping settings (not per path)."""
    return rt.settings.home / "eval" / f"beir-{corpus_digest(corpus)}-{index_key(rt)}"


def open_beir_runtime(
    rt: Runtime, root: Path, *, split: str = "test", observer: object = None
) -> tuple[Runtime, BeirSet]:
    """Load the BEIR set and a runtime whose store holds its corpus (ingested once)."""
    data = load_beir(root, split)
    settings = rt.settings.model_copy(
        update={"home": eval_home(rt, data.corpus), "database_url": None}
    )
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
    queries: Sequence[str] | None = None,
    depth: int = 100,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, MethodResult]:
    """Each method run through `answers.search` (the `curbside search` path) over the set."""
    ert, data = open_beir_runtime(rt, root, split=split)

    def run(query: str, k: int, options: RetrievalOptions) -> list[Evidence]:
        return search(ert, query=query, k=k, options=options).evidence

    try:
        return evaluate(
            run, data, methods, limit=limit, queries=queries, depth=depth, progress=progress
        )
    finally:
        ert.close()
