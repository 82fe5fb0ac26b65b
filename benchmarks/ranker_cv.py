"""Cross-validate the learned ranker's training within the development halves, scored as search.

    python benchmarks/ranker_cv.py [--home DIR] [--folds 5] [--l2 10] [--lambda-rounds 2]
        [--temperature 0.5]

For every development-half query of the four sets (`retrieval_sets`) it caches the learned
ranker's pool (`learned_candidates`: features, grades) and what the hand fusion's search needs
(the fused list and the rerank bonuses of each passage), under benchmarks/out/. Queries are
split into folds (seed 16, across the four sets together); for each fold the model is fitted
on the others exactly as `train_ranker.py` fits it (its `pairs`, `fit`, `lambda_pairs`) and the
fold's queries are ranked as `HybridRetriever.search` ranks them: the model's order on the
pool's fused scores times the bonuses (`ranker.on_scale`; stop 26 used the logistic score),
sort, diversify (`hybrid.diversify`: MMR, at most ``per_source_cap`` passages of one source),
sources in order, and a k=20 search to top the list up to 10 sources (the eval at
``--depth 10``). The hybrid column is the same replica of the hand fusion path (head of the
fused list, score x (1 + bonuses)). Checked against `retrieval.py --half dev --depth 10`: the
replica gives the same hybrid and learned-ranker nDCG@10 on NFCorpus and BioASQ to three
decimals (docs/benchmarks.md).
The held-out halves are never read.
"""

from __future__ import annotations

import datetime as dt
import math
import pickle
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import train_ranker as tr
from retrieval_sets import SETS, dev_parser, dev_sample, set_root

from curbside.config import Settings
from curbside.domain import EVIDENCE_LEVEL, Evidence, Passage, Source, SourceKind
from curbside.retrieve.hybrid import KEY_SECTIONS, LEVEL_BONUS, RetrievalOptions, diversify
from curbside.retrieve.ranker import on_scale
from curbside.services import open_runtime
from curbside.services.evaluation import open_beir_runtime

OUT = Path(__file__).parent / "out"
Matrix = npt.NDArray[np.float64]


@dataclass
class Pool:
    """One query: the learned pool and the fused head (passage ids), features, grades."""

    pids: list[int]
    x: Matrix
    y: Matrix
    fused: list[tuple[int, float]]  # the hand fusion's scores, best first
    rels: dict[str, int]


def bonus(p: Passage, s: Source, year_now: int) -> float:
    """`HybridRetriever._rerank`'s bonuses of a passage (level, section, recency, retraction)."""
    age = year_now - s.year if s.year else 30
    return (
        LEVEL_BONUS.get(EVIDENCE_LEVEL[SourceKind(s.kind)], 0.0)
        + (0.04 if KEY_SECTIONS.search(p.section or "") else 0.0)
        + (0.03 if age <= 10 else (0.015 if age <= 20 else 0.0))
        + (-0.5 if s.retracted else 0.0)
    )


def collect(home: Path, name: str) -> tuple[list[Pool], dict[int, tuple[Passage, Source, float]]]:
    """Every development-half query's pool and the passages search would see (cached)."""
    cache = OUT / f"ranker-cv-{name}.pkl"
    if cache.is_file():
        with cache.open("rb") as fh:
            pools, passages = pickle.load(fh)  # our own cache, written below
            return pools, passages
    root, data, qids = dev_sample(name, tr.PER_SET, tr.SEED)
    rt = open_runtime(Settings(home=home))
    ert, _data = open_beir_runtime(rt, root, split=SETS[name])
    year_now = dt.date.today().year
    pools: list[Pool] = []
    passages: dict[int, tuple[Passage, Source, float]] = {}
    t0 = time.perf_counter()
    for qid in qids:
        try:
            _a, pool, x, scores = ert.retriever.learned_candidates(
                data.queries[qid], RetrievalOptions()
            )
        except ValueError:
            continue
        rels = data.qrels[qid]
        ext = [c.source.external_id.split(":", 1)[-1] for c in pool]
        y = np.asarray([max(0, rels.get(d, 0)) for d in ext], dtype=np.float64)
        fused = sorted(((p, s["fused"]) for p, s in scores.items()), key=lambda t: -t[1])
        pools.append(Pool([c.pid for c in pool], x, y, fused[:120], dict(rels)))
    wanted = {p for q in pools for p in q.pids} | {p for q in pools for p, _ in q.fused}
    for pid, (p, s) in ert.store.get_passages(sorted(wanted)).items():
        if s.is_current:
            passages[pid] = (p, s, bonus(p, s, year_now))
    ert.close()
    rt.close()
    print(f"{name}: {len(pools)} development-half queries, {time.perf_counter() - t0:.0f} s")
    with cache.open("wb") as fh:
        pickle.dump((pools, passages), fh)
    return pools, passages


def ndcg10(ranked: list[str], rels: dict[str, int]) -> float:
    dcg = sum(max(0, rels.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def searched(evidence: Any, passages: dict[int, tuple[Passage, Source, float]]) -> list[str]:
    """Sources in the order search shows them: k=10, topped up by k=20 (eval depth 10)."""
    settings = Settings().retrieval
    out: list[str] = []
    for k in (10, 20):
        evs = [
            Evidence(passage=passages[p][0], source=passages[p][1], scores={"final": s})
            for p, s in evidence(k)
        ]
        evs.sort(key=lambda e: e.scores["final"], reverse=True)
        for e in diversify(evs, k=k, per_source=settings.per_source_cap, lam=settings.mmr_lambda):
            doc = e.source.external_id.split(":", 1)[-1]
            if doc not in out:
                out.append(doc)
        if len(out) >= 10:
            break
    return out


def hybrid_ndcg(q: Pool, passages: dict[int, tuple[Passage, Source, float]]) -> float:
    def evidence(k: int) -> list[tuple[int, float]]:
        head = [(p, s) for p, s in q.fused[: max(k * 6, 60)] if p in passages]
        return [(p, s * (1.0 + passages[p][2])) for p, s in head]

    return ndcg10(searched(evidence, passages), q.rels)


def learned_ndcg(
    q: Pool, raw: Matrix, passages: dict[int, tuple[Passage, Source, float]]
) -> float:
    """As `HybridRetriever._learned`: the ranker's order on the pool's fused scores
    (`ranker.on_scale`; a candidate below the cached fused head gets its floor), times the
    bonuses."""
    fused = dict(q.fused)
    floor = min(fused.values(), default=0.0)
    keep = [i for i, p in enumerate(q.pids) if p in passages]
    pids = [q.pids[i] for i in keep]
    base = on_scale(raw[keep], [fused.get(p, floor) for p in pids])
    pairs = [(p, float(v) * (1.0 + passages[p][2])) for p, v in zip(pids, base, strict=True)]
    return ndcg10(searched(lambda _k: pairs, passages), q.rels)


def train(
    queries: list[tuple[str, Pool]], l2: float, rounds: int, temperature: float
) -> tuple[Matrix, Matrix, Matrix]:
    """(mean, scale, weights) as `train_ranker.main` fits them."""
    allrows = np.concatenate([q.x for _n, q in queries])
    mean, scale = allrows.mean(axis=0), allrows.std(axis=0)
    scale[scale <= 1e-9] = 1.0
    used = [(n, q) for n, q in queries if q.y.max() > q.y.min()]
    count = {n: sum(1 for m, _q in used if m == n) for n, _q in used}
    qw = [len(used) / len(count) / count[n] for n, _q in used]
    xs = [q.x / scale for _n, q in used]
    ys = [q.y for _n, q in used]
    rng = random.Random(tr.SEED)
    d, counts = tr.pairs(xs, ys, rng)
    w = [np.full(len(di), q / c) for di, c, q in zip(d, counts, qw, strict=True)]
    beta = tr.fit(np.concatenate(d), np.concatenate(w), l2)
    for _round in range(rounds):
        dl, wl = tr.lambda_pairs(xs, ys, [x @ beta for x in xs], rng)
        wq = [a * q for a, q in zip(wl, qw, strict=True)]
        beta = tr.fit(np.concatenate(dl), np.concatenate(wq), l2, start=beta)
    return mean, scale, beta * temperature


def main() -> int:
    ap = dev_parser(__doc__, OUT / "home")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=tr.L2)
    ap.add_argument("--lambda-rounds", type=int, default=tr.LAMBDA_ROUNDS)
    ap.add_argument("--temperature", type=float, default=tr.TEMPERATURE)
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    names = args.sets.split(",")
    data = {n: collect(args.home, n) for n in names}
    rng = random.Random(tr.SEED)
    keys = [(n, i) for n in names for i in range(len(data[n][0]))]
    fold = {k: rng.randrange(args.folds) for k in keys}
    ours: dict[str, list[float]] = {n: [] for n in names}
    hybrid: dict[str, list[float]] = {n: [] for n in names}
    for f in range(args.folds):
        mean, scale, beta = train(
            [(n, data[n][0][i]) for n, i in keys if fold[(n, i)] != f],
            args.l2, args.lambda_rounds, args.temperature,
        )  # fmt: skip
        for n, i in keys:
            if fold[(n, i)] == f:
                q, passages = data[n][0][i], data[n][1]
                ours[n].append(learned_ndcg(q, ((q.x - mean) / scale) @ beta, passages))
                hybrid[n].append(hybrid_ndcg(q, passages))
    print(
        f"\n{args.folds}-fold CV within the development halves, search nDCG@10 (L2 {args.l2:g}, "
        f"{args.lambda_rounds} LambdaRank rounds, temperature {args.temperature:g})\n"
    )
    print("| development half | queries | hybrid | learned | learned − hybrid |")
    print("|---|---|---|---|---|")
    for n in names:
        h, o = float(np.mean(hybrid[n])), float(np.mean(ours[n]))
        print(f"| {n} | {len(ours[n])} | {h:.4f} | {o:.4f} | {o - h:+.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
