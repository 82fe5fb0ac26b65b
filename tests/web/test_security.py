"""Escaping, security headers and a question-free access log."""

from __future__ import annotations

import logging

import pytest
from curbside_web_fixtures import build_article, key_headers
from fastapi.testclient import TestClient
from sqlalchemy import update

from curbside.article import Article
from curbside.services import Runtime
from curbside.store.schema import sources

EVIL = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def test_stored_markup_is_escaped_everywhere(client: TestClient, rt: Runtime) -> None:
    probe = build_article(rt)
    sid = probe.references[0].source_id
    with rt.engine.begin() as conn:
        conn.execute(update(sources).where(sources.c.id == sid).values(title=EVIL + " Guideline"))
    art = rt.articles.save_new(build_article(rt, question=f"Is {EVIL} safe?", title=EVIL))
    client.headers.update(key_headers(rt, art))  # the draft's reader
    assert any(r.title.startswith(EVIL) for r in art.references)
    for url in (f"/articles/{art.id}", f"/articles/{art.id}?audience=patient", f"/sources/{sid}",
                "/search?q=sacroiliac+joint+spondyloarthritis", "/", f"/passages/"
                f"{art.lead[0].spans[0].passage_uid}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text, url
        assert "<img src=x" not in page.text, url
    page = client.get(f"/articles/{art.id}")
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text
    # The JSON twin carries the text as data, served as JSON (never sniffed as HTML).
    twin = client.get(f"/articles/{art.id}.json")
    assert twin.headers["content-type"].startswith("application/json")
    assert twin.json()["title"] == EVIL
    pdf = client.get(f"/articles/{art.id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("url", ["/", "/api/v1/health", "/articles/999", "/api/v1/articles/x",
                                 "/static/style.css", "/editorial-policy"])
def test_security_headers(client: TestClient, url: str) -> None:
    h = client.get(url).headers
    csp = h["content-security-policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"


def test_pages_have_no_inline_script_or_style(owner: TestClient, saved_article: Article) -> None:
    for url in ("/", f"/articles/{saved_article.id}", "/search?q=pain", "/editorial-policy"):
        text = owner.get(url).text
        assert "<script>" not in text and " style=" not in text and "<style" not in text
        assert " onclick=" not in text


def test_access_log_has_no_question_text(owner: TestClient, saved_article: Article,
                                         caplog: pytest.LogCaptureFixture) -> None:
    client = owner
    secret = "patientjohnsmith"
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/ask", json={"question": f"{secret} has back pain"})
        client.post("/ask", data={"question": f"{secret} fever"}, follow_redirects=False)
        client.get("/search", params={"q": secret})
        client.get(f"/articles/{saved_article.id}", params={"audience": "patient", "x": secret})
        client.post("/api/v1/ask", json={"question": f"{secret}\x00"})
    access = [r.getMessage() for r in caplog.records if r.name == "curbside.access"]
    assert any(line.startswith("POST /api/v1/ask 201") for line in access), access
    assert any(line.startswith("GET /articles/{article_id:int} 200") for line in access)
    server = [r for r in caplog.records if not r.name.startswith("httpx")]  # not the test client
    assert all(secret not in r.getMessage() for r in server)
    assert all(secret not in str(r.args) for r in server)
