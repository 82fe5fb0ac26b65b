"""Issue 18 item 5: a password change revokes API tokens and sessions; tokens can be listed
(never their secret) and revoked one by one, and both are audited."""

from __future__ import annotations

from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.services import accounts

PW = "correct horse battery staple"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_password_change_revokes_tokens_and_sessions(rt: services.Runtime) -> None:
    ann = accounts.add_user(rt, name="ann", role="editor", password=PW)
    bob = accounts.add_user(rt, name="bob", role="editor", password=PW)
    t1, t2 = accounts.issue_api_token(rt, name="ann"), accounts.issue_api_token(rt, name="ann")
    other = accounts.issue_api_token(rt, name="bob")
    sess = accounts.create_session(rt, ann)
    accounts.set_password(rt, name="ann", password="a brand new password")
    assert accounts.resolve_api_token(rt, t1) is None
    assert accounts.resolve_api_token(rt, t2) is None
    assert accounts.resolve_session(rt, sess.token) is None
    assert accounts.resolve_api_token(rt, other) == bob  # other users keep theirs
    entry = [e for e in rt.audit_log().entries() if e.action == "user.password"][-1]
    assert entry.subject == "user:ann"
    assert entry.detail == {"sessions_ended": 1, "tokens_revoked": 2}


def test_cli_password_change_says_what_it_revoked(rt: services.Runtime) -> None:
    accounts.add_user(rt, name="ann", role="editor", password=PW)
    token = accounts.issue_api_token(rt, name="ann")
    res = CliRunner().invoke(app, ["users", "password", "ann", "--password-stdin"],
                             input="another long password\n")
    assert res.exit_code == 0, res.output
    assert "API tokens were revoked" in _flat(res.output)
    assert accounts.resolve_api_token(rt, token) is None


def test_tokens_list_shows_no_secret_and_filters_by_user(rt: services.Runtime) -> None:
    accounts.add_user(rt, name="ann", role="editor", password=PW)
    accounts.add_user(rt, name="bob", role="reviewer")
    ta = accounts.issue_api_token(rt, name="ann")
    tb = accounts.issue_api_token(rt, name="bob")
    accounts.resolve_api_token(rt, tb)  # marks it used
    infos = accounts.list_api_tokens(rt)
    assert [t.user_name for t in infos] == ["bob", "ann"]  # newest first
    assert infos[0].last_used_at is not None and infos[1].last_used_at is None
    assert [t.user_name for t in accounts.list_api_tokens(rt, name="ann")] == ["ann"]
    runner = CliRunner()
    res = runner.invoke(app, ["users", "tokens", "list"])
    assert res.exit_code == 0, res.output
    assert ta[:10] in res.output and tb[:10] in res.output
    assert ta not in res.output and tb not in res.output and ta[10:20] not in res.output
    assert "never" in res.output and "active" in res.output
    res = runner.invoke(app, ["users", "tokens", "list", "--user", "ann"])
    assert res.exit_code == 0 and ta[:10] in res.output and tb[:10] not in res.output
    res = runner.invoke(app, ["users", "tokens", "list", "--user", "nobody"])
    assert res.exit_code == 1 and "no user 'nobody'" in res.output


def test_revoke_one_token(rt: services.Runtime) -> None:
    ann = accounts.add_user(rt, name="ann", role="editor", password=PW)
    keep, drop = accounts.issue_api_token(rt, name="ann"), accounts.issue_api_token(rt, name="ann")
    newest = accounts.list_api_tokens(rt)[0]
    assert drop.startswith(newest.prefix)
    drop_id = newest.id
    runner = CliRunner()
    res = runner.invoke(app, ["users", "tokens", "revoke", str(drop_id)])
    assert res.exit_code == 0 and f"revoked token {drop_id}" in res.output
    assert accounts.resolve_api_token(rt, drop) is None
    assert accounts.resolve_api_token(rt, keep) == ann
    entry = [e for e in rt.audit_log().entries() if e.action == "token.revoke"]
    assert len(entry) == 1 and entry[0].subject == "user:ann"
    assert entry[0].detail == {"token_id": drop_id, "prefix": drop[:10]}
    assert drop not in repr(entry)
    again = runner.invoke(app, ["users", "tokens", "revoke", str(drop_id)])
    assert again.exit_code == 0 and "already revoked" in again.output
    assert len([e for e in rt.audit_log().entries() if e.action == "token.revoke"]) == 1
    listed = runner.invoke(app, ["users", "tokens", "list"])
    assert "revoked" in listed.output
    missing = runner.invoke(app, ["users", "tokens", "revoke", "999"])
    assert missing.exit_code == 1 and "no API token 999" in missing.output
    assert runner.invoke(app, ["users", "tokens", "revoke", "0"]).exit_code == 2


def test_revoked_token_is_refused_by_the_api(rt: services.Runtime) -> None:
    from fastapi.testclient import TestClient

    from curbside.app import create_app

    accounts.add_user(rt, name="ed", role="editor")
    token = accounts.issue_api_token(rt, name="ed")
    client = TestClient(create_app(rt.settings))
    hdr = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/review/queue", headers=hdr).status_code == 200
    tid = accounts.list_api_tokens(rt, name="ed")[0].id
    accounts.revoke_api_token(rt, token_id=tid)
    assert client.get("/api/v1/review/queue", headers=hdr).status_code == 401
