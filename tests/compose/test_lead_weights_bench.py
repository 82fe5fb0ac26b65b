"""benchmarks/train_lead_weights.py: the listwise fit of the lead's ranking weights."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from curbside.compose.composer import LEAD_FEATURES, lead_weights
from curbside.config import AnswerSettings

Load = Callable[[str], ModuleType]


def _data(seed: int = 3) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Two sets of questions whose best candidate has the highest passage share."""
    rng = np.random.default_rng(seed)
    out: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    share = LEAD_FEATURES.index("passage_share")
    for name in ("a", "b"):
        qs = []
        for _ in range(30):
            X = rng.uniform(0, 1, (6, len(LEAD_FEATURES)))
            g = (X[:, share] == X[:, share].max()).astype(float)
            qs.append((X, g))
        out[name] = qs
    return out


@pytest.fixture
def trainer(benchmark_module: Load) -> ModuleType:
    return benchmark_module("train_lead_weights")


#: The shipped (hand-set) weights, where every fit starts and is pulled towards.
W0 = np.array(lead_weights(AnswerSettings()))


def test_the_gradient_matches_finite_differences_and_fixed_weights_have_none(
    trainer: ModuleType,
) -> None:
    t, w0, data = trainer, W0, _data()
    w = w0 + 0.1
    loss, grad = t.loss_grad(w, data, 0.1, 0.01, w0)
    fixed = t._fixed()
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = 1e-6
        num = (t.loss_grad(w + e, data, 0.1, 0.01, w0)[0] - loss) / 1e-6
        if fixed[i]:
            assert grad[i] == 0.0
        else:
            assert grad[i] == pytest.approx(num, rel=1e-3, abs=1e-4)


def test_the_fit_learns_what_the_gains_reward_and_keeps_the_policy_weights(
    trainer: ModuleType,
) -> None:
    t, w0 = trainer, W0
    w = t.fit(_data(), 0.1, 0.0, w0)
    fixed = t._fixed()
    assert (w[fixed] == w0[fixed]).all()
    assert w[LEAD_FEATURES.index("passage_share")] > w0[LEAD_FEATURES.index("passage_share")]
    held = _data(seed=4)
    for qs in held.values():
        assert np.mean(t.top1(w, qs)) > np.mean(t.top1(w0, qs))
