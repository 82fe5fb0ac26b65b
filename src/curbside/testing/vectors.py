"""The vector index conformance suite: every `VectorIndex` backend subclasses it and passes it.

A subclass provides one fixture, `vector_index_kind`: the backend's name in
`curbside.registry.VECTOR_INDEXES`. Every test opens the backend through
`curbside.index.vectors.open_vector_index` (as the dense index does) in a fresh directory of
its own, so a server-side backend should key what it stores on that directory (the home's
index directory for one embedder and chunking fingerprint). Set ``persistent = False`` on the
subclass for a backend whose contents do not outlive the object (the reopen tests skip).

The checks: empty index; add, search, remove and count; an id added again replaces its vector;
``allowed`` filters; ids (large int64 too) come back unchanged; wrong dimensions and duplicate
ids raise `ValueError`; after `flush`, reopening sees the same contents, while another
fingerprint or dimension raises `StaleIndexError` and a directory with no index
`MissingIndexError`. Vectors are random unit vectors, few enough that an approximate (HNSW)
index answers them exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from curbside.index.vectors import (
    MissingIndexError,
    StaleIndexError,
    VectorIndex,
    VectorIndexContext,
    VectorIndexError,
    open_vector_index,
)

__all__ = ["DIM", "FINGERPRINT", "VectorIndexConformance", "unit_vectors"]

DIM = 32
FINGERPRINT = "conformance-fingerprint"
#: Cosine of a stored vector with itself, as far as an int8 or float16 index can keep it.
SELF_SIMILARITY = 0.99


def unit_vectors(seed: int, n: int, dim: int = DIM) -> npt.NDArray[np.float32]:
    """`n` random float32 rows of unit length (the same for the same `seed`)."""
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    out: npt.NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


class VectorIndexConformance:
    """Tests every vector index backend must pass. Subclasses provide `vector_index_kind`."""

    #: False for a backend whose contents do not outlive the object: reopen tests skip.
    persistent: bool = True
    #: What the dense index would pass a server-side backend (the store's engine, settings);
    #: a subclass sets it, e.g. in its ``vector_index_kind`` fixture. None for file backends.
    context: VectorIndexContext | None = None

    @pytest.fixture
    def vector_index_kind(self) -> str:
        raise NotImplementedError("a backend's test class provides vector_index_kind")

    def open_index(
        self,
        kind: str,
        directory: Path,
        *,
        dim: int = DIM,
        fingerprint: str = FINGERPRINT,
        create: bool = False,
    ) -> VectorIndex:
        return open_vector_index(
            directory, dim, fingerprint, kind, create=create, context=self.context
        )

    @pytest.fixture
    def index(self, vector_index_kind: str, tmp_path: Path) -> VectorIndex:
        """A new, empty index of the backend in this test's own directory."""
        return self.open_index(vector_index_kind, tmp_path / "index", create=True)

    def _need_persistence(self) -> None:
        if not self.persistent:
            pytest.skip("this backend does not keep its contents after the object is gone")

    # -- contract --------------------------------------------------------------------------------
    def test_is_a_vector_index(self, index: VectorIndex) -> None:
        assert isinstance(index, VectorIndex)
        assert index.dim == DIM and index.fingerprint == FINGERPRINT

    def test_empty_index(self, index: VectorIndex) -> None:
        q = unit_vectors(1, 1)[0]
        assert len(index) == 0 and 1 not in index
        assert index.search(q, 5) == [] and index.search(q, 5, allowed={1, 2}) == []
        assert index.ids().size == 0
        found, rows = index.vectors([1, 2])
        assert found.size == 0 and rows.shape == (0, DIM)
        assert index.remove([1, 2]) == 0 and index.remove([]) == 0
        index.add(np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.float32))
        assert len(index) == 0

    def test_add_search_remove_count(self, index: VectorIndex) -> None:
        vecs = unit_vectors(2, 200)
        ids = np.arange(1000, 1200, dtype=np.int64)
        index.add(ids, vecs)
        assert len(index) == 200 and 1005 in index and 5 not in index and "1005" not in index

        hits = index.search(vecs[5], 10)
        assert len(hits) == 10 and hits[0][0] == 1005
        assert hits[0][1] == pytest.approx(1.0, abs=1 - SELF_SIMILARITY)
        assert all(isinstance(i, int) and isinstance(s, float) for i, s in hits)
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
        # k beyond the count: everything, each id once. An approximate (graph) index may miss
        # a few of the farthest vectors (usearch's HNSW returned 199 of 200 once), so up to 5%
        # may be missing; an exact index must return all.
        everything = [i for i, _ in index.search(vecs[5], 500)]
        assert len(set(everything)) == len(everything) <= 200
        assert len(everything) >= 190
        assert index.search(vecs[5], 0) == []

        assert index.remove(np.array([1005, 1006, 99999])) == 2
        assert len(index) == 198 and 1005 not in index
        assert all(i != 1005 for i, _ in index.search(vecs[5], 50))
        assert index.remove([1005]) == 0

    def test_query_need_not_be_unit_length(self, index: VectorIndex) -> None:
        vecs = unit_vectors(3, 20)
        index.add(np.arange(20), vecs)
        hit, score = index.search(vecs[4] * 7.5, 1)[0]
        assert hit == 4 and score == pytest.approx(1.0, abs=1 - SELF_SIMILARITY)

    def test_add_replaces_an_existing_id(self, index: VectorIndex) -> None:
        vecs = unit_vectors(4, 3)
        index.add([1, 2], vecs[:2])
        index.add([1], vecs[2:3])
        assert len(index) == 2
        hit, score = index.search(vecs[2], 1)[0]
        assert hit == 1 and score == pytest.approx(1.0, abs=1 - SELF_SIMILARITY)

    def test_search_allowed(self, index: VectorIndex) -> None:
        vecs = unit_vectors(5, 300)
        index.add(np.arange(300), vecs)
        hits = index.search(vecs[3], 10, allowed={3, 50, 250, 12345})
        assert {i for i, _ in hits} == {3, 50, 250} and hits[0][0] == 3
        assert index.search(vecs[3], 10, allowed=set()) == []
        even = np.arange(0, 300, 2)
        hits = index.search(vecs[11], 5, allowed=even)
        assert len(hits) == 5 and all(i % 2 == 0 for i, _ in hits)

    def test_ids_round_trip(self, index: VectorIndex) -> None:
        ids = np.array([0, 7, 2**31 + 5, 2**40 + 11, 2**62 + 1], dtype=np.int64)
        vecs = unit_vectors(6, len(ids))
        index.add(ids, vecs)
        assert sorted(index.ids().tolist()) == sorted(ids.tolist())
        assert index.ids().dtype == np.int64
        assert all(int(i) in index for i in ids)
        assert index.search(vecs[3], 1)[0][0] == 2**40 + 11
        found, rows = index.vectors([2**62 + 1, 999, 7])
        assert found.tolist() == [2**62 + 1, 7] and found.dtype == np.int64
        assert rows.shape == (2, DIM) and rows.dtype == np.float32
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
        assert float(rows[0] @ vecs[4]) > SELF_SIMILARITY
        assert float(rows[1] @ vecs[1]) > SELF_SIMILARITY

    def test_wrong_shapes_and_duplicates_raise(self, index: VectorIndex) -> None:
        vecs = unit_vectors(7, 2)
        with pytest.raises(ValueError, match="duplicate"):
            index.add([7, 7], vecs)
        with pytest.raises(ValueError, match=str(DIM)):
            index.add([8], np.zeros((1, DIM + 1), dtype=np.float32))
        with pytest.raises(ValueError, match=str(DIM)):
            index.add([8, 9], vecs[:1])  # fewer rows than ids
        with pytest.raises(ValueError, match="NaN"):
            index.add([8], np.full((1, DIM), np.nan, dtype=np.float32))
        index.add([1], vecs[:1])
        with pytest.raises(ValueError, match=str(DIM)):
            index.search(np.ones(DIM + 3, dtype=np.float32), 1)
        assert len(index) == 1

    # -- persistence ------------------------------------------------------------------------------
    def test_flush_then_reopen_sees_the_same_index(
        self, vector_index_kind: str, tmp_path: Path
    ) -> None:
        self._need_persistence()
        directory = tmp_path / "index"
        vecs = unit_vectors(8, 120)
        index = self.open_index(vector_index_kind, directory, create=True)
        index.add(np.arange(500, 620), vecs)
        index.remove([500])
        index.flush()
        again = self.open_index(vector_index_kind, directory)
        assert len(again) == 119 and 500 not in again
        assert sorted(again.ids().tolist()) == list(range(501, 620))
        assert again.search(vecs[7], 1)[0][0] == 507
        # still writable after reopening
        again.add([5], vecs[:1])
        again.flush()
        assert len(self.open_index(vector_index_kind, directory)) == 120

    def test_create_starts_empty(self, vector_index_kind: str, tmp_path: Path) -> None:
        self._need_persistence()
        directory = tmp_path / "index"
        index = self.open_index(vector_index_kind, directory, create=True)
        index.add([1, 2], unit_vectors(9, 2))
        index.flush()
        fresh = self.open_index(vector_index_kind, directory, create=True)
        assert len(fresh) == 0

    def test_other_fingerprint_or_dimension_is_stale(
        self, vector_index_kind: str, tmp_path: Path
    ) -> None:
        self._need_persistence()
        directory = tmp_path / "index"
        index = self.open_index(vector_index_kind, directory, create=True)
        index.add([1], unit_vectors(10, 1))
        index.flush()
        with pytest.raises(StaleIndexError, match="curbside index build"):
            self.open_index(vector_index_kind, directory, fingerprint="another-fingerprint")
        with pytest.raises(StaleIndexError):
            self.open_index(vector_index_kind, directory, dim=DIM * 2)
        assert issubclass(StaleIndexError, VectorIndexError)

    def test_no_index_is_missing(self, vector_index_kind: str, tmp_path: Path) -> None:
        self._need_persistence()
        with pytest.raises(MissingIndexError, match="curbside index build"):
            self.open_index(vector_index_kind, tmp_path / "nowhere")
