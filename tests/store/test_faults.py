"""Fault tests: read-only home, full disk, damaged database, SQLite busy (issue 18, item 7).

Each fault must come out as one ``error:`` line naming the home or file and saying what to do,
with its documented exit code (10 read-only, 11 disk full, 12 damaged, 13 busy); the API answers
503 with a JSON error, never 500; ``/ready`` does a real write check.

Faults are real wherever the sandbox allows: a read-only bind mount and a tiny tmpfs need
``mount`` (root with CAP_SYS_ADMIN; those tests skip elsewhere). Root ignores ``chmod``, so the
read-only database is also exercised everywhere through SQLite's own read-only open mode
(``?mode=ro``), and the full disk through an injected ENOSPC at the point where the store writes.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.config import Settings
from curbside.services.faults import EXIT_CODES, storage_error

Q = "Does exercise help chronic low back pain?"


def _ro_url(db: Path) -> str:
    return f"sqlite:///file:{db}?mode=ro&uri=true"


def _one_error_line(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [ln for ln in output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, output
    return lines[0]


def _cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    from curbside.cli.main import state

    try:
        res = CliRunner().invoke(app, args, env=env)
    finally:
        if state.runtime is not None:  # close its files (a mount must be unmountable)
            state.runtime.close()
            state.runtime = None
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def _write_jsonl(path: Path, n: int, words: int = 20) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            text = " ".join(f"exercise{i % 7} therapy pain trial" for _ in range(words)) + "."
            fh.write(json.dumps({"_id": f"d{i}", "title": f"Trial {i}", "text": text}) + "\n")
    return path


@pytest.fixture
def starter_copy(starter_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(starter_home, home)
    return home


# -- classification of real driver and OS errors -------------------------------------------------
def test_real_sqlite_errors_are_classified(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    db = tmp_path / "curbside.db"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE t (x)")
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as e:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    assert storage_error(e.value, settings).kind == "read_only"  # type: ignore[union-attr]

    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    with pytest.raises(sqlite3.DatabaseError) as e2:
        sqlite3.connect(junk).execute("SELECT * FROM sqlite_master").fetchall()
    fault = storage_error(e2.value, settings)
    assert fault is not None and fault.kind == "corrupt" and fault.exit_code == 12

    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError) as e3:
            sqlite3.connect(db, timeout=0).execute("INSERT INTO t VALUES (2)")
    finally:
        holder.execute("ROLLBACK")
    fault = storage_error(e3.value, settings)
    assert fault is not None and fault.kind == "busy" and fault.exit_code == 13


def test_os_errors_are_classified_and_input_files_left_alone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    inside = str(tmp_path / "home" / "index" / "vectors.usearch")
    full = storage_error(OSError(errno.ENOSPC, "No space left on device", inside), settings)
    assert full is not None and full.kind == "disk_full" and inside in full.message
    ro = storage_error(OSError(errno.EROFS, "Read-only file system", inside), settings)
    assert ro is not None and ro.kind == "read_only"
    # A file the user asked to ingest that they may not read is their input, not the home.
    assert storage_error(PermissionError(errno.EACCES, "denied", "/etc/shadow"), settings) is None
    assert storage_error(ValueError("something else"), settings) is None
    assert sorted(EXIT_CODES.values()) == list(range(10, 16))


# -- read-only database (SQLite read-only open mode: works as root too) --------------------------
def test_cli_on_a_read_only_database_says_so_once(starter_copy: Path) -> None:
    env = {"CURBSIDE_DATABASE_URL": _ro_url(starter_copy / "curbside.db")}
    code, out = _cli(["--home", str(starter_copy), "ask", Q], env)
    line = _one_error_line(out)
    assert code == 10 and "read-only" in line and str(starter_copy / "curbside.db") in line
    code, out = _cli(["--home", str(starter_copy), "ingest", "--starter-library", "-q"], env)
    assert code == 10 and "read-only" in _one_error_line(out)


def test_api_on_a_read_only_database_is_503_and_not_ready(starter_copy: Path) -> None:
    from curbside.app import create_app

    settings = Settings(home=starter_copy, database_url=_ro_url(starter_copy / "curbside.db"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        ready = client.get("/api/v1/ready")
        asked = client.post("/api/v1/ask", json={"question": Q})
        page = client.post("/ask", data={"question": Q}, follow_redirects=False)
    assert ready.status_code == 503
    assert ready.json()["checks"]["writable"] is False
    assert "read-only" in ready.json()["detail"]["writable"]
    assert asked.status_code == 503, asked.text
    assert asked.json()["code"] == "storage_read_only" and "read-only" in asked.json()["message"]
    assert page.status_code in (403, 503)  # the form needs CSRF; never a 500


def test_ready_is_true_on_a_writable_home(starter_copy: Path) -> None:
    rt = services.open_runtime(Settings(home=starter_copy))
    try:
        ok, checks, detail = services.readiness(rt)
    finally:
        rt.close()
    assert ok and checks["writable"], detail
    assert not list(starter_copy.glob(".write-probe-*"))  # the probe file is removed


# -- real read-only mount and real full disk, where this machine lets a test mount -----------------
def _umount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)  # lazy: detach now


def _mount(*args: str) -> bool:
    if not shutil.which("mount") or os.geteuid() != 0:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def ro_mounted_home(starter_copy: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(the home mounted read-only, the writable directory behind it)."""
    # Upgrade first (a read-only home cannot be migrated), then mount it read-only.
    services.open_runtime(Settings(home=starter_copy)).close()
    target = tmp_path / "ro-home"
    target.mkdir()
    if not _mount("--bind", str(starter_copy), str(target)):
        pytest.skip("cannot bind-mount here (needs root with CAP_SYS_ADMIN)")
    try:
        if not _mount("-o", "remount,ro,bind", str(target)):
            pytest.skip("cannot remount read-only here")
        yield target, starter_copy
    finally:
        _umount(target)


def test_read_only_mounted_home_cli_and_api(ro_mounted_home: tuple[Path, Path]) -> None:
    from curbside.app import create_app

    home, behind = ro_mounted_home
    # 1. A closed WAL database in a read-only directory cannot even be opened (no -shm file).
    for args in (["ask", Q], ["serve", "--port", "0"]):
        proc = subprocess.run(
            [sys.executable, "-m", "curbside.cli.entry", "--home", str(home), *args],
            capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 10, proc.stderr
        assert "read-only" in _one_error_line(proc.stderr) and proc.stdout == ""
    # 2. With the -wal/-shm files present (another process has it open), reads work and
    #    every write is refused with the same message.
    live = sqlite3.connect(behind / "curbside.db")
    try:
        live.execute("SELECT count(*) FROM sources").fetchone()
        code, out = _cli(["--home", str(home), "ingest", "--starter-library", "-q"])
        assert code == 10 and str(home) in _one_error_line(out)
        code, out = _cli(["--home", str(home), "ask", Q])
        assert code == 10 and "read-only" in _one_error_line(out)
        with TestClient(create_app(Settings(home=home)),
                        raise_server_exceptions=False) as client:
            ready = client.get("/api/v1/ready")
            asked = client.post("/api/v1/ask", json={"question": Q})
            listed = client.get("/api/v1/sources/1")
    finally:
        live.close()
    assert ready.status_code == 503 and ready.json()["checks"]["writable"] is False
    assert asked.status_code == 503 and asked.json()["code"] == "storage_read_only"
    assert listed.status_code == 200  # reading still works


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "tiny"
    target.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(target)):
        pytest.skip("cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)")
    try:
        yield target
    finally:
        _umount(target)


def test_full_disk_tmpfs_ingest_says_so_and_ready_is_false(tiny_tmpfs: Path,
                                                           tmp_path: Path) -> None:
    home = tiny_tmpfs / "home"
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", 3000)  # ~4 MB of passages > 1.5 MB disk
    code, out = _cli(["--home", str(home), "ingest", "-q", "--no-embed", "-f", "jsonl",
                      "--mapping", "beir", str(corpus)])
    line = _one_error_line(out)
    assert code == 11 and "full" in line and str(home) in line
    rt = services.open_runtime(Settings(home=home), migrate=False)
    try:
        ok, checks, detail = services.readiness(rt)
        stored = services.stats(rt)["sources"]
    finally:
        rt.close()
    assert not ok and not checks["writable"] and "full" in detail["writable"]
    assert 0 <= stored < 3000  # whole batches only; the rest resumes after space is freed


# -- injected full disk (runs everywhere) -------------------------------------------------------
def _disk_full(*_a: object, **_k: object) -> None:
    raise OperationalError("INSERT INTO passages ...", {},
                           sqlite3.OperationalError("database or disk is full"))


def test_full_disk_injected_in_the_store_ingest_exits_11(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curbside.store.sources import SourceStore

    corpus = _write_jsonl(tmp_path / "corpus.jsonl", 5)
    monkeypatch.setattr(SourceStore, "insert_passages_bulk", _disk_full)
    code, out = _cli(["--home", str(home), "ingest", "-q", "--no-embed", "-f", "jsonl",
                      "--mapping", "beir", str(corpus)])
    line = _one_error_line(out)
    assert code == 11 and "full" in line and str(home) in line
    assert "INSERT" not in out and "Trial" not in out  # no SQL, no record text


def test_full_disk_injected_in_the_index_files_is_not_a_file_error(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing the vector index must stop the run as a disk fault, not be
    reported against the input file being read at the time."""
    from curbside.index.dense import DenseIndex

    def no_space(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(home / "index" / "x.tmp"))

    monkeypatch.setattr(DenseIndex, "on_batch", no_space)
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", 5)
    code, out = _cli(["--home", str(home), "ingest", "-q", "-f", "jsonl", "--mapping", "beir",
                      str(corpus)])
    assert code == 11 and "full" in _one_error_line(out)
    assert "file error" not in out


def test_full_disk_injected_api_ask_is_503(
    starter_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curbside.app import create_app
    from curbside.store.articles import ArticleStore

    monkeypatch.setattr(ArticleStore, "save_new", _disk_full)
    with TestClient(create_app(Settings(home=starter_copy)),
                    raise_server_exceptions=False) as client:
        asked = client.post("/api/v1/ask", json={"question": Q})
    assert asked.status_code == 503 and asked.json()["code"] == "storage_disk_full"
    assert "full" in asked.json()["message"] and Q not in asked.text


def test_ready_reports_a_nearly_full_disk(starter_copy: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil as sh

    real = sh.disk_usage
    monkeypatch.setattr(sh, "disk_usage", lambda p: real(p)._replace(free=4096))
    rt = services.open_runtime(Settings(home=starter_copy))
    try:
        ok, checks, detail = services.readiness(rt)
    finally:
        rt.close()
    assert not ok and not checks["writable"] and "full" in detail["writable"]


# -- damaged database ---------------------------------------------------------------------------
def test_cli_on_a_file_that_is_not_a_database(home: Path) -> None:
    (home / "curbside.db").write_bytes(os.urandom(64 * 1024))
    for args in (["stats"], ["ask", Q], ["ingest", "--starter-library", "-q"]):
        code, out = _cli(["--home", str(home), *args])
        line = _one_error_line(out)
        assert code == 12, (args, out)
        assert "damaged" in line and str(home / "curbside.db") in line


def test_serve_refuses_a_damaged_database_with_one_line(home: Path) -> None:
    (home / "curbside.db").write_bytes(os.urandom(64 * 1024))
    proc = subprocess.run(
        [sys.executable, "-m", "curbside.cli.entry", "--home", str(home), "serve", "--port", "0"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 12 and "damaged" in _one_error_line(proc.stderr)


def test_api_on_a_database_damaged_while_serving(starter_copy: Path) -> None:
    from curbside.app import create_app

    with TestClient(create_app(Settings(home=starter_copy)),
                    raise_server_exceptions=False) as client:
        assert client.get("/api/v1/sources/1").status_code == 200
        rt = client.app.state.runtime  # type: ignore[attr-defined]
        rt.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            p = starter_copy / f"curbside.db{suffix}"
            if p.exists():
                p.write_bytes(os.urandom(p.stat().st_size or 4096))
        rt.engine.dispose()
        api = client.get("/api/v1/sources/1")
        page = client.get("/sources/1")
        ready = client.get("/api/v1/ready")
    assert api.status_code == 503 and api.json()["code"] == "storage_corrupt"
    assert page.status_code == 503 and "damaged" in page.text
    assert ready.status_code == 503 and ready.json()["ready"] is False


# -- SQLite busy: concurrent writers wait (busy timeout) instead of failing ------------------------
def test_concurrent_writers_wait_for_a_held_write_lock(home: Path) -> None:
    rt = services.open_runtime(Settings(home=home))
    db = home / "curbside.db"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    # The lock is really held: a writer without a busy timeout fails at once...
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        sqlite3.connect(db, timeout=0).execute("INSERT INTO threads (created_at, context) "
                                               "VALUES ('2026-01-01', '{}')")
    started = threading.Barrier(5)
    errors: list[BaseException] = []
    run_ids: list[int] = []

    def writer(i: int) -> None:
        started.wait()
        try:
            run_ids.append(rt.store.begin_run([f"writer-{i}"]))
        except BaseException as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    started.wait()  # all four are about to write while the lock is held
    threading.Event().wait(0.5)
    holder.execute("ROLLBACK")
    holder.close()
    for t in threads:
        t.join(timeout=120)
    rt.close()
    # ...while Curbside's writers waited for it (busy timeout) and all succeeded.
    assert not errors, errors
    assert len(set(run_ids)) == 4
