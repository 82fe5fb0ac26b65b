"""Retrieval benchmark: NFCorpus (test) and BioASQ (dev), BM25 vs dense vs hybrid, with ablations.

    python benchmarks/retrieval.py [--limit N] [--home DIR]

Prints a Markdown table per data set (all methods measured in the same run) and writes
tables, JSON and PNG charts to benchmarks/out/.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from curbside.config import Settings
from curbside.eval.retrieval import markdown_table, write_outputs
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services import open_runtime
from curbside.services.evaluation import eval_retrieval

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "benchmarks"
SETS = [("nfcorpus", "test"), ("bioasq", "dev")]

METHODS = {
    "bm25": RetrievalOptions(fusion="lexical", expansion=False, rerank=False, diversity=False),
    "bm25 + expansion": RetrievalOptions(fusion="lexical", rerank=False, diversity=False),
    "dense": RetrievalOptions(fusion="dense", rerank=False, diversity=False),
    "rrf (plain, k=60)": RetrievalOptions(
        fusion="rrf", expansion=False, rerank=False, diversity=False
    ),
    "rrf + expansion": RetrievalOptions(fusion="rrf", rerank=False, diversity=False),
    "convex min-max 0.5": RetrievalOptions(
        fusion="convex", norm="minmax", rerank=False, diversity=False
    ),
    "convex z-score 0.4": RetrievalOptions(
        fusion="convex", dense_weight=0.4, rerank=False, diversity=False
    ),
    "convex z-score 0.6": RetrievalOptions(
        fusion="convex", dense_weight=0.6, rerank=False, diversity=False
    ),
    "hybrid (no expansion)": RetrievalOptions(
        fusion="convex", expansion=False, rerank=False, diversity=False
    ),
    "hybrid": RetrievalOptions(fusion="convex", rerank=False, diversity=False),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="first N queries per set")
    ap.add_argument("--home", type=Path, default=Path(__file__).parent / "out" / "home")
    ap.add_argument("--sets", default="nfcorpus,bioasq")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0
    rt = open_runtime(Settings(home=args.home))
    for name, split in SETS:
        if name not in args.sets.split(","):
            continue
        t0 = time.perf_counter()
        results = eval_retrieval(
            rt, root=DATA / name, split=split, methods=METHODS, limit=args.limit
        )
        title = f"{name} {split} ({len(next(iter(results.values())).per_query)} queries, "
        title += f"{time.perf_counter() - t0:.0f} s incl. ingest/index if not cached)"
        print(markdown_table(title, results))
        write_outputs(Path(__file__).parent / "out", f"retrieval-{name}-{split}", results)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
