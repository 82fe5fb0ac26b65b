"""Issue 18 items 2 and 3: no secrets in the audit log, CSV formula escaping, keyed MACs,
checkpoints outside the database, legacy (unkeyed) entries, clear errors for a missing key."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.config import Settings
from curbside.review.editorial import Actor
from curbside.services import accounts, review
from curbside.store.audit import GENESIS, AuditKeyError, AuditLog, csv_safe, entry_hash

PW = "correct horse battery staple"


def _fill(log: AuditLog, n: int = 4) -> None:
    for i in range(n):
        log.append(actor="tester", action="test.event", subject=f"thing:{i}", detail={"i": i})


def _rehash_all(rt: services.Runtime, *, scheme: int | None, edit_id: int = 2) -> None:
    """What an attacker with the database but not the key does: edit a row, recompute every
    hash with the public `entry_hash` (optionally claiming the legacy scheme)."""
    log = rt.audit_log()
    prev = GENESIS
    entries = list(log.entries())
    with rt.engine.begin() as conn:
        for e in entries:
            actor = "mallory" if e.id == edit_id else e.actor
            h = entry_hash(prev, id=e.id, at=e.at, actor=actor, action=e.action,
                           subject=e.subject, detail=e.detail)
            conn.exec_driver_sql(
                "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ?, scheme = ? WHERE id = ?",
                (actor, prev, h, scheme if scheme is not None else e.scheme, e.id))
            prev = h


# -- item 2: secrets ------------------------------------------------------------------------
def test_a_password_typed_as_the_name_is_never_stored(rt: services.Runtime) -> None:
    secret = "Hunter2-MySecretPassw0rd"
    pat = accounts.add_user(rt, name="pat", role="editor", password=PW)
    for _ in range(2):
        with pytest.raises(services.LoginFailed):
            accounts.login(rt, name=secret, password="whatever", ip="10.0.0.1")
    with pytest.raises(services.LoginFailed):
        accounts.login(rt, name="pat", password="wrong password!", ip="10.0.0.1")
    fails = [e for e in rt.audit_log().entries() if e.action == "login.failure"]
    assert len(fails) == 3
    unknown, _, known = fails
    assert unknown.actor.startswith("unknown#") and unknown.subject == unknown.actor
    assert fails[1].actor == unknown.actor  # the same typed name: the same pseudonym
    assert unknown.detail == {"ip": "10.0.0.1", "known_user": False}
    assert known.actor == f"user#{pat.id}" and known.subject == "user:pat"
    # Nowhere in the database (audit log and throttle table) nor the CSV export.
    with rt.engine.connect() as conn:
        rows = [repr(tuple(r)) for t in ("audit_log", "login_attempts")
                for r in conn.exec_driver_sql(f"SELECT * FROM {t}")]
    buf = io.StringIO()
    rt.audit_log().export_csv(buf)
    assert secret not in "".join(rows) and secret not in buf.getvalue()
    assert secret.lower() not in "".join(rows).lower()


def test_the_pseudonym_is_keyed(rt: services.Runtime, tmp_path: Path) -> None:
    other = AuditLog(rt.engine, key_file=tmp_path / "other_key")
    assert rt.audit_log().pseudonym("guess") == rt.audit_log().pseudonym("guess")
    assert rt.audit_log().pseudonym("guess") != other.pseudonym("guess")


def test_throttling_still_works_for_an_unknown_name(rt: services.Runtime) -> None:
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            accounts.login(rt, name="nobody-here", password="x", ip="10.0.0.9")
    with pytest.raises(services.LoginThrottled):
        accounts.login(rt, name="nobody-here", password="x", ip="10.0.0.9")
    throttled = [e for e in rt.audit_log().entries() if e.action == "login.throttled"]
    assert throttled and throttled[0].actor.startswith("unknown#")
    assert "nobody-here" not in repr(throttled)


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert csv_safe(cell) == "'" + cell


def test_plain_cells_are_kept() -> None:
    assert csv_safe("user:pat") == "user:pat" and csv_safe(3) == "3" and csv_safe("a=b") == "a=b"


def test_csv_export_escapes_every_column(rt: services.Runtime, tmp_path: Path) -> None:
    log = rt.audit_log()
    log.append(actor='=HYPERLINK("http://evil","click")', action="+cmd", subject="@SUM(1)",
               detail={"x": 1})
    out = tmp_path / "audit.csv"
    res = CliRunner().invoke(app, ["audit", "export", "--csv", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert rows[0]["actor"] == '\'=HYPERLINK("http://evil","click")'
    assert rows[0]["action"] == "'+cmd" and rows[0]["subject"] == "'@SUM(1)"
    assert rows[0]["scheme"] == "2"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())


# -- item 3: keyed MAC and checkpoints --------------------------------------------------------
def test_the_key_lives_outside_the_database_with_mode_0600(rt: services.Runtime,
                                                           home: Path) -> None:
    _fill(rt.audit_log(), 1)
    key_file = home / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32
    with rt.engine.connect() as conn:
        assert key not in repr(list(conn.exec_driver_sql("SELECT * FROM audit_log")))


def test_rehashing_the_chain_with_the_public_function_is_detected(rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log)
    _rehash_all(rt, scheme=None)
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 1 and "audit key" in (rep.problem or "")


def test_rehashing_as_legacy_entries_is_caught_by_the_checkpoints(rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log)
    _rehash_all(rt, scheme=1)  # every MAC now "valid" as plain SHA-256
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 1 and "checkpoint" in (rep.problem or "")
    res = CliRunner().invoke(app, ["audit", "verify"])
    assert res.exit_code == 1 and "rewritten" in res.output


def test_an_unkeyed_entry_after_keyed_ones_is_forged(rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log, 3)
    e = list(log.entries())[-1]
    plain = entry_hash(e.prev_hash, id=e.id, at=e.at, actor=e.actor, action=e.action,
                       subject=e.subject, detail=e.detail)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET hash = ?, scheme = 1 WHERE id = 3", (plain,))
    rep = AuditLog(rt.engine, key_file=rt.settings.audit_key_path).verify()  # no checkpoints
    assert not rep.ok and rep.first_broken_id == 3 and "unkeyed" in (rep.problem or "")


def test_deleting_the_newest_entries_is_detected_without_expect_head(
        rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log, 5)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 5")
    assert log.verify().problem == ("entry 5 is recorded in the checkpoint file but missing "
                                    "from the log (the newest entries were deleted)")
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log WHERE id >= 4")
    rep = log.verify()
    assert not rep.ok and rep.first_broken_id == 4
    assert rep.problem == ("entries 4..5 are recorded in the checkpoint file but missing from the "
                           "log (the newest entries were deleted)")
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log")
    assert log.verify().first_broken_id == 1


def test_legacy_entries_stay_verifiable_and_new_ones_are_keyed(rt: services.Runtime) -> None:
    """Entries written before migration 0006 (scheme 1, plain SHA-256) verify as they are."""
    from curbside.store.sources import utcnow

    prev = GENESIS
    with rt.engine.begin() as conn:
        for i in (1, 2):
            at = utcnow()
            h = entry_hash(prev, id=i, at=at, actor="old", action="user.add", subject=f"u:{i}",
                           detail={})
            conn.exec_driver_sql(
                "INSERT INTO audit_log (id, at, actor, action, subject, detail, prev_hash, hash, "
                "scheme) VALUES (?, ?, 'old', 'user.add', ?, '{}', ?, ?, 1)",
                (i, at.replace(tzinfo=None).isoformat(sep=" "), f"u:{i}", prev, h))
            prev = h
    log = rt.audit_log()
    assert log.verify().ok
    _fill(log, 2)
    rep = log.verify()
    assert rep.ok and rep.entries == 4 and rep.legacy_entries == 2
    assert [e.scheme for e in log.entries()] == [1, 1, 2, 2]
    assert "entries 1..2 predate keyed MACs (plain SHA-256)" in rep.notes


def test_a_rolled_back_entry_leaves_no_checkpoint(rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log, 1)
    # the failure must happen inside the transaction: two statements on purpose
    with pytest.raises(RuntimeError), rt.engine.begin() as conn:  # noqa: PT012
        log.append(actor="t", action="x", subject="y", conn=conn)
        raise RuntimeError("the surrounding change failed")
    assert [e.id for e in log.entries()] == [1]
    rep = log.verify()
    assert rep.ok and rep.checkpoints == 1  # no false "newest entries deleted"
    log.append(actor="t", action="x", subject="y")
    assert log.verify().ok


def test_entries_written_in_a_larger_transaction_are_checkpointed(
        rt: services.Runtime, article_id: int, people: dict[str, Actor]) -> None:
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    log = rt.audit_log()
    head = list(log.entries())[-1]
    assert head.action == "article.submit"
    lines = rt.settings.audit_checkpoint_path.read_text().splitlines()
    assert json.loads(lines[-1])["id"] == head.id and json.loads(lines[-1])["hash"] == head.hash


def test_a_forged_checkpoint_line_is_refused(rt: services.Runtime) -> None:
    log = rt.audit_log()
    _fill(log, 2)
    with rt.settings.audit_checkpoint_path.open("a") as fh:
        fh.write(json.dumps({"id": 9, "hash": "f" * 64, "at": "x", "mac": "0" * 64}) + "\n")
    with pytest.raises(AuditKeyError, match="line 3 .*not written with this audit key"):
        log.verify()
    res = CliRunner().invoke(app, ["audit", "verify"])
    assert res.exit_code == 3 and "not written with this audit key" in " ".join(res.output.split())


def test_a_missing_key_file_is_a_clear_error(rt: services.Runtime, home: Path) -> None:
    _fill(rt.audit_log(), 2)
    (home / "audit_key").rename(home / "audit_key.bak")
    res = CliRunner().invoke(app, ["audit", "verify"])
    out = " ".join(res.output.split())
    assert res.exit_code == 3 and isinstance(res.exception, SystemExit), res.output
    assert "cannot verify the audit log: the audit key file" in out and "is missing" in out
    assert "Traceback" not in out
    fresh = services.open_runtime(Settings(home=home))
    with pytest.raises(AuditKeyError, match="restore it from your backup"):
        fresh.audit_log().append(actor="t", action="x", subject="y")  # no silent new key
    assert not (home / "audit_key").exists()
    res = CliRunner().invoke(app, ["users", "add", "zed", "--role", "editor", "--no-password"])
    assert res.exit_code == 2 and "audit key file" in " ".join(res.output.split())
    (home / "audit_key.bak").rename(home / "audit_key")
    assert CliRunner().invoke(app, ["audit", "verify"]).exit_code == 0


def test_a_missing_checkpoint_file_is_reported_and_can_be_restarted(
        rt: services.Runtime, home: Path) -> None:
    _fill(rt.audit_log(), 2)
    (home / "audit_checkpoints.jsonl").unlink()
    runner = CliRunner()
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 3 and "checkpoint file" in " ".join(res.output.split())
    res = runner.invoke(app, ["audit", "checkpoint"])
    assert res.exit_code == 0 and "checkpoint: entry 2" in res.output
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 0 and "1 checkpoints checked" in res.output


def test_checkpoint_refuses_a_broken_log(rt: services.Runtime) -> None:
    _fill(rt.audit_log(), 3)
    with rt.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_log SET subject = 'x' WHERE id = 2")
    res = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert res.exit_code == 1 and "not checkpointed" in res.output
    assert len(rt.settings.audit_checkpoint_path.read_text().splitlines()) == 3


def test_checkpoint_settings_point_elsewhere(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "secure"
    rt = services.open_runtime(Settings(home=home, audit_key_file=elsewhere / "k",
                                        audit_checkpoint_file=elsewhere / "cp.jsonl"))
    _fill(rt.audit_log(), 1)
    assert (elsewhere / "k").exists() and (elsewhere / "cp.jsonl").exists()
    assert not (home / "audit_key").exists()


def test_an_unwritable_key_location_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "a-file"
    not_a_dir.write_text("x")  # works as root too, unlike a read-only directory
    rt = services.open_runtime(Settings(home=home, audit_key_file=not_a_dir / "audit_key"))
    with pytest.raises(AuditKeyError, match="cannot create the audit key file"):
        rt.audit_log().append(actor="t", action="x", subject="y")
    res = CliRunner().invoke(app, ["users", "add", "zed", "--role", "editor", "--no-password"],
                             env={"CURBSIDE_AUDIT_KEY_FILE": str(not_a_dir / "audit_key")})
    assert res.exit_code == 2 and "cannot create the audit key file" in " ".join(
        res.output.split())
