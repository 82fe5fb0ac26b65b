"""Vector index backends through the registry: the conformance suite on every registered one,
and a third-party backend found through a real entry point (a temporary dist-info on sys.path).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from curbside.config import RetrievalSettings
from curbside.index.vectors import (
    ExactVectorIndex,
    FileVectorIndex,
    VectorIndex,
    VectorIndexContext,
    VectorIndexError,
    open_exact_index,
    open_vector_index,
    prefer_vector_index,
    vector_index_for,
)
from curbside.registry import (
    VECTOR_INDEXES,
    PluginError,
    Registry,
    UnknownBackendError,
    VectorIndexFactory,
)
from curbside.testing.vectors import VectorIndexConformance, unit_vectors

HERE = Path(__file__).resolve().parent
PLUGIN_MODULE = "curbside_demo_vectors"
PLUGIN_NAME = "demo-brute"


def install_dist(site: Path, dist: str, entry_points: dict[str, str], module: str = "") -> None:
    """What ``pip install`` leaves for a package with entry points: a dist-info directory
    (and the module) in a folder on sys.path."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text(
        "[curbside.vector_indexes]\n" + "\n".join(lines) + "\n"
    )
    if module:
        shutil.copy(HERE / f"{module}.py", site / f"{module}.py")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder on sys.path; the registry forgets its plugins before and after."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    VECTOR_INDEXES.refresh()
    yield folder
    VECTOR_INDEXES.refresh()
    sys.modules.pop(PLUGIN_MODULE, None)


@pytest.fixture
def demo_plugin(site: Path) -> str:
    install_dist(site, "curbside-demo-vectors", {PLUGIN_NAME: f"{PLUGIN_MODULE}:open_index"},
                 PLUGIN_MODULE)
    return PLUGIN_NAME


#: Backends that need a server, with where their conformance run is (a real one, not here).
NEEDS_A_SERVER = {
    "pgvector": "needs PostgreSQL: tests/conformance/test_pgvector.py runs it on pgserver",
}
#: Built-ins that need a server (or its embedded form) run the suite in their own module, under
#: their marker: milvus in test_milvus_index.py (mark ``milvus``).
OWN_MODULE = {"milvus"}


class TestEveryRegisteredVectorIndex(VectorIndexConformance):
    """The shipped suite against each built-in (and any installed plugin) backend."""

    @pytest.fixture(
        params=[
            pytest.param(name, marks=pytest.mark.skip(reason=NEEDS_A_SERVER[name]))
            if name in NEEDS_A_SERVER else name
            for name in VECTOR_INDEXES.names() if name not in OWN_MODULE
        ]
    )
    def vector_index_kind(self, request: pytest.FixtureRequest) -> str:
        return str(request.param)


class TestEntryPointVectorIndex(VectorIndexConformance):
    """A backend that only an entry point names, run through the same suite. Its stand-in
    server is a dict in this process, so the crash test drops an instance instead of killing
    a child process."""

    crash_in_subprocess = False

    @pytest.fixture
    def vector_index_kind(self, demo_plugin: str) -> str:
        return demo_plugin


def test_builtins_are_registered(tmp_path: Path) -> None:
    assert {"usearch", "exact", "pgvector"} <= set(VECTOR_INDEXES.names())
    for kind in ("usearch", "exact"):
        assert isinstance(open_vector_index(tmp_path, 8, "fp", kind, create=True), FileVectorIndex)
    assert RetrievalSettings().vector_index == "auto"


def test_auto_is_usearch_on_sqlite_and_pgvector_on_postgresql() -> None:
    assert vector_index_for("auto", "sqlite") == "usearch"
    assert vector_index_for("auto", "postgresql") == "pgvector"
    assert vector_index_for("auto", "mysql") == "usearch"  # no backend prefers it
    assert vector_index_for("exact", "postgresql") == "exact"  # a named backend is kept


def test_a_backend_declares_the_dialect_it_prefers(monkeypatch: pytest.MonkeyPatch) -> None:
    from curbside.index import vectors

    monkeypatch.setattr(vectors, "_PREFERRED", dict(vectors._PREFERRED))
    prefer_vector_index("duckdb", PLUGIN_NAME)
    assert vector_index_for("auto", "duckdb") == PLUGIN_NAME


def test_context_reaches_only_factories_that_take_it(tmp_path: Path) -> None:
    seen: list[object] = []

    def with_context(directory: Path, dim: int, fingerprint: str, create: bool, *,
                     context: VectorIndexContext | None = None) -> VectorIndex:
        seen.append(context)
        return open_exact_index(directory, dim, fingerprint, create)

    reg_name = "context-probe"
    VECTOR_INDEXES.register(reg_name, with_context)
    try:
        ctx = VectorIndexContext()
        open_vector_index(tmp_path, 8, "fp", reg_name, create=True, context=ctx)
        open_vector_index(tmp_path, 8, "fp", reg_name, create=True)
        # The file backends take no context and are called as before.
        exact = open_vector_index(tmp_path, 8, "fp", "exact", create=True, context=ctx)
    finally:
        VECTOR_INDEXES.unregister(reg_name)
    assert seen == [ctx, None] and isinstance(exact, ExactVectorIndex)


def test_pgvector_without_a_postgresql_database_says_what_to_set(tmp_path: Path) -> None:
    from curbside.store.engine import make_engine

    with pytest.raises(VectorIndexError, match="CURBSIDE_DATABASE_URL=postgresql"):
        open_vector_index(tmp_path, 8, "fp", "pgvector", create=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(VectorIndexError, match="not sqlite.*VECTOR_INDEX=usearch"):
            open_vector_index(tmp_path, 8, "fp", "pgvector", create=True,
                              context=VectorIndexContext(engine=engine))
    finally:
        engine.dispose()


def test_entry_point_is_listed_then_loaded_on_lookup(demo_plugin: str, tmp_path: Path) -> None:
    assert demo_plugin in VECTOR_INDEXES.names()
    assert PLUGIN_MODULE not in sys.modules  # listed, not imported
    index = open_vector_index(tmp_path / "idx", 8, "fp", demo_plugin, create=True)
    assert PLUGIN_MODULE in sys.modules and type(index).__name__ == "BruteForceIndex"
    assert isinstance(index, VectorIndex) and not isinstance(index, FileVectorIndex)
    index.add([3], unit_vectors(1, 1, 8))
    assert index.search(unit_vectors(1, 1, 8)[0], 1)[0][0] == 3


def test_unknown_name_lists_the_known_ones_and_the_setting(site: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownBackendError, match="CURBSIDE_RETRIEVAL__VECTOR_INDEX") as err:
        open_vector_index(tmp_path, 8, "fp", "faiss", create=True)
    assert "'faiss'" in str(err.value)
    assert all(name in str(err.value) for name in ("exact", "milvus", "pgvector", "usearch"))
    assert isinstance(err.value, ValueError)


def test_broken_plugin_names_its_entry_point(site: Path, tmp_path: Path) -> None:
    install_dist(site, "curbside-broken", {"broken": "curbside_no_such_module:open_index",
                                           "usearch": "curbside_no_such_module:open_index"})
    assert "broken" in VECTOR_INDEXES.names()
    with pytest.raises(PluginError, match=r"'broken' = 'curbside_no_such_module:open_index'"):
        open_vector_index(tmp_path, 8, "fp", "broken", create=True)
    # A plugin cannot take over a built-in name: the built-in still opens.
    opened = open_vector_index(tmp_path, 8, "fp", "usearch", create=True)
    assert type(opened).__name__ == "UsearchVectorIndex"
    assert VECTOR_INDEXES.names().count("usearch") == 1


def test_registering_in_code() -> None:
    reg: Registry[VectorIndexFactory] = Registry(
        "vector index", "curbside.tests.none", "a test setting"
    )
    reg.register("exact-copy", open_exact_index)
    assert reg.names() == ["exact-copy"] and "exact-copy" in reg
    with pytest.raises(ValueError, match="already registered"):
        reg.register("exact-copy", open_exact_index)
    reg.register("exact-copy", open_exact_index, replace=True)
    with pytest.raises(TypeError, match="callable"):
        reg.register("nothing", None)  # type: ignore[arg-type]
    with pytest.raises(UnknownBackendError, match="a test setting.*exact-copy"):
        reg.get("usearch")


def test_dense_index_opens_the_configured_backend(tmp_path: Path) -> None:
    from curbside.config import Settings
    from curbside.index.dense import DenseIndex
    from curbside.store.engine import make_engine

    class Tiny:
        name, dim, fingerprint = "tiny", 8, "tiny-embedder"

        def embed(self, texts: list[str]) -> np.ndarray:
            return unit_vectors(len(texts), len(texts), 8)

        def embed_query(self, text: str) -> np.ndarray:
            return unit_vectors(0, 1, 8)[0]

    settings = Settings(home=tmp_path, retrieval=RetrievalSettings(vector_index="exact"))
    engine = make_engine(settings.db_url)
    try:
        dense = DenseIndex(settings, engine, embedder=Tiny())
        index = dense.index()
        assert isinstance(index, ExactVectorIndex) and len(index) == 0
        # The default ("auto") on SQLite is the usearch file, as before "auto" existed.
        default = DenseIndex(Settings(home=tmp_path / "default"), engine, embedder=Tiny())
        assert default.backend == "usearch"
        assert type(default.index()).__name__ == "UsearchVectorIndex"
    finally:
        engine.dispose()


def test_the_exact_index_returns_every_vector_when_k_exceeds_the_count(tmp_path: Path) -> None:
    """The shared suite allows an approximate index to miss a few; the exact one never does."""
    from curbside.testing.vectors import unit_vectors

    index = open_exact_index(tmp_path / "exact", 8, "fp", True)
    vecs = unit_vectors(2, 200, dim=8)
    index.add(np.arange(1000, 1200, dtype=np.int64), vecs)
    assert sorted(i for i, _ in index.search(vecs[5], 500)) == list(range(1000, 1200))
