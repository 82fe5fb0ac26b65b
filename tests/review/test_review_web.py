"""Reviewer web pages and the /api/v1/review API, through the real app (in-process client)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from curbside import services
from curbside.app import create_app
from curbside.review.editorial import Actor
from curbside.services import accounts, review

PW = "reviewer password 1"


def review_app(rt: services.Runtime) -> FastAPI:
    app = create_app(runtime=rt)
    return app


@pytest.fixture
def client(rt: services.Runtime) -> Iterator[TestClient]:
    with TestClient(review_app(rt)) as c:
        yield c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def _sign_in(client: TestClient, name: str, password: str = PW) -> str:
    """Sign in through the form; returns the Set-Cookie header of the session."""
    page = client.get("/review/login")
    r = client.post("/review/login", data={"name": name, "password": password,
                                           "csrf": _csrf(page.text), "next": "/review"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["set-cookie"]


def test_anonymous_is_sent_to_sign_in(client: TestClient, article_id: int) -> None:
    r = client.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/login")
    assert client.get("/review.json").status_code == 401
    assert client.get(f"/review/articles/{article_id}.json").status_code == 401


def test_login_needs_the_csrf_token_and_is_throttled(client: TestClient,
                                                     rt: services.Runtime) -> None:
    accounts.add_user(rt, name="rita", role="reviewer", password=PW)
    client.get("/review/login")
    r = client.post("/review/login", data={"name": "rita", "password": PW, "csrf": "forged"})
    assert r.status_code == 403 and "expired" in r.text
    for _ in range(accounts.MAX_FAILURES):
        page = client.get("/review/login")
        bad = client.post("/review/login", data={"name": "rita", "password": "wrong password",
                                                 "csrf": _csrf(page.text)})
        assert bad.status_code == 401
    page = client.get("/review/login")
    r = client.post("/review/login", data={"name": "rita", "password": PW,
                                           "csrf": _csrf(page.text)})
    assert r.status_code == 429 and "too many failed sign-ins" in r.text


def test_review_an_article_in_the_browser_pages(client: TestClient, rt: services.Runtime,
                                                article_id: int,
                                                people: dict[str, Actor]) -> None:
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    accounts.add_user(rt, name="rita", role="reviewer", password=PW)
    set_cookie = _sign_in(client, "rita").lower()
    assert "curbside_session=" in set_cookie and "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    cookie = client.cookies.get("curbside_session")
    assert cookie
    with rt.engine.connect() as conn:  # only the hash of the session token is stored
        stored = conn.exec_driver_sql("SELECT token_hash FROM sessions").scalars().all()
    assert cookie not in stored and len(stored) == 1
    queue = client.get("/review")
    assert queue.status_code == 200 and "Exercise for chronic low back pain" in queue.text
    assert client.get("/review.json").json()["items"][0]["article_id"] == article_id

    page = client.get(f"/review/articles/{article_id}")
    assert "Start review" in page.text and "Approve" not in page.text
    csrf = _csrf(page.text)
    # A form without the CSRF token is refused and changes nothing.
    r = client.post(f"/review/articles/{article_id}/transition",
                    data={"action": "start", "version": "1", "csrf": "nope"})
    assert r.status_code == 403 and review.public_status(rt, article_id).state == "submitted"
    r = client.post(f"/review/articles/{article_id}/transition",
                    data={"action": "start", "version": "1", "csrf": csrf})
    assert r.status_code == 200 and "under review" in r.text  # followed the redirect
    r = client.post(f"/review/articles/{article_id}/claims/c1",
                    data={"action": "accept", "version": "1", "csrf": csrf})
    assert "rita: <strong>accept</strong>" in r.text
    r = client.post(f"/review/articles/{article_id}/claims/c3",
                    data={"action": "strike", "version": "1", "csrf": csrf,
                          "comment": "off topic"})
    assert r.status_code == 200 and "version 2 of 2" in r.text
    diff = client.get(f"/review/articles/{article_id}/diff?old=1&new=2")
    assert "Claims removed" in diff.text and "Imaging is not routinely needed" in diff.text
    assert client.get(f"/review/articles/{article_id}/diff.json?old=1&new=2"
                      ).json()["claims_removed"][0]["id"] == "c3"
    r = client.post(f"/review/articles/{article_id}/transition",
                    data={"action": "approve", "version": "2", "csrf": csrf, "note": "ok"})
    assert r.status_code == 200 and "Approved by the Medical Advisory Board" in r.text
    detail = client.get(f"/review/articles/{article_id}.json?version=2").json()
    assert detail["status"]["approved"] is True and detail["actions"] == []
    # Signing out ends the server-side session.
    client.post("/review/logout", data={"csrf": csrf})
    assert accounts.resolve_session(rt, cookie) is None


def test_editor_sees_no_approve_button_and_a_forged_post_is_refused(
        client: TestClient, rt: services.Runtime, article_id: int,
        people: dict[str, Actor]) -> None:
    accounts.add_user(rt, name="eddie", role="editor", password=PW)
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    review.transition_article(rt, article_id=article_id, action="start", actor=people["reviewer"])
    _sign_in(client, "eddie")
    page = client.get(f"/review/articles/{article_id}")
    assert ">Approve<" not in page.text and "claim-form" not in page.text
    r = client.post(f"/review/articles/{article_id}/transition",
                    data={"action": "approve", "version": "1", "csrf": _csrf(page.text)})
    assert r.status_code == 403 and "editor cannot approve" in r.text


def test_api_needs_a_bearer_token_and_enforces_roles(client: TestClient, rt: services.Runtime,
                                                     article_id: int,
                                                     people: dict[str, Actor]) -> None:
    base = f"/api/v1/review/articles/{article_id}"
    assert client.get("/api/v1/review/queue").status_code == 401
    assert client.get("/api/v1/review/queue",
                      headers={"Authorization": "Bearer cbs_forged"}).status_code == 401
    ed = {"Authorization": f"Bearer {accounts.issue_api_token(rt, name='editor-user')}"}
    rv = {"Authorization": f"Bearer {accounts.issue_api_token(rt, name='reviewer-user')}"}
    assert client.post(f"{base}/transitions", json={"action": "submit"}, headers=ed).json()[
        "to_state"] == "submitted"
    assert client.get("/api/v1/review/queue", headers=rv).json()["items"][0]["state"] == \
        "submitted"
    assert client.post(f"{base}/transitions", json={"action": "start"},
                       headers=ed).status_code == 403
    assert client.post(f"{base}/transitions", json={"action": "start"},
                       headers=rv).status_code == 200
    r = client.post(f"{base}/claims/c2", json={"action": "strike", "comment": "dup"}, headers=rv)
    assert r.status_code == 200 and r.json()["transition"]["new_version"] == 2
    assert client.get(f"{base}/diff?old=1&new=2", headers=rv).json()["claims_removed"][0][
        "id"] == "c2"
    refused = client.post(f"{base}/transitions", json={"action": "approve"}, headers=ed)
    assert refused.status_code == 403 and "editor cannot approve" in refused.json()["message"]
    assert client.post(f"{base}/transitions", json={"action": "approve", "note": "fine"},
                       headers=rv).status_code == 200
    public = client.get(f"{base}/status").json()  # no token needed
    assert public["approved"] is True and public["version"] == 2
    detail = client.get(base, headers=rv).json()
    assert [c["id"] for c in detail["claims"]] == ["c1", "c3", "c4"]
    assert client.post(f"{base}/revisions", json={}, headers=ed).json()["new_version"] == 3
    assert client.post(f"{base}/transitions", json={"action": "publish"},
                       headers=rv).status_code == 422


def test_a_password_typed_as_the_name_is_not_stored(client: TestClient,
                                                    rt: services.Runtime) -> None:
    secret = "MyRealPassw0rd-typed-as-name"
    page = client.get("/review/login")
    bad = client.post("/review/login", data={"name": secret, "password": "x",
                                             "csrf": _csrf(page.text)})
    assert bad.status_code == 401
    with rt.engine.connect() as conn:
        stored = repr([tuple(r) for t in ("audit_log", "login_attempts")
                       for r in conn.exec_driver_sql(f"SELECT * FROM {t}")])
    assert "unknown#" in stored and secret not in stored


def test_sign_in_without_the_audit_key_is_a_clear_503(client: TestClient,
                                                      rt: services.Runtime) -> None:
    accounts.add_user(rt, name="rita", role="reviewer", password=PW)
    rt.settings.audit_key_path.unlink()  # keyed entries exist: no new key may be made
    page = client.get("/review/login")
    r = client.post("/review/login", data={"name": "rita", "password": PW,
                                           "csrf": _csrf(page.text)})
    assert r.status_code == 503 and "cannot write its audit log" in r.text


def test_api_review_action_without_the_audit_key_is_a_clear_503(
        client: TestClient, rt: services.Runtime, article_id: int,
        people: dict[str, Actor]) -> None:
    ed = {"Authorization": f"Bearer {accounts.issue_api_token(rt, name='editor-user')}"}
    rt.settings.audit_key_path.unlink()  # keyed entries exist: no new key may be made
    r = client.post(f"/api/v1/review/articles/{article_id}/transitions",
                    json={"action": "submit"}, headers=ed)
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "audit_key_unavailable"
    assert "audit key" in r.json()["message"]
