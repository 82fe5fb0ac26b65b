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
from curbside.index.filters import PassageFilter
from curbside.index.vectors import (
    InvalidVectorInput,
    MissingIndexError,
    StaleIndexError,
    VectorIndexContext,
    VectorIndexError,
    open_vector_index,
)
from curbside.testing.vectors import (
    DIM,
    FINGERPRINT,
    Library,
    VectorIndexConformance,
    unit_vectors,
)

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


TextLibrary = tuple[Library, milvus_index.MilvusVectorIndex, dict[str, list[int]]]


def _text_library(tmp_path: Path) -> TextLibrary:
    """Three sources with distinct words, in a SQLite store; the index opened with its engine
    (as the dense index opens it), so Milvus stores kind, year and text beside each vector."""
    from curbside.store.engine import make_engine

    library = Library.open(make_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    ids = {
        "statins": library.add("statins", "rct", 2010, 2, texts=[
            "statin therapy lowers cholesterol in adults", "muscle pain on statin therapy"]),
        "back": library.add("back", "guideline", 2018, 3, texts=[
            "exercise therapy for chronic low back pain", "heat wraps ease acute back pain",
            "imaging is not needed for most back pain"]),
        "diet": library.add("diet", "review", 2005, 2, texts=[
            "dietary fibre and cholesterol", "plant sterols and cholesterol absorption"]),
    }
    index = open_vector_index(tmp_path / "i", DIM, FINGERPRINT, "milvus", create=True,
                              context=VectorIndexContext(engine=library.engine))
    assert isinstance(index, milvus_index.MilvusVectorIndex)
    all_ids = sorted(library.current())
    index.add(all_ids, unit_vectors(70, len(all_ids)))
    return library, index, ids


def test_bm25_full_text_search_with_filters(tmp_path: Path) -> None:
    """Milvus' built-in BM25 function over the text field Curbside writes from the store."""
    library, index, ids = _text_library(tmp_path)
    hits = index.text_search("back pain", 5)
    assert {i for i, _ in hits} == set(ids["back"]) | {ids["statins"][1]}  # "pain"
    assert hits[0][0] in ids["back"] and all(s > 0 for _, s in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    chol = index.text_search("cholesterol", 10)
    assert {i for i, _ in chol} == {ids["statins"][0], *ids["diet"]}
    only_reviews = index.text_search("cholesterol", 10, PassageFilter(kinds=frozenset({"review"})))
    assert {i for i, _ in only_reviews} == set(ids["diet"])
    recent = index.text_search("cholesterol", 10, PassageFilter(year_min=2008))
    assert [i for i, _ in recent] == [ids["statins"][0]]
    assert index.text_search("zebra", 5) == []
    with pytest.raises(InvalidVectorInput) as err:
        index.text_search("  ", 5)
    assert err.value.field == "text"


def test_server_side_hybrid_search_with_filters(tmp_path: Path) -> None:
    library, index, ids = _text_library(tmp_path)
    found, mat = index.vectors(sorted(library.current()))
    target = ids["diet"][1]  # its own vector and the words of another source's passage
    q = mat[list(found).index(target)]
    rrf = index.hybrid_search(q, "exercise therapy back pain", 4)
    got = [i for i, _ in rrf]
    assert target in got and ids["back"][0] in got  # one list each: both fused in
    assert len(got) == 4 == len(set(got))
    # A filter applies to both lists before fusion.
    where = PassageFilter(kinds=frozenset({"guideline", "rct"}))
    filtered = index.hybrid_search(q, "exercise therapy back pain", 4, where)
    assert filtered and {i for i, _ in filtered} <= set(ids["back"]) | set(ids["statins"])
    # WeightedRanker: all weight on one side gives that side's order.
    dense_only = index.hybrid_search(q, "exercise therapy back pain", 3, weights=(1.0, 0.0))
    assert dense_only[0][0] == target
    text_only = index.hybrid_search(q, "exercise therapy back pain", 3, weights=(0.0, 1.0))
    assert text_only[0][0] == ids["back"][0]
    with pytest.raises(InvalidVectorInput) as err:
        index.hybrid_search(q, "pain", 3, weights=(1.0, -1.0))
    assert err.value.field == "weights"
    with pytest.raises(InvalidVectorInput) as err:
        index.hybrid_search(q[:5], "pain", 3)
    assert err.value.field == "query"


def test_a_collection_of_the_earlier_layout_is_stale(tmp_path: Path) -> None:
    """A collection written before the kind, year and text fields: rebuild, don't misfilter."""
    index = open_vector_index(tmp_path / "i", DIM, FINGERPRINT, "milvus", create=True)
    assert isinstance(index, milvus_index.MilvusVectorIndex)
    client = milvus_index._client(str(tmp_path / "i" / milvus_index.LITE_FILE), "", "")
    client.alter_collection_properties(index.collection,
                                       {milvus_index.FORMAT_PROPERTY: "1"})
    with pytest.raises(StaleIndexError, match="--rebuild"):
        open_vector_index(tmp_path / "i", DIM, FINGERPRINT, "milvus")
