"""Index build throughput: the single-process build vs the Ray build, same passages, one run.

    python benchmarks/ray_build.py [--n 600] [--workers 2] [--local-threads T] [--corpus PATH]

Ingests the first N NFCorpus documents (``--no-embed``) into fresh homes and builds the dense
index of each: ``--engine local`` (this process, ``embedder.threads`` = ``--local-threads``,
default the number of workers), then
``--engine ray`` (a local Ray runtime with ``--workers`` workers of one CPU each), then
``local`` again, so a change of the machine's load during the run shows. The Ray runtime is
started first and timed on its own, so the table shows its start-up apart from the build.
Prints passages/s, the load average before and after each step, and checks that the indexes
hold the same ids with the same stored vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_throughput import DEFAULT_CORPUS  # noqa: E402


def sample(corpus: Path, n: int, out: Path) -> Path:
    with corpus.open(encoding="utf-8") as f, out.open("w", encoding="utf-8") as w:
        for i, line in enumerate(f):
            if i >= n:
                break
            doc = json.loads(line)
            w.write(
                json.dumps(
                    {"_id": doc["_id"], "title": doc.get("title", ""), "text": doc.get("text", "")}
                )
                + "\n"
            )
    return out


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=600, help="NFCorpus documents (default 600)")
    ap.add_argument("--workers", type=int, default=2, help="Ray workers (default 2)")
    ap.add_argument(
        "--local-threads",
        type=int,
        default=None,
        help="onnxruntime threads of the local builds (default: --workers)",
    )
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    import ray

    from curbside import services
    from curbside.config import (
        EmbedderSettings,
        IndexBuildSettings,
        RayBuildSettings,
        Settings,
    )

    tmp = Path(tempfile.mkdtemp(prefix="curbside-raybench-"))
    docs = sample(args.corpus, args.n, tmp / "sample.jsonl")
    ray_cfg = RayBuildSettings(
        workers=args.workers, cpus_per_worker=1, object_store_mb=200, checkpoint_s=30
    )
    rows = []
    stored = {}
    for step, engine in enumerate(("local", "ray", "local")):
        settings = Settings(
            home=tmp / f"{step}-{engine}",
            embedder=EmbedderSettings(threads=args.local_threads or args.workers),
            index_build=IndexBuildSettings(engine=engine, ray=ray_cfg),
        )
        rt = services.open_runtime(settings)
        services.ingest(rt, paths=[docs], fmt="jsonl", mapping="beir", embed=False)
        n = len(rt.store.current_passage_ids())
        if engine == "ray":
            before = load()
            t0 = time.perf_counter()
            ray.init(
                num_cpus=args.workers,
                object_store_memory=200 * 1024 * 1024,
                include_dashboard=False,
                log_to_driver=False,
            )
            rows.append(("ray runtime start", 0, time.perf_counter() - t0, before, load()))
        before = load()
        t0 = time.perf_counter()
        report = services.build_index(rt)
        seconds = time.perf_counter() - t0
        assert report["embedded"] == n and report["missing"] == 0, report
        rows.append((f"{engine} build", n, seconds, before, load()))
        index = rt.dense.index()
        ids = sorted(int(i) for i in index.ids())
        stored[step] = (ids, index.vectors(ids)[1])
        rt.close()
        if engine == "ray":
            ray.shutdown()

    same_ids = stored[0][0] == stored[1][0] == stored[2][0]
    same_vectors = same_ids and all(np.array_equal(stored[0][1], stored[s][1]) for s in (1, 2))
    print(
        f"{args.n} NFCorpus documents -> {rows[0][1]} passages; {args.workers} Ray workers, "
        f"{args.local_threads or args.workers} local threads; {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'step':<18} {'passages':>8} {'seconds':>8} {'passages/s':>10}  "
        f"{'load before':>15} {'load after':>15}"
    )
    for name, n, seconds, before, after in rows:
        rate = f"{n / seconds:.1f}" if n else "-"
        print(f"{name:<18} {n:>8} {seconds:>8.1f} {rate:>10}  {before:>15} {after:>15}")
    print(f"same ids: {same_ids}; same stored vectors: {same_vectors}")
    return 0 if same_vectors else 1


if __name__ == "__main__":
    raise SystemExit(main())
