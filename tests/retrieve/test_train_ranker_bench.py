"""The training helpers of benchmarks/train_ranker.py: LambdaRank pair weights and the fit."""

from __future__ import annotations

import importlib
import math
import random
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    """A benchmark script as a module (its sibling imports resolve from benchmarks/)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module(name)


def test_lambda_weight_is_grade_gap_times_discount_gap_over_ideal_dcg() -> None:
    tr = _load("train_ranker")
    scores = np.asarray([3.0, 2.0, 1.0, 0.0])  # ranks 0, 1, 2, 3
    y = np.asarray([0.0, 2.0, 0.0, 1.0])
    better = [(1, 0), (3, 2), (1, 3)]
    idcg = 2.0 + 1.0 / math.log2(3)
    want = [
        2.0 * (1.0 - 1.0 / math.log2(3)) / idcg,
        1.0 * (1.0 / 2.0 - 1.0 / math.log2(5)) / idcg,
        1.0 * (1.0 / math.log2(3) - 1.0 / math.log2(5)) / idcg,
    ]
    assert tr.lambda_weights(scores, y, better) == pytest.approx(want)


def test_pairs_ranked_below_the_depth_weigh_nothing() -> None:
    tr = _load("train_ranker")
    scores = -np.arange(30, dtype=np.float64)  # rank i for passage i
    y = np.zeros(30)
    y[25], y[0] = 1.0, 1.0
    w = tr.lambda_weights(scores, y, [(25, 26), (25, 3), (0, 26)], depth=20)
    assert w[0] == 0.0  # both deeper than rank 20
    assert w[1] > 0.0 and w[2] > 0.0
    assert w[2] == pytest.approx(1.0 / (1.0 + 1.0 / math.log2(3)))  # (1 - 0) / idcg


def test_lambda_pairs_weigh_one_per_query_and_keep_only_weighted_pairs() -> None:
    tr = _load("train_ranker")
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    y = np.asarray([1.0, 0.0, 0.0, 1.0])
    flat = np.zeros(2)  # a query whose pairs all weigh 0 gives no rows
    d, w = tr.lambda_pairs(
        [x, np.ones((2, 3))], [y, flat], [np.asarray([4.0, 3.0, 2.0, 1.0]), flat],
        random.Random(0),
    )
    assert w[0].sum() == pytest.approx(1.0)
    assert len(d[0]) == 4 and (w[0] > 0).all()
    assert d[1].shape == (0, 3) and len(w[1]) == 0
    # rows are better minus worse
    assert any(np.allclose(row, x[0] - x[1]) for row in d[0])


def test_lambda_rounds_move_the_fit_towards_the_head_of_the_list() -> None:
    """A feature that orders the deep pairs and one that orders the top pair: the plain
    pairwise fit favours the first (more pairs), the LambdaRank-weighted refit the second."""
    tr = _load("train_ranker")
    # passage 0 relevant, ranked first only by feature b; passages 1.. order deep pairs by a
    n = 12
    x = np.zeros((n, 2))
    y = np.zeros(n)
    y[0] = 1.0
    x[0] = (0.0, 1.0)
    for i in range(1, n):
        x[i] = (-(i / n), 0.0)
        y[i] = 1.0 if i == 1 else 0.0
    d, counts = tr.pairs([x], [y], random.Random(0))
    dd = np.concatenate(d)
    beta = tr.fit(dd, np.full(len(dd), 1.0 / counts[0]), 1.0)
    dl, wl = tr.lambda_pairs([x], [y], [x @ beta], random.Random(0))
    refit = tr.fit(np.concatenate(dl), np.concatenate(wl), 1.0, start=beta)
    assert refit[1] / abs(refit[0]) > beta[1] / abs(beta[0])
