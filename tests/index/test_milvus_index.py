"""The ``milvus`` vector index on Milvus Lite (in-process, a file in the test's directory): the
shipped conformance suite, the URI setting (several collections in one Milvus file, as on a
server), large ``allowed`` filters, the dense index end to end, and the clear error without
pymilvus."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from curbside.config import RetrievalSettings, Settings
from curbside.index.vectors import (
    MissingIndexError,
    StaleIndexError,
    VectorIndexContext,
    VectorIndexError,
    open_vector_index,
)
from curbside.testing.vectors import DIM, FINGERPRINT, VectorIndexConformance, unit_vectors

pytestmark = pytest.mark.milvus

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from curbside.index import milvus_index  # noqa: E402


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Each test's Milvus Lite file is closed when the test ends (tmp_path then goes)."""
    yield
    milvus_index.close_milvus_clients()


class TestMilvusLiteConformance(VectorIndexConformance):
    @pytest.fixture
    def vector_index_kind(self) -> str:
        return "milvus"


def settings_with_uri(home: Path, uri: str, **db: str) -> Settings:
    return Settings(home=home, retrieval=RetrievalSettings(vector_index="milvus", milvus_uri=uri),
                    **db)  # type: ignore[arg-type]


def test_default_is_a_lite_file_inside_the_directory(tmp_path: Path) -> None:
    index = open_vector_index(tmp_path / "dense-x", DIM, FINGERPRINT, "milvus", create=True)
    index.add([1], unit_vectors(1, 1))
    index.flush()
    assert (tmp_path / "dense-x" / milvus_index.LITE_FILE).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["dense-x"]


def test_uri_setting_names_one_collection_per_directory(tmp_path: Path) -> None:
    """With a URI (here a shared Milvus Lite file, as a server would be) each index directory
    gets its own collection, named after the directory, and reopening finds it."""
    shared = tmp_path / "server" / "shared.db"
    shared.parent.mkdir()
    ctx = VectorIndexContext(settings=settings_with_uri(tmp_path / "home", str(shared)))
    index_dir = tmp_path / "home" / "index"
    a_dir, b_dir = index_dir / "dense-aaa", index_dir / "dense-bbb"
    vecs = unit_vectors(2, 20)
    a = open_vector_index(a_dir, DIM, FINGERPRINT, "milvus", create=True, context=ctx)
    b = open_vector_index(b_dir, DIM, "other", "milvus", create=True, context=ctx)
    a.add(np.arange(10), vecs[:10])
    b.add(np.arange(100, 105), vecs[10:15])
    a.flush()
    b.flush()
    assert len(open_vector_index(a_dir, DIM, FINGERPRINT, "milvus", context=ctx)) == 10
    assert len(open_vector_index(b_dir, DIM, "other", "milvus", context=ctx)) == 5
    with pytest.raises(StaleIndexError, match="curbside index build"):
        open_vector_index(b_dir, DIM, FINGERPRINT, "milvus", context=ctx)
    with pytest.raises(MissingIndexError):
        open_vector_index(index_dir / "dense-ccc", DIM, FINGERPRINT, "milvus", context=ctx)
    assert not (a_dir / milvus_index.LITE_FILE).exists()  # nothing written beside the home
    assert isinstance(a, milvus_index.MilvusVectorIndex)
    assert isinstance(b, milvus_index.MilvusVectorIndex)
    assert a.collection.startswith("curbside_dense_aaa_") and a.collection != b.collection


def test_collection_name_of_a_shared_database_is_the_directory_name() -> None:
    d = Path("/srv/a/index/dense-0123456789abcdef-1a2b3c4d-5e6f7a")
    name = milvus_index.collection_name(d, shared_database=True)
    assert name == "curbside_dense_0123456789abcdef_1a2b3c4d_5e6f7a"
    assert milvus_index.collection_name(Path("/srv/b/index") / d.name, shared_database=True) == name
    assert milvus_index.collection_name(d, shared_database=False) != name


def test_allowed_larger_than_one_filter_chunk(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(milvus_index, "FILTER_CHUNK", 7)
    vecs = unit_vectors(3, 60)
    index = open_vector_index(tmp_path / "i", DIM, FINGERPRINT, "milvus", create=True)
    index.add(np.arange(60), vecs)
    allowed = set(range(1, 60, 3)) | {10**6}
    hits = index.search(vecs[4], 8, allowed=allowed)
    assert hits[0][0] == 4 and len(hits) == 8 and {i for i, _ in hits} <= allowed
    exact = sorted(allowed - {10**6}, key=lambda i: -float(vecs[i] @ vecs[4]))[:8]
    assert [i for i, _ in hits] == exact
    assert index.remove(list(range(0, 30))) == 30 and len(index) == 30


def test_missing_pymilvus_names_the_extra(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # import pymilvus -> ImportError
    with pytest.raises(VectorIndexError, match=r"curbside\[milvus\]"):
        open_vector_index(tmp_path / "i", DIM, FINGERPRINT, "milvus", create=True)


@pytest.mark.slow
def test_dense_index_on_milvus_end_to_end(tmp_path: Path) -> None:
    """Ingest the starter library with vector_index=milvus, search and ask; the dense hits are
    the exact top ten of the stored vectors; a new runtime finds the collection complete."""
    from curbside import services

    settings = Settings(home=tmp_path / "home",
                        retrieval=RetrievalSettings(vector_index="milvus"))
    rt = services.open_runtime(settings)
    try:
        rep = services.ingest_starter_library(rt)
        assert rep.total("added") > 0
        index = rt.dense.index()
        assert isinstance(index, milvus_index.MilvusVectorIndex)
        assert (rt.dense.directory / milvus_index.LITE_FILE).exists()
        ids = index.ids()
        assert len(index) == ids.size == rt.dense.status().current_passages > 0
        found, mat = index.vectors(ids)
        for question in ("Does physical therapy help chronic low back pain?",
                         "What causes plantar fasciitis?", "How is Lyme disease diagnosed?"):
            q = rt.dense.query_vector(question)
            exact = found[np.argsort(-(mat @ (q / np.linalg.norm(q))))[:10]]
            assert [i for i, _ in rt.dense.search(question, 10)] == exact.tolist()
        result = services.search(rt, query="What helps chronic low back pain?", k=5)
        assert result.evidence and any("dense" in e.scores for e in result.evidence)
        article = services.ask(rt, question="Does physical therapy help chronic low back pain?")
        assert article.references
    finally:
        rt.close()
    milvus_index.close_milvus_clients()
    again = services.open_runtime(settings)
    try:
        status = again.dense.status()
        assert status.exists and status.missing == 0 and status.stale_entries == 0
    finally:
        again.close()
