"""Vector indexes: usearch (int8 HNSW) and exact (float16), same API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curbside.index.vectors import (
    ExactVectorIndex,
    MissingIndexError,
    StaleIndexError,
    UsearchVectorIndex,
    VectorIndex,
    open_vector_index,
    quantize_int8,
)

DIM = 32
FP = "fingerprint-a"


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def make(kind: str, tmp_path: Path, dim: int = DIM) -> UsearchVectorIndex | ExactVectorIndex:
    if kind == "usearch":
        return UsearchVectorIndex(tmp_path / "vectors.usearch", dim, FP, create=True)
    return ExactVectorIndex(tmp_path / "vectors.npy", dim, FP, create=True)


def reopen(index: UsearchVectorIndex | ExactVectorIndex, fp: str = FP) -> VectorIndex:
    return type(index)(index.path, index.dim, fp)


KINDS = ["usearch", "exact"]


@pytest.mark.parametrize("kind", KINDS)
def test_add_search_remove_save_reload(kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vecs = unit(rng, 200)
    ids = np.arange(1000, 1200, dtype=np.int64)
    index = make(kind, tmp_path)
    assert isinstance(index, VectorIndex)
    assert len(index) == 0 and index.search(vecs[0], 5) == []
    index.add(ids, vecs)
    assert len(index) == 200 and 1005 in index and 5 not in index

    hits = index.search(vecs[5], 10)
    assert hits[0][0] == 1005 and hits[0][1] == pytest.approx(1.0, abs=0.01)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True) and len(hits) == 10

    assert index.remove(np.array([1005, 1006, 99999])) == 2
    assert len(index) == 198 and 1005 not in index
    assert all(i != 1005 for i, _ in index.search(vecs[5], 50))
    assert index.remove([]) == 0

    index.save()
    meta = json.loads(Path(str(index.path) + ".meta.json").read_text())
    assert meta["fingerprint"] == FP and meta["dim"] == DIM and meta["count"] == 198
    assert meta["dtype"] in {"i8", "f16"} and meta["created_at"]

    again = reopen(index)
    assert len(again) == 198
    assert sorted(again.ids().tolist()) == sorted(index.ids().tolist())
    assert again.search(vecs[7], 1)[0][0] == 1007
    # still writable after reload
    again.add(np.array([5], dtype=np.int64), vecs[5:6])
    assert again.search(vecs[5], 1)[0][0] == 5
    again.save()
    assert len(reopen(index)) == 199


@pytest.mark.parametrize("kind", KINDS)
def test_add_replaces_existing_id(kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    vecs = unit(rng, 3)
    index = make(kind, tmp_path)
    index.add([1, 2], vecs[:2])
    index.add([1], vecs[2:3])
    assert len(index) == 2
    top_id, top_score = index.search(vecs[2], 1)[0]
    assert top_id == 1 and top_score == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ValueError, match="duplicate"):
        index.add([7, 7], vecs[:2])
    with pytest.raises(ValueError, match="shape"):
        index.add([8], np.zeros((1, DIM + 1), dtype=np.float32))


@pytest.mark.parametrize("kind", KINDS)
def test_search_allowed(kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vecs = unit(rng, 500)
    index = make(kind, tmp_path)
    index.add(np.arange(500), vecs)
    allowed = {3, 50, 400, 12345}
    hits = index.search(vecs[3], 10, allowed=allowed)
    assert {i for i, _ in hits} == {3, 50, 400}
    assert hits[0][0] == 3
    assert index.search(vecs[3], 10, allowed=set()) == []
    big = np.arange(0, 500, 2)  # even ids only
    hits = index.search(vecs[11], 5, allowed=big)
    assert len(hits) == 5 and all(i % 2 == 0 for i, _ in hits)


def test_usearch_large_allowed_set_uses_graph(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 6000
    vecs = unit(rng, n)
    index = make("usearch", tmp_path)
    index.add(np.arange(n), vecs)
    allowed = np.arange(0, n, 3)  # 2000 ids... and a larger set below
    allowed_big = np.setdiff1d(np.arange(n), np.arange(0, n, 7))
    for allow in (allowed, allowed_big):
        hits = index.search(vecs[allow[10]], 10, allowed=allow)
        assert hits[0][0] == allow[10]
        assert len(hits) == 10 and np.isin([i for i, _ in hits], allow).all()


@pytest.mark.parametrize("kind", KINDS)
def test_fingerprint_mismatch_raises_stale(kind: str, tmp_path: Path) -> None:
    index = make(kind, tmp_path)
    index.add([1], unit(np.random.default_rng(5), 1))
    index.save()
    with pytest.raises(StaleIndexError, match="curbside index build"):
        reopen(index, fp="fingerprint-b")
    with pytest.raises(StaleIndexError):
        type(index)(index.path, DIM * 2, FP)
    with pytest.raises(StaleIndexError):
        open_vector_index(tmp_path, DIM, "fingerprint-b")


@pytest.mark.parametrize("kind", KINDS)
def test_missing_raises_missing(kind: str, tmp_path: Path) -> None:
    index = make(kind, tmp_path)  # created, never saved
    with pytest.raises(MissingIndexError, match="curbside index build"):
        reopen(index)
    with pytest.raises(MissingIndexError, match="curbside index build"):
        open_vector_index(tmp_path / "nowhere", DIM, FP)


def test_open_vector_index_auto(tmp_path: Path) -> None:
    small = open_vector_index(tmp_path, DIM, FP, create=True, expected_count=100)
    assert isinstance(small, ExactVectorIndex)
    large = open_vector_index(tmp_path / "l", DIM, FP, create=True)
    assert isinstance(large, UsearchVectorIndex)
    small.add([1, 2], unit(np.random.default_rng(6), 2))
    small.save()
    opened = open_vector_index(tmp_path, DIM, FP)
    assert isinstance(opened, ExactVectorIndex) and len(opened) == 2
    assert isinstance(open_vector_index(tmp_path, DIM, FP, kind="exact"), ExactVectorIndex)
    with pytest.raises(MissingIndexError):
        open_vector_index(tmp_path, DIM, FP, kind="usearch")


def test_exact_and_usearch_agree_on_top1(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    dim, n = 384, 3000
    vecs = unit(rng, n, dim)
    ids = rng.permutation(10**6)[:n].astype(np.int64)
    # One thread: a multi-threaded HNSW build depends on scheduling, so recall would vary
    # from run to run (random 384-d vectors are a hard case for HNSW).
    u = UsearchVectorIndex(tmp_path / "vectors.usearch", dim, FP, create=True, threads=1)
    e = make("exact", tmp_path, dim)
    u.add(ids, vecs)
    e.add(ids, vecs)
    queries = vecs[:100] + 0.3 * unit(rng, 100, dim)  # near, not on, a stored vector
    agree = sum(u.search(q, 1)[0][0] == e.search(q, 1)[0][0] for q in queries)
    assert agree >= 97
    # and their similarities agree closely
    q = queries[0]
    su, se = u.search(q, 1)[0][1], e.search(q, 1)[0][1]
    assert abs(su - se) < 0.02


def test_quantize_int8_preserves_cosine() -> None:
    rng = np.random.default_rng(8)
    v = unit(rng, 200, 384) * 0.05  # scale is irrelevant
    q = quantize_int8(v).astype(np.float32)
    assert quantize_int8(v).dtype == np.int8 and np.abs(q).max() == 127
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    vn = v / np.linalg.norm(v, axis=1, keepdims=True)
    assert np.abs(qn @ qn.T - vn @ vn.T).max() < 0.01


@pytest.mark.parametrize("kind", ["usearch", "exact"])
def test_vectors_returns_stored_unit_rows_in_the_order_asked(kind: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    vecs = unit(rng, 20, DIM)
    idx = make(kind, tmp_path, DIM)
    idx.add(np.arange(100, 120), vecs)
    found, rows = idx.vectors([105, 999, 101])
    assert found.tolist() == [105, 101]
    assert rows.shape == (2, DIM)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert float(rows[0] @ vecs[5]) > 0.99 and float(rows[1] @ vecs[1]) > 0.99
    none, empty = idx.vectors([999])
    assert none.size == 0 and empty.shape == (0, DIM)
