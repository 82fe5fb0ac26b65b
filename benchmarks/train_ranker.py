"""Train the learned ranker (`curbside.retrieve.ranker`) on development relevance data only.

    python benchmarks/train_ranker.py [--home DIR] [--per-set N] [--documents first|mean]
        [--sets nfcorpus,bioasq,medicationqa,medquad] [--out FILE]

Training queries: the development half (odd positions of the sorted query ids, see
`retrieval_sets.halves`) of NFCorpus (test qrels: there is no NFCorpus dev split here), BioASQ
dev, MedicationQA (questions against the pool of answers) and the MedQuAD question sample
(questions against their own answers); a seeded sample of at most ``--per-set`` queries of each
half. The held-out halves are never read here.

For each query the retriever's own `learned_candidates` gives the pool and its feature matrix
(exactly what `search` scores); a candidate's label is its source's relevance grade. The model
is linear, fitted by pairwise logistic regression (every pair of candidates of one query with
different grades, at most ``PAIRS`` sampled per query with a fixed seed; each set weighs the
same in total) with an L2 penalty, by Newton's method. Features are standardised with the
training rows' mean and sd, stored with the weights. Writes ``src/curbside/retrieve/
ranker-v2.json`` (or ``--out``) and caches the features under benchmarks/out/.
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
L2 = 1.0
VERSION = 2

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


def fit(d: Matrix, w: Matrix, l2: float) -> Matrix:
    """Weights minimising sum w * log(1 + exp(-d . beta)) + l2/2 |beta|^2 (Newton)."""
    beta = np.zeros(d.shape[1])
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
    ap = dev_parser(__doc__, OUT / "home")
    ap.add_argument("--documents", choices=("first", "mean"), default="first")
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--out", type=Path, default=RANKER_FILE)
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    rng = random.Random(SEED)
    per_set: dict[str, Matrix] = {}
    rows: list[Matrix] = []
    trained_on: dict[str, int] = {}
    for name in args.sets.split(","):
        xs, ys = collect(args.home, name, args.per_set, args.documents)
        rows += xs
        d, counts = pairs(xs, ys, rng)
        trained_on[name] = len(d)
        if d:
            # Each query's pairs weigh 1 in all, each set len(queries) / sets in all.
            per_set[name] = np.concatenate(
                [
                    np.column_stack([di, np.full(len(di), 1.0 / c)])
                    for di, c in zip(d, counts, strict=True)
                ]
            )
    allrows = np.concatenate(rows)
    mean = allrows.mean(axis=0)
    scale = allrows.std(axis=0)
    scale[scale <= 1e-9] = 1.0
    total = sum(trained_on.values())
    parts, weights = [], []
    for name, block in per_set.items():
        parts.append(block[:, :-1] / scale)  # differences: the mean cancels
        weights.append(block[:, -1] * (total / len(per_set)) / trained_on[name])
    beta = fit(np.concatenate(parts), np.concatenate(weights), args.l2)
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
            "objective": f"pairwise logistic (linear RankNet), L2 {args.l2:.3g}",
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
