"""Cost growth of the three deployment profiles from 10k to 1M passages, and a PubMed projection.

    nice -n 10 python benchmarks/scale.py [--sizes 10000 100000 1000000]
        [--backends sqlite-usearch postgres-pgvector milvus-lite] [--work /tmp/curbside-scale]
        [--cache ~/.cache/curbside-scale] [--sample 6000] [--queries 100] [--search-queries 50]
        [--results FILE.jsonl] [--doc docs/scale.md] [--plot docs/scale.png] [--report-only]

Profiles (what a deployment of each kind runs; the passages are the same in all three):

* ``sqlite-usearch`` -- the default: SQLite store + FTS5 keyword index + usearch int8 HNSW file;
* ``postgres-pgvector`` -- PostgreSQL 16 (a pgserver started here) store + tsvector/GIN keyword
  index + pgvector HNSW table (the build sets ``maintenance_work_mem`` to `PG_MAINTENANCE_MEM`
  so the graph is built in memory, as a deployment would);
* ``milvus-lite`` -- SQLite store + FTS5 + Milvus Lite (in-process server) HNSW collection.

Corpus: real Cohen 2006 MEDLINE abstracts (``../shared/data/corpus``) written again with new
ids (``scale-<copy>-<pmid>``, no PMID: the copies are not PubMed records) into one JSON Lines
file per size, and ingested by Curbside's own ingest (``services.corpus.ingest``, no
embedding): chunking, content hashing, store and keyword index, as ``curbside ingest
--no-embed`` does. That is the **ingest** time.

Vectors: the first ``--sample`` passages are embedded once with the default int8 MiniLM and
cached under ``--cache`` (outside the repository), with the query vectors; passage ``i`` gets
sample vector ``i mod sample`` plus Gaussian noise of norm about 0.1 (an index's cost does not
depend on the text). The **index build** time is writing every vector into the backend
(batches of 2,000) plus its ``flush`` (usearch: save the file; pgvector: build the HNSW index;
Milvus: seal). The embedding itself is timed once, on the sample, and projected separately.

Search (the first ``--search-queries`` of the ``--queries`` BioASQ development questions
embedded with the sample, so the model is not in the timings): **lexical** is the keyword list
of `HybridRetriever.raw_lists`, **dense** the vector index's top 100, **hybrid**
`HybridRetriever.search` (both lists, fusion, feedback, passage fetch, rerank: what an answer
runs). p50/p95 over the queries, after 10 of them were run once to warm the caches.

Embedding throughput is measured twice: wall-clock on the whole sample (it depends on the
machine's load) and in CPU seconds on 256 of its passages (`time.process_time`, every thread of
the process: passages per CPU-second is the throughput of one core, what the projection to N
cores uses).

**Disk** is the database (SQLite file, or ``pg_database_size``) plus the vector index files;
**RAM** is the peak proportional set size (PSS) of this run's process, its children (the
Milvus Lite server) and, for PostgreSQL, every server process, sampled every second.

Needs the dev extra (pgserver, which brings psutil; pymilvus and milvus-lite; matplotlib).
Each (profile, size) runs in a subprocess of its own and appends one JSON line to
``--results``; sizes that have a result are skipped on a re-run, so a long run can be resumed
or split. The report (``--doc``, between the ``scale:begin``/``scale:end`` markers, and
``--plot``) is rewritten from every result on file: linear and n log n fits of ingest and build
time, and the projection to PubMed scale.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data"))
COHEN = DATA / "corpus" / "medline_cohen2006.jsonl.gz"
BIOASQ = DATA / "benchmarks" / "bioasq" / "questions_dev.jsonl"
PROFILES = ("sqlite-usearch", "postgres-pgvector", "milvus-lite")
VECTOR_INDEX = {
    "sqlite-usearch": "usearch",
    "postgres-pgvector": "pgvector",
    "milvus-lite": "milvus",
}
#: pgvector builds HNSW fast only while the graph fits in maintenance_work_mem.
PG_MAINTENANCE_MEM = "2GB"
NOISE = 0.1
WRITE_BATCH = 2000
DENSE_K = 100
WARM_QUERIES = 10
EMBED_CPU_PASSAGES = 256
PUBMED_PASSAGES = (100_000_000, 150_000_000)
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"

Matrix = npt.NDArray[np.float32]


# ------------------------------------------------------------------------- corpus and sample
def cohen_records() -> list[dict[str, Any]]:
    """The Cohen 2006 records that have an abstract (title, abstract, pmid, year)."""
    out = []
    with gzip.open(COHEN, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("abstract") and rec.get("title") and rec.get("pubmedID"):
                out.append(rec)
    seen: set[str] = set()
    unique = [r for r in out if not (r["pubmedID"] in seen or seen.add(r["pubmedID"]))]
    return unique


def write_corpus(path: Path, records: Sequence[dict[str, Any]], n_records: int) -> None:
    """`n_records` records cycling through `records`, copy ``c`` of each with id
    ``scale-<c>-<pmid>`` (no PMID field: a copy is not a PubMed record)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n_records):
            rec = records[i % len(records)]
            copy = i // len(records)
            row = {
                "id": f"scale-{copy}-{rec['pubmedID']}",
                "title": rec["title"],
                "abstract": rec["abstract"],
                "year": rec.get("year"),
            }
            f.write(json.dumps(row) + "\n")


def child_env(home: Path, database_url: str | None, vector_index: str) -> dict[str, str]:
    env = dict(os.environ)
    env["CURBSIDE_HOME"] = str(home)
    env.pop("CURBSIDE_DATABASE_URL", None)
    if database_url:
        env["CURBSIDE_DATABASE_URL"] = database_url
    env["CURBSIDE_RETRIEVAL__VECTOR_INDEX"] = vector_index
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def prepare_sample(cache: Path, work: Path, n_sample: int, n_queries: int) -> dict[str, Any]:
    """Embed the first `n_sample` passages of the corpus and the queries once (cached)."""
    out = cache / f"sample-{n_sample}-q{n_queries}.npz"
    meta_path = out.with_suffix(".json")
    if out.exists() and meta_path.exists():
        return dict(json.loads(meta_path.read_text()))
    records = cohen_records()
    home = work / "sample-home"
    shutil.rmtree(home, ignore_errors=True)
    corpus = work / "sample.jsonl"
    write_corpus(corpus, records, len(records))
    from curbside.config import Settings
    from curbside.index.dense import embedding_text
    from curbside.index.embedder import make_embedder
    from curbside.services.corpus import ingest
    from curbside.services.runtime import open_runtime

    os.environ.update(child_env(home, None, "usearch"))
    rt = open_runtime(Settings())
    ingest(rt, paths=[corpus], embed=False)
    ids = rt.store.current_passage_ids()
    per_record = len(ids) / len(records)
    rows = rt.store.passage_texts(ids[:n_sample])
    texts = [embedding_text(title, section, text) for _, title, section, text in rows]
    rt.close()
    questions = []
    with BIOASQ.open(encoding="utf-8") as f:
        for line in f:
            questions.append(json.loads(line)["question"])
            if len(questions) == n_queries:
                break
    embedder = make_embedder(Settings().embedder)
    embedder.embed(texts[:16])  # load the model outside the timing
    t0 = time.perf_counter()
    vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
    embed_s = time.perf_counter() - t0
    qv = np.stack([np.asarray(embedder.embed_query(q), dtype=np.float32) for q in questions])
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(out, passages=vecs, queries=qv)
    meta = {
        "vectors": str(out),
        "questions": questions,
        "passages_per_record": per_record,
        "sample": len(texts),
        "embed_s": embed_s,
        "embed_per_s": len(texts) / embed_s,
        "embed_load": os.getloadavg()[0],
        "cpu_count": os.cpu_count(),
        "sample_chars": sum(len(t) for t in texts),
    }
    meta_path.write_text(json.dumps(meta))
    shutil.rmtree(home, ignore_errors=True)
    return meta


def embed_cpu_rate(meta_path: Path, work: Path) -> dict[str, Any]:
    """Add to the sample's record the embedding throughput per CPU-second (once): the first
    `EMBED_CPU_PASSAGES` passages of the sample, embedded again, timed with process time."""
    meta = dict(json.loads(meta_path.read_text()))
    if "embed_per_cpu_s" in meta:
        return meta
    from curbside.config import Settings
    from curbside.index.dense import embedding_text
    from curbside.index.embedder import make_embedder
    from curbside.services.corpus import ingest
    from curbside.services.runtime import open_runtime

    home = work / "cpu-home"
    shutil.rmtree(home, ignore_errors=True)
    corpus = work / "cpu.jsonl"
    write_corpus(corpus, cohen_records(), EMBED_CPU_PASSAGES)
    os.environ.update(child_env(home, None, "usearch"))
    rt = open_runtime(Settings())
    ingest(rt, paths=[corpus], embed=False)
    ids = rt.store.current_passage_ids()[:EMBED_CPU_PASSAGES]
    texts = [embedding_text(t, sec, x) for _, t, sec, x in rt.store.passage_texts(ids)]
    rt.close()
    embedder = make_embedder(Settings().embedder)
    embedder.embed(texts[:16])
    c0, t0 = time.process_time(), time.perf_counter()
    embedder.embed(texts)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    meta.update(
        {
            "embed_per_cpu_s": len(texts) / cpu,
            "embed_cpu_passages": len(texts),
            "embed_cpu_wall_s": wall,
            "embed_cpu_load": os.getloadavg()[0],
        }
    )
    meta_path.write_text(json.dumps(meta))
    shutil.rmtree(home, ignore_errors=True)
    return meta


def noisy_vectors(sample: Matrix, start: int, stop: int) -> Matrix:
    """Vectors of passages ``start..stop-1`` (positions): sample row ``i mod len`` plus noise
    seeded by ``start`` (the same rows on every run and every backend)."""
    idx = np.arange(start, stop) % len(sample)
    rng = np.random.default_rng(start)
    dim = sample.shape[1]
    out = sample[idx] + rng.normal(0, NOISE / math.sqrt(dim), (stop - start, dim))
    return out.astype(np.float32)


# ----------------------------------------------------------------------------- measuring
class PeakMemory:
    """Peak summed PSS of this process, its descendants and `extra_roots`' process trees."""

    def __init__(self, extra_roots: Sequence[int] = ()) -> None:
        import psutil

        self._psutil = psutil
        self.roots = [os.getpid(), *extra_roots]
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self) -> Iterator[Any]:
        """The roots and their live descendants, each once."""
        ps = self._psutil
        seen: set[int] = set()
        for root in self.roots:
            try:
                proc = ps.Process(root)
                procs = [proc, *proc.children(recursive=True)]
            except ps.Error:
                continue
            for p in procs:
                if p.pid not in seen:
                    seen.add(p.pid)
                    yield p

    def _sum(self, measure: Any) -> float:
        total = 0.0
        for p in self._processes():
            try:
                total += measure(p)
            except self._psutil.Error:  # the process ended meanwhile
                continue
        return total

    def sample(self) -> int:
        total = int(self._sum(lambda p: p.memory_full_info().pss))
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the roots, their live descendants and the
        descendants they have reaped: load-independent, unlike the wall clock."""

        def used(p: Any) -> float:
            t = p.cpu_times()
            return float(t.user + t.system + t.children_user + t.children_system)

        return self._sum(used)

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


class _CachedDense:
    """What `HybridRetriever` needs of a dense index, with the query vectors precomputed."""

    def __init__(self, index: Any, qvecs: dict[str, Matrix]) -> None:
        self._index = index
        self._qvecs = qvecs

    def index(self) -> Any:
        return self._index

    def query_vector(self, query: str) -> Matrix:
        return self._qvecs[query]


def run_one(profile: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    """One profile at one size (in a subprocess of its own): ingest, build, disk, RAM, search."""
    from sqlalchemy import text

    from curbside.config import Settings
    from curbside.index.vectors import VectorIndexContext, open_vector_index
    from curbside.retrieve.hybrid import HybridRetriever, clean_query
    from curbside.services.corpus import ingest
    from curbside.services.runtime import open_runtime

    meta = json.loads(Path(args.sample_meta).read_text())
    data = np.load(meta["vectors"])
    sample, queries = data["passages"], data["queries"]
    questions = meta["questions"]
    settings = Settings()
    roots = [int(args.server_pid)] if args.server_pid else []
    result: dict[str, Any] = {"profile": profile, "target": n, "load_start": os.getloadavg()[0]}
    with PeakMemory(roots) as mem:
        rt = open_runtime(settings)
        t0, c0 = time.perf_counter(), mem.cpu_seconds()
        report = ingest(rt, paths=[Path(args.corpus)], embed=False)
        result["ingest_s"] = time.perf_counter() - t0
        result["ingest_cpu_s"] = mem.cpu_seconds() - c0
        result["ingest_ok"] = report.ok
        ids = np.asarray(rt.store.current_passage_ids(), dtype=np.int64)
        result["passages"] = len(ids)
        mem.sample()
        result["ingest_peak_bytes"] = mem.peak
        directory = settings.index_dir / "dense-scale"
        directory.mkdir(parents=True, exist_ok=True)
        ctx = VectorIndexContext(engine=rt.engine, settings=settings)
        index = open_vector_index(
            directory,
            sample.shape[1],
            "scale-benchmark",
            VECTOR_INDEX[profile],
            create=True,
            context=ctx,
        )
        if profile == "postgres-pgvector":
            _set_pg_maintenance_mem(rt.engine)
            rt.engine.dispose()  # new connections take the database setting
        add_s = add_cpu = 0.0
        for start in range(0, len(ids), WRITE_BATCH):
            stop = min(start + WRITE_BATCH, len(ids))
            vecs = noisy_vectors(sample, start, stop)  # made outside the timing
            t0, c0 = time.perf_counter(), mem.cpu_seconds()
            index.add(ids[start:stop], vecs)
            add_s += time.perf_counter() - t0
            add_cpu += mem.cpu_seconds() - c0
        t0, c0 = time.perf_counter(), mem.cpu_seconds()
        index.flush()
        result["add_s"], result["flush_s"] = add_s, time.perf_counter() - t0
        result["build_s"] = add_s + result["flush_s"]
        result["build_cpu_s"] = add_cpu + mem.cpu_seconds() - c0
        result["build_peak_bytes"] = mem.peak

        qvecs = {clean_query(q): queries[i] for i, q in enumerate(questions)}
        retriever = HybridRetriever(
            store=rt.store,
            lexical=rt.lexical,
            dense=_CachedDense(index, qvecs),
            settings=settings.retrieval,
        )
        timings: dict[str, list[float]] = {"lexical": [], "dense": [], "hybrid": []}
        searched = questions[: args.search_queries]
        for rep, batch in enumerate((searched[:WARM_QUERIES], searched)):
            for q in batch:  # the first batch warms caches and is not counted
                cq = clean_query(q)
                t0 = time.perf_counter()
                retriever.raw_lists(q, settings.retrieval.candidates, dense=False)
                t1 = time.perf_counter()
                index.search(qvecs[cq], DENSE_K)
                t2 = time.perf_counter()
                retriever.search(q, k=10)
                t3 = time.perf_counter()
                if rep:
                    timings["lexical"].append(1000 * (t1 - t0))
                    timings["dense"].append(1000 * (t2 - t1))
                    timings["hybrid"].append(1000 * (t3 - t2))
        for name, values in timings.items():
            result[f"{name}_p50_ms"] = percentile(values, 0.5)
            result[f"{name}_p95_ms"] = percentile(values, 0.95)
        if rt.engine.dialect.name == "postgresql":
            with rt.engine.connect() as conn:
                db_bytes = int(
                    conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
                )
        else:
            db_bytes = sum(tree_bytes(p) for p in settings.home.glob("*.db*") if p.is_file())
        vec_bytes = tree_bytes(directory)
        rt.close()
    result["db_bytes"] = db_bytes
    result["vector_file_bytes"] = vec_bytes
    result["disk_bytes"] = db_bytes + vec_bytes
    result["peak_bytes"] = mem.peak
    result["load_end"] = os.getloadavg()[0]
    return result


def _set_pg_maintenance_mem(engine: Any) -> None:
    """The pgvector index builds in its own connections: set the memory for the database."""
    from sqlalchemy import text

    with engine.connect() as conn:
        db = conn.execute(text("SELECT current_database()")).scalar_one()
    with engine.begin() as conn:
        conn.execute(
            text(f"ALTER DATABASE \"{db}\" SET maintenance_work_mem = '{PG_MAINTENANCE_MEM}'")
        )


# ------------------------------------------------------------------------------ the driver
@contextmanager
def postgres_server(work: Path) -> Iterator[tuple[str, int]]:
    """A pgserver PostgreSQL 16 under `work`: (its psycopg URL, the postmaster's pid)."""
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="curbside-pgrun-"))
    import pgserver
    from sqlalchemy.engine import make_url

    pgdata = work / "pgdata"
    shutil.rmtree(pgdata, ignore_errors=True)
    server = pgserver.get_server(pgdata, cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        url = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        yield url.render_as_string(hide_password=False), pid
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def _pg_admin(url: str, sql: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def done_keys(results: Path) -> set[tuple[str, int]]:
    if not results.exists():
        return set()
    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    return {(r["profile"], r["target"]) for r in rows}


def drive(args: argparse.Namespace) -> int:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = Path(args.results)
    meta = prepare_sample(Path(args.cache).expanduser(), work, args.sample, args.queries)
    meta_path = Path(meta["vectors"]).with_suffix(".json")
    meta = embed_cpu_rate(meta_path, work)
    print(
        f"sample: {meta['sample']} passages embedded at {meta['embed_per_s']:.1f} passages/s "
        f"(load {meta['embed_load']:.1f}); {meta['passages_per_record']:.2f} passages/record",
        flush=True,
    )
    records = cohen_records()
    todo = [(n, p) for n in args.sizes for p in args.backends if (p, n) not in done_keys(results)]
    pg: Any = None
    pg_ctx = None
    try:
        for n, profile in todo:
            n_records = math.ceil(n / meta["passages_per_record"])
            corpus = work / f"corpus-{n}.jsonl"
            if not corpus.exists():
                write_corpus(corpus, records, n_records)
            home = work / f"{profile}-{n}"
            shutil.rmtree(home, ignore_errors=True)
            url, server_pid = None, None
            if profile == "postgres-pgvector":
                if pg is None:
                    pg_ctx = postgres_server(work)
                    pg = pg_ctx.__enter__()
                admin_url, server_pid = pg
                db = f"scale_{n}"
                _pg_admin(admin_url, f"DROP DATABASE IF EXISTS {db}")
                _pg_admin(admin_url, f"CREATE DATABASE {db}")
                from sqlalchemy.engine import make_url

                url = make_url(admin_url).set(database=db).render_as_string(hide_password=False)
            env = child_env(home, url, VECTOR_INDEX[profile])
            cmd = [
                sys.executable,
                __file__,
                "--one",
                profile,
                str(n),
                "--corpus",
                str(corpus),
                "--sample-meta",
                str(meta_path),
                "--results",
                str(results),
                "--search-queries",
                str(args.search_queries),
            ]
            if server_pid:
                cmd += ["--server-pid", str(server_pid)]
            print(f"{profile} at {n}: running (load {os.getloadavg()[0]:.1f})", flush=True)
            proc = subprocess.run(cmd, env=env, check=False)
            if proc.returncode:
                print(f"{profile} at {n}: failed (exit {proc.returncode})", flush=True)
            if url is not None and pg is not None:
                _pg_admin(pg[0], f"DROP DATABASE IF EXISTS scale_{n}")
            shutil.rmtree(home, ignore_errors=True)
            write_report(results, meta, Path(args.doc), Path(args.plot))
    finally:
        if pg_ctx is not None:
            pg_ctx.__exit__(None, None, None)
    write_report(results, meta, Path(args.doc), Path(args.plot))
    return 0


# ------------------------------------------------------------------------------ the report
def fit(ns: Sequence[float], ys: Sequence[float]) -> dict[str, Any]:
    """Least-squares fits ``y = a + b*f(n)`` for f = n and n log n; the better one by the
    relative residual (each point weighted by 1/y, so the small sizes count)."""
    out: dict[str, Any] = {}
    n = np.asarray(ns, dtype=float)
    y = np.asarray(ys, dtype=float)
    for name, f in (("linear", n), ("n log n", n * np.log(n))):
        a_mat = np.stack([np.ones_like(f), f], axis=1) / y[:, None]
        coef, *_ = np.linalg.lstsq(a_mat, np.ones_like(y), rcond=None)
        pred = np.stack([np.ones_like(f), f], axis=1) @ coef
        rel = float(np.sqrt(np.mean(((pred - y) / y) ** 2)))
        out[name] = {"a": float(coef[0]), "b": float(coef[1]), "rel_rmse": rel}
    out["best"] = min(("linear", "n log n"), key=lambda k: out[k]["rel_rmse"])
    return out


def predict(model: dict[str, Any], n: float) -> float:
    best = model[model["best"]]
    f = n if model["best"] == "linear" else n * math.log(n)
    return float(best["a"] + best["b"] * f)


def _human(b: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(b) < 1000:
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1000
    return f"{b:.1f} PB"


def _dur(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def write_report(results: Path, meta: dict[str, Any], doc: Path, plot: Path) -> None:
    rows = (
        [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
        if results.exists()
        else []
    )
    rows.sort(key=lambda r: (PROFILES.index(r["profile"]), r["passages"]))
    lines = [
        BEGIN,
        "",
        "| profile | passages | ingest: wall (CPU) | index build (add + flush): wall (CPU) | "
        "disk B/passage (vector files) | peak RAM | lexical p50/p95 ms | dense p50/p95 ms | "
        "hybrid p50/p95 ms | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['profile']} | {r['passages']:,} | {r['ingest_s']:.0f} s "
            f"({r['ingest_cpu_s']:.0f} s) | "
            f"{r['build_s']:.0f} s ({r['add_s']:.0f} + {r['flush_s']:.0f}) "
            f"({r['build_cpu_s']:.0f} s) | "
            f"{r['disk_bytes'] / r['passages']:,.0f} "
            f"({r['vector_file_bytes'] / r['passages']:,.0f}) | {_human(r['peak_bytes'])} | "
            f"{r['lexical_p50_ms']:.1f} / {r['lexical_p95_ms']:.1f} | "
            f"{r['dense_p50_ms']:.1f} / {r['dense_p95_ms']:.1f} | "
            f"{r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} | "
            f"{r['load_start']:.1f}-{r['load_end']:.1f} |"
        )
    lines += [
        "",
        "Growth fits (`y = a + b f(n)` by least squares on the relative error; the "
        "relative RMS error of each; the better one is used for the projection; times "
        "are CPU seconds, which the load does not inflate; a fit needs three sizes):",
        "",
        "| profile | measure | linear | n log n | better |",
        "|---|---|---:|---:|---|",
    ]
    fits: dict[tuple[str, str], dict[str, Any]] = {}
    for profile in PROFILES:
        mine = [r for r in rows if r["profile"] == profile]
        if len(mine) < 3:
            continue
        ns = [r["passages"] for r in mine]
        for measure in ("ingest_cpu_s", "build_cpu_s", "disk_bytes", "peak_bytes"):
            model = fit(ns, [r[measure] for r in mine])
            fits[(profile, measure)] = model
            lines.append(
                f"| {profile} | {measure} | {model['linear']['rel_rmse']:.1%} | "
                f"{model['n log n']['rel_rmse']:.1%} | {model['best']} |"
            )
    per_core = meta.get("embed_per_cpu_s")
    cores = meta["cpu_count"] or 2
    lines += [
        "",
        f"Embedding (the default int8 MiniLM, ONNX on CPU): the {meta['sample']:,}-passage "
        f"sample took {meta['embed_s']:.0f} s wall-clock = {meta['embed_per_s']:.1f} "
        f"passages/s on this machine's {cores} shared cores at load average "
        f"{meta['embed_load']:.1f}"
        + (
            f"; in CPU time, {meta['embed_cpu_passages']} of its passages took "
            f"{meta['embed_cpu_passages'] / per_core:.0f} CPU-seconds = **{per_core:.1f} "
            f"passages per core-second** (load {meta['embed_cpu_load']:.1f}). The projection "
            "assumes it scales with cores (the embedding is data-parallel over passage "
            "ranges, as the Ray build runs it)"
            if per_core
            else ""
        )
        + ". **GPU: not measured** -- this session had no GPU, so no GPU figure is given; "
        "`benchmarks/embed_throughput.py` on a GPU machine gives the figure to put here.",
        "",
        "Projection to PubMed (36M abstracts, about 100-150M passages), from the better fit of "
        "each profile over the sizes measured (an extrapolation of two to four orders of "
        "magnitude: read it as an order of magnitude). Ingest and build are CPU time "
        "(core-hours: divide by the cores a step really uses in parallel); embedding is "
        "wall-clock on 64 and 512 cores:",
        "",
        "| profile | passages | disk | peak RAM | ingest (CPU) | index build (CPU) | "
        "embedding on 64 / 512 cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for profile in PROFILES:
        if (profile, "build_cpu_s") not in fits:
            continue
        rate = per_core or meta["embed_per_s"] / cores
        for n in PUBMED_PASSAGES:
            embed_64 = n / (rate * 64)
            embed_512 = n / (rate * 512)
            lines.append(
                f"| {profile} | {n / 1e6:.0f}M | "
                f"{_human(predict(fits[(profile, 'disk_bytes')], n))} | "
                f"{_human(predict(fits[(profile, 'peak_bytes')], n))} | "
                f"{_dur(predict(fits[(profile, 'ingest_cpu_s')], n))} | "
                f"{_dur(predict(fits[(profile, 'build_cpu_s')], n))} | "
                f"{_dur(embed_64)} / {_dur(embed_512)} |"
            )
    lines += ["", END]
    block = "\n".join(lines)
    if doc.exists() and BEGIN in doc.read_text():
        head, rest = doc.read_text().split(BEGIN, 1)
        tail = rest.split(END, 1)[1] if END in rest else ""
        doc.write_text(head + block + tail)
    else:
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text("# Cost growth\n\n" + block + "\n")
    if rows:
        draw(rows, plot)


def draw(rows: Sequence[dict[str, Any]], plot: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        ("ingest_cpu_s", "ingest (CPU s)"),
        ("build_cpu_s", "index build (CPU s)"),
        ("disk_per", "disk (bytes/passage)"),
        ("peak_bytes", "peak RAM (bytes)"),
        ("dense_p95_ms", "dense search p95 (ms)"),
        ("hybrid_p95_ms", "hybrid search p95 (ms)"),
    )
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.5))
    for ax, (key, label) in zip(axes.flat, panels, strict=True):
        for profile in PROFILES:
            mine = [r for r in rows if r["profile"] == profile]
            if not mine:
                continue
            xs = [r["passages"] for r in mine]
            ys = [r["disk_bytes"] / r["passages"] if key == "disk_per" else r[key] for r in mine]
            ax.plot(xs, ys, marker="o", label=profile)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("passages")
        ax.set_title(label, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    plot.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(plot, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--backends", nargs="+", choices=PROFILES, default=list(PROFILES))
    ap.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "curbside-scale"))
    ap.add_argument(
        "--cache",
        default="~/.cache/curbside-scale",
        help="where the sample and query vectors are kept (outside the repo)",
    )
    ap.add_argument("--sample", type=int, default=6000, help="passages embedded for real")
    ap.add_argument("--queries", type=int, default=100, help="BioASQ questions embedded")
    ap.add_argument(
        "--search-queries",
        type=int,
        default=50,
        help="how many of them each (profile, size) searches",
    )
    ap.add_argument(
        "--results", default=None, help="JSON Lines of results (default: <work>/results.jsonl)"
    )
    ap.add_argument("--doc", default=str(REPO / "docs" / "scale.md"))
    ap.add_argument("--plot", default=str(REPO / "docs" / "scale.png"))
    ap.add_argument("--report-only", action="store_true", help="rewrite the report only")
    ap.add_argument("--one", nargs=2, metavar=("PROFILE", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--sample-meta", help=argparse.SUPPRESS)
    ap.add_argument("--server-pid", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.results = args.results or str(Path(args.work) / "results.jsonl")
    if args.one:
        profile, n = args.one[0], int(args.one[1])
        result = run_one(profile, n, args)
        with Path(args.results).open("a", encoding="utf-8") as f:
            f.write(json.dumps(result) + "\n")
        print(json.dumps(result), flush=True)
        return 0
    if not COHEN.exists() or not BIOASQ.exists():
        print(f"development data not found under {DATA}", file=sys.stderr)
        return 2
    if args.report_only:
        meta_files = sorted(Path(args.cache).expanduser().glob("sample-*.json"))
        if not meta_files:
            print("no sample on file: run without --report-only first", file=sys.stderr)
            return 2
        write_report(
            Path(args.results),
            json.loads(meta_files[-1].read_text()),
            Path(args.doc),
            Path(args.plot),
        )
        return 0
    return drive(args)


if __name__ == "__main__":
    raise SystemExit(main())
