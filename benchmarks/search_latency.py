"""Search latency over a library, with and without the FTS5 postings budget.

    python benchmarks/search_latency.py --home DIR [--n 200] [--budgets 0 2000]
        [--rankers fusion learned] [--every-expansion] [--document-weight W] [--ask]

Asks N real questions (half BioASQ dev, half MedicationQA consumer questions) in one warm
process and prints, per postings budget (0 = every query term ORed, the baseline), p50/p95 of
the keyword query alone and of the whole `search` (keyword + dense when the home has a dense
index, fusion, rerank, diversity), plus how many of the baseline's top-10 keyword hits the
budgeted query still returns (its fidelity; there are no relevance labels for the library).
With --rankers, it also times `search` with each retrieval ranker (`RetrievalOptions(ranker=
...)`: the hand fusion, the default, or the learned ranker) at the configured budget; with
--every-expansion, also with every query expansion at weight 1 (one keyword query, the default
before ``knowledge/expansion.yaml``) and with the expansion weights but without the
vocabulary-gap rule (its passage counts are the rule's cost); these rows take turns on each
question, and each search embeds its question afresh. With --ask, it also times `ask` (search,
composition, safety, verification, rendering; the article is not stored) at the default budget.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data")) / "benchmarks"


def questions(n: int) -> list[str]:
    half = n // 2
    bio = [json.loads(x)["question"] for x in (DATA / "bioasq" / "questions_dev.jsonl").open()]
    med = [json.loads(x)["Question"] for x in (DATA / "medicationqa.jsonl").open()]
    return bio[:half] + med[: n - half]


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def search_configs(args: argparse.Namespace) -> dict[str, Any]:
    """The `RetrievalOptions` each timed row of the ranker table searches with."""
    from curbside.retrieve.hybrid import RetrievalOptions
    from curbside.understand.analysis import EXPANSION_KINDS

    configs = {r: RetrievalOptions(ranker=r) for r in args.rankers}
    if args.every_expansion:
        every = dict.fromkeys(EXPANSION_KINDS, 1.0)
        configs["fusion, every expansion at 1"] = RetrievalOptions(
            expansion_weights=every, expansion_gap=0.0
        )
        configs["fusion, no vocabulary-gap rule"] = RetrievalOptions(expansion_gap=0.0)
    if args.document_weight is not None:
        w = args.document_weight
        configs[f"fusion, document weight {w:g}"] = RetrievalOptions(document_weight=w)
    return configs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--budgets", type=int, nargs="+", default=[0, 2000])
    ap.add_argument(
        "--rankers",
        nargs="*",
        default=[],
        choices=("fusion", "learned"),
        help="also time search with these rankers at the configured budget",
    )
    ap.add_argument(
        "--every-expansion",
        action="store_true",
        help="also time search with every expansion at weight 1 (one keyword query: the "
        "default before knowledge/expansion.yaml), the baseline for the expansion weights, "
        "and without the vocabulary-gap rule",
    )
    ap.add_argument(
        "--document-weight",
        type=float,
        default=None,
        help="also time search with this weight of the source's document cosine in the "
        "fusion for the questions `document_when` selects (`RetrievalOptions."
        "document_weight`; 0 = the search before the blend)",
    )
    ap.add_argument("--ask", action="store_true", help="also time ask at the default budget")
    args = ap.parse_args(argv)
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0

    from curbside import services
    from curbside.config import Settings
    from curbside.index.lexical import Fts5LexicalIndex
    from curbside.retrieve.hybrid import clean_query
    from curbside.understand.analysis import analyze_query, lexical_terms

    rt = services.open_runtime(Settings(home=args.home))
    lex = rt.lexical
    if not isinstance(lex, Fts5LexicalIndex):
        print("this benchmark measures the SQLite FTS5 index", file=sys.stderr)
        return 2
    qs = questions(args.n)
    terms = [[t for t, _ in lexical_terms(analyze_query(clean_query(q)))] for q in qs]
    n_cand = rt.settings.retrieval.candidates
    stats = services.index_status(rt)
    print(
        f"library: {args.home} — {stats['current_passages']} passages, dense index: "
        f"{stats['vectors']} vectors ({stats['missing']} passages not embedded)"
    )
    baseline_top: list[set[int]] = []
    rows = []
    for budget in args.budgets:
        lex.postings_budget = budget
        for q, t in zip(qs[:10], terms[:10], strict=True):  # warm-up
            lex.search(t, n_cand)
            services.search(rt, query=q, k=10)
        lex_ms: list[float] = []
        all_ms: list[float] = []
        kept: list[float] = []
        for i, (q, t) in enumerate(zip(qs, terms, strict=True)):
            t0 = time.perf_counter()
            hits = lex.search(t, n_cand)
            lex_ms.append((time.perf_counter() - t0) * 1000)
            top = {pid for pid, _ in hits[:10]}
            if budget == args.budgets[0]:
                baseline_top.append(top)
            elif baseline_top[i]:
                kept.append(len(top & baseline_top[i]) / len(baseline_top[i]))
            t0 = time.perf_counter()
            services.search(rt, query=q, k=10)
            all_ms.append((time.perf_counter() - t0) * 1000)
        rows.append(
            (
                budget,
                pct(lex_ms, 0.5),
                pct(lex_ms, 0.95),
                pct(all_ms, 0.5),
                pct(all_ms, 0.95),
                statistics.mean(kept) if kept else 1.0,
            )
        )
    by_ranker: dict[str, list[float]] = {}
    configs = search_configs(args)
    lex.postings_budget = rt.settings.retrieval.lexical_postings_budget
    for opt in configs.values():
        for q in qs[:10]:  # warm-up (the learned ranker reads its weights on first use)
            services.search(rt, query=q, k=10, options=opt)
    retriever = services.retriever(rt)
    names = list(configs)
    # Interleaved (load changes hit every row alike), each in turn first; none without rows.
    for i, q in enumerate(qs if names else []):
        for ranker in names[i % len(names) :] + names[: i % len(names)]:
            opt = configs[ranker]
            retriever.forget_queries()  # each search embeds its query, as a new question does
            t0 = time.perf_counter()
            services.search(rt, query=q, k=10, options=opt)
            by_ranker.setdefault(ranker, []).append((time.perf_counter() - t0) * 1000)
    ask_ms: list[float] = []
    if args.ask:
        lex.postings_budget = rt.settings.retrieval.lexical_postings_budget
        for q in qs[:5]:
            services.ask(rt, question=q, save=False)
        for q in qs:
            t0 = time.perf_counter()
            services.ask(rt, question=q, save=False)
            ask_ms.append((time.perf_counter() - t0) * 1000)
    load = os.getloadavg()[0]
    print(f"\n{len(qs)} questions, warm process, load average {load:.1f}\n")
    print(
        "| postings budget | keyword p50 ms | keyword p95 ms | search p50 ms | search p95 ms "
        "| baseline top-10 kept |"
    )
    print("|---|---|---|---|---|---|")
    for b, lp50, lp95, sp50, sp95, k in rows:
        name = "0 (baseline: all terms)" if b == 0 else str(b)
        print(f"| {name} | {lp50:.1f} | {lp95:.1f} | {sp50:.1f} | {sp95:.1f} | {k:.1%} |")
    if by_ranker:
        print(f"\n| ranker (budget {lex.postings_budget}) | search p50 ms | search p95 ms |")
        print("|---|---|---|")
        for ranker, times in by_ranker.items():
            print(f"| {ranker} | {pct(times, 0.5):.1f} | {pct(times, 0.95):.1f} |")
    if ask_ms:
        print(
            f"\nask (budget {lex.postings_budget}): p50 {pct(ask_ms, 0.5):.0f} ms, "
            f"p95 {pct(ask_ms, 0.95):.0f} ms over {len(ask_ms)} questions"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
