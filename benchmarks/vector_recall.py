"""Recall@10 of the approximate vector indexes against exact search on real passage vectors.

    python benchmarks/vector_recall.py [--n 5000] [--queries 300] [--kinds usearch,milvus]
                                       [--cache /tmp/curbside_recall_vectors.npz]

Passages: the first ``--n`` BioASQ dev-corpus snippets of ``../shared/data``; queries: the first
``--queries`` BioASQ questions. Both are embedded once with the configured embedder (the bundled
int8 MiniLM by default) and cached in ``--cache``. Each backend is built in a temporary
directory through `curbside.index.vectors.open_vector_index` (``milvus``: Milvus Lite, or the
server of ``CURBSIDE_RETRIEVAL__MILVUS_URI``), and its top 10 for each query is compared with
the float32 brute-force top 10: recall@10 = the mean share of the exact top 10 found. It prints
one line per backend. The issue asks for >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from curbside.config import Settings
from curbside.index.embedder import make_embedder
from curbside.index.vectors import (
    VectorIndexContext,
    open_vector_index,
)

ROOT = Path(__file__).resolve().parents[1]
BIOASQ = ROOT.parent / "shared" / "data" / "benchmarks" / "bioasq"
K = 10


def _lines(path: Path, n: int, field: str) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            text = str(json.loads(line).get(field) or "").strip()
            if text:
                out.append(text)
            if len(out) >= n:
                break
    return out


def vectors(
    settings: Settings, n: int, queries: int, cache: Path
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    if cache.exists():
        data = np.load(cache)
        if len(data["passages"]) >= n and len(data["queries"]) >= queries:
            return data["passages"][:n], data["queries"][:queries]
    if not BIOASQ.exists():
        sys.exit(f"no development data at {BIOASQ}")
    embedder = make_embedder(settings.embedder)
    passages = np.asarray(embedder.embed(_lines(BIOASQ / "corpus.jsonl", n, "text")), np.float32)
    qs = np.vstack(
        [embedder.embed_query(q) for q in _lines(BIOASQ / "queries.jsonl", queries, "text")]
    ).astype(np.float32)
    np.savez(cache, passages=passages, queries=qs)
    return passages, qs


def recall(kind: str, settings: Settings, passages: npt.NDArray[np.float32],
           queries: npt.NDArray[np.float32]) -> tuple[float, float, float]:
    """(recall@10, build seconds, mean search milliseconds) of one backend."""
    unit = passages / np.linalg.norm(passages, axis=1, keepdims=True)
    ids = np.arange(len(unit), dtype=np.int64) * 7 + 3  # not the row numbers
    with tempfile.TemporaryDirectory(prefix="curbside-recall-") as tmp:
        index = open_vector_index(Path(tmp) / "dense", unit.shape[1], "recall", kind,
                                  create=True, context=VectorIndexContext(settings=settings))
        t0 = time.perf_counter()
        index.add(ids, unit)
        index.flush()
        build = time.perf_counter() - t0
        exact = [set(ids[np.argsort(-(unit @ (q / np.linalg.norm(q))))[:K]].tolist())
                 for q in queries]
        t0 = time.perf_counter()
        got = [{i for i, _ in index.search(q, K)} for q in queries]
        search_ms = (time.perf_counter() - t0) / len(queries) * 1000
        found = sum(len(e & g) / K for e, g in zip(exact, got, strict=True))
        if kind == "milvus":
            from curbside.index.milvus_index import close_milvus_clients

            close_milvus_clients()
    return found / len(queries), build, search_ms


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=5000, help="passages")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--kinds", default="usearch,milvus")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir())
                   / "curbside_recall_vectors.npz")
    args = p.parse_args(argv)
    settings = Settings()
    passages, queries = vectors(settings, args.n, args.queries, args.cache)
    print(f"{len(passages)} BioASQ passages x {passages.shape[1]} dims, {len(queries)} queries")
    for kind in args.kinds.split(","):
        r, build, ms = recall(kind, settings, passages, queries)
        print(f"{kind:8s} recall@{K} {r:.4f}  build {build:.1f} s  search {ms:.2f} ms/query")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
