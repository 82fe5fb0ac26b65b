"""Accounts: argon2 passwords, throttled logins, sessions, CSRF, API tokens; the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.config import Settings
from curbside.services import accounts
from curbside.store.editorial_schema import api_tokens, sessions, users

PW = "a long enough password"


def test_passwords_are_argon2_hashed(rt: services.Runtime) -> None:
    accounts.add_user(rt, name="ann", role="admin", password=PW)
    with rt.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PW not in stored
    assert accounts.login(rt, name="ann", password=PW).name == "ann"
    with pytest.raises(accounts.LoginFailed):
        accounts.login(rt, name="ann", password="not the password")
    with pytest.raises(accounts.LoginFailed):
        accounts.login(rt, name="nobody", password=PW)


def test_bad_names_roles_and_short_passwords_are_refused(rt: services.Runtime) -> None:
    with pytest.raises(accounts.AccountError, match="role"):
        accounts.add_user(rt, name="bob", role="superuser")
    with pytest.raises(accounts.AccountError, match="reserved"):
        accounts.add_user(rt, name="system", role="admin")
    with pytest.raises(accounts.AccountError, match="characters"):
        accounts.add_user(rt, name="bob", role="editor", password="short")
    with pytest.raises(accounts.AccountError):
        accounts.add_user(rt, name="a b", role="editor")
    accounts.add_user(rt, name="bob", role="editor")
    with pytest.raises(accounts.AccountError, match="exists"):
        accounts.add_user(rt, name="bob", role="editor")


def test_login_throttling_is_persisted(rt: services.Runtime, home: Path) -> None:
    accounts.add_user(rt, name="ann", role="editor", password=PW)
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(accounts.LoginFailed):
            accounts.login(rt, name="ann", password="wrong guess!", ip="192.0.2.7")
    with pytest.raises(accounts.LoginThrottled, match="too many failed sign-ins"):
        accounts.login(rt, name="ann", password=PW, ip="192.0.2.7")
    # Persisted in the database: a fresh process is still refused.
    rt2 = services.open_runtime(Settings(home=home))
    with pytest.raises(accounts.LoginThrottled):
        accounts.login(rt2, name="ann", password=PW, ip="192.0.2.7")
    # Another address is not blocked; the window expires.
    assert accounts.login(rt, name="ann", password=PW, ip="192.0.2.8").name == "ann"
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE login_attempts SET at = '2000-01-01 00:00:00.000000'")
    assert accounts.login(rt, name="ann", password=PW, ip="192.0.2.7").name == "ann"


def test_disabled_user_cannot_log_in_and_loses_sessions_and_tokens(rt: services.Runtime) -> None:
    u = accounts.add_user(rt, name="ann", role="reviewer", password=PW)
    sess = accounts.create_session(rt, u)
    token = accounts.issue_api_token(rt, name="ann")
    assert accounts.resolve_session(rt, sess.token) == u
    assert accounts.resolve_api_token(rt, token) == u
    accounts.set_disabled(rt, name="ann")
    assert accounts.resolve_session(rt, sess.token) is None
    assert accounts.resolve_api_token(rt, token) is None
    with pytest.raises(accounts.LoginFailed):
        accounts.login(rt, name="ann", password=PW)
    with pytest.raises(accounts.AccountError, match="disabled"):
        accounts.actor_for(rt, "ann")


def test_sessions_are_hashed_and_expire(rt: services.Runtime) -> None:
    u = accounts.add_user(rt, name="ann", role="editor")
    live = accounts.create_session(rt, u)
    dead = accounts.create_session(rt, u, ttl=dt.timedelta(seconds=-1))
    with rt.engine.connect() as conn:
        stored = list(conn.execute(select(sessions.c.token_hash)).scalars())
    assert live.token not in stored and len(stored[0]) == 64
    assert accounts.resolve_session(rt, live.token) == u
    assert accounts.resolve_session(rt, dead.token) is None
    assert accounts.resolve_session(rt, "forged") is None
    accounts.end_session(rt, live.token)
    assert accounts.resolve_session(rt, live.token) is None


def test_csrf_tokens(rt: services.Runtime) -> None:
    key = accounts.signing_key(rt.settings)
    assert key == accounts.signing_key(rt.settings)  # kept in the home directory
    t = accounts.csrf_token(key, "session-a")
    assert accounts.verify_csrf(key, "session-a", t)
    assert not accounts.verify_csrf(key, "session-b", t)
    assert not accounts.verify_csrf(key, "session-a", None)
    assert not accounts.verify_csrf(b"other key", "session-a", t)


def test_production_requires_a_secret_key(home: Path) -> None:
    with pytest.raises(accounts.AccountError, match="CURBSIDE_SECRET_KEY"):
        accounts.signing_key(Settings(home=home, environment="production"))


def test_api_tokens_are_shown_once_and_stored_hashed(rt: services.Runtime) -> None:
    u = accounts.add_user(rt, name="ann", role="editor")
    token = accounts.issue_api_token(rt, name="ann")
    with rt.engine.connect() as conn:
        row = conn.execute(select(api_tokens)).one()
    assert token.startswith("cbs_") and row.token_hash != token and token not in row.prefix + "x"
    assert accounts.resolve_api_token(rt, token) == u
    assert accounts.resolve_api_token(rt, token + "x") is None


def test_cli_users_and_review(home: Path, rt: services.Runtime, article_id: int,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["users", "add", "root", "--role", "admin", "--password-stdin"],
                      input=PW + "\n")
    assert r.exit_code == 0, r.output
    assert accounts.login(rt, name="root", password=PW).role == "admin"
    for name, role in [("ed", "editor"), ("rev", "reviewer")]:
        assert runner.invoke(app, ["users", "add", name, "--role", role, "--no-password"]
                             ).exit_code == 0
    assert runner.invoke(app, ["users", "add", "x", "--role", "god", "--no-password"]
                         ).exit_code == 2
    listing = runner.invoke(app, ["users", "list"])
    assert all(n in listing.output for n in ("root", "ed", "rev"))
    tok = runner.invoke(app, ["users", "token", "ed"])
    assert tok.exit_code == 0
    token = next(line for line in tok.output.splitlines() if line.startswith("cbs_"))
    assert accounts.resolve_api_token(rt, token) is not None

    monkeypatch.delenv("CURBSIDE_USER", raising=False)
    nobody = runner.invoke(app, ["review", "submit", str(article_id)])
    assert nobody.exit_code == 2 and "CURBSIDE_USER" in nobody.output
    assert runner.invoke(app, ["review", "submit", str(article_id), "--as", "ed",
                               "--note", "ready"]).exit_code == 0
    monkeypatch.setenv("CURBSIDE_USER", "rev")
    assert runner.invoke(app, ["review", "start", str(article_id)]).exit_code == 0
    q = runner.invoke(app, ["review", "queue"])
    assert "under_review" in q.output
    refused = runner.invoke(app, ["review", "approve", str(article_id), "--as", "ed"])
    assert refused.exit_code == 1 and "refused" in refused.output
    assert runner.invoke(app, ["review", "claim", str(article_id), "c1", "accept"]).exit_code == 0
    assert runner.invoke(app, ["review", "approve", str(article_id)]).exit_code == 0
    show = runner.invoke(app, ["review", "show", str(article_id)])
    assert "Approved by the Medical Advisory Board" in show.output
    assert runner.invoke(app, ["users", "disable", "rev"]).exit_code == 0
    gone = runner.invoke(app, ["review", "reject", str(article_id)])
    assert gone.exit_code == 2 and "disabled" in gone.output
