"""Refusals ("insufficient evidence") with and without the dense index, on the same questions.

    python benchmarks/refusals.py --home DIR [--sets medicationqa,bioasq] [--limit N]
                                  [--split heldout|dev|all] [--out FILE]

Issue 15, item 6: whether an article refuses must depend on the calibrated best answer score,
and work the same with or without a dense index. Each question is asked twice over the same
home, in one process: once as `services.answers.ask` does (hybrid retrieval with the home's
dense index), and once with a runtime whose dense index reports absent (as in a home that never
built one: keyword retrieval only; the embedding model still scores the answer sentences).

Questions (none of them is used to choose anything here):

* ``medicationqa``: MedicationQA consumer questions; ``--split heldout`` (default) asks
  501-690, the part `readability.py` holds out; ``dev`` asks 1-500.
* ``bioasq``: the 200 BioASQ dev questions `answers.py` samples (seed 13: 100 yes/no and 100
  of any type).

For each set: questions refused with the dense index, without it, by both, and the share of
questions on which the two agree; with the refusal's inputs for each article (the best answer
score, compared with `AnswerSettings.min_answer`, and the retrieval confidence, compared with
`AnswerSettings.min_confidence` only when no embedder can score answers). Printed as Markdown;
every row goes to ``--out`` (default ``benchmarks/out/refusals.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curbside import services
from curbside.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CURBSIDE_SHARED_DATA", ROOT.parent / "shared" / "data")) / "benchmarks"
OUT = ROOT / "benchmarks" / "out" / "refusals.json"
#: MedicationQA questions 1..DEV_END are the development part (as `readability.py`).
DEV_END = 500
#: `answers.py`'s BioASQ sample seed.
BIOASQ_SEED = 13


def medicationqa(split: str) -> list[tuple[str, str]]:
    rows = [json.loads(x) for x in (DATA / "medicationqa.jsonl").open() if x.strip()]
    qs = [(f"mqa-{i}", " ".join(str(r.get("Question") or "").split()))
          for i, r in enumerate(rows, 1)]
    keep: Callable[[int], bool] = {
        "dev": lambda i: i <= DEV_END, "heldout": lambda i: i > DEV_END, "all": lambda i: True
    }[split]
    return [(k, q) for n, (k, q) in enumerate(qs, 1) if q and keep(n)]


def bioasq() -> list[tuple[str, str]]:
    """`answers.bioasq_samples`: 100 yes/no questions and 100 of any type, disjoint, seed 13."""
    qs = [json.loads(x) for x in (DATA / "bioasq" / "questions_dev.jsonl").open() if x.strip()]
    rng = random.Random(BIOASQ_SEED)
    s_yn = rng.sample([q for q in qs if q["type"] == "yesno"], 100)
    taken = {q["id"] for q in s_yn}
    s_any = rng.sample([q for q in qs if q["id"] not in taken], 100)
    return [(f"bioasq-{q['id']}", q["question"]) for q in s_yn + s_any]


def runtime(home: Path, dense: bool) -> services.Runtime:
    """A runtime over `home` (not migrated: the home may be shared and read-only); without
    `dense`, its dense index reports absent, so retrieval is keyword-only."""
    rt = services.open_runtime(Settings(home=home), migrate=False)
    if not dense:
        rt.dense.exists = lambda: False  # type: ignore[method-assign]
    return rt


def asker(rt: services.Runtime) -> Callable[[str], dict[str, Any]]:
    """Ask one question over `rt` (as `ask`: clinician, not saved) and return whether it was
    refused, with the best answer score and the retrieval confidence the composer saw."""
    from curbside.messages import message
    from curbside.pipeline import AnswerPipeline, AskRequest
    from curbside.services.answers import _check_question

    weak = message("notice.weak_match")

    composer = rt.composer
    seen: list[Any] = []
    orig = composer.candidates

    def recording(inp: Any) -> Any:  # the composer's own candidate pool, kept for the row
        pool = orig(inp)
        seen.append(pool)
        return pool

    composer.candidates = recording  # type: ignore[method-assign]

    def ask(q: str) -> dict[str, Any]:
        seen.clear()
        t0 = time.perf_counter()
        trace = AnswerPipeline(rt).trace(AskRequest(question=_check_question(q)))
        dt = time.perf_counter() - t0
        pool = seen[0] if seen else None
        best = (max(c.features["answer"] for c in pool.candidates)
                if pool is not None and pool.scored and pool.candidates else None)
        return {
            "insufficient": trace.article.insufficient,
            "weak_match_notice": weak in trace.article.notices,
            "meter": (trace.article.consensus.verdict
                      if trace.article.consensus is not None else None),
            "best_answer": None if best is None else round(best, 4),
            "scored": bool(pool and pool.scored),
            "candidates": len(pool.candidates) if pool is not None else 0,
            "confidence": round(trace.retrieved.result.confidence, 4),
            "ms": round(dt * 1000, 1),
        }

    return ask


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    d = [r["dense"]["insufficient"] for r in rows]
    n = [r["lexical"]["insufficient"] for r in rows]

    def med(key: str, side: str) -> float | None:
        xs = [r[side][key] for r in rows if r[side][key] is not None]
        return round(statistics.median(xs), 3) if xs else None

    return {
        "questions": len(rows),
        "refused_dense": sum(d), "refused_lexical": sum(n),
        "refused_both": sum(a and b for a, b in zip(d, n, strict=True)),
        "only_dense": sum(a and not b for a, b in zip(d, n, strict=True)),
        "only_lexical": sum(b and not a for a, b in zip(d, n, strict=True)),
        "agree": round(sum(a == b for a, b in zip(d, n, strict=True)) / max(1, len(rows)), 3),
        "median_best_answer": {"dense": med("best_answer", "dense"),
                               "lexical": med("best_answer", "lexical")},
        "median_confidence": {"dense": med("confidence", "dense"),
                              "lexical": med("confidence", "lexical")},
        "unscored": {"dense": sum(not r["dense"]["scored"] for r in rows),
                     "lexical": sum(not r["lexical"]["scored"] for r in rows)},
        "weak_match_notice": {"dense": sum(r["dense"]["weak_match_notice"] for r in rows),
                              "lexical": sum(r["lexical"]["weak_match_notice"] for r in rows)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--sets", default="medicationqa,bioasq")
    ap.add_argument("--split", choices=("heldout", "dev", "all"), default="heldout",
                    help=f"MedicationQA questions: heldout {DEV_END + 1}-690, dev 1-{DEV_END}.")
    ap.add_argument("--limit", type=int, default=None, help="At most this many per set.")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if not (DATA / "medicationqa.jsonl").is_file():
        print(f"benchmark data not found under {DATA}", file=sys.stderr)
        return 2
    sets = {"medicationqa": lambda: medicationqa(args.split), "bioasq": bioasq}
    names = [s for s in args.sets.split(",") if s]
    bad = [s for s in names if s not in sets]
    if bad:
        ap.error(f"--sets: unknown set(s) {', '.join(bad)} (known: {', '.join(sets)})")
    ask_dense = asker(runtime(args.home, dense=True))
    ask_lexical = asker(runtime(args.home, dense=False))
    ask_dense("What is hypertension?")  # model load and caches: not counted
    load = os.getloadavg()[0]
    result: dict[str, Any] = {"home": str(args.home), "load_start": load, "sets": {}}
    print(f"## Refusals with and without the dense index ({args.home}; load {load:.1f})\n")
    print("| set | questions | refused, dense | refused, keyword-only | both | only dense | "
          "only keyword-only | agree | median best answer score (dense / keyword-only) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    notes: list[str] = []
    for name in names:
        qs = sets[name]()[: args.limit]
        rows = [{"id": k, "dense": ask_dense(q), "lexical": ask_lexical(q)} for k, q in qs]
        s = summarise(rows)
        result["sets"][name] = {"summary": s, "rows": rows}
        mb = s["median_best_answer"]
        print(f"| {name} | {s['questions']} | {s['refused_dense']} | {s['refused_lexical']} | "
              f"{s['refused_both']} | {s['only_dense']} | {s['only_lexical']} | "
              f"{s['agree']:.1%} | {mb['dense']} / {mb['lexical']} |")
        notes.append(f"{name}: 'weak match' notice on {s['weak_match_notice']['dense']} "
                     f"(dense) / {s['weak_match_notice']['lexical']} (keyword-only) articles; "
                     f"median search confidence (the retriever's own) "
                     f"{s['median_confidence']['dense']} / {s['median_confidence']['lexical']}")
    result["load_end"] = os.getloadavg()[0]
    print("\n" + "\n".join(notes))
    print(f"\nload at the end {result['load_end']:.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
