"""`DenseIndex.load_embedder_in_background` (issue 14): `curbside ask` loads the ONNX model in a
thread while the answer pipeline is imported. The index must still build one embedder, hand the
thread's embedder to its first user, and raise a failed load where the embedder is first used."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from curbside.config import Settings
from curbside.index import dense as dense_module
from curbside.index.dense import DenseIndex
from curbside.index.embedder import Embedder, EmbedderUnavailable, make_embedder
from curbside.store.engine import make_engine


def _index(home: Path, **embedder: str) -> DenseIndex:
    settings = Settings(home=home, embedder=embedder) if embedder else Settings(home=home)
    return DenseIndex(settings, make_engine(f"sqlite:///{home / 'db.sqlite'}"))


def test_background_load_builds_the_one_embedder(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Embedder] = []
    started, go_on = threading.Event(), threading.Event()

    def counting(settings: object) -> Embedder:  # the real embedder, held until the test says
        started.set()
        assert go_on.wait(600)
        e = make_embedder(settings)  # type: ignore[arg-type]
        built.append(e)
        return e

    monkeypatch.setattr(dense_module, "make_embedder", counting)
    index = _index(tmp_path)
    thread = index.load_embedder_in_background()
    assert started.wait(600)  # the thread holds the load; the caller's first use must wait
    seen: list[Embedder] = []
    user = threading.Thread(target=lambda: seen.append(index.embedder))
    user.start()
    go_on.set()
    user.join(600)
    thread.join(600)
    assert len(built) == 1
    assert seen == built and index.embedder is built[0]
    assert index.embedder.embed_query("warfarin").shape == (index.embedder.dim,)


def test_a_failed_background_load_is_raised_where_the_embedder_is_used(tmp_path: Path) -> None:
    index = _index(tmp_path, kind="no-such-embedder")
    index.load_embedder_in_background().join(600)  # fails quietly in its thread
    with pytest.raises(EmbedderUnavailable, match="no-such-embedder"):
        index.embedder  # noqa: B018
