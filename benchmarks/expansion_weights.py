"""Choose the query-expansion weights (``knowledge/expansion.yaml``) on the development halves.

    python benchmarks/expansion_weights.py [--home DIR] [--sets nfcorpus,bioasq,...]
        [--per-set N] [--weights 0,0.25,0.5,1]

For each development-half query (odd positions of the sorted ids, `retrieval_sets.halves`; a
seeded sample of at most ``--per-set`` of each set; the held-out halves are never read) the
shipped search (`services.answers.search`, as in ``retrieval.py``) runs with: no expansion,
every expansion at weight 1, and, for each kind of expansion the question has, that kind at
each of ``--weights`` with the others at 1. A query's nDCG@10 (grade gain) under each is cached
in benchmarks/out/expansion-dev-SET-N.json.

The choice: for each question phrasing (`retrieve.expansion.question_phrasing`: consumer or
technical) and expansion kind, the weight with the best mean nDCG@10 over the queries of that
phrasing, each set weighing the same (the mean of the per-set means; a query without that kind
of expansion counts at its all-at-1 score, so kinds that rarely occur move the mean little);
a weight other than 1 (the behaviour before) must gain at least ``--min-gain`` (0.001: smaller
gains are within the noise of a few hundred queries), and ties go to the larger weight. Kinds
are chosen independently (the other kinds at 1); the printout gives the dev nDCG of the chosen
policy, measured again with all chosen weights together, beside no expansion and all at 1, per
set and phrasing. The weights are chosen without the vocabulary-gap rule (every search here
has ``expansion_gap=0``), which ``benchmarks/expansion_gap.py`` then measures on top of them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from retrieval_sets import SETS, dev_parser, dev_sample, set_root

from curbside.config import Settings
from curbside.eval.retrieval import evidence_docs, ndcg_at
from curbside.retrieve.expansion import question_phrasing
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services import open_runtime
from curbside.services.answers import search
from curbside.services.evaluation import open_beir_runtime
from curbside.understand.analysis import EXPANSION_KINDS, analyze_query, expansion_kind

OUT = Path(__file__).parent / "out"
SEED = 16
ALL = dict.fromkeys(EXPANSION_KINDS, 1.0)


def run_set(
    home: Path, name: str, per_set: int, grid: list[float], policy: Mapping[str, dict[str, float]]
) -> list[dict[str, object]]:
    """Per development-half query: phrasing, kinds present, nDCG@10 under each variant."""
    cache = OUT / f"expansion-dev-{name}-{per_set}-{'_'.join(map(str, grid))}.json"
    rows: list[dict[str, object]] = json.loads(cache.read_text()) if cache.is_file() else []
    split = SETS[name]
    root, data, qids = dev_sample(name, per_set, SEED)
    rt = open_runtime(Settings(home=home))
    ert, _data = open_beir_runtime(rt, root, split=split)

    def ndcg(text: str, rels: Mapping[str, int], opt: RetrievalOptions) -> float:
        try:
            shown = search(ert, query=text, k=10, options=opt).evidence
        except ValueError:
            return 0.0
        return ndcg_at(evidence_docs(shown), rels)

    t0 = time.perf_counter()
    if not rows:
        for qid in qids:
            text, rels = data.queries[qid], data.qrels[qid]
            a = analyze_query(text)
            kinds = sorted({expansion_kind(e) for e in a.expansions} - {"query"})
            row: dict[str, object] = {
                "qid": qid,
                "phrasing": question_phrasing(a),
                "kinds": kinds,
                "none": ndcg(text, rels, RetrievalOptions(expansion=False)),
                "all": ndcg(text, rels, RetrievalOptions(expansion_weights=ALL, expansion_gap=0.0)),
            }
            for kind in kinds:
                for w in grid:
                    if w != 1.0:
                        weights = {**ALL, kind: w}
                        opt = RetrievalOptions(expansion_weights=weights, expansion_gap=0.0)
                        row[f"{kind}={w}"] = ndcg(text, rels, opt)
            rows.append(row)
        cache.write_text(json.dumps(rows))
    for row in rows:  # the chosen policy, all weights together
        qid = str(row["qid"])
        weights = policy[str(row["phrasing"])]
        chosen = RetrievalOptions(expansion_weights=weights, expansion_gap=0.0)
        row["chosen"] = ndcg(data.queries[qid], data.qrels[qid], chosen)
    ert.close()
    rt.close()
    print(f"{name}: {len(rows)} development-half queries, {time.perf_counter() - t0:.0f} s")
    return rows


def choose(
    per_set: Mapping[str, list[dict[str, object]]], grid: list[float], min_gain: float
) -> dict[str, dict[str, float]]:
    """Per phrasing, the weight of each kind with the best macro-mean dev nDCG@10 (1 unless
    another gains at least `min_gain`)."""
    policy: dict[str, dict[str, float]] = {}
    for phrasing in ("consumer", "technical"):
        chosen: dict[str, float] = {}
        for kind in EXPANSION_KINDS:
            best_w, best, at_one = 1.0, -1.0, 0.0
            for w in sorted(grid, reverse=True):
                means = []
                for rows in per_set.values():
                    mine = [r for r in rows if r["phrasing"] == phrasing]
                    if not mine:
                        continue
                    key = "all" if w == 1.0 else f"{kind}={w}"
                    vals = [float(r.get(key, r["all"])) for r in mine]  # type: ignore[arg-type]
                    means.append(sum(vals) / len(vals))
                score = sum(means) / len(means) if means else 0.0
                if w == 1.0:
                    at_one = best = score
                elif score > best + 1e-9 and score >= at_one + min_gain:
                    best_w, best = w, score
                print(f"  {phrasing:9s} {kind:12s} weight {w:4.2f}: {score - at_one:+.5f}")
            chosen[kind] = best_w
        policy[phrasing] = chosen
    return policy


def main() -> int:
    ap = dev_parser(__doc__, OUT / "home")
    ap.add_argument("--weights", default="0,0.25,0.5,1")
    ap.add_argument("--min-gain", type=float, default=0.001)
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    grid = sorted({float(w) for w in args.weights.split(",")} | {1.0})
    names = args.sets.split(",")
    # First pass: the variants (cached); the policy needs every set's rows.
    placeholder = {"consumer": ALL, "technical": ALL}
    per_set = {n: run_set(args.home, n, args.per_set, grid, placeholder) for n in names}
    print("macro-mean dev nDCG@10 minus all at 1, per phrasing, kind and weight:")
    policy = choose(per_set, grid, args.min_gain)
    print("chosen on the development halves:", json.dumps(policy))
    per_set = {n: run_set(args.home, n, args.per_set, grid, policy) for n in names}
    print("\n| set | phrasing | queries | with expansions | none | all at 1 | chosen |")
    print("|---|---|---|---|---|---|---|")
    for name, rows in per_set.items():
        for phrasing in ("consumer", "technical", "both"):
            mine = [r for r in rows if phrasing in ("both", r["phrasing"])]
            if not mine:
                continue
            cells = [
                sum(float(r[k]) for r in mine) / len(mine)  # type: ignore[arg-type]
                for k in ("none", "all", "chosen")
            ]
            n_exp = sum(1 for r in mine if r["kinds"])
            print(f"| {name} | {phrasing} | {len(mine)} | {n_exp} | "
                  + " | ".join(f"{c:.4f}" for c in cells) + " |")  # fmt: skip
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
