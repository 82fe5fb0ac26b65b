"""REST API /api/v1 driven in process (TestClient over the ASGI app)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from curbside.article import Article
from curbside.services import Runtime

QUESTION = ("Is sacroiliac joint imbalance a common cause of low back pain that improves "
            "with movement?")


def test_health_and_ready(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = client.get("/api/v1/ready")
    body = r.json()
    assert r.status_code == 200, body
    assert body["ready"] is True
    assert body["checks"] == {"database": True, "writable": True, "migrations": True,
                              "index": True, "library": True}


def test_ready_is_503_on_an_empty_library(tmp_path: object) -> None:
    from pathlib import Path

    from curbside.app import create_app
    from curbside.config import Settings

    home = Path(str(tmp_path)) / "empty"
    with TestClient(create_app(Settings(home=home))) as c:
        r = c.get("/api/v1/ready")
    assert r.status_code == 503
    assert r.json()["checks"]["library"] is False
    assert r.json()["checks"]["migrations"] is True


def test_ask_then_read_follow_up_and_thread(client: TestClient) -> None:
    r = client.post("/api/v1/ask", json={"question": QUESTION, "audience": "clinician"})
    assert r.status_code == 201, r.text
    art = Article.model_validate(r.json())
    assert art.id is not None and art.version == 1
    assert art.references, "an answer from the starter library cites sources"
    assert art.status != "approved"
    # The draft is private: the reader key returned with it opens it.
    client.headers["X-Curbside-Key"] = key = r.json()["access_key"]

    got = client.get(f"/api/v1/articles/{art.id}")
    assert got.status_code == 200 and got.json()["id"] == art.id
    assert "access_key" not in got.json()
    assert client.get(f"/api/v1/articles/{art.id}", params={"version": 1}).status_code == 200
    assert client.get(f"/api/v1/articles/{art.id}", params={"version": 9}).status_code == 404
    patient = client.get(f"/api/v1/articles/{art.id}", params={"audience": "patient"}).json()
    assert patient["audience"] == "patient"
    def by_n(refs: list[dict[str, object]]) -> list[dict[str, object]]:
        return sorted(refs, key=lambda r: int(str(r["n"])))

    # Same sources and numbers for another reader (patient mode lists patient pages first).
    assert by_n(patient["references"]) == by_n(got.json()["references"])
    assert patient["red_flags"] == got.json()["red_flags"]

    fu = client.post(f"/api/v1/articles/{art.id}/followups",
                     json={"question": "What imaging should be ordered first?"})
    assert fu.status_code == 201, fu.text
    assert fu.json()["access_key"] == key  # a follow-up shares its thread's key
    thread_id = fu.json()["thread_id"]
    assert thread_id is not None
    th = client.get(f"/api/v1/threads/{thread_id}")
    assert th.status_code == 200
    turns = th.json()["articles"]
    assert [t["id"] for t in turns] == [art.id, fu.json()["id"]]


def test_ask_in_a_thread_and_unknown_thread(client: TestClient) -> None:
    assert client.get("/api/v1/threads/999").status_code == 404
    r = client.post("/api/v1/articles/999/followups", json={"question": "and then?"})
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_search_sources_and_passages(owner: TestClient, saved_article: Article) -> None:
    client = owner  # the draft's citations are listed for the person who asked it
    r = client.get("/api/v1/search", params={"q": "sacroiliac joint"})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert hits and all(h["passage"]["text"] for h in hits)
    src_id = saved_article.references[0].source_id
    s = client.get(f"/api/v1/sources/{src_id}").json()
    assert s["source"]["id"] == src_id and s["passages"]
    assert {"article_id": saved_article.id, "version": 1,
            "title": saved_article.title} in s["cited_by"]
    span = saved_article.lead[0].spans[0]
    p = client.get(f"/api/v1/passages/{span.passage_uid}",
                   params={"start": span.start, "end": span.end}).json()
    assert p["highlight"] == {"start": span.start, "end": span.end}
    assert p["passage"]["text"][span.start:span.end] == saved_article.lead[0].text
    assert client.get("/api/v1/sources/99999").status_code == 404
    assert client.get("/api/v1/passages/nope").status_code == 404


def test_recent_articles(client: TestClient, rt: Runtime, saved_article: Article) -> None:
    from curbside import services

    services.add_user(rt, name="eve", role="editor")
    editor = {"Authorization": f"Bearer {services.issue_api_token(rt, name='eve')}"}
    rows = client.get("/api/v1/articles", headers=editor).json()
    assert [r["id"] for r in rows] == [saved_article.id]
    assert client.get("/api/v1/articles", params={"status": "approved"},
                      headers=editor).json() == []
    assert client.get("/api/v1/articles").json() == []  # a draft is never listed publicly


def test_metrics_use_route_templates(owner: TestClient, rt: Runtime,
                                     saved_article: Article) -> None:
    client = owner
    client.get(f"/api/v1/articles/{saved_article.id}")
    client.get("/api/v1/search", params={"q": "secretquestionword"})
    text = client.get("/api/v1/metrics").text
    assert 'route="/api/v1/articles/{article_id}",status="200"' in text
    assert "curbside_http_request_duration_seconds_bucket" in text
    assert "secretquestionword" not in text
    assert f"/api/v1/articles/{saved_article.id}\"" not in text


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/ask", "/api/v1/articles/{article_id}",
                 "/api/v1/articles/{article_id}/followups", "/api/v1/threads/{thread_id}",
                 "/api/v1/search", "/api/v1/sources/{source_id}", "/api/v1/health",
                 "/api/v1/ready", "/api/v1/metrics"):
        assert path in spec["paths"], path
    assert {"AskRequest", "ErrorPublic", "Article"} <= set(spec["components"]["schemas"])
    claim = spec["components"]["schemas"]["Claim"]["properties"]
    assert "message key" in claim["key"]["description"]  # ours: its key; sources: null
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "'unsafe-inline'" not in docs.headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]


def test_api_search_kind_and_year(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "back pain", "kind": ["guideline", "rct"],
                                             "year": "2000-2016"})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits and all(h["source"]["kind"] in ("guideline", "rct") for h in hits)
    assert all(2000 <= h["source"]["year"] <= 2016 for h in hits)
    for params in ({"kind": "trial"}, {"year": "2016-2000"}, {"year": "recent"}):
        bad = client.get("/api/v1/search", params={"q": "back pain", **params})
        assert bad.status_code == 422, (params, bad.text)
    spec = client.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"kind", "year"} <= names
