"""Document-level vectors: one per source, from the stored passage vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from curbside import services
from curbside.index.documents import DocumentVectors, index_signature
from curbside.index.vectors import ExactVectorIndex


def unit(*xs: float) -> list[float]:
    v = np.asarray(xs, dtype=np.float32)
    return list(v / np.linalg.norm(v))


@pytest.fixture
def index(tmp_path: Path) -> ExactVectorIndex:
    idx = ExactVectorIndex(tmp_path / "vectors.npy", 3, "fp", create=True)
    # Source 10: passages 1 (ord 0) and 2 (ord 1); source 20: passage 3; source 30: passage 4,
    # which has no vector yet (an index still being built).
    idx.add([2, 1, 3], [unit(0, 1, 0), unit(1, 0, 0), unit(0, 0, 1)])
    return idx


OWNERS = [(2, 10, 1), (1, 10, 0), (3, 20, 0), (4, 30, 0)]


def test_first_is_the_opening_passage_and_mean_the_normalised_mean(
    index: ExactVectorIndex,
) -> None:
    first = DocumentVectors.build(index, OWNERS, "first")
    mean = DocumentVectors.build(index, OWNERS, "mean")
    assert first.source_ids.tolist() == [10, 20] == mean.source_ids.tolist()  # 30: no vector
    assert first.first_passages.tolist() == [1, 3]
    np.testing.assert_allclose(first.vectors[0].astype(np.float32), [1, 0, 0], atol=1e-3)
    np.testing.assert_allclose(mean.vectors[0].astype(np.float32), [2**-0.5, 2**-0.5, 0], atol=1e-3)
    q = np.asarray(unit(0, 1, 0), dtype=np.float32)
    # Source 10 is about the query only on average: mean sees it, its opening does not.
    assert first.scores(q, [10, 20, 99]).tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-3)
    assert mean.scores(q, [10, 20, 99]).tolist() == pytest.approx([2**-0.5, 0, 0], abs=1e-3)
    assert mean.search(q, 5)[0] == (1, pytest.approx(2**-0.5, abs=1e-3))
    assert [p for p, _ in mean.search(np.asarray(unit(0, 0, 1), np.float32), 1)] == [3]
    assert first.bytes_per_source == 3 * 2 + 16
    with pytest.raises(ValueError, match="mode"):
        DocumentVectors.build(index, OWNERS, "max")  # type: ignore[arg-type]


def test_saved_vectors_load_back_and_the_signature_tracks_the_index(
    index: ExactVectorIndex, tmp_path: Path
) -> None:
    docs = DocumentVectors.build(index, OWNERS, "mean")
    docs.save(tmp_path / "documents-mean.npz")
    back = DocumentVectors.load(tmp_path / "documents-mean.npz", "mean")
    assert back.signature == docs.signature == index_signature(index)
    np.testing.assert_array_equal(back.vectors, docs.vectors)
    index.add([4], [unit(1, 1, 1)])
    assert index_signature(index) != docs.signature


def test_dense_index_builds_them_for_the_library_and_rebuilds_after_a_change(
    starter_rt: services.Runtime,
) -> None:
    dense = starter_rt.dense
    docs = dense.documents("first")
    stats = starter_rt.store.stats()
    owners = starter_rt.store.current_passage_owners()
    assert len(docs) == len({s for _p, s, _o in owners}) == stats["sources"]
    assert len(owners) == stats["passages"]
    assert docs.vectors.dtype == np.float16 and docs.bytes_per_source == 384 * 2 + 16
    assert dense.documents("first") is docs  # cached while the index is unchanged
    assert (dense.directory / "documents-first.npz").is_file()
    openings = {p for p, _s, o in owners if o == 0}
    assert set(docs.first_passages.tolist()) <= openings
    # The library's own searcher exposes them: a document-only search ranks sources.
    from curbside.retrieve.hybrid import RetrievalOptions

    res = starter_rt.retriever.search(
        "low back pain exercise", k=5, options=RetrievalOptions(fusion="document")
    )
    assert res.evidence and all(e.passage.id in openings for e in res.evidence)
