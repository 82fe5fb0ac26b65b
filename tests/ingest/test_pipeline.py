"""Ingest pipeline: idempotent, versioned, resumable after kill -9, bad input reported."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from curbside import services
from curbside.config import Settings


def _write_beir(path: Path, n: int, *, start: int = 0, suffix: str = "") -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(
                json.dumps(
                    {
                        "_id": f"d{i}",
                        "title": f"Document {i} on low back pain",
                        "text": f"Exercise therapy helps chronic low back pain in trial {i}. "
                        f"Imaging is not routinely needed{suffix}.",
                    }
                )
                + "\n"
            )
    return path


@pytest.fixture
def rt(home: Path) -> services.Runtime:
    return services.open_runtime(Settings(home=home))


def _fts_count(rt: services.Runtime, term: str) -> int:
    with rt.engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH ?", (f'"{term}"',)
            ).scalar()
        )


def test_ingesting_the_same_file_twice_adds_nothing(rt: services.Runtime, tmp_path: Path) -> None:
    f = _write_beir(tmp_path / "corpus.jsonl", 30)
    first = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert first.total("added") == 30 and first.total("passages") >= 30
    second = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir")
    assert second.total("added") == 0 and second.total("unchanged") == 30
    # The first run deferred embedding; the second (embedding) run caught up.
    status = services.index_status(rt)
    assert status["missing"] == 0 and status["vectors"] == status["current_passages"]
    st = services.stats(rt)
    assert st["sources"] == 30 and st["source_versions"] == 30
    assert _fts_count(rt, "exercise") == 30


def test_changed_record_becomes_a_new_version(rt: services.Runtime, tmp_path: Path) -> None:
    services.ingest(rt, paths=[_write_beir(tmp_path / "a.jsonl", 5)], fmt="jsonl", mapping="beir")
    rep = services.ingest(
        rt,
        paths=[_write_beir(tmp_path / "b.jsonl", 5, suffix=" anymore")],
        fmt="jsonl",
        mapping="beir",
    )
    assert rep.total("updated") == 5 and len(rep.superseded_source_ids) == 5
    versions = rt.store.versions("doc:d0")
    assert [v.version for v in versions] == [1, 2]
    assert [v.is_current for v in versions] == [False, True]
    # Old passages are kept (articles may cite them) but only current ones are searchable.
    assert rt.store.passages_of(versions[0].id)
    assert _fts_count(rt, "anymore") == 5
    assert _fts_count(rt, "exercise") == 5
    assert services.stats(rt)["sources"] == 5


def test_duplicate_ids_across_files_are_reported(rt: services.Runtime, tmp_path: Path) -> None:
    a = _write_beir(tmp_path / "a.jsonl", 3)
    b = _write_beir(tmp_path / "b.jsonl", 3)
    rep = services.ingest(rt, paths=[a, b], fmt="jsonl", mapping="beir")
    assert rep.total("added") == 3 and rep.total("unchanged") == 3
    assert len(rep.warnings) == 3
    assert "b.jsonl" in rep.warnings[0] and "a.jsonl" in rep.warnings[0]
    assert "identical" in rep.warnings[0]


def test_bad_records_are_quarantined_and_the_rest_ingested(
    rt: services.Runtime, tmp_path: Path
) -> None:
    f = tmp_path / "mixed.jsonl"
    good = _write_beir(tmp_path / "g.jsonl", 2).read_text()
    f.write_text(good + "{not json\n" + json.dumps({"title": "no id"}) + "\n")
    rep = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir")
    assert rep.total("added") == 2 and rep.total("rejected") == 2 and rep.ok
    rows = services.quarantine(rt)
    assert {r["position"] for r in rows} == {3, 4}
    assert all(r["file"].endswith("mixed.jsonl") for r in rows)


def test_unreadable_paths_are_reported_and_others_ingested(
    rt: services.Runtime, tmp_path: Path
) -> None:
    good = _write_beir(tmp_path / "corpus.jsonl", 2)
    unknown = tmp_path / "notes.xyz"
    unknown.write_text("???")
    rep = services.ingest(rt, paths=[tmp_path / "missing.xml", unknown, good])
    errors = [f.error for f in rep.files if f.error]
    assert len(errors) == 2
    assert any("missing.xml" in e for e in errors) and any("notes.xyz" in e for e in errors)
    assert rep.total("added") == 2 and rep.ok


def test_nothing_ingested_is_not_ok(rt: services.Runtime, tmp_path: Path) -> None:
    rep = services.ingest(rt, paths=[tmp_path / "missing.xml"])
    assert not rep.ok


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:
            return 0


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_loses_nothing_and_duplicates_nothing(
    home: Path, tmp_path: Path, hang_s: float
) -> None:
    n = 20000
    f = _write_beir(tmp_path / "corpus.jsonl", n)
    cmd = [
        sys.executable,
        "-m",
        "curbside.cli.entry",
        "--home",
        str(home),
        "ingest",
        str(f),
        "--format",
        "jsonl",
        "--mapping",
        "beir",
        "--quiet",
        "--no-embed",
    ]
    env = {**os.environ, "CURBSIDE_HOME": str(home)}
    db = home / "curbside.db"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait for the first committed batches however slow the machine is: until they are there,
    # the ingest ends by itself, or (against a hang only) hang_s passes.
    deadline = time.monotonic() + hang_s
    while (proc.poll() is None and time.monotonic() < deadline
           and _count(db, "SELECT count(*) FROM sources") < 1000):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _count(db, "SELECT count(*) FROM sources")
    assert 0 < partial < n, "the kill must land mid-ingest"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=hang_s)
    assert done.returncode == 0, done.stderr
    assert _count(db, "SELECT count(*) FROM sources") == n
    assert _count(db, "SELECT count(DISTINCT external_id) FROM sources") == n
    passages = _count(db, "SELECT count(*) FROM passages")
    assert passages >= n
    assert (
        _count(db, "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH '\"exercise\"'") == n
    )
    assert _count(db, "SELECT count(*) FROM ingest_runs WHERE status = 'interrupted'") == 1


def test_cli_ingest_accepts_registry_formats_and_names_the_known_ones(tmp_path: Path) -> None:
    """`--format` takes any name the reader registry knows (mapping presets such as ``beir``
    included, as plugin readers would be); an unknown one exits 2 listing the known names."""
    from typer.testing import CliRunner

    from curbside.cli import app

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"_id": "d1", "title": "Aspirin", "text": "Aspirin lowers fever."}\n')
    env = {"CURBSIDE_HOME": str(tmp_path / "home")}
    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", str(corpus), "--format", "beir", "--quiet", "--no-embed"],
                       env=env)
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["ingest", str(corpus), "--format", "docx", "--no-embed"], env=env)
    assert bad.exit_code == 2
    assert "unknown format 'docx'" in bad.output and "cohen2006" in bad.output
