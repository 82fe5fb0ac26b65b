"""The audit chain with several writers at once, on SQLite and on PostgreSQL (pgserver).

Several API servers on one database append to one chain: each writer here has its own engine
(its own connections, as a separate process has) and its own `AuditLog`; the appends race
from threads. The chain must come out as one line (ids 1..n, each entry linking the one
before) that verifies against every writer's checkpoint file. A writer holding another key
must be refused rather than fork the chain.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from curbside.store.audit import AuditKeyError, AuditLog
from curbside.store.engine import make_engine, upgrade

WRITERS = 4
APPENDS = 8


class AuditWriters:
    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        raise NotImplementedError

    @pytest.fixture
    def engines(self, db_url: str) -> Iterator[list[Engine]]:
        engines = [make_engine(db_url) for _ in range(WRITERS)]
        upgrade(engines[0])
        yield engines
        for e in engines:
            e.dispose()

    def test_racing_appends_make_one_verifiable_chain(
        self, engines: list[Engine], tmp_path: Path
    ) -> None:
        key = tmp_path / "audit_key"
        logs = [
            AuditLog(e, key_file=key, checkpoint_file=tmp_path / f"cp{i}.jsonl")
            for i, e in enumerate(engines)
        ]
        logs[0].key()  # one key, made before the race (as a deployment's shared key file)
        start = threading.Barrier(WRITERS)
        errors: list[BaseException] = []

        def write(i: int) -> None:
            start.wait()
            try:
                for n in range(APPENDS):
                    if n % 2:  # inside a transaction of the caller's, as a review decision
                        with engines[i].begin() as conn:
                            logs[i].append(
                                actor=f"server{i}",
                                action="submit",
                                subject=f"article:{i}/v{n}",
                                detail={"n": n},
                                conn=conn,
                            )
                    else:
                        logs[i].append(
                            actor=f"server{i}",
                            action="submit",
                            subject=f"article:{i}/v{n}",
                            detail={"n": n},
                        )
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        entries = list(logs[0].entries())
        assert [e.id for e in entries] == list(range(1, WRITERS * APPENDS + 1))
        assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
        assert {e.subject for e in entries} == {
            f"article:{i}/v{n}" for i in range(WRITERS) for n in range(APPENDS)
        }
        for log in logs:  # each writer's own checkpoints agree with the one chain
            report = log.verify()
            assert report.ok and report.entries == WRITERS * APPENDS
            assert report.checkpoints == APPENDS

    def test_a_writer_with_another_key_is_refused(
        self, engines: list[Engine], tmp_path: Path
    ) -> None:
        mine = AuditLog(engines[0], key_file=tmp_path / "a" / "audit_key")
        mine.append(actor="server1", action="submit", subject="article:1/v1")
        other = AuditLog(engines[1], key_file=tmp_path / "b" / "audit_key")
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "audit_key").write_text("f" * 64 + "\n")
        with pytest.raises(AuditKeyError, match="same key file"):
            other.append(actor="server2", action="submit", subject="article:2/v1")
        assert [e.id for e in mine.entries()] == [1] and mine.verify().ok


class TestSqliteAuditWriters(AuditWriters):
    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'audit.db'}"


@pytest.mark.postgres
class TestPostgresAuditWriters(AuditWriters):
    @pytest.fixture
    def db_url(self, pg_url: str) -> str:
        return pg_url
