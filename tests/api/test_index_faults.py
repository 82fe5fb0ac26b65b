"""A broken search index is a 503 that says what to do, never a 500.

The vector index backend raises its own exceptions (`VectorIndexError`, `EmbedderUnavailable`);
the services turn them into `IndexUnavailable` and the app answers 503 with the code
``index_unavailable`` (JSON) or the error page (HTML). Each test breaks a real index file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from curbside import services
from curbside.app import create_app
from curbside.config import Settings

QUESTION = "What is the first-line treatment for hypertension?"


def _vector_files(home: Path) -> list[Path]:
    files = sorted((home / "index").glob("dense-*/vectors.*"))
    if not files:
        pytest.skip("the test home has no dense index to break")
    return files


@contextmanager
def _client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=home)), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def corrupt_sidecar(app_home: Path) -> Iterator[TestClient]:
    for f in _vector_files(app_home):
        if f.name.endswith(".meta.json"):
            f.write_text("{not json", encoding="utf-8")
    with _client(app_home) as client:
        yield client


@pytest.fixture
def corrupt_vectors(app_home: Path) -> Iterator[TestClient]:
    for f in _vector_files(app_home):
        if not f.name.endswith(".meta.json"):
            f.write_bytes(b"\0garbage" * 64)
    with _client(app_home) as client:
        yield client


def _assert_index_503(resp: object) -> None:
    assert getattr(resp, "status_code", None) == 503, getattr(resp, "text", "")
    body = resp.json()  # type: ignore[attr-defined]
    assert body["code"] == "index_unavailable"
    assert "curbside index build" in body["message"]


@pytest.mark.parametrize("broken", ["corrupt_sidecar", "corrupt_vectors"])
def test_ask_and_search_on_a_broken_index_are_503(broken: str,
                                                 request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(broken)
    _assert_index_503(client.post("/api/v1/ask", json={"question": QUESTION}))
    _assert_index_503(client.get("/api/v1/search", params={"q": "hypertension"}))
    _assert_index_503(client.get("/search.json", params={"q": "hypertension"}))


def test_web_ask_on_a_broken_index_shows_the_error_page(corrupt_sidecar: TestClient) -> None:
    page = corrupt_sidecar.post("/ask", data={"question": QUESTION}, follow_redirects=False)
    assert page.status_code == 503
    assert "text/html" in page.headers["content-type"]
    assert "Not available" in page.text and "curbside index build" in page.text


def test_follow_up_on_a_broken_index_is_503(app_home: Path) -> None:
    rt = services.open_runtime(Settings(home=app_home))
    try:  # asked while the index works
        asked = services.ask_as(rt, services.ANONYMOUS, question=QUESTION)
    finally:
        rt.close()
    for f in _vector_files(app_home):
        if f.name.endswith(".meta.json"):
            f.write_text("{not json", encoding="utf-8")
    with _client(app_home) as client:
        resp = client.post(f"/api/v1/articles/{asked.article.id}/followups",
                           json={"question": "And in pregnancy?"},
                           headers={"X-Curbside-Key": asked.key})
        _assert_index_503(resp)


def test_missing_embedding_model_is_503(app_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from curbside.index.dense import DenseIndex
    from curbside.index.embedder import EmbedderUnavailable

    _vector_files(app_home)

    def no_model(self: DenseIndex, query: str) -> object:
        raise EmbedderUnavailable("embedding model file not found: model.onnx; "
                                  "reinstall it, then run `curbside index build`")

    monkeypatch.setattr(DenseIndex, "query_vector", no_model)
    with _client(app_home) as client:
        _assert_index_503(client.get("/api/v1/search", params={"q": "hypertension"}))


def test_no_dense_index_answers_from_the_lexical_index(app_home: Path) -> None:
    for f in _vector_files(app_home):
        f.unlink()
    with _client(app_home) as client:
        assert client.get("/api/v1/search", params={"q": "hypertension"}).status_code == 200
        assert client.post("/api/v1/ask", json={"question": QUESTION}).status_code == 201
