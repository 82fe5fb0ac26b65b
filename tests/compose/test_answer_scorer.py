"""The learned answer-sentence scorer: gradient, cosine equivalence, shipped weights, split."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from curbside.compose import answer_scorer
from curbside.compose.answer_scorer import AnswerScorer, infonce_loss_and_grad, scores_with

REPO = Path(__file__).resolve().parents[2]


def _trainer() -> ModuleType:
    path = REPO / "benchmarks" / "train_answer_scorer.py"
    spec = importlib.util.spec_from_file_location("train_answer_scorer", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module by name
    spec.loader.exec_module(mod)
    return mod


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_infonce_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    d, b, n = 5, 3, 7
    W = np.eye(d) + 0.3 * rng.standard_normal((d, d))
    Q = _unit_rows(rng.standard_normal((b, d)))
    S = _unit_rows(rng.standard_normal((n, d)))
    pos = np.zeros((b, n), dtype=bool)
    pos[0, [0, 1]] = True
    pos[1, 2] = True
    pos[2, [3, 4, 5]] = True
    tau = 0.2
    loss, grad = infonce_loss_and_grad(W, Q, S, pos, tau)
    assert np.isfinite(loss) and loss > 0
    eps = 1e-6
    numeric = np.zeros_like(W)
    for i in range(d):
        for j in range(d):
            Wp, Wm = W.copy(), W.copy()
            Wp[i, j] += eps
            Wm[i, j] -= eps
            lp, _ = infonce_loss_and_grad(Wp, Q, S, pos, tau)
            lm, _ = infonce_loss_and_grad(Wm, Q, S, pos, tau)
            numeric[i, j] = (lp - lm) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_rows_without_a_positive_are_ignored() -> None:
    rng = np.random.default_rng(1)
    W = np.eye(4)
    Q = _unit_rows(rng.standard_normal((2, 4)))
    S = _unit_rows(rng.standard_normal((3, 4)))
    pos = np.array([[True, False, False], [False, False, False]])
    full = infonce_loss_and_grad(W, Q, S, pos, 0.1)
    one = infonce_loss_and_grad(W, Q[:1], S, pos[:1], 0.1)
    assert full[0] == pytest.approx(one[0])
    np.testing.assert_allclose(full[1], one[1])
    assert infonce_loss_and_grad(W, Q, S, np.zeros((2, 3), bool), 0.1)[0] == 0.0


def test_identity_adapter_is_plain_cosine() -> None:
    rng = np.random.default_rng(2)
    q = rng.standard_normal(384).astype(np.float32)
    S = rng.standard_normal((20, 384)).astype(np.float32)
    cos = _unit_rows(S) @ (q / np.linalg.norm(q))
    for alpha in (0.0, 0.25, 1.0):
        s = scores_with(np.eye(384, dtype=np.float32), alpha, q, S)
        np.testing.assert_allclose(s, cos, rtol=1e-5, atol=1e-6)
        assert list(np.argsort(-s)) == list(np.argsort(-cos))
    # No weights file: the scorer is plain cosine, and says so.
    bare = AnswerScorer(Path("/nonexistent/answer_scorer.npz"))
    assert not bare.learned
    np.testing.assert_allclose(bare.score(q, S), cos, rtol=1e-5, atol=1e-6)


def test_scores_reject_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="sentence_vecs must be"):
        scores_with(None, 0.0, np.ones(4), np.ones((3, 5)))


def test_weights_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    W = (np.eye(8) + 0.1 * rng.standard_normal((8, 8))).astype(np.float16)
    path = tmp_path / "answer_scorer.npz"
    np.savez_compressed(path, W=W)
    path.with_suffix(".json").write_text(json.dumps({"alpha": 0.25}))
    sc = AnswerScorer(path)
    q, S = rng.standard_normal(8), rng.standard_normal((5, 8))
    assert sc.learned and sc.card["alpha"] == 0.25
    np.testing.assert_allclose(
        sc.score(q, S), scores_with(W.astype(np.float32), 0.25, q, S), rtol=1e-5
    )


def test_source_term_mixes_sentence_and_source_scores() -> None:
    rng = np.random.default_rng(7)
    q = rng.standard_normal(16).astype(np.float32)
    S = rng.standard_normal((6, 16)).astype(np.float32)
    src = rng.standard_normal((6, 16)).astype(np.float32)
    W = (np.eye(16) + 0.2 * rng.standard_normal((16, 16))).astype(np.float32)
    plain = scores_with(W, 0.25, q, S)
    np.testing.assert_allclose(scores_with(W, 0.25, q, S, src, 0.0), plain)
    np.testing.assert_allclose(scores_with(W, 0.25, q, S, None, 0.5), plain)
    mixed = scores_with(W, 0.25, q, S, src, 0.4)
    np.testing.assert_allclose(mixed, 0.6 * plain + 0.4 * scores_with(W, 0.25, q, src), rtol=1e-5)
    # One shared source shifts every sentence equally: the order is the sentences' own.
    same = np.repeat(src[:1], 6, axis=0)
    assert list(np.argsort(-scores_with(W, 0.0, q, S, same, 0.5))) == list(np.argsort(-plain))
    with pytest.raises(ValueError, match="source_vecs must be"):
        scores_with(W, 0.0, q, S, src[:3], 0.5)


@pytest.mark.skipif(not answer_scorer.WEIGHTS.is_file(), reason="no learned weights shipped")
def test_shipped_weights_load_and_card_reports_heldout_win() -> None:
    sc = AnswerScorer()
    assert sc.learned
    card = sc.card
    with np.load(answer_scorer.WEIGHTS) as z:
        assert z["W"].dtype == np.float16 and z["W"].shape == (384, 384)
    assert card["dim"] == 384 and card["beats_cosine_heldout"] is True
    assert card["size_bytes"] == answer_scorer.WEIGHTS.stat().st_size <= 1_100_000
    assert card["seed"] == 15 and card["licence"] and card["retrain"]
    assert set(card["heldout"]) == {"medicationqa", "medquad"}
    for figures in card["heldout"].values():
        assert figures["n"] > 100
        assert figures["p1"]["adapter"] > figures["p1"]["cosine"]
        assert figures["ci95"][0] > 0
    rng = np.random.default_rng(4)
    q, S, src = (
        rng.standard_normal(384),
        rng.standard_normal((6, 384)),
        rng.standard_normal((6, 384)),
    )
    s = answer_scorer.score(q, S, src)
    assert s.shape == (6,) and s.dtype == np.float32 and np.all(np.isfinite(s))
    # Deterministic: the same inputs give the same scores, from any instance.
    np.testing.assert_array_equal(s, AnswerScorer().score(q, S, src))
    np.testing.assert_array_equal(answer_scorer.score(q, S), answer_scorer.score(q, S))
    # The learned map is not the identity (else the card's win would be cosine's).
    assert not np.allclose(scores_with(sc._W, 0.0, q, S), scores_with(None, 0.0, q, S))


def _synthetic_items(mod: ModuleType, n_groups: int = 40) -> list:
    items = []
    rng = np.random.default_rng(5)
    for g in range(n_groups):
        for k in range(3):  # three questions per group (e.g. one MedQuAD document)
            sents = [f"group {g} question {k} sentence {j}" for j in range(2)]
            it = mod.Item("medquad", f"mq-{g}-{k}", f"d:{g}", f"question {g} {k}", sents)
            it.qvec = rng.standard_normal(4).astype(np.float32)
            items.append(it)
    for i in range(10):
        items.append(mod.Item("bioasq", f"bq-{i}", f"b:{i}", "q", [f"bioasq answer {i}"]))
    return items


def test_split_is_by_question_group_and_deterministic() -> None:
    mod = _trainer()
    a, b = _synthetic_items(mod), _synthetic_items(mod)
    la, lb = mod.assign_split(a), mod.assign_split(b)
    assert la == lb
    assert la["bioasq"]["dev"] == [] and la["bioasq"]["heldout"] == []
    mq = la["medquad"]
    all_ids = mq["train"] + mq["dev"] + mq["heldout"]
    assert len(all_ids) == len(set(all_ids)) == 120
    assert len(mq["train"]) > len(mq["dev"]) > 0 and len(mq["heldout"]) > 0
    split_of = {it.qid: it.split for it in a}
    for g in range(40):  # a group (document) never straddles two splits
        assert len({split_of[f"mq-{g}-{k}"] for k in range(3)}) == 1
    assert mod.assign_split(_synthetic_items(mod), seed=99) != la


def test_training_learns_a_rotation_cosine_misses() -> None:
    """Questions are a fixed rotation of their answers: cosine ranks poorly, the adapter
    recovers the map."""
    mod = _trainer()
    rng = np.random.default_rng(6)
    d = 8
    R, _ = np.linalg.qr(rng.standard_normal((d, d)))
    items = []
    for i in range(200):
        s = _unit_rows(rng.standard_normal((2, d))).astype(np.float32)
        q = (R.T @ s.mean(axis=0)).astype(np.float32)
        it = mod.Item("medquad", f"x{i}", f"g{i}", f"q{i}", [f"s{i}a", f"s{i}b"])
        it.qvec, it.svecs = q / np.linalg.norm(q), s
        items.append(it)
    tasks = mod.build_tasks(items)
    cos_p1 = mod.ranks_metrics(tasks, mod.cosine_scorer)[0].mean()
    W = mod.train(items, tau=0.1, pull=0.0, epochs=30, lr=0.05)
    ad_p1 = mod.ranks_metrics(tasks, mod.adapter_scorer(W, 0.0))[0].mean()
    assert ad_p1 > cos_p1 + 0.3


def test_real_split_is_disjoint_by_document_and_has_no_pubmedqa_test_question() -> None:
    mod = _trainer()
    if not mod.DATA.is_dir():
        pytest.skip(f"development data absent at {mod.DATA}")
    items = mod.load_items()
    lists = mod.assign_split(items)
    assert lists == mod.assign_split(mod.load_items())  # deterministic
    for source in mod.EVAL_SOURCES:
        parts = [set(lists[source][k]) for k in ("train", "dev", "heldout")]
        assert all(p for p in parts)
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    where: dict[str, set[str]] = {}
    for it in items:
        if it.source == "medquad":
            where.setdefault(it.group, set()).add(it.split)
    assert all(len(splits) == 1 for splits in where.values())  # a document stays whole
    test_ids = set(json.loads(mod.PQA_TEST.read_text()))
    assert len(test_ids) == 500
    assert not {it.qid.removeprefix("pq-") for it in items if it.source == "pubmedqa"} & test_ids


def test_extra_medquad_is_training_only_and_shares_nothing_with_evaluation() -> None:
    mod = _trainer()
    if not mod.DATA.is_dir():
        pytest.skip(f"development data absent at {mod.DATA}")
    items = mod.load_items()
    lists = mod.assign_split(items)
    extra = mod.extra_medquad(items, limit=3000)
    assert len(extra) == 3000
    assert all(it.split == "train" and it.source == "medquad" for it in extra)
    assert all(len(it.sentences) <= mod.EXTRA_SENTENCES for it in extra)
    assert not {it.qid for it in extra} & {it.qid for it in items}
    evaluated = [it for it in items if it.source in mod.EVAL_SOURCES and it.split != "train"]
    assert not {s for it in extra for s in it.sentences} & {
        s for it in evaluated for s in it.sentences
    }
    assert not {it.group for it in extra} & {it.group for it in evaluated}
    assert mod.assign_split(items) == lists  # the sampled questions' split is unchanged


def test_training_is_deterministic_and_the_card_names_licences_and_figures() -> None:
    mod = _trainer()
    rng = np.random.default_rng(8)
    items = []
    for i in range(60):
        it = mod.Item("medquad", f"x{i}", f"g{i}", f"q{i}", [f"s{i}a", f"s{i}b"])
        it.qvec = rng.standard_normal(6).astype(np.float32)
        it.svecs = _unit_rows(rng.standard_normal((2, 6))).astype(np.float32)
        items.append(it)
    W1 = mod.train(items, tau=0.1, pull=0.01, epochs=2, lr=0.01)
    W2 = mod.train(items, tau=0.1, pull=0.01, epochs=2, lr=0.01)
    np.testing.assert_array_equal(W1, W2)
    assert not np.allclose(W1, np.eye(6))
    fig = {"n": 3, "p1": {"cosine": 0.5, "adapter": 0.6}, "ci95": [0.01, 0.2]}
    cfg = {"alpha": 0.0, "beta": 0.5, "epochs": 2}
    card = mod._model_card(
        cfg, {}, {"medicationqa": fig, "medquad": fig}, True, {}, {}, mod.CLEAN_SOURCES
    )
    assert card["seed"] == mod.SEED and card["beta"] == 0.5 and card["retrain"]
    assert set(card["licence"]) == {"medquad", "pubmedqa"}  # licence-clean: no MedicationQA
    assert "CC BY 4.0" in card["licence"]["medquad"] and "MIT" in card["licence"]["pubmedqa"]
    full = mod._model_card(cfg, {}, {}, False, {}, {}, mod.TRAIN_SOURCES)
    assert "medicationqa" in full["licence"] and "bioasq" not in full["licence"]
