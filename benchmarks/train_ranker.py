"""Train the learned ranker (`curbside.retrieve.ranker`) on development relevance data only.

    python benchmarks/train_ranker.py [--home DIR] [--per-set N] [--documents first|mean]
        [--sets nfcorpus,bioasq,medicationqa,medquad] [--l2 L2] [--lambda-rounds N]
        [--temperature T] [--out FILE]

Training queries: the development half (odd positions of the sorted query ids, see
`retrieval_sets.halves`) of NFCorpus (test qrels: there is no NFCorpus dev split here), BioASQ
dev, MedicationQA (questions against the pool of answers) and the MedQuAD question sample
(questions against their own answers); every query of each half by default (``--per-set N``:
a seeded sample of at most N queries of each half). The held-out halves are never read here.

For each query the retriever's own `learned_candidates` gives the pool and its feature matrix
(exactly what `search` scores); a candidate's label is its source's relevance grade. The model
is linear, fitted by pairwise logistic regression (every pair of candidates of one query with
different grades, at most ``PAIRS`` sampled per query with a fixed seed; each set weighs the
same in total) with an L2 penalty, by Newton's method. Then ``--lambda-rounds`` rounds of
LambdaRank weighting: each pair weighs |grade difference| x |difference of the 1/log2(rank +
2) discounts at the current model's ranks| (top 20 only; `lambda_weights`), so pairs that
move the head of the list count and pairs deep in the pool do not, and the model is refitted
from the last weights. Last, the weights are multiplied by ``--temperature``: search's
diversity step (MMR) divides each score by the top one, so a flatter logistic let it weigh
overlap against relevance as it does for the hand fusion. L2 10, 2 rounds and temperature 0.5
were chosen by 5-fold cross-validation within the development halves (docs/benchmarks.md).
Since stop 27 search carries the ranker's order onto the fused scores (`ranker.on_scale`), so
the temperature no longer changes what search shows; it is kept so the weights file is v3's.
Features are standardised with the training rows' mean and sd, stored with the weights.
Writes ``src/curbside/retrieve/ranker-v3.json`` (or ``--out``) and caches the features under
benchmarks/out/.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
from retrieval_sets import SETS, dev_parser, dev_sample, set_root

from curbside.config import Settings
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.retrieve.ranker import FEATURES, RANKER_FILE, LinearRanker
from curbside.services import open_runtime
from curbside.services.evaluation import open_beir_runtime

OUT = Path(__file__).parent / "out"
SEED = 16
PAIRS = 200
L2 = 10.0
LAMBDA_ROUNDS = 2
#: Pairs of a query kept in a LambdaRank round (those with a non-zero weight, sampled).
LAMBDA_PAIRS = 1000
#: Ranks beyond this get no discount in `lambda_weights` (search shows the top 10).
LAMBDA_DEPTH = 20
TEMPERATURE = 0.5
#: Every development-half query of each set (MedQuAD's has 1,233).
PER_SET = 2000
VERSION = 3

Matrix = npt.NDArray[np.float64]


def collect(
    home: Path, name: str, per_set: int, documents: str
) -> tuple[list[Matrix], list[Matrix]]:
    """(feature matrix, grades) per development-half query of one set (cached on disk)."""
    cache = OUT / f"ranker-features-{name}-{documents}-{per_set}.npz"
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            n = int(z["n"])
            return [z[f"x{i}"] for i in range(n)], [z[f"y{i}"] for i in range(n)]
    split = SETS[name]
    root, data, qids = dev_sample(name, per_set, SEED)
    rt = open_runtime(Settings(home=home))
    ert, _data = open_beir_runtime(rt, root, split=split)
    opt = RetrievalOptions(documents=documents)  # type: ignore[arg-type]
    xs, ys = [], []
    t0 = time.perf_counter()
    for qid in qids:
        try:
            _a, pool, x, _s = ert.retriever.learned_candidates(data.queries[qid], opt)
        except ValueError:
            continue
        rels = data.qrels[qid]
        y = np.asarray(
            [max(0, rels.get(c.source.external_id.split(":", 1)[-1], 0)) for c in pool],
            dtype=np.float64,
        )
        xs.append(x)
        ys.append(y)
    ert.close()
    rt.close()
    print(f"{name}: {len(xs)} development-half queries, {time.perf_counter() - t0:.0f} s")
    np.savez(cache, n=len(xs), **{f"x{i}": x for i, x in enumerate(xs)},
             **{f"y{i}": y for i, y in enumerate(ys)})  # fmt: skip
    return xs, ys


def pairs(
    xs: list[Matrix], ys: list[Matrix], rng: random.Random
) -> tuple[list[Matrix], list[float]]:
    """Row differences (better minus worse) of sampled pairs, one weight per query's pairs."""
    diffs: list[Matrix] = []
    counts: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        better = [(i, j) for i in range(len(y)) for j in range(len(y)) if y[i] > y[j]]
        if not better:
            continue
        if len(better) > PAIRS:
            better = rng.sample(better, PAIRS)
        diffs.append(np.asarray([x[i] - x[j] for i, j in better]))
        counts.append(float(len(better)))
    return diffs, counts


def lambda_weights(
    scores: Matrix, y: Matrix, better: list[tuple[int, int]], depth: int = LAMBDA_DEPTH
) -> Matrix:
    """LambdaRank's weight of each (better, worse) pair at the current `scores`: |grade
    difference| x |difference of the pair's 1/log2(rank + 2) discounts| / ideal DCG@10, with
    no discount beyond rank `depth` (a pair both of whose passages rank deeper weighs 0)."""
    rank = np.empty(len(scores), dtype=np.int64)
    rank[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    disc = 1.0 / np.log2(rank + 2.0)
    disc[rank >= depth] = 0.0
    ideal = np.sort(y)[::-1][:10]
    idcg = float((ideal / np.log2(np.arange(len(ideal)) + 2.0)).sum()) or 1.0
    if not better:
        return np.zeros(0)
    i = np.asarray([a for a, _ in better])
    j = np.asarray([b for _, b in better])
    out: Matrix = np.abs(y[i] - y[j]) * np.abs(disc[i] - disc[j]) / idcg
    return out


def lambda_pairs(
    xs: list[Matrix], ys: list[Matrix], scores: list[Matrix], rng: random.Random
) -> tuple[list[Matrix], list[Matrix]]:
    """Row differences and LambdaRank weights (summing to 1 per query) of each query's pairs
    with a non-zero weight (at most ``LAMBDA_PAIRS``, sampled); queries without one are left
    out. Same order as `pairs` for queries that have pairs."""
    diffs: list[Matrix] = []
    weights: list[Matrix] = []
    for x, y, s in zip(xs, ys, scores, strict=True):
        better = [(i, j) for i in range(len(y)) for j in range(len(y)) if y[i] > y[j]]
        lw = lambda_weights(s, y, better)
        keep = [k for k in range(len(better)) if lw[k] > 0]
        if len(keep) > LAMBDA_PAIRS:
            keep = sorted(rng.sample(keep, LAMBDA_PAIRS))
        if not keep:
            diffs.append(np.zeros((0, x.shape[1])))
            weights.append(np.zeros(0))
            continue
        diffs.append(np.asarray([x[better[k][0]] - x[better[k][1]] for k in keep]))
        weights.append(lw[keep] / lw[keep].sum())
    return diffs, weights


def fit(d: Matrix, w: Matrix, l2: float, start: Matrix | None = None) -> Matrix:
    """Weights minimising sum w * log(1 + exp(-d . beta)) + l2/2 |beta|^2 (Newton)."""
    beta = np.zeros(d.shape[1]) if start is None else start.copy()
    for _ in range(50):
        z = d @ beta
        p = 1.0 / (1.0 + np.exp(-z))  # P(better ranked above worse)
        grad = -(d.T @ (w * (1 - p))) + l2 * beta
        hess = (d.T * (w * p * (1 - p))) @ d + l2 * np.eye(d.shape[1])
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return beta


def main() -> int:
    ap = dev_parser(__doc__, OUT / "home", per_set=PER_SET)
    ap.add_argument("--documents", choices=("first", "mean"), default="first")
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--lambda-rounds", type=int, default=LAMBDA_ROUNDS)
    ap.add_argument("--temperature", type=float, default=TEMPERATURE)
    ap.add_argument("--out", type=Path, default=RANKER_FILE)
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    rng = random.Random(SEED)
    rows: list[Matrix] = []
    queries: list[tuple[str, Matrix, Matrix]] = []  # (set, features, grades), queries with pairs
    for name in args.sets.split(","):
        xs, ys = collect(args.home, name, args.per_set, args.documents)
        rows += xs
        queries += [(name, x, y) for x, y in zip(xs, ys, strict=True) if y.max() > y.min()]
    trained_on = {n: sum(1 for m, _x, _y in queries if m == n) for n in args.sets.split(",")}
    trained_on = {n: c for n, c in trained_on.items() if c}
    allrows = np.concatenate(rows)
    mean = allrows.mean(axis=0)
    scale = allrows.std(axis=0)
    scale[scale <= 1e-9] = 1.0
    # Each query weighs 1 in all, scaled so that each set weighs the same in total.
    qw = [len(queries) / len(trained_on) / trained_on[n] for n, _x, _y in queries]
    xs = [x / scale for _n, x, _y in queries]  # pair differences: the mean cancels
    ys = [y for _n, _x, y in queries]
    d, counts = pairs(xs, ys, rng)
    beta = fit(
        np.concatenate(d),
        np.concatenate([np.full(len(di), w / c) for di, c, w in zip(d, counts, qw, strict=True)]),
        args.l2,
    )
    for _round in range(args.lambda_rounds):
        dl, wl = lambda_pairs(xs, ys, [x @ beta for x in xs], rng)
        beta = fit(
            np.concatenate(dl),
            np.concatenate([w * q for w, q in zip(wl, qw, strict=True)]),
            args.l2,
            start=beta,
        )
    beta = beta * args.temperature
    ranker = LinearRanker(
        version=VERSION,
        features=FEATURES,
        mean=mean,
        scale=scale,
        weights=beta,
        bias=0.0,
        documents=args.documents,  # type: ignore[arg-type]
        about={
            "script": "benchmarks/train_ranker.py",
            "objective": f"pairwise logistic (linear RankNet), L2 {args.l2:.3g}, then "
            f"{args.lambda_rounds} LambdaRank-weighted rounds (top {LAMBDA_DEPTH}), weights x "
            f"{args.temperature:g}",
            "seed": SEED,
            "pairs_per_query": PAIRS,
            "trained_on": {
                k: f"{v} development-half queries (odd positions of the sorted ids)"
                for k, v in trained_on.items()
            },
        },
    )
    args.out.write_text(json.dumps(ranker.to_json(), indent=1) + "\n")
    print(f"wrote {args.out}")
    for f, w in sorted(zip(FEATURES, beta, strict=True), key=lambda t: -abs(t[1])):
        print(f"  {f:16s} {w:+.3f}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
