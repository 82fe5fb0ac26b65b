"""Regressions of the schemathesis findings (issue 18, item 4), each checked directly.

Lone surrogates in text, ids beyond int64, naive timestamps, undocumented statuses, HEAD.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from curbside.article import Article
from curbside.edge.types import INT64_MAX
from curbside.services import Runtime, accounts

TOO_BIG = 2**63  # one past SQLite INTEGER / PostgreSQL BIGINT
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"status", "code", "message", "field"}
    return body  # type: ignore[no-any-return]


@pytest.fixture
def token(rt: Runtime) -> dict[str, str]:
    accounts.add_user(rt, name="contract-admin", role="admin")
    return {"Authorization": f"Bearer {accounts.issue_api_token(rt, name='contract-admin')}"}


def _raw_json(text: str) -> dict[str, object]:
    # json= would refuse to encode a lone surrogate; a client can send the escape anyway.
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


# -- lone surrogates ---------------------------------------------------------------------------
def test_lone_surrogate_in_a_question_is_422_naming_the_field(
        client: TestClient, saved_article: Article) -> None:
    for url in ("/api/v1/ask", f"/api/v1/articles/{saved_article.id}/followups"):
        r = client.post(url, **_raw_json('{"question": "low back pain \\ud800 stiffness"}'))
        assert r.status_code == 422, (url, r.text)
        body = _error(r)
        assert body["field"] == "question" and "surrogate" in str(body["message"])
    # a valid surrogate pair is one character (an emoji), not an error
    r = client.post("/api/v1/ask", **_raw_json('{"question": "\\ud83d\\ude00", "writer": "x"}'))
    assert r.status_code == 422 and _error(r)["field"] == "writer"


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("transitions", '{"action": "submit", "note": "\\udfff"}', "note"),
    ("claims/c1", '{"action": "comment", "comment": "a\\ud800b"}', "comment"),
    ("revisions", '{"note": "\\ud800"}', "note"),
])
def test_lone_surrogate_in_review_text_is_422(client: TestClient, saved_article: Article,
                                              token: dict[str, str], path: str, payload: str,
                                              field: str) -> None:
    raw = _raw_json(payload)
    r = client.post(f"/api/v1/review/articles/{saved_article.id}/{path}",
                    content=raw["content"], headers={**raw["headers"], **token})
    assert r.status_code == 422, r.text
    assert _error(r)["field"] == field and "surrogate" in str(_error(r)["message"])


# -- ids beyond int64 --------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    f"/api/v1/articles/{TOO_BIG}", f"/api/v1/threads/{TOO_BIG}", f"/api/v1/sources/{TOO_BIG}",
    f"/api/v1/review/articles/{TOO_BIG}/status", f"/articles/{TOO_BIG}.json",
    f"/threads/{TOO_BIG}.json", f"/sources/{TOO_BIG}.json", f"/api/v1/articles/{10**30}",
    "/api/v1/articles/0", "/api/v1/articles/-1",
])
def test_ids_outside_int64_are_404_naming_the_id(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404, (url, r.text)
    body = _error(r)
    assert body["code"] == "not_found" and str(body["field"]).endswith("_id")


@pytest.mark.parametrize("url", [f"/articles/{TOO_BIG}", f"/sources/{TOO_BIG}",
                                 f"/threads/{TOO_BIG}", f"/review/articles/{TOO_BIG}"])
def test_pages_with_ids_outside_int64_are_friendly_404s(client: TestClient, url: str) -> None:
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 404 and "<h1>Not found</h1>" in r.text, (url, r.status_code)


def test_the_largest_id_is_looked_up_and_not_found(client: TestClient) -> None:
    for url in (f"/api/v1/articles/{INT64_MAX}", f"/api/v1/sources/{INT64_MAX}",
                f"/api/v1/threads/{INT64_MAX}"):
        r = client.get(url)
        assert r.status_code == 404 and _error(r)["field"] is None, url


def test_versions_and_body_ids_outside_int64_are_422(client: TestClient, saved_article: Article,
                                                     token: dict[str, str]) -> None:
    aid = saved_article.id
    for url in (f"/api/v1/articles/{aid}?version={TOO_BIG}", f"/articles/{aid}.json?version="
                f"{TOO_BIG}", f"/api/v1/review/articles/{aid}/status?version={TOO_BIG}"):
        r = client.get(url)
        assert r.status_code == 422 and _error(r)["field"] == "version", url
    r = client.get(f"/api/v1/review/articles/{aid}/diff?old={TOO_BIG}&new=1", headers=token)
    assert r.status_code == 422 and _error(r)["field"] == "old"
    r = client.post("/api/v1/ask", json={"question": "back pain", "thread_id": TOO_BIG})
    assert r.status_code == 422 and _error(r)["field"] == "thread_id"
    r = client.post(f"/api/v1/review/articles/{aid}/transitions", headers=token,
                    json={"action": "submit", "version": TOO_BIG})
    assert r.status_code == 422 and _error(r)["field"] == "version"


# -- time stamps -------------------------------------------------------------------------------
def test_last_updated_and_updated_at_carry_a_utc_offset(owner: TestClient, saved_article: Article,
                                                        token: dict[str, str]) -> None:
    status = owner.get(f"/api/v1/review/articles/{saved_article.id}/status").json()
    assert OFFSET.search(status["last_updated"]), status["last_updated"]
    stamp = dt.datetime.fromisoformat(status["last_updated"])
    assert stamp.utcoffset() == dt.timedelta(0)
    listed = owner.get("/api/v1/articles", headers=token).json()
    assert listed and all(OFFSET.search(a["updated_at"]) for a in listed)


def test_the_store_reads_timestamps_back_as_utc(rt: Runtime, saved_article: Article) -> None:
    versions = rt.articles.versions(saved_article.id or 0)
    assert all(v["created_at"].tzinfo is not None for v in versions)
    assert all(v["created_at"].utcoffset() == dt.timedelta(0) for v in versions)


def test_openapi_declares_timestamps_and_error_statuses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    review = "/api/v1/review/articles/{article_id}"
    assert set(paths[f"{review}/transitions"]["post"]["responses"]) >= {
        "200", "400", "401", "403", "404", "413", "422"}
    assert set(paths[f"{review}/diff"]["get"]["responses"]) >= {"200", "401", "404", "422"}
    assert set(paths["/api/v1/review/queue"]["get"]["responses"]) >= {"200", "401"}
    assert set(paths["/api/v1/ask"]["post"]["responses"]) >= {"201", "400", "404", "413", "422"}
    article = paths["/api/v1/articles/{article_id}"]["get"]
    assert set(article["responses"]) >= {"200", "404", "422"}
    ids = {p["name"]: p["schema"] for p in article["parameters"]}
    assert ids["article_id"]["maximum"] == INT64_MAX and ids["article_id"]["minimum"] == 1
    assert ids["version"]["anyOf"][0]["maximum"] == INT64_MAX
    summary = spec["components"]["schemas"]["ArticleSummary"]["properties"]["updated_at"]
    assert summary["format"] == "date-time"


# -- HEAD --------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/v1/health", "/api/v1/articles/{id}", "/", "/articles/{id}",
                                 "/articles/{id}.json", "/openapi.json", "/static/style.css"])
def test_head_answers_like_get_without_a_body(owner: TestClient, saved_article: Article,
                                              url: str) -> None:
    url = url.replace("{id}", str(saved_article.id))
    get, head = owner.get(url), owner.head(url)
    assert get.status_code == 200 and head.status_code == 200, url
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["x-content-type-options"] == "nosniff"


def test_head_on_a_missing_page_is_404_and_405_lists_head(client: TestClient) -> None:
    assert client.head("/api/v1/articles/424242").status_code == 404
    r = client.head("/api/v1/ask")  # POST only
    assert r.status_code == 405 and "HEAD" not in r.headers["allow"]
    r = client.delete("/api/v1/health")
    assert r.status_code == 405
    assert [m.strip() for m in r.headers["allow"].split(",")] == ["GET", "HEAD"]
