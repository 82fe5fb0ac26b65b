"""Measure the vocabulary-gap rule of query expansion (``knowledge/expansion.yaml``,
``vocabulary_gap.times``) on the development halves, and report the held-out halves once.

    python benchmarks/expansion_gap.py [--home DIR] [--sets nfcorpus,bioasq,...]
        [--times 0,0.5,1,2,5,10] [--held-out]

For every query of each set's development half (odd positions of the sorted ids,
`retrieval_sets.halves`) the shipped search (`services.answers.search`, k = 10) runs with no
expansion, with the expansion weights of ``knowledge/expansion.yaml`` and no gap rule
(``times`` 0), and with the gap rule at each of ``--times``; the table gives mean nDCG@10
(grade gain) per set and the macro mean. A query without expansions scores the same under
every variant and is searched once. The rule's aim (issue 16, item 3) is that no set loses
nDCG@10 to expansion. ``--held-out`` runs the held-out halves instead, with no expansion, no
gap rule and the file's ``times``: report it, never choose with it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from retrieval_sets import SETS, halves, set_root

from curbside.config import Settings
from curbside.eval.retrieval import evidence_docs, load_beir, ndcg_at
from curbside.retrieve.expansion import expansion_rules
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services import open_runtime
from curbside.services.answers import search
from curbside.services.evaluation import open_beir_runtime
from curbside.understand.analysis import ORIGINAL, analyze_query

OUT = Path(__file__).parent / "out"


def run_set(home: Path, name: str, variants: dict[str, RetrievalOptions], held_out: bool
            ) -> tuple[int, dict[str, float]]:  # fmt: skip
    """(queries, mean nDCG@10 per variant) over one half of one set."""
    root = set_root(name)
    data = load_beir(root, SETS[name])
    dev, rest = halves(list(data.queries))
    qids = rest if held_out else dev
    rt = open_runtime(Settings(home=home))
    ert, _data = open_beir_runtime(rt, root, split=SETS[name])
    sums = dict.fromkeys(variants, 0.0)
    try:
        for qid in qids:
            text, rels = data.queries[qid], data.qrels[qid]
            expanded = any(e.reason != ORIGINAL for e in analyze_query(text).expansions)
            scores: dict[str, float] = {}
            for label, opt in variants.items():
                if scores and not expanded:  # every variant searches the same terms
                    scores[label] = next(iter(scores.values()))
                    continue
                try:
                    shown = search(ert, query=text, k=10, options=opt).evidence
                    scores[label] = ndcg_at(evidence_docs(shown), rels)
                except ValueError:
                    scores[label] = 0.0
            for label, score in scores.items():
                sums[label] += score
    finally:
        ert.close()
        rt.close()
    return len(qids), {k: v / max(len(qids), 1) for k, v in sums.items()}


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", type=Path, default=OUT / "home")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--times", default="0.5,1,2,5,10")
    ap.add_argument("--held-out", action="store_true")
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    variants = {
        "no expansion": RetrievalOptions(expansion=False),
        "weights, no gap rule": RetrievalOptions(expansion_gap=0.0),
    }
    if args.held_out:
        times = [expansion_rules().vocabulary_gap.times]
    else:
        times = sorted({float(t) for t in args.times.split(",")} - {0.0})
    for t in times:
        variants[f"gap x{t:g}"] = RetrievalOptions(expansion_gap=t)
    half = "held-out" if args.held_out else "development"
    rows: dict[str, dict[str, float]] = {}
    for name in args.sets.split(","):
        t0 = time.perf_counter()
        n, means = run_set(args.home, name, variants, args.held_out)
        rows[f"{name} ({n})"] = means
        print(f"{name}: {n} {half}-half queries, {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"\n| {half} half, nDCG@10 | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for label, means in rows.items():
        print(f"| {label} | " + " | ".join(f"{means[v]:.4f}" for v in variants) + " |")
    macro = {v: sum(m[v] for m in rows.values()) / len(rows) for v in variants}
    print("| macro mean | " + " | ".join(f"{macro[v]:.4f}" for v in variants) + " |")
    base = "no expansion"
    for v in variants:
        if v != base:
            worst = min(m[v] - m[base] for m in rows.values())
            print(f"{v}: worst set vs no expansion {worst:+.4f}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
