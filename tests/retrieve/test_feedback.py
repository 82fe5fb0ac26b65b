"""Query-dependent fusion weight and dense pseudo-relevance feedback."""

from __future__ import annotations

import numpy as np

from curbside import services
from curbside.retrieve.feedback import lexical_is_weak, peak, rocchio, stored_vectors
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services.answers import retriever


def test_peak_measures_how_far_the_top_stands_out() -> None:
    flat = [(i, 1.0 - i * 0.01) for i in range(50)]
    peaked = [(0, 9.0), (1, 8.0), (2, 7.0)] + [(i, 1.0) for i in range(3, 50)]
    assert peak(peaked) > peak(flat) > 0
    assert peak([(1, 3.0)]) == 0.0


def test_lexical_is_weak_when_its_top_stands_out_less_than_dense() -> None:
    flat = [(i, 10.0 - i * 0.1) for i in range(50)]
    peaked = [(i + 100, 0.9) for i in range(3)] + [(i + 200, 0.2) for i in range(47)]
    assert lexical_is_weak({"lexical": flat, "dense": peaked}, 0.9)
    assert not lexical_is_weak({"lexical": peaked, "dense": flat}, 0.9)
    assert not lexical_is_weak({"lexical": flat}, 0.9)  # one list: nothing to compare


def test_rocchio_moves_the_query_towards_the_feedback() -> None:
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    fb = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 0.0]], dtype=np.float32)
    out = rocchio(q, fb, 0.6)
    assert abs(float(np.linalg.norm(out)) - 1.0) < 1e-5
    assert out[1] > 0 and out[0] > out[1]  # towards, but the query still dominates
    assert np.allclose(rocchio(q, fb, 0.0), q)


def test_stored_vectors_reads_the_local_index(starter_rt: services.Runtime) -> None:
    r = retriever(starter_rt)
    assert r.dense is not None
    index = r.dense.index()
    ids = [int(i) for i in index.ids()[:3]]
    vecs = stored_vectors(index, ids)
    assert vecs is not None and vecs.shape == (3, index.dim)
    assert stored_vectors(index, [-5]) is None
    assert stored_vectors(object(), ids) is None


def test_feedback_and_weak_lexical_rule_are_switchable(starter_rt: services.Runtime) -> None:
    q = "low back pain treatment exercise"
    r = retriever(starter_rt)
    _a, lists, _t = r.raw_lists(q, 50)
    on = r.refine(q, lists, RetrievalOptions(weak_lexical_ratio=None))
    off = r.refine(q, lists, RetrievalOptions(feedback_beta=0.0))
    assert off is lists  # nothing to do
    assert on["lexical"] == lists["lexical"] and on["dense"] != lists["dense"]
    fixed = RetrievalOptions(weak_lexical_ratio=None, dense_weight=0.5)
    assert r.dense_weight(lists, fixed) == 0.5
    always = RetrievalOptions(weak_lexical_ratio=1e9, weak_lexical_dense_weight=0.75)
    assert r.dense_weight(lists, always) == 0.75
    assert r.refine(q, lists, always) is lists  # no feedback from a weak first pass
    res = services.search(starter_rt, query=q, k=5)
    assert res.evidence and all("dense" in e.scores or "lexical" in e.scores for e in res.evidence)
