"""Two ingests into one home (issue 18, item 8): the second waits for the first, with a message,
or gives up after ``ingest.lock_timeout_s`` with exit code 14; never an IntegrityError.

Real processes: the lock is an inter-process one (``flock`` on ``curbside.db.lock``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from curbside import services
from curbside.config import Settings
from curbside.store.engine import make_engine
from curbside.store.locks import LockBusy, writer_lock


def _corpus(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"_id": f"d{i}", "title": f"Trial {i}",
                                 "text": f"Exercise therapy helps low back pain in trial {i}."})
                     + "\n")
    return path


def _cmd(home: Path, corpus: Path) -> list[str]:
    return [sys.executable, "-m", "curbside.cli.entry", "--home", str(home), "ingest", "-q",
            "--no-embed", "-f", "jsonl", "--mapping", "beir", str(corpus)]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def _sources(home: Path) -> tuple[int, int]:
    with sqlite3.connect(home / "curbside.db") as c:
        total = c.execute("SELECT count(*) FROM sources").fetchone()[0]
        distinct = c.execute("SELECT count(DISTINCT external_id) FROM sources").fetchone()[0]
    return int(total), int(distinct)


@pytest.fixture
def ready_home(home: Path) -> Path:
    services.open_runtime(Settings(home=home)).close()  # schema in place before the race
    return home


def test_second_ingest_gives_up_after_the_timeout_with_exit_14(ready_home: Path,
                                                                tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 10)
    engine = make_engine(f"sqlite:///{ready_home / 'curbside.db'}")
    with writer_lock(engine, purpose="ingest", timeout_s=0):  # held by this test process
        proc = subprocess.run(_cmd(ready_home, corpus), capture_output=True, text=True,
                              timeout=300, env=_env(CURBSIDE_INGEST__LOCK_TIMEOUT_S="0.5"))
    assert proc.returncode == 14, proc.stderr
    assert "Traceback" not in proc.stderr and "IntegrityError" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1
    assert f"(pid {os.getpid()}" in errors[0] and "CURBSIDE_INGEST__LOCK_TIMEOUT_S" in errors[0]
    assert "waiting for another ingest" in proc.stderr
    assert _sources(ready_home) == (0, 0)


def test_second_ingest_waits_then_runs(ready_home: Path, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 10)
    engine = make_engine(f"sqlite:///{ready_home / 'curbside.db'}")
    with writer_lock(engine, purpose="ingest", timeout_s=0):
        proc = subprocess.Popen(_cmd(ready_home, corpus), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env())
        assert proc.stderr is not None
        line = ""
        while "waiting for" not in line:  # blocks until the waiting message (no timing)
            line = proc.stderr.readline()
            assert line, "the ingest ended without waiting"
        assert "another ingest" in line and "to finish writing" in line
        assert _sources(ready_home) == (0, 0)  # it really waited
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _sources(ready_home) == (10, 10)


def test_two_real_ingests_of_one_file_at_once_both_succeed(ready_home: Path,
                                                            tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "c.jsonl", 1500)
    procs = [subprocess.Popen(_cmd(ready_home, corpus), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(2)]
    results = [(p.wait(timeout=600), p.communicate()) for p in procs]
    for code, (_out, err) in results:
        assert code == 0, err
        assert "IntegrityError" not in err and "Traceback" not in err
    assert _sources(ready_home) == (1500, 1500)


def test_lock_is_per_database_and_released_on_exit(tmp_path: Path) -> None:
    a = make_engine(f"sqlite:///{tmp_path / 'a' / 'curbside.db'}")
    b = make_engine(f"sqlite:///{tmp_path / 'b' / 'curbside.db'}")
    told: list[str] = []
    with writer_lock(a, purpose="ingest", timeout_s=0):
        with writer_lock(b, purpose="ingest", timeout_s=0):  # another home: no wait
            pass
        failed = threading.Event()

        def other() -> None:  # a second open file description conflicts, even in-process
            try:
                with writer_lock(a, purpose="ingest", timeout_s=2, on_wait=told.append,
                                 poll_s=0.05):
                    pass
            except LockBusy:
                failed.set()

        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=60)
        assert failed.is_set() and len(told) == 1
    with writer_lock(a, purpose="ingest", timeout_s=0):  # released: free again
        pass


def test_in_memory_databases_need_no_lock() -> None:
    engine = make_engine("sqlite:///:memory:")
    with writer_lock(engine, purpose="ingest", timeout_s=0), \
            writer_lock(engine, purpose="ingest", timeout_s=0):
        pass


def test_index_build_takes_the_same_lock(ready_home: Path) -> None:
    rt = services.open_runtime(Settings.model_validate(
        {"home": ready_home, "ingest": {"lock_timeout_s": 0}}))
    try:
        with writer_lock(rt.engine, purpose="ingest", timeout_s=0), \
                pytest.raises(services.StorageError) as err:
            services.build_index(rt)
    finally:
        rt.close()
    assert err.value.kind == "ingest_locked" and err.value.exit_code == 14
    assert "another ingest" in err.value.message
