"""Cache-Control: no-store on every authenticated or private response (issue 18, item 6)."""

from __future__ import annotations

import re

import pytest
from curbside_web_fixtures import approve, build_article, key_headers
from fastapi.testclient import TestClient

from curbside import services
from curbside.article import Article
from curbside.services import Runtime

PW = "reviewer password 1"


def _sign_in(client: TestClient, rt: Runtime) -> None:
    services.add_user(rt, name="rita", role="reviewer", password=PW)
    page = client.get("/review/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post("/review/login", data={"name": "rita", "password": PW,
                                           "csrf": csrf.group(1), "next": "/review"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"


def _no_store(r: object, what: str) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    assert headers.get("cache-control") == "no-store", (what, headers.get("cache-control"))


def test_reviewer_pages_are_never_stored(client: TestClient, rt: Runtime,
                                         saved_article: Article) -> None:
    aid = saved_article.id
    # Signed out: the redirect and the 401s are not cacheable either.
    for url in ("/review", f"/review/articles/{aid}", "/review.json", "/review/login",
                f"/review/articles/{aid}.json", "/api/v1/review/queue"):
        _no_store(client.get(url, follow_redirects=False), url)
    _sign_in(client, rt)
    pages = ["/review", "/review.json", f"/review/articles/{aid}",
             f"/review/articles/{aid}.json", f"/review/articles/{aid}?version=1",
             f"/review/articles/{aid}/diff?old=1&new=1",
             f"/review/articles/{aid}/diff.json?old=1&new=1",
             # any page seen while signed in, the draft included
             f"/articles/{aid}", f"/articles/{aid}.json", f"/articles/{aid}.pdf", "/",
             "/api/v1/articles"]
    for url in pages:
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 200, url
        _no_store(r, url)
    token = services.issue_api_token(rt, name="rita")
    bearer = {"Authorization": f"Bearer {token}"}
    for url in ("/api/v1/review/queue", f"/api/v1/review/articles/{aid}",
                f"/api/v1/review/articles/{aid}/status", f"/api/v1/articles/{aid}"):
        client.cookies.clear()
        r = client.get(url, headers=bearer)
        assert r.status_code == 200, url
        _no_store(r, url)


def test_responses_showing_a_draft_are_never_stored(client: TestClient, rt: Runtime,
                                                    saved_article: Article) -> None:
    aid = saved_article.id
    key = key_headers(rt, saved_article)
    for url in (f"/api/v1/articles/{aid}", f"/articles/{aid}", f"/articles/{aid}.json",
                f"/articles/{aid}.pdf", f"/api/v1/review/articles/{aid}/status"):
        r = client.get(url, headers=key)
        assert r.status_code == 200, url
        _no_store(r, url)
        r = client.get(url, params={"key": key["X-Curbside-Key"]})
        assert r.status_code == 200, url
        _no_store(r, url)
    asked = client.post("/api/v1/ask", json={"question": "back pain red flags"})
    assert asked.status_code == 201
    _no_store(asked, "POST /api/v1/ask")  # holds the draft and its key
    thread = client.post(f"/api/v1/articles/{asked.json()['id']}/followups",
                         json={"question": "and imaging?"},
                         headers={"X-Curbside-Key": asked.json()["access_key"]})
    _no_store(thread, "POST followups")
    tid = thread.json()["thread_id"]
    for url in (f"/threads/{tid}", f"/threads/{tid}.json", f"/api/v1/threads/{tid}"):
        r = client.get(url, params={"key": asked.json()["access_key"]})
        assert r.status_code == 200, url
        _no_store(r, url)
    form = client.post("/ask", data={"question": "back pain red flags"}, follow_redirects=False)
    assert form.status_code == 303 and "?key=" in form.headers["location"]
    _no_store(form, "POST /ask")


@pytest.mark.parametrize("url", ["/", "/editorial-policy", "/api/v1/articles", "/static/style.css"])
def test_public_pages_stay_cacheable(client: TestClient, url: str) -> None:
    assert "no-store" not in client.get(url).headers.get("cache-control", "")


def test_a_public_article_stays_cacheable_and_varies_by_credentials(
        client: TestClient, rt: Runtime) -> None:
    art = rt.articles.save_new(build_article(rt))
    assert art.id is not None
    approve(rt, art.id)
    r = client.get(f"/articles/{art.id}")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")
    assert {"Authorization", "Cookie", "X-Curbside-Key"} <= {
        v.strip() for v in r.headers["vary"].split(",")}
