"""LightGBM LambdaRank against the pairwise logistic ranker, on the development halves only.

    python benchmarks/lambdarank.py [--folds 5] [--per-set 2000]

Needs ``lightgbm`` (not a Curbside dependency: ``pip install lightgbm``) and the feature
caches that ``benchmarks/train_ranker.py`` writes (benchmarks/out/ranker-features-SET-first-N
.npz: the `learned_candidates` pool and `ranker.FEATURES` of each development-half query,
labels = the source's grade). Both learners see the same features and the same queries: a
query-grouped k-fold cross-validation over the development halves of the four sets together
(as `train_ranker.py` trains), each set weighing the same. Each held-out fold's pools are
ranked by the model and scored by nDCG@10 over the pool's passages (grade gain; the ideal is
the pool's own best order): a proxy for the search's nDCG@10, which also merges passages of
one source and applies diversity, good for comparing learners on equal terms. The hand-set
fusion score (`fused_z`) is the baseline column. The held-out halves are not read.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from train_ranker import L2, PAIRS, PER_SET, SEED, fit

from curbside.retrieve.ranker import FEATURES

OUT = Path(__file__).parent / "out"
SETS = ("nfcorpus", "bioasq", "medicationqa", "medquad")

Matrix = npt.NDArray[np.float64]


def load(name: str, per_set: int) -> tuple[list[Matrix], list[Matrix]]:
    cache = OUT / f"ranker-features-{name}-first-{per_set}.npz"
    if not cache.is_file():
        raise SystemExit(f"{cache} not found: run benchmarks/train_ranker.py first")
    with np.load(cache, allow_pickle=False) as z:
        n = int(z["n"])
        return [z[f"x{i}"] for i in range(n)], [z[f"y{i}"] for i in range(n)]


def ndcg10(scores: Matrix, y: Matrix) -> float:
    order = np.argsort(-scores, kind="stable")[:10]
    dcg = sum(float(y[i]) / math.log2(r + 2) for r, i in enumerate(order))
    ideal = sorted((float(v) for v in y if v > 0), reverse=True)[:10]
    idcg = sum(v / math.log2(r + 2) for r, v in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def fit_logistic(xs: list[Matrix], ys: list[Matrix], qw: list[float]) -> tuple[Matrix, Matrix]:
    """(scale, weights) as `train_ranker.py` fits them (pairwise logistic, L2)."""
    rng = random.Random(SEED)
    scale = np.concatenate(xs).std(axis=0)
    scale[scale <= 1e-9] = 1.0
    parts, weights = [], []
    for x, y, w in zip(xs, ys, qw, strict=True):
        better = [(i, j) for i in range(len(y)) for j in range(len(y)) if y[i] > y[j]]
        if not better:
            continue
        if len(better) > PAIRS:
            better = rng.sample(better, PAIRS)
        parts.append(np.asarray([x[i] - x[j] for i, j in better]) / scale)
        weights.append(np.full(len(better), w / len(better)))
    beta = fit(np.concatenate(parts), np.concatenate(weights), L2)
    return scale, beta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--per-set", type=int, default=PER_SET)
    ap.add_argument("--leaves", default="7,15,31")
    ap.add_argument("--trees", default="100,300")
    args = ap.parse_args()
    try:
        import lightgbm as lgb
    except ImportError:
        print("skipped: lightgbm is not installed (pip install lightgbm)")
        return 0
    data = {name: load(name, args.per_set) for name in SETS}
    rng = random.Random(SEED)
    fold_of = {(n, i): rng.randrange(args.folds) for n in SETS for i in range(len(data[n][0]))}
    configs = [(int(lv), int(nt)) for lv in args.leaves.split(",") for nt in args.trees.split(",")]
    col = FEATURES.index("fused_z")
    results: dict[str, dict[str, list[float]]] = {}

    def add(method: str, name: str, value: float) -> None:
        results.setdefault(method, {}).setdefault(name, []).append(value)

    for fold in range(args.folds):
        train = [(n, i) for (n, i), f in fold_of.items() if f != fold and len(data[n][1][i])]
        test = [(n, i) for (n, i), f in fold_of.items() if f == fold]
        per_set = {n: sum(1 for m, _ in train if m == n) for n in SETS}
        xs = [data[n][0][i] for n, i in train]
        ys = [data[n][1][i] for n, i in train]
        qw = [len(train) / len(SETS) / per_set[n] for n, _ in train]  # each set weighs the same
        scale, beta = fit_logistic(xs, ys, qw)
        models = {}
        for leaves, trees in configs:
            ds = lgb.Dataset(
                np.concatenate(xs),
                label=np.concatenate(ys).astype(int),
                group=[len(y) for y in ys],
                weight=np.concatenate([np.full(len(y), w) for y, w in zip(ys, qw, strict=True)]),
            )
            params = {
                "objective": "lambdarank",
                "metric": "ndcg",
                "eval_at": [10],
                "num_leaves": leaves,
                "learning_rate": 0.05,
                "min_data_in_leaf": 50,
                "feature_fraction": 0.9,
                "bagging_fraction": 0.8,
                "bagging_freq": 1,
                "lambdarank_truncation_level": 20,
                "seed": SEED,
                "deterministic": True,
                "num_threads": 1,
                "verbose": -1,
            }
            models[f"lambdarank {leaves} leaves, {trees} trees"] = lgb.train(
                params, ds, num_boost_round=trees
            )
        for n, i in test:
            x, y = data[n][0][i], data[n][1][i]
            add("hand fusion (fused_z)", n, ndcg10(x[:, col], y))
            add("pairwise logistic", n, ndcg10((x / scale) @ beta, y))
            for name, booster in models.items():
                add(name, n, ndcg10(np.asarray(booster.predict(x)), y))
        print(f"fold {fold + 1}/{args.folds} done", file=sys.stderr)
    print(f"\n{args.folds}-fold CV over the development halves (pool nDCG@10, grade gain)\n")
    print("| method | " + " | ".join(SETS) + " | mean |")
    print("|---" * (len(SETS) + 2) + "|")
    for method, by_set in results.items():
        means = [float(np.mean(by_set[n])) for n in SETS]
        cells = " | ".join(f"{m:.4f}" for m in means)
        print(f"| {method} | {cells} | {float(np.mean(means)):.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
