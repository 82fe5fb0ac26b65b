"""Retrieval benchmark: NFCorpus (test), BioASQ (dev) and MedicationQA, BM25 vs dense vs hybrid.

    python benchmarks/retrieval.py [--limit N] [--home DIR] [--sets nfcorpus,bioasq,medicationqa]

Prints a Markdown table per data set (all methods measured in the same run), then nDCG@10 on
the odd- and even-numbered queries (in sorted query-id order): tuned parameters were chosen on
the odd half, so the even half is the held-out figure. Writes tables, JSON and PNG charts to
benchmarks/out/.

MedicationQA (consumer medication questions) has no retrieval qrels: it is turned into a
BEIR-layout set under benchmarks/out/data/ (each question against the pool of all reference
answers; its own answer is the one relevant document). Lay wording against professional
answer text makes BM25 the weak retriever there: the set shows how the hybrid degrades.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from curbside.config import Settings
from curbside.eval.retrieval import MethodResult, markdown_table, write_outputs
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services import open_runtime
from curbside.services.evaluation import eval_retrieval

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "benchmarks"
SETS = [("nfcorpus", "test"), ("bioasq", "dev"), ("medicationqa", "test")]
OUT = Path(__file__).parent / "out"

_PLAIN = {"rerank": False, "diversity": False}
METHODS = {
    "bm25": RetrievalOptions(fusion="lexical", expansion=False, **_PLAIN),
    "bm25 + expansion": RetrievalOptions(fusion="lexical", **_PLAIN),
    "dense": RetrievalOptions(fusion="dense", **_PLAIN),
    "rrf (plain, k=60)": RetrievalOptions(fusion="rrf", expansion=False, **_PLAIN),
    "convex z-score w=0.5": RetrievalOptions(weak_lexical_ratio=None, feedback_beta=0.0, **_PLAIN),
    "+ weak-lexical rule": RetrievalOptions(feedback_beta=0.0, **_PLAIN),
    "+ dense PRF (no rule)": RetrievalOptions(weak_lexical_ratio=None, **_PLAIN),
    "hybrid (no expansion)": RetrievalOptions(expansion=False, **_PLAIN),
    "hybrid": RetrievalOptions(**_PLAIN),
}


def medicationqa_beir(src: Path, dest: Path) -> Path:
    """MedicationQA as a BEIR-layout set: questions against the pool of reference answers."""
    if (dest / "qrels" / "test.tsv").is_file():
        return dest
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    answers: dict[str, str] = {}
    queries, qrels = [], []
    for i, line in enumerate(src.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        answer = (row.get("Answer") or "").strip()
        if not answer or not (row.get("Question") or "").strip():
            continue
        doc = answers.setdefault(answer, f"a{len(answers)}")
        queries.append({"_id": f"q{i}", "text": row["Question"]})
        qrels.append(f"q{i}\t{doc}\t1")
    with (dest / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for answer, doc in answers.items():
            fh.write(json.dumps({"_id": doc, "title": "", "text": answer}) + "\n")
    with (dest / "queries.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(q) + "\n" for q in queries)
    (dest / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "\n".join(qrels))
    return dest


def halves_table(results: dict[str, MethodResult]) -> str:
    """nDCG@10 on the odd (tuning) and even (held-out) queries, in sorted query-id order."""
    lines = [
        "| method | nDCG@10 all | odd half (tuning) | even half (held out) |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        qids = sorted(r.per_query)
        odd = [r.per_query[q] for q in qids[0::2]]
        even = [r.per_query[q] for q in qids[1::2]]
        mean = sum(r.per_query.values()) / max(1, len(qids))
        lines.append(
            f"| {name} | {mean:.3f} | {sum(odd) / max(1, len(odd)):.3f} | "
            f"{sum(even) / max(1, len(even)):.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="first N queries per set")
    ap.add_argument("--home", type=Path, default=Path(__file__).parent / "out" / "home")
    ap.add_argument("--sets", default="nfcorpus,bioasq,medicationqa")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0
    rt = open_runtime(Settings(home=args.home))
    for name, split in SETS:
        if name not in args.sets.split(","):
            continue
        t0 = time.perf_counter()
        root = DATA / name
        if name == "medicationqa":
            root = medicationqa_beir(DATA / "medicationqa.jsonl", OUT / "data" / name)
        results = eval_retrieval(rt, root=root, split=split, methods=METHODS, limit=args.limit)
        title = f"{name} {split} ({len(next(iter(results.values())).per_query)} queries, "
        title += f"{time.perf_counter() - t0:.0f} s incl. ingest/index if not cached)"
        print(markdown_table(title, results))
        print(halves_table(results))
        write_outputs(OUT, f"retrieval-{name}-{split}", results)
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
