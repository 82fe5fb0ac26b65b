"""Recall@10 of the pgvector backend's HNSW search against exact search, on real vectors.

Embeds N real passages (NFCorpus abstracts, title + text, the default int8 MiniLM) and the
NFCorpus queries once, caching the vectors in a ``.npz`` (``--cache``), loads them into a
`PgVectorIndex` on PostgreSQL (``--database-url``, else a temporary pgserver PostgreSQL 16 with
pgvector), and prints, for every query: recall@10 of the index's search against a NumPy
brute-force search over the same float32 vectors, unfiltered and with an ``allowed`` filter
(a random half of the passages). It also times the two ways to build: insert then build the
HNSW index once (what `curbside index build` does), and insert into a table whose index
already exists (what a later ingest does), and prints the table's size per vector.

    python benchmarks/pgvector_recall.py [--n 3000] [--cache /tmp/pgvector_recall.npz]
        [--copies 0] [--database-url postgresql+psycopg://…]

``--copies C`` adds C noisy copies of every real vector (Gaussian noise of norm about 0.1, so
each copy stays nearest its original): more rows than `FILTER_EXACT_MAX` in the random half,
so the filtered searches walk the graph instead of scoring the allowed rows exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
NFCORPUS = (
    Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "benchmarks"
    / "nfcorpus"
)
K = 10

Matrix = npt.NDArray[np.float32]


def embed_sample(n: int, cache: Path) -> tuple[Matrix, Matrix]:
    """(passage vectors, query vectors): from `cache` if it holds n passages, else embedded."""
    if cache.exists():
        data = np.load(cache)
        if len(data["passages"]) == n:
            print(f"vectors from {cache}")
            return data["passages"], data["queries"]
    from curbside.config import EmbedderSettings
    from curbside.index.dense import embedding_text
    from curbside.index.embedder import make_embedder

    texts: list[str] = []
    with (NFCORPUS / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            if doc.get("text"):
                texts.append(embedding_text(doc.get("title", ""), None, doc["text"]))
            if len(texts) == n:
                break
    with (NFCORPUS / "queries.jsonl").open(encoding="utf-8") as f:
        queries = [json.loads(line)["text"] for line in f]
    embedder = make_embedder(EmbedderSettings())
    t0 = time.perf_counter()
    passages = np.asarray(embedder.embed(texts), dtype=np.float32)
    print(f"embedded {len(texts)} passages in {time.perf_counter() - t0:.0f} s")
    qv = np.stack([np.asarray(embedder.embed_query(q), dtype=np.float32) for q in queries])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, passages=passages, queries=qv)
    return passages, qv


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """A pgserver PostgreSQL in a temporary directory: its psycopg 3 SQLAlchemy URL."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="curbside-pgrun-"))
    import pgserver
    from sqlalchemy.engine import make_url

    pgdata = Path(tempfile.mkdtemp(prefix="curbside-pgdata-"))
    server = pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        yield url.render_as_string(hide_password=False)
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def exact_top(passages: Matrix, q: Matrix, allowed: npt.NDArray[np.int64] | None) -> set[int]:
    unit = passages / np.linalg.norm(passages, axis=1, keepdims=True)
    scores = unit @ (q / np.linalg.norm(q))
    ids = np.arange(len(passages)) if allowed is None else allowed
    top = ids[np.argsort(-scores[ids], kind="stable")[:K]]
    return {int(i) for i in top}


def run(url: str, passages: Matrix, queries: Matrix) -> None:
    from curbside.index.pgvector_index import PgVectorIndex
    from curbside.index.vectors import VectorIndexContext
    from curbside.store.engine import make_engine

    engine = make_engine(url)
    ctx = VectorIndexContext(engine=engine)
    n, dim = passages.shape
    ids = np.arange(n, dtype=np.int64)
    try:
        # Build path of `curbside index build`: insert (batches of 64, as the dense index
        # does), then the HNSW index once.
        index = PgVectorIndex(Path("bench-recall"), dim, "bench", create=True, context=ctx)
        t0 = time.perf_counter()
        for i in range(0, n, 64):
            index.add(ids[i : i + 64], passages[i : i + 64])
        t_insert = time.perf_counter() - t0
        t0 = time.perf_counter()
        index.flush()
        t_build = time.perf_counter() - t0
        # A later ingest: rows join an existing graph.
        grown = PgVectorIndex(Path("bench-grown"), dim, "bench", create=True, context=ctx)
        grown.flush()
        t0 = time.perf_counter()
        for i in range(0, n, 64):
            grown.add(ids[i : i + 64], passages[i : i + 64])
        t_grow = time.perf_counter() - t0
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {index.table}")
            table_bytes = conn.exec_driver_sql(
                f"SELECT pg_table_size('{index.table}'), pg_relation_size('{index.hnsw_index}')"
            ).one()
            version = conn.exec_driver_sql(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).scalar_one()

        rng = np.random.default_rng(0)
        allowed = np.sort(rng.choice(n, size=n // 2, replace=False)).astype(np.int64)
        for label, allow in (("unfiltered", None), ("allowed = random half", allowed)):
            recalls: list[float] = []
            latencies: list[float] = []
            for q in queries:
                t0 = time.perf_counter()
                hits = index.search(q, K, allowed=allow)
                latencies.append(time.perf_counter() - t0)
                truth = exact_top(passages, q, allow)
                recalls.append(len(truth & {i for i, _ in hits}) / K)
            lat = sorted(latencies)
            print(
                f"{label}: recall@{K} mean {statistics.mean(recalls):.4f}, "
                f"min {min(recalls):.2f}, queries {len(recalls)}, search p50 "
                f"{1000 * lat[len(lat) // 2]:.1f} ms, p95 {1000 * lat[int(len(lat) * 0.95)]:.1f} ms"
            )
        print(
            f"pgvector {version} ({index.dtype}), {n} vectors x {dim}: insert {t_insert:.1f} s "
            f"+ HNSW build {t_build:.1f} s = {t_insert + t_build:.1f} s; insert into an "
            f"existing HNSW index {t_grow:.1f} s; table {table_bytes[0] / n:.0f} B/vector, "
            f"HNSW index {table_bytes[1] / n:.0f} B/vector"
        )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=3000, help="passages to embed (NFCorpus abstracts)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir())
                    / "curbside-pgvector-recall.npz", help="where the vectors are kept")
    ap.add_argument("--copies", type=int, default=0, help="noisy copies of each real vector")
    ap.add_argument("--database-url", help="a PostgreSQL database with pgvector (default: "
                    "a temporary pgserver)")
    args = ap.parse_args(argv)
    if not (NFCORPUS / "corpus.jsonl").exists():
        print(f"NFCorpus not found at {NFCORPUS}", file=sys.stderr)
        return 2
    passages, queries = embed_sample(args.n, args.cache)
    if args.copies:
        rng = np.random.default_rng(1)
        dim = passages.shape[1]
        noisy = [passages + rng.normal(0, 0.1 / np.sqrt(dim), passages.shape).astype(np.float32)
                 for _ in range(args.copies)]
        passages = np.concatenate([passages, *noisy]).astype(np.float32)
    print(f"{len(passages)} passages, {len(queries)} queries; load average "
          f"{os.getloadavg()[0]:.1f}")
    if args.database_url:
        run(args.database_url, passages, queries)
    else:
        with temporary_postgres() as url:
            run(url, passages, queries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
