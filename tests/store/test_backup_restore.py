"""`curbside backup` / `curbside restore` on SQLite: a lossless round trip, checked backups."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.config import Settings
from curbside.services import accounts, backups


def table_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (virtual and FTS shadow tables too), in a canonical order."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr)
                for n in names}
    finally:
        conn.close()


def home_files(home: Path) -> dict[str, bytes]:
    """The home's files a backup carries: not the live database, nor the ingest lock file
    (a lock belongs to the processes of one machine; a backup leaves `.lock` files out)."""
    skip = {"curbside.db", "curbside.db-wal", "curbside.db-shm"}
    return {p.relative_to(home).as_posix(): p.read_bytes() for p in sorted(home.rglob("*"))
            if p.is_file() and p.name not in skip and not p.name.endswith(".lock")}


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def flat(text: str) -> str:
    """Console output without the line breaks (and spaces) its wrapping put anywhere."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def live(tmp_path: Path) -> services.Runtime:
    """A home in use: embedded sources, a saved article, accounts, a token, audit entries,
    a secret key file, an eval cache; the runtime stays open (as a running server would)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for p in sorted(services.starter_library_path().glob("*.md"))[:4]:
        shutil.copy(p, notes / p.name)
    rt = services.open_runtime(Settings(home=tmp_path / "home"))
    services.ingest(rt, paths=[notes])
    services.ask(rt, question="How should low back pain be treated?", save=True)
    accounts.add_user(rt, name="eve", role="editor")
    accounts.issue_api_token(rt, name="eve")
    log = rt.audit_log()
    for i in range(3):
        log.append(actor="tester", action="test.event", subject=f"thing:{i}", detail={"i": i})
    accounts.signing_key(rt.settings)  # writes home/secret_key (development)
    (rt.settings.home / "eval").mkdir()
    (rt.settings.home / "eval" / "cache.json").write_text("{}")
    return rt


def test_round_trip_is_lossless_and_the_audit_chain_verifies(
        live: services.Runtime, tmp_path: Path) -> None:
    home = live.settings.home
    db = home / "curbside.db"
    assert Path(str(db) + "-wal").stat().st_size > 0  # committed data still sits in the WAL
    archive = tmp_path / "b.tar.gz"
    out = cli("--home", str(home), "backup", str(archive))
    assert out.exit_code == 0, out.output
    assert "backup written" in out.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # it holds key files
    assert (home / "curbside.db.lock").exists()  # the ingest took its lock ...
    with tarfile.open(archive) as tar:  # ... which stays behind
        assert not [n for n in tar.getnames() if n.endswith(".lock")]
    live.close()

    restored = tmp_path / "restored"
    out = cli("--home", str(restored), "restore", str(archive))
    assert out.exit_code == 0, out.output
    assert "audit log intact" in out.output

    before, after = table_rows(db), table_rows(restored / "curbside.db")
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    assert before["audit_log"] and before["articles"] and before["api_tokens"]
    files = home_files(home)
    assert "secret_key" in files and any(n.startswith("index/") for n in files)
    assert home_files(restored) == {n: b for n, b in files.items() if not n.startswith("eval/")}

    out = cli("--home", str(restored), "audit", "verify")
    assert out.exit_code == 0 and "audit log intact: " in out.output, out.output
    rt = services.open_runtime(Settings(home=restored))
    try:
        assert services.index_status(rt)["missing"] == 0  # the vector index came along
        assert services.search(rt, query="low back pain exercise", k=3).evidence
    finally:
        rt.close()


def test_backup_is_one_snapshot_while_another_writer_is_busy(
        live: services.Runtime, tmp_path: Path) -> None:
    db = live.settings.home / "curbside.db"
    committed = table_rows(db)
    assert committed["audit_log"]
    writer = sqlite3.connect(db, timeout=30)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM audit_log")  # not committed while the backup runs
        rep = backups.backup(live, tmp_path / "b.tar.gz")
    finally:
        writer.rollback()
        writer.close()
    assert rep.tables == {name: len(rows) for name, rows in committed.items()}
    stage = tmp_path / "stage"
    stage.mkdir()
    backups.read_backup(rep.path, stage)
    assert table_rows(stage / "database" / "curbside.db") == committed == table_rows(db)


def test_restore_refuses_a_used_home_unless_forced_and_keeps_what_was_there(
        live: services.Runtime, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    backups.backup(live, archive)
    live.close()
    other = tmp_path / "other"
    rt = services.open_runtime(Settings(home=other))
    rt.audit_log().append(actor="x", action="other.event", subject="s", detail={})
    rt.close()
    before = table_rows(other / "curbside.db")

    out = cli("--home", str(other), "restore", str(archive))
    assert out.exit_code == 1
    assert "refusing to restore over existing data" in out.output
    assert flat(str(other / "curbside.db")) in flat(out.output)
    assert table_rows(other / "curbside.db") == before  # untouched

    out = cli("--home", str(other), "restore", "--force", str(archive))
    assert out.exit_code == 0, out.output
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("other.before-restore-")]
    assert len(aside) == 1 and flat(f"previous data moved to {aside[0]}") in flat(out.output)
    assert table_rows(aside[0] / "curbside.db") == before  # nothing stored is lost
    assert table_rows(other / "curbside.db") == table_rows(live.settings.home / "curbside.db")


def test_backup_refuses_to_overwrite_a_file(live: services.Runtime, tmp_path: Path) -> None:
    target = tmp_path / "exists.tar.gz"
    target.write_text("keep me")
    with pytest.raises(backups.BackupError, match="already exists"):
        backups.backup(live, target)
    assert target.read_text() == "keep me"
    backups.backup(live, target, force=True)
    assert tarfile.is_tarfile(target)


def _rewrite(src: Path, dest: Path, change: Any) -> None:
    """Copy a backup member by member, letting `change(name, data)` alter or drop them."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w:gz") as tout:
        for m in tin:
            fh = tin.extractfile(m)
            assert fh is not None
            result = change(m.name, fh.read())
            if result is None:
                continue
            name, data = result
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def _flip_db_byte(name: str, data: bytes) -> tuple[str, bytes]:
    if name == "database/curbside.db":
        data = data[:5000] + bytes([data[5000] ^ 0xFF]) + data[5001:]
    return name, data


def _manifest_says_more_rows(name: str, data: bytes) -> tuple[str, bytes]:
    if name == "manifest.json":
        m = json.loads(data)
        m["tables"]["audit_log"] += 1
        return name, json.dumps(m).encode()
    return name, data


def _escape(name: str, data: bytes) -> tuple[str, bytes]:
    return ("home/../../escaped" if name.startswith("home/index") else name), data


@pytest.mark.parametrize(("case", "message"), [
    ("not-a-tar", "is not a Curbside backup (not a tar archive)"),
    ("truncated", "is damaged or truncated"),
    ("flipped-byte", "member 'database/curbside.db' is damaged (checksum mismatch)"),
    ("wrong-count", "rows differ from the manifest's counts"),
    ("no-manifest", "is not a Curbside backup (no manifest.json first)"),
    ("path-escape", "unexpected member 'home/../../escaped'"),
    ("missing-member", "is incomplete: missing database/curbside.db"),
])
def test_a_bad_backup_is_refused_by_name_before_anything_changes(
        live: services.Runtime, tmp_path: Path, case: str, message: str) -> None:
    good = tmp_path / "good.tar.gz"
    backups.backup(live, good)
    bad = tmp_path / f"{case}.tar.gz"
    if case == "not-a-tar":
        bad.write_bytes(b"hello, not an archive\n" * 10)
    elif case == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif case == "flipped-byte":
        _rewrite(good, bad, _flip_db_byte)
    elif case == "wrong-count":
        _rewrite(good, bad, _manifest_says_more_rows)
    elif case == "no-manifest":
        _rewrite(good, bad, lambda n, d: None if n == "manifest.json" else (n, d))
    elif case == "path-escape":
        _rewrite(good, bad, _escape)
    else:
        _rewrite(good, bad, lambda n, d: None if n.startswith("database/") else (n, d))
    target = tmp_path / "target"
    out = cli("--home", str(target), "restore", str(bad))
    assert out.exit_code == 1
    assert flat(str(bad)) in flat(out.output) and flat(message) in flat(out.output), out.output
    assert not target.exists()  # nothing was written
    assert not list(tmp_path.glob(".curbside-restore-*"))  # and nothing was left behind


def test_missing_pg_tools_name_the_folder_and_the_setting(tmp_path: Path) -> None:
    from curbside.store.backup import PgToolsMissing, find_pg_tools

    with pytest.raises(PgToolsMissing) as err:
        find_pg_tools(tmp_path / "no-such-bin")
    assert str(tmp_path / "no-such-bin") in str(err.value)
    assert "CURBSIDE_POSTGRES_BIN_DIR" in str(err.value)
