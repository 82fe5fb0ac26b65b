"""Stateless API replicas: several ``curbside serve`` processes on one database, under load.

What a deployment behind a load balancer does, on one machine: `start_replicas` starts the
servers (each with a home of its own, as on separate hosts, sharing only the database, the
signing secret and the audit key file), `MixedLoad` drives a mix of requests against them in
turn from several client threads -- new questions, follow-ups in their threads, review
transitions (submit, start, approve) -- and can kill one server (SIGKILL) once a given number
of requests have been answered. A client whose request dies with the killed server marks it
down and sends the same request to a live one, as a load balancer retries a failed
connection, so every request is answered by some server.

`check_writes` then proves, from the database, that nothing acknowledged was lost: every
article and follow-up answered with 201 is stored (turns of one thread distinct), every
acknowledged transition is recorded with its audit entry, and the audit chain verifies
against each server's checkpoint file.

Used by ``tests/conformance/test_replicas_postgres.py`` and ``benchmarks/replicas.py``; it
needs only the package (httpx is a dependency), so an operator can run it against a database
of their own.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from curbside.config import Settings
from curbside.services import Runtime, accounts, open_runtime
from curbside.services.runtime import NotFoundError
from curbside.store.audit import AuditLog, ChainReport

__all__ = [
    "QUESTIONS",
    "LoadReport",
    "MixedLoad",
    "Outcome",
    "Replica",
    "Tokens",
    "WriteCheck",
    "check_writes",
    "prepare_database",
    "replicas",
]

#: Questions the clients cycle through (the starter library covers them).
QUESTIONS = (
    "What are the red flags in acute low back pain?",
    "Is sacroiliac joint imbalance a common cause of low back pain?",
    "What imaging is recommended for suspected axial spondyloarthritis?",
    "Are NSAIDs effective for ankylosing spondylitis?",
    "What non-drug treatments help chronic low back pain?",
    "What is cauda equina syndrome and how is it diagnosed?",
)
FOLLOW_UPS = (
    "What about in older adults?",
    "Which imaging comes first?",
    "How long does it usually last?",
)
#: The review steps a client takes on each of its articles, with the role that takes each.
REVIEW_STEPS = (("submit", "editor"), ("start", "reviewer"), ("approve", "reviewer"))


@dataclass
class Replica:
    name: str
    url: str
    home: Path
    log: Path
    proc: subprocess.Popen[bytes]
    killed: bool = False

    @property
    def checkpoint_file(self) -> Path:
        return self.home / "audit_checkpoints.jsonl"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, open transactions cut (PostgreSQL rolls them back)."""
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@dataclass(frozen=True)
class Tokens:
    """API tokens of the editor and the reviewer the clients act as."""

    editor: str
    reviewer: str

    def header(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.editor if role == 'editor' else self.reviewer}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(
    database_url: str, home: Path, audit_key_file: Path, *, embed: bool = False
) -> Tokens:
    """Upgrade the database, ingest the starter library (embedding it with `embed`) and add an
    editor and a reviewer with API tokens (audited with `audit_key_file`, the key the servers
    will share). `home` is the preparing process's own."""
    from curbside.services.corpus import ingest_starter_library

    rt = open_runtime(Settings(home=home, database_url=database_url, audit_key_file=audit_key_file))
    try:
        ingest_starter_library(rt, embed=embed)
        accounts.add_user(rt, name="replica-editor", role="editor")
        accounts.add_user(rt, name="replica-reviewer", role="reviewer")
        return Tokens(
            editor=accounts.issue_api_token(rt, name="replica-editor"),
            reviewer=accounts.issue_api_token(rt, name="replica-reviewer"),
        )
    finally:
        rt.close()


@contextmanager
def replicas(
    database_url: str,
    base: Path,
    *,
    count: int = 2,
    hang_s: float = 600.0,
    audit_key_file: Path | None = None,
) -> Iterator[list[Replica]]:
    """`count` ``curbside serve`` processes on `database_url`, each with its own home under
    `base`; they share the signing secret and the audit key file (`audit_key_file`, default
    ``base/audit_key``), as replicas on separate hosts must. Waits until each answers
    ``/api/v1/ready`` (bounded by `hang_s` only against a hang; a server that exits ends the
    wait with its log); stops them all at the end."""
    key_file = audit_key_file or base / "audit_key"
    env = {
        **os.environ,
        "CURBSIDE_DATABASE_URL": database_url,
        "CURBSIDE_SECRET_KEY": secrets.token_hex(32),
        "CURBSIDE_AUDIT_KEY_FILE": str(key_file),
    }
    env.pop("CURBSIDE_AUDIT_CHECKPOINT_FILE", None)  # each server keeps its own
    started: list[Replica] = []
    try:
        for i in range(count):
            home = base / f"replica{i + 1}"
            home.mkdir(parents=True, exist_ok=True)
            port = _free_port()
            log = base / f"replica{i + 1}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "curbside.cli.entry",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                    ],
                    env={**env, "CURBSIDE_HOME": str(home)},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            started.append(Replica(f"replica{i + 1}", f"http://127.0.0.1:{port}", home, log, proc))
        for r in started:
            _wait_ready(r, hang_s)
        yield started
    finally:
        for r in started:
            if r.proc.poll() is None:
                r.proc.terminate()
        for r in started:
            try:
                r.proc.wait(timeout=hang_s)
            except subprocess.TimeoutExpired:
                r.proc.kill()
                r.proc.wait()


def _wait_ready(r: Replica, hang_s: float) -> None:
    deadline = time.monotonic() + hang_s
    while True:
        try:
            if httpx.get(f"{r.url}/api/v1/ready", timeout=hang_s).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if r.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{r.name} did not become ready:\n{r.log.read_text()}")
        time.sleep(0.3)


@dataclass
class Outcome:
    """One attempt of one request: where it went, what came back (None: the connection
    failed) and how long it took."""

    client: int
    op: str
    replica: str
    status: int | None
    seconds: float
    retry: bool = False


@dataclass
class Acked:
    """Writes the servers acknowledged (what `check_writes` looks for afterwards)."""

    articles: dict[int, str] = field(default_factory=dict)  # article id -> reader key
    followups: dict[int, list[int]] = field(default_factory=dict)  # thread id -> article ids
    transitions: list[tuple[int, int, str, str]] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class LoadReport:
    outcomes: list[Outcome]
    acked: Acked
    killed: str | None
    #: Operations no server answered (must stay empty).
    unserved: list[str]

    def answered(self, replica: str | None = None) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if o.status is not None and (replica is None or o.replica == replica)
        ]

    def failed(self, replica: str | None = None) -> list[Outcome]:
        """Answers that are errors (5xx, or an unexpected 4xx)."""
        return [o for o in self.answered(replica) if _is_error(o)]

    def dropped(self) -> list[Outcome]:
        """Attempts whose connection failed (the killed server's)."""
        return [o for o in self.outcomes if o.status is None]


def _is_error(o: Outcome) -> bool:
    """A 5xx, or a 4xx other than a review step's refusal (the state moved on)."""
    status = o.status or 0
    refusal = o.op.startswith("review") and status == 403
    return status >= 500 or (status >= 400 and not refusal)


class MixedLoad:
    """`clients` threads, each running `cycles` cycles of: ask, follow up, then the review
    steps on that article (editor submits, reviewer starts and approves), sending request
    ``i`` of a client to live server ``(client + i) mod n`` so consecutive steps of one
    article alternate between servers. With `kill_after`, the first server is killed once
    that many requests have been answered."""

    def __init__(
        self,
        servers: Sequence[Replica],
        tokens: Tokens,
        *,
        clients: int = 4,
        cycles: int = 2,
        kill_after: int | None = None,
        hang_s: float = 600.0,
    ) -> None:
        self.servers = list(servers)
        self.tokens = tokens
        self.clients = clients
        self.cycles = cycles
        self.kill_after = kill_after
        self.hang_s = hang_s
        self._lock = threading.Lock()
        self._outcomes: list[Outcome] = []
        self._acked = Acked()
        self._unserved: list[str] = []
        self._answered = 0
        self._killed: str | None = None

    # -- one request, retried on a live server when its server is gone ---------------------
    def _live(self) -> list[Replica]:
        return [r for r in self.servers if not r.killed]

    def _send(
        self, client: int, seq: int, op: str, method: str, path: str, **kw: Any
    ) -> httpx.Response | None:
        retry = False
        tried: set[str] = set()
        while True:
            live = [r for r in self._live() if r.name not in tried]
            if not live:
                with self._lock:
                    self._unserved.append(op)
                return None
            server = live[(client + seq) % len(live)]
            t0 = time.perf_counter()
            try:
                resp = httpx.request(method, server.url + path, timeout=self.hang_s, **kw)
            except httpx.TransportError:
                with self._lock:
                    self._outcomes.append(
                        Outcome(client, op, server.name, None, time.perf_counter() - t0, retry)
                    )
                tried.add(server.name)
                retry = True
                continue
            with self._lock:
                self._outcomes.append(
                    Outcome(
                        client, op, server.name, resp.status_code, time.perf_counter() - t0, retry
                    )
                )
                self._answered += 1
                kill = (
                    self.kill_after is not None
                    and self._killed is None
                    and self._answered >= self.kill_after
                )
                if kill:
                    self._killed = self.servers[0].name
            if kill:
                self.servers[0].kill()
            return resp

    # -- a client ---------------------------------------------------------------------------
    def _client(self, client: int) -> None:
        seq = 0
        for cycle in range(self.cycles):
            question = QUESTIONS[(client + cycle) % len(QUESTIONS)]
            resp = self._send(
                client, seq, "ask", "POST", "/api/v1/ask", json={"question": question}
            )
            seq += 1
            if resp is None or resp.status_code != 201:
                continue
            art = resp.json()
            art_id, key = int(art["id"]), str(art["access_key"])
            with self._lock:
                self._acked.articles[art_id] = key
            follow = FOLLOW_UPS[(client + cycle) % len(FOLLOW_UPS)]
            resp = self._send(
                client,
                seq,
                "followup",
                "POST",
                f"/api/v1/articles/{art_id}/followups",
                json={"question": follow},
                headers={"X-Curbside-Key": key},
            )
            seq += 1
            if resp is not None and resp.status_code == 201:
                turn = resp.json()
                with self._lock:
                    self._acked.articles[int(turn["id"])] = key
                    self._acked.followups.setdefault(int(turn["thread_id"]), []).append(
                        int(turn["id"])
                    )
            for action, role in REVIEW_STEPS:
                resp = self._send(
                    client,
                    seq,
                    f"review.{action}",
                    "POST",
                    f"/api/v1/review/articles/{art_id}/transitions",
                    json={"action": action},
                    headers=self.tokens.header(role),
                )
                seq += 1
                if resp is None:
                    break
                if resp.status_code == 200:
                    body = resp.json()
                    with self._lock:
                        self._acked.transitions.append(
                            (art_id, int(body["version"]), action, str(body["to_state"]))
                        )
                elif resp.status_code == 403:
                    # The retry of a request its killed server had already committed: the
                    # state moved on. Recorded; `check_writes` checks where it stands.
                    with self._lock:
                        self._acked.refused.append((art_id, action, resp.text))
                else:
                    break

    def run(self) -> LoadReport:
        threads = [
            threading.Thread(target=self._client, args=(c,), daemon=True)
            for c in range(self.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return LoadReport(self._outcomes, self._acked, self._killed, self._unserved)


@dataclass
class WriteCheck:
    missing_articles: list[int]
    duplicate_turns: dict[int, list[int]]
    missing_followups: list[int]
    #: Acknowledged transitions with no transition record or no audit entry.
    unrecorded: list[tuple[int, int, str, str]]
    #: Articles whose stored state is behind their last acknowledged transition.
    state_behind: dict[int, tuple[str, str]]
    chains: dict[str, ChainReport]

    @property
    def ok(self) -> bool:
        return not (
            self.missing_articles
            or self.duplicate_turns
            or self.missing_followups
            or self.unrecorded
            or self.state_behind
        ) and all(c.ok for c in self.chains.values())


#: Order of the review states the load walks through (a later one is "ahead").
_STATE_ORDER = ("draft", "submitted", "under_review", "approved")


def check_writes(
    database_url: str,
    home: Path,
    report: LoadReport,
    servers: Sequence[Replica],
    audit_key_file: Path,
) -> WriteCheck:
    """Look in the database for every write `report` says was acknowledged; verify the audit
    chain against each server's checkpoint file."""
    from curbside.services import review

    rt = open_runtime(
        Settings(home=home, database_url=database_url, audit_key_file=audit_key_file), migrate=False
    )
    try:
        acked = report.acked
        missing = [a for a in acked.articles if rt.articles.get(a) is None]
        dup: dict[int, list[int]] = {}
        missing_fu: list[int] = []
        for thread_id, ids in acked.followups.items():
            turns = rt.articles.thread_turns(thread_id)
            numbers = [t for _, t in turns]
            if len(numbers) != len(set(numbers)):
                dup[thread_id] = numbers
            stored = {a for a, _ in turns}
            missing_fu += [a for a in ids if a not in stored]
        unrecorded = _unrecorded(rt, acked.transitions)
        behind: dict[int, tuple[str, str]] = {}
        last: dict[int, str] = {}
        for art_id, _v, _a, to_state in acked.transitions:
            last[art_id] = to_state
        for art_id, state in last.items():
            try:
                now = review.public_status(rt, art_id).state
            except NotFoundError:
                now = "missing"
            if _rank(now) < _rank(state):
                behind[art_id] = (state, now)
        chains = {
            r.name: AuditLog(
                rt.engine, key_file=audit_key_file, checkpoint_file=r.checkpoint_file
            ).verify()
            for r in servers
        }
        return WriteCheck(missing, dup, missing_fu, unrecorded, behind, chains)
    finally:
        rt.close()


def _rank(state: str) -> int:
    return _STATE_ORDER.index(state) if state in _STATE_ORDER else -1


def _unrecorded(
    rt: Runtime, transitions: Sequence[tuple[int, int, str, str]]
) -> list[tuple[int, int, str, str]]:
    from curbside.store.audit import ReviewRecords

    records = ReviewRecords(rt.engine)
    audit = {(e.subject, e.action) for e in rt.audit_log().entries()}
    out = []
    for art_id, version, action, to_state in transitions:
        recorded = any(
            t["action"] == action and t["to_state"] == to_state
            for t in records.transitions(art_id, version)
        )
        if not recorded or (f"article:{art_id}/v{version}", f"article.{action}") not in audit:
            out.append((art_id, version, action, to_state))
    return out
