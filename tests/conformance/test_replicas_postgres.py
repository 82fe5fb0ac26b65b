"""Two real ``curbside serve`` processes on one PostgreSQL database (pgserver): stateless
replicas. A mixed load (asks, follow-ups, review transitions) goes to both in turn; one is
killed with SIGKILL mid-load. Every request is answered (the survivor serves what the dead
one dropped), no acknowledged write is missing, and the audit chain verifies against both
servers' checkpoint files.

No wall-clock assertion: waits end when their condition holds and are bounded only by
`hang_s` against a hang.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from curbside.testing.replicas import (
    MixedLoad,
    check_writes,
    prepare_database,
    replicas,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_two_replicas_share_state_and_survive_a_kill(
    pg_url: str, tmp_path: Path, hang_s: float
) -> None:
    key_file = tmp_path / "audit_key"
    tokens = prepare_database(pg_url, tmp_path / "setup", key_file)
    with replicas(pg_url, tmp_path, count=2, hang_s=hang_s, audit_key_file=key_file) as servers:
        first, second = servers
        # State written through one server is read through the other.
        asked = httpx.post(
            f"{first.url}/api/v1/ask",
            timeout=hang_s,
            json={"question": "What are the red flags in acute low back pain?"},
        )
        assert asked.status_code == 201, asked.text
        art = asked.json()
        key = {"X-Curbside-Key": art["access_key"]}
        seen = httpx.get(f"{second.url}/api/v1/articles/{art['id']}", headers=key, timeout=hang_s)
        assert seen.status_code == 200 and seen.json()["question"] == art["question"]
        # Both servers decide one version at once: exactly one start succeeds, the other is
        # refused (the state moved on), and only one transition is recorded.
        sub = httpx.post(
            f"{second.url}/api/v1/review/articles/{art['id']}/transitions",
            json={"action": "submit"},
            headers=tokens.header("editor"),
            timeout=hang_s,
        )
        assert sub.status_code == 200, sub.text
        with ThreadPoolExecutor(2) as pool:
            starts = list(
                pool.map(
                    lambda s: httpx.post(
                        f"{s.url}/api/v1/review/articles/{art['id']}/transitions",
                        json={"action": "start"},
                        headers=tokens.header("reviewer"),
                        timeout=hang_s,
                    ),
                    servers,
                )
            )
        assert sorted(r.status_code for r in starts) == [200, 403], [r.text for r in starts]

        # The mixed load, with the first server killed once 12 requests have been answered.
        load = MixedLoad(servers, tokens, clients=4, cycles=2, kill_after=12, hang_s=hang_s)
        report = load.run()
        assert report.killed == first.name and first.proc.poll() is not None
        assert second.proc.poll() is None, second.log.read_text()
        assert report.unserved == []
        assert report.failed() == [], [(o.op, o.replica, o.status) for o in report.failed()]
        # A refusal only answers a retry whose first attempt the killed server had committed.
        assert all(o.retry for o in report.answered() if o.status == 403)
        survivor = report.answered(second.name)
        assert survivor and all(o.status is not None and o.status < 500 for o in survivor)
        # Everything the load asked for was answered by some server: 4 clients x 2 cycles x
        # (ask, follow-up, 3 review steps).
        ops = [o for o in report.outcomes if o.status is not None]
        assert len(ops) == 4 * 2 * 5
        assert len(report.acked.articles) == 4 * 2 * 2
        # The dead server's dropped requests (if any were in flight) were retried elsewhere.
        assert all(o.replica == first.name for o in report.dropped())

        check = check_writes(pg_url, tmp_path / "setup", report, servers, key_file)
    assert check.missing_articles == []
    assert check.missing_followups == [] and check.duplicate_turns == {}
    assert check.unrecorded == [] and check.state_behind == {}
    assert set(check.chains) == {"replica1", "replica2"}
    for name, chain in check.chains.items():
        assert chain.ok, (name, chain.problem)
        assert chain.checkpoints > 0
    assert check.ok
