"""`curbside backup` / `restore` on a real PostgreSQL (pgserver): pg_dump -Fc / pg_restore."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from curbside import services
from curbside.cli import app
from curbside.config import Settings
from curbside.services import accounts
from curbside.store.backup import PgToolsMissing, find_pg_tools

pytestmark = pytest.mark.postgres


def all_rows(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text, in a canonical order."""
    engine = create_engine(url)
    try:
        out = {}
        with engine.connect() as conn:
            for name in sorted(inspect(engine).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{name}"')).fetchall()
                out[name] = sorted(repr(tuple(r)) for r in rows)
        return out
    finally:
        engine.dispose()


def cli(url: str, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"CURBSIDE_DATABASE_URL": url})


def test_postgres_round_trip_is_lossless_and_the_audit_chain_verifies(
        pg_url: str, second_pg_url: str, tmp_path: Path) -> None:
    try:
        find_pg_tools()
    except PgToolsMissing as exc:
        pytest.skip(str(exc))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({
        "_id": f"d{i}", "title": f"Synthetic document {i}",
        "text": f"Exercise therapy helps chronic low back pain {i}. Heat helps too."}) + "\n"
        for i in range(5)), encoding="utf-8")
    home = tmp_path / "home"
    rt = services.open_runtime(Settings(home=home, database_url=pg_url))
    try:
        services.ingest(rt, paths=[corpus], fmt="jsonl", mapping="beir")
        accounts.add_user(rt, name="eve", role="editor")
        accounts.issue_api_token(rt, name="eve")
        log = rt.audit_log()
        for i in range(3):
            log.append(actor="tester", action="test.event", subject=f"thing:{i}",
                       detail={"i": i})
    finally:
        rt.close()
    archive = tmp_path / "pg.tar.gz"
    out = cli(pg_url, "--home", str(home), "backup", str(archive))
    assert out.exit_code == 0, out.output
    before = all_rows(pg_url)
    assert before["audit_log"] and before["sources"] and before["api_tokens"]

    restored = tmp_path / "restored"
    out = cli(second_pg_url, "--home", str(restored), "restore", str(archive))
    assert out.exit_code == 0, out.output
    assert "audit log intact" in out.output
    after = all_rows(second_pg_url)
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    out = cli(second_pg_url, "--home", str(restored), "audit", "verify")
    assert out.exit_code == 0 and "audit log intact" in out.output, out.output

    # The target now has tables: refused unless forced; forced keeps a dump of what was there.
    other = tmp_path / "other-home"
    out = cli(second_pg_url, "--home", str(other), "restore", str(archive))
    assert out.exit_code == 1 and "tables in the database" in out.output
    out = cli(second_pg_url, "--home", str(other), "restore", "--force", str(archive))
    assert out.exit_code == 0, out.output
    saved = list(tmp_path.glob("other-home.before-restore-*/database.pgdump"))
    assert len(saved) == 1 and saved[0].stat().st_size > 0
    assert all_rows(second_pg_url) == before
    assert re.search(r"audit\s+log\s+intact", out.output)
