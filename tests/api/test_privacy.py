"""Private questions (issue 18, item 1): a draft opens only with its reader key or an account.

Every route that shows a question is checked anonymously (404, the same as a missing id), with
the key (200), with a wrong key (404) and as an editor (200); approved articles stay public.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from curbside_web_fixtures import approve, build_article, key_headers
from fastapi.testclient import TestClient

from curbside import services
from curbside.app import create_app
from curbside.article import Article
from curbside.review.editorial import Actor
from curbside.services import Runtime

PW = "editor password 1"
QUESTION = "My neighbour has back pain with fever since Tuesday: is it serious?"


@pytest.fixture
def editor(rt: Runtime) -> dict[str, str]:
    services.add_user(rt, name="edna", role="editor", password=PW)
    return {"Authorization": f"Bearer {services.issue_api_token(rt, name='edna')}"}


def _draft_urls(a: Article) -> list[str]:
    """Every GET address that shows the article's question or content."""
    return [f"/api/v1/articles/{a.id}", f"/api/v1/articles/{a.id}?version=1",
            f"/api/v1/articles/{a.id}?audience=patient", f"/articles/{a.id}",
            f"/articles/{a.id}?version=1", f"/articles/{a.id}.json", f"/articles/{a.id}.pdf",
            f"/api/v1/review/articles/{a.id}/status"]


def test_anonymous_list_shows_no_draft(client: TestClient, saved_article: Article,
                                       editor: dict[str, str]) -> None:
    assert client.get("/api/v1/articles", params={"limit": 100}).json() == []
    assert client.get("/api/v1/articles", params={"status": "draft"}).json() == []
    assert saved_article.title not in client.get("/").text
    assert client.get("/index.json").json()["recent_approved"] == []
    staff = client.get("/api/v1/articles", params={"status": "draft"}, headers=editor).json()
    assert [r["id"] for r in staff] == [saved_article.id]  # editors see every article


def test_a_draft_is_404_without_its_key_and_200_with_it(client: TestClient, rt: Runtime,
                                                        saved_article: Article) -> None:
    key = key_headers(rt, saved_article)["X-Curbside-Key"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", key)
    other = rt.articles.save_new(build_article(rt, question="Another person's question?"))
    other_key = key_headers(rt, other)["X-Curbside-Key"]
    assert other_key != key
    missing = client.get("/api/v1/articles/424242").json()
    for url in _draft_urls(saved_article):
        anon = client.get(url)
        assert anon.status_code == 404, url
        assert saved_article.question not in anon.text, url
        assert client.get(url, headers={"X-Curbside-Key": key}).status_code == 200, url
        sep = "&" if "?" in url else "?"
        assert client.get(f"{url}{sep}key={key}").status_code == 200, url
        for wrong in (key[:-1] + ("A" if key[-1] != "A" else "B"), other_key, "", "x" * 24):
            assert client.get(url, headers={"X-Curbside-Key": wrong}).status_code == 404, url
    # Not an oracle: a private id answers like a missing one.
    anon = client.get(f"/api/v1/articles/{saved_article.id}").json()
    assert anon["code"] == missing["code"] == "not_found"
    assert anon["message"].replace(str(saved_article.id), "N") == \
        missing["message"].replace("424242", "N")


def test_signed_in_accounts_read_every_draft(client: TestClient, rt: Runtime,
                                             saved_article: Article,
                                             editor: dict[str, str]) -> None:
    for url in _draft_urls(saved_article):
        assert client.get(url, headers=editor).status_code == 200, url
    # A reviewer session cookie (the web sign-in) opens the pages too.
    page = client.get("/review/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = client.post("/review/login", data={"name": "edna", "password": PW,
                                           "csrf": csrf.group(1), "next": "/review"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/articles/{saved_article.id}").status_code == 200
    assert client.get(f"/articles/{saved_article.id}.json").status_code == 200
    # A disabled account's token opens nothing any more.
    services.accounts.set_disabled(rt, name="edna")
    client.cookies.clear()
    assert client.get(f"/api/v1/articles/{saved_article.id}", headers=editor).status_code == 404


def test_an_approved_article_is_public_and_listed(client: TestClient, rt: Runtime,
                                                  saved_article: Article) -> None:
    assert saved_article.id is not None
    # A status set without a recorded approval publishes nothing.
    rt.articles.set_version_status(saved_article.id, 1, "approved")
    assert client.get(f"/api/v1/articles/{saved_article.id}").status_code == 404
    assert client.get("/api/v1/articles").json() == []
    rt.articles.set_version_status(saved_article.id, 1, "draft")
    approve(rt, saved_article.id)
    for url in _draft_urls(saved_article):
        assert client.get(url).status_code == 200, url
    assert [r["id"] for r in client.get("/api/v1/articles").json()] == [saved_article.id]
    assert saved_article.title in client.get("/").text
    # A new draft version of it stays private; readers keep getting the approved version.
    rt.articles.save_version(rt.articles.get(saved_article.id).model_copy(  # type: ignore[union-attr]
        update={"status": "draft", "title": "Unreviewed new wording"}))
    got = client.get(f"/api/v1/articles/{saved_article.id}").json()
    assert got["version"] == 1 and got["title"] == saved_article.title
    assert client.get(f"/api/v1/articles/{saved_article.id}?version=2").status_code == 404
    assert "Unreviewed new wording" not in client.get(f"/articles/{saved_article.id}").text
    mine = client.get(f"/api/v1/articles/{saved_article.id}",
                      headers=key_headers(rt, saved_article)).json()
    assert mine["version"] == 2
    # Once approved, it stays published when new evidence marks it outdated.
    services.transition_article(rt, article_id=saved_article.id, action="outdate", version=1,
                                actor=Actor(None, "system", "system"))
    assert client.get(f"/api/v1/articles/{saved_article.id}?version=1").status_code == 200


def test_ask_returns_the_key_and_the_stored_json_never_holds_it(client: TestClient,
                                                                rt: Runtime) -> None:
    r = client.post("/api/v1/ask", json={"question": QUESTION})
    assert r.status_code == 201, r.text
    body = r.json()
    key = body["access_key"]
    assert key == services.access_key_of(rt, article_id=body["id"])
    assert key not in str(rt.articles.get(body["id"]).model_dump())  # type: ignore[union-attr]
    assert client.get(f"/api/v1/articles/{body['id']}").status_code == 404
    got = client.get(f"/api/v1/articles/{body['id']}", headers={"X-Curbside-Key": key})
    assert got.status_code == 200 and "access_key" not in got.json()
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/v1/articles/{article_id}"]["get"]
              ["parameters"]}
    assert {"key", "X-Curbside-Key"} <= params  # the scheme is documented


def test_threads_and_follow_ups_obey_the_key(client: TestClient, rt: Runtime) -> None:
    first = client.post("/api/v1/ask", json={"question": QUESTION}).json()
    key = {"X-Curbside-Key": first["access_key"]}
    aid = first["id"]
    # Nobody without the key can follow up on a draft, or learn that it exists.
    r = client.post(f"/api/v1/articles/{aid}/followups", json={"question": "And imaging?"})
    assert r.status_code == 404
    assert client.post(f"/articles/{aid}/followups", data={"question": "And imaging?"},
                       follow_redirects=False).status_code == 404
    fu = client.post(f"/api/v1/articles/{aid}/followups", json={"question": "And imaging?"},
                     headers=key)
    assert fu.status_code == 201 and fu.json()["access_key"] == first["access_key"]
    tid = fu.json()["thread_id"]
    for url in (f"/api/v1/threads/{tid}", f"/threads/{tid}", f"/threads/{tid}.json"):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers=key).status_code == 200, url
    turns = client.get(f"/api/v1/threads/{tid}", headers=key).json()["articles"]
    assert [t["id"] for t in turns] == [aid, fu.json()["id"]]
    # Adding to a thread by id needs its key too (else its key would come back).
    r = client.post("/api/v1/ask", json={"question": "Antibiotics?", "thread_id": tid})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = client.post("/api/v1/ask", json={"question": "Antibiotics?", "thread_id": tid},
                    headers=key)
    assert r.status_code == 201 and r.json()["access_key"] == first["access_key"]


def test_a_follow_up_on_a_public_article_starts_a_thread_of_its_own(
        client: TestClient, rt: Runtime) -> None:
    first = client.post("/api/v1/ask", json={"question": QUESTION}).json()
    key = {"X-Curbside-Key": first["access_key"]}
    mine = client.post(f"/api/v1/articles/{first['id']}/followups",
                       json={"question": "My private follow-up about imaging?"},
                       headers=key).json()
    approve(rt, first["id"])
    # A stranger reads the approved article, but not the asker's draft follow-up ...
    thread = client.get(f"/api/v1/threads/{mine['thread_id']}").json()
    assert [t["id"] for t in thread["articles"]] == [first["id"]]
    assert "My private follow-up" not in client.get(f"/threads/{mine['thread_id']}").text
    # ... and their own follow-up starts a new thread with a new key.
    theirs = client.post(f"/api/v1/articles/{first['id']}/followups",
                         json={"question": "A stranger's question about antibiotics?"}).json()
    assert theirs["thread_id"] != mine["thread_id"]
    assert theirs["access_key"] != first["access_key"]
    assert client.get(f"/api/v1/articles/{mine['id']}",
                      headers={"X-Curbside-Key": theirs["access_key"]}).status_code == 404
    assert client.get(f"/api/v1/articles/{theirs['id']}", headers=key).status_code == 404
    asker_view = client.get(f"/api/v1/threads/{mine['thread_id']}", headers=key).json()
    assert [t["id"] for t in asker_view["articles"]] == [first["id"], mine["id"]]


def test_cited_by_lists_never_leak_a_draft(client: TestClient, rt: Runtime,
                                           saved_article: Article,
                                           editor: dict[str, str]) -> None:
    assert saved_article.id is not None
    public = rt.articles.save_new(build_article(rt, question="Public question?",
                                                title="A published answer"))
    assert public.id is not None
    approve(rt, public.id)
    sid = saved_article.references[0].source_id
    anon = client.get(f"/api/v1/sources/{sid}").json()["cited_by"]
    assert [c["article_id"] for c in anon] == [public.id]
    html = client.get(f"/sources/{sid}").text
    assert "A published answer" in html and saved_article.title not in html
    assert saved_article.title not in client.get(f"/sources/{sid}.json").text
    staff = client.get(f"/api/v1/sources/{sid}", headers=editor).json()["cited_by"]
    assert {c["article_id"] for c in staff} == {saved_article.id, public.id}
    mine = client.get(f"/api/v1/sources/{sid}", headers=key_headers(rt, saved_article))
    assert {c["article_id"] for c in mine.json()["cited_by"]} == {saved_article.id, public.id}


@pytest.fixture
def browserless(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=rt)) as c:
        yield c


def test_web_ask_flow_keeps_the_key_in_every_link(browserless: TestClient) -> None:
    r = browserless.post("/ask", data={"question": QUESTION}, follow_redirects=False)
    assert r.status_code == 303
    loc = r.headers["location"]
    path, key = loc.split("?key=")
    page = browserless.get(loc).text
    for link in (f"{path}.pdf?audience=clinician&amp;version=1&amp;key={key}",
                 f"{path}.json?audience=clinician&amp;version=1&amp;key={key}",
                 f'action="{path}/followups?key={key}"', f'name="key" value="{key}"'):
        assert link in page, link
    for url in re.findall(r'href="(/articles/[^"]+)"', page):
        assert browserless.get(url.replace("&amp;", "&")).status_code == 200, url


def test_cli_ask_prints_the_reader_key(app_home: object, rt: Runtime,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from curbside.cli import app

    monkeypatch.setenv("CURBSIDE_HOME", str(app_home))
    r = CliRunner().invoke(app, ["ask", QUESTION, "--format", "json"])
    assert r.exit_code == 0, r.output
    art = json.loads(r.stdout)  # stdout stays the article JSON; the key goes to stderr
    key = services.access_key_of(rt, article_id=art["id"])
    assert f"reader key: {key}" in r.stderr and f"/articles/{art['id']}?key={key}" in r.stderr
    shown = CliRunner().invoke(app, ["review", "key", str(art["id"])])
    assert shown.exit_code == 0 and shown.stdout.strip() == key
    assert CliRunner().invoke(app, ["review", "key", "424242"]).exit_code != 0


def test_the_policy_page_says_who_reads_a_question(client: TestClient) -> None:
    page = client.get("/editorial-policy").text
    assert "private" in page and "until a reviewer approves it" in page
    assert "reader key" in page and "no-store" in page


def test_every_follow_up_on_the_first_turn_joins_the_same_thread(client: TestClient) -> None:
    first = client.post("/api/v1/ask", json={"question": QUESTION}).json()
    key = {"X-Curbside-Key": first["access_key"]}
    one = client.post(f"/api/v1/articles/{first['id']}/followups",
                      json={"question": "And imaging?"}, headers=key).json()
    two = client.post(f"/api/v1/articles/{first['id']}/followups",
                      json={"question": "And antibiotics?"}, headers=key).json()
    assert one["thread_id"] == two["thread_id"]  # was a second thread, orphaning the first
    assert client.get(f"/api/v1/articles/{first['id']}", headers=key).json()["thread_id"] == \
        one["thread_id"]
    turns = client.get(f"/api/v1/threads/{one['thread_id']}", headers=key).json()["articles"]
    assert [t["id"] for t in turns] == [first["id"], one["id"], two["id"]]
