"""The hash-chained audit log: verification catches an edited or a deleted entry."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.review.editorial import Actor
from curbside.services import review
from curbside.store.audit import AuditLog


def _fill(rt: services.Runtime, n: int = 5) -> AuditLog:
    log = rt.audit_log()
    for i in range(n):
        log.append(actor="tester", action="test.event", subject=f"thing:{i}",
                   detail={"i": i, "note": "ünïcode ok"})
    return log


def test_intact_chain_verifies(rt: services.Runtime) -> None:
    log = _fill(rt)
    rep = log.verify()
    assert rep.ok and rep.entries == 5 and rep.head == log.head()


def test_edited_entry_is_detected(rt: services.Runtime) -> None:
    log = _fill(rt)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 3 and "edited" in (rep.problem or "")


def test_edited_entry_with_recomputed_public_hash_is_detected(rt: services.Runtime) -> None:
    from curbside.store.audit import entry_hash

    log = _fill(rt)
    e = next(x for x in log.entries() if x.id == 2)
    forged = entry_hash(e.prev_hash, id=2, at=e.at, actor="mallory", action=e.action,
                        subject=e.subject, detail=e.detail)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE id = 2",
                             (forged,))
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 2 and "audit key" in (rep.problem or "")


def test_deleted_entry_is_detected(rt: services.Runtime) -> None:
    log = _fill(rt)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 2")
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 3 and "missing" in (rep.problem or "")


def test_deleted_first_entry_is_detected(rt: services.Runtime) -> None:
    log = _fill(rt)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 1")
    assert log.verify().first_broken_id == 2


def test_state_changes_and_logins_are_logged_without_secrets(
        rt: services.Runtime, article_id: int, people: dict[str, Actor]) -> None:
    secret = "correct horse battery staple"
    services.accounts.add_user(rt, name="pat", role="editor", password=secret)
    services.accounts.login(rt, name="pat", password=secret, ip="10.0.0.1")
    with pytest.raises(services.LoginFailed):
        services.accounts.login(rt, name="pat", password="wrong password!", ip="10.0.0.1")
    token = services.accounts.issue_api_token(rt, name="pat")
    sess = services.accounts.create_session(rt, services.accounts.get_user(rt, name="pat"))
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    entries = list(rt.audit_log().entries())
    actions = [e.action for e in entries]
    assert {"user.add", "login.success", "login.failure", "token.issue",
            "article.submit"} <= set(actions)
    dump = repr(entries)
    for s in (secret, "wrong password!", token, sess.token):
        assert s not in dump
    assert rt.audit_log().verify().ok


def test_cli_verify_and_export(rt: services.Runtime, home: Path, tmp_path: Path) -> None:
    _fill(rt, 4)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact: 4 entries" in ok.output
    out = tmp_path / "audit.csv"
    ex = runner.invoke(app, ["audit", "export", "--csv", str(out)])
    assert ex.exit_code == 0, ex.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"] and rows[0]["prev_hash"] == "0" * 64
    head = rt.audit_log().head()
    assert runner.invoke(app, ["audit", "verify", "--expect-head", head]).exit_code == 0
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 4")  # the newest entry
    caught = runner.invoke(app, ["audit", "verify"])  # the checkpoint file catches it...
    assert caught.exit_code == 1 and "newest entries were deleted" in caught.output
    caught = runner.invoke(app, ["audit", "verify", "--expect-head", head])
    assert caught.exit_code == 1  # ...and so does a remembered head
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET detail = '{}' WHERE id = 2")
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "entry 2" in bad.output
