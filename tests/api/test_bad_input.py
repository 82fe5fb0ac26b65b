"""Bad input gets a clear 4xx: JSON (ErrorPublic) on the API, a friendly page on the web."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from curbside.article import Article
from curbside.services import Runtime


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"status", "code", "message", "field"}
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(("question", "words"), [
    ("", "empty"),
    ("   \n ", "empty"),
    ("x" * 10_000, "too long"),
    ("back pain\x00 and \x1b[31m", "control characters"),
])
def test_bad_questions_are_422(client: TestClient, question: str, words: str) -> None:
    r = client.post("/api/v1/ask", json={"question": question})
    assert r.status_code == 422
    body = _error(r)
    assert body["field"] == "question" and words in str(body["message"])


def test_unknown_reader_mode_and_writer(owner: TestClient, saved_article: Article) -> None:
    client = owner
    r = client.post("/api/v1/ask", json={"question": "back pain", "audience": "martian"})
    assert r.status_code == 422 and _error(r)["field"] == "audience"
    assert "clinician, patient, student" in str(_error(r)["message"])
    r = client.post("/api/v1/ask", json={"question": "back pain", "writer": "oracle"})
    assert r.status_code == 422 and _error(r)["field"] == "writer"
    r = client.get(f"/api/v1/articles/{saved_article.id}", params={"audience": "martian"})
    assert r.status_code == 422 and _error(r)["field"] == "audience"
    page = client.get(f"/articles/{saved_article.id}", params={"audience": "martian"})
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "unknown reader mode" in page.text


@pytest.mark.parametrize("url", ["/api/v1/articles/abc", "/api/v1/articles/-1x",
                                 "/api/v1/threads/1.5", "/api/v1/sources/%00"])
def test_invalid_ids_are_4xx_json(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert 400 <= r.status_code < 500
    assert _error(r)["status"] == r.status_code


def test_missing_ids_are_404(client: TestClient) -> None:
    for url in ("/api/v1/articles/424242", "/articles/424242.json", "/threads/4242.json",
                "/sources/424242.json", "/passages/deadbeef.json"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert _error(r)["code"] == "not_found"


def test_html_errors_are_friendly_pages(client: TestClient) -> None:
    for url in ("/articles/424242", "/articles/abc", "/no/such/page", "/sources/0"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "text/html" in r.headers["content-type"]
        assert "<h1>Not found</h1>" in r.text and "Back to the question box" in r.text


def test_malformed_json_and_wrong_types(client: TestClient) -> None:
    r = client.post("/api/v1/ask", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422 and _error(r)["code"] == "invalid_input"
    r = client.post("/api/v1/ask", json={"question": 42})
    assert r.status_code == 422
    r = client.post("/api/v1/ask", json={"question": "x", "thread_id": 0})
    assert r.status_code == 422 and _error(r)["field"] == "thread_id"


def test_body_over_64kb_is_413(client: TestClient) -> None:
    big = b'{"question": "' + b"a" * 70_000 + b'"}'
    r = client.post("/api/v1/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert _error(r)["code"] == "too_large"
    r = client.post("/ask", data={"question": "a" * 70_000})
    assert r.status_code == 413 and "text/html" in r.headers["content-type"]

    def chunks():  # no content-length: counted while streaming
        for _ in range(20):
            yield b"a" * 4096

    r = client.post("/api/v1/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_form_errors_rerender_with_message(owner: TestClient, saved_article: Article) -> None:
    client = owner
    r = client.post("/ask", data={"question": "  ", "audience": "patient"})
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "the question is empty" in r.text
    assert 'value="patient" checked' in r.text
    r = client.post(f"/articles/{saved_article.id}/followups", data={"question": "a\x07b"})
    assert r.status_code == 422 and "control characters" in r.text
    r = client.post("/ask", data={"question": "back pain", "audience": "martian"})
    assert r.status_code == 422 and "unknown reader mode" in r.text


def test_unknown_thread_is_404(client: TestClient) -> None:
    r = client.post("/api/v1/ask", json={"question": "back pain", "thread_id": 999})
    assert r.status_code == 404 and _error(r)["code"] == "not_found"


def test_unsearchable_query_is_422(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "!!! ???"})
    assert r.status_code == 422 and _error(r)["field"] == "query"
    page = client.get("/search", params={"q": "!!! ???"})
    assert page.status_code == 422 and 'role="alert"' in page.text and 'id="q"' in page.text


def test_unexpected_errors_are_500_without_leaking_text(
        rt: Runtime, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from curbside import services
    from curbside.app import create_app

    def boom(*_a: object, **kw: object) -> None:
        raise RuntimeError(f"database said no about {kw.get('question')}")

    monkeypatch.setattr(services, "ask_as", boom)
    app = create_app(runtime=rt)
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.DEBUG):
        r = c.post("/api/v1/ask", json={"question": "zebra secret question"})
        page = c.post("/ask", data={"question": "zebra secret question"})
    assert r.status_code == 500 and _error(r)["code"] == "internal_error"
    assert "zebra" not in r.text
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "zebra" not in page.text
    server = [x for x in caplog.records if not x.name.startswith("httpx")]
    assert any("RuntimeError" in x.getMessage() for x in server)
    assert all("zebra" not in x.getMessage() for x in server)
