"""The storage conformance suite: every backend subclasses `StoreConformance` and passes it.

A subclass provides one fixture, `db_url` (an empty database); the suite upgrades it with the
migrations and checks the source store, the article store, the lexical index chosen for the
dialect, and a small end-to-end ingest/search/ask through `curbside.services`. It ships in the
package so a third-party database backend runs the same checks (it needs pytest and hypothesis,
the ``dev`` extra); Curbside runs it in ``tests/conformance`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from curbside import services
from curbside.article import Article, ArticleSection, Claim, Reference, Span
from curbside.config import Settings
from curbside.domain import PassageDraft, RejectedRecord, Section, SourceKind, SourceRecord
from curbside.index.lexical import LexicalIndex
from curbside.index.lexical_factory import make_lexical_index
from curbside.store.articles import ArticleStore
from curbside.store.engine import current_revision, head_revision, make_engine, upgrade
from curbside.store.sources import SourceStore
from curbside.text.tokens import lexical_tokens

NOTES = Path(services.starter_library_path())
E2E_NOTES = [
    "medquad-mplus-0000078-1.md",  # Back Pain
    "ngc-11116.md",  # Low back pain and sciatica in over 16s
    "medquad-mplus-0000042-1.md",  # Ankylosing Spondylitis
    "medquad-mplus-0000610-1.md",  # Migraine
    "pmid-12911191.md",  # Acute renal infarction as a cause of low-back pain
]

#: Query text a user might type that is query syntax in FTS5 or tsquery.
HOSTILE = [
    '"unbalanced quote',
    "NEAR(back pain, 3)",
    "back* OR pain*",
    "-exercise AND NOT pain",
    "title:back section:(pain)",
    "[brackets] {braces} (parens",
    "pain & !back | <-> sciatica:*",
    "'single' \"double\" `back` \\escape",
    "%s %(x)s :name ?",
    "ü ß é 中文 😀",
]


def record(
    ext: str, title: str, body: str, *, pmid: str | None = None, **kw: object
) -> SourceRecord:
    return SourceRecord(
        external_id=ext,
        title=title,
        sections=[Section(text=body, label="ABSTRACT")],
        kind=SourceKind.RCT,
        pmid=pmid,
        authors=["Doe J", "Roe R"],
        publication_types=["Randomized Controlled Trial"],
        mesh_terms=["Low Back Pain"],
        meta={"origin": "conformance", "n": 1},
        year=2020,
        **kw,  # type: ignore[arg-type]
    )


def drafts(ext: str, version: int, texts: list[str]) -> list[PassageDraft]:
    out, start = [], 0
    for i, t in enumerate(texts):
        out.append(PassageDraft(f"{ext}#v{version}.{i}", i, "ABSTRACT", t, start, start + len(t)))
        start += len(t) + 1
    return out


class StoreConformance:
    """Tests every storage backend must pass. Subclasses override the `db_url` fixture."""

    @pytest.fixture
    def db_url(self, tmp_path: Path) -> str:
        raise NotImplementedError("a backend's test class provides db_url")

    @pytest.fixture
    def engine(self, db_url: str) -> Iterator[Engine]:
        engine = make_engine(db_url)
        upgrade(engine)
        yield engine
        engine.dispose()

    @pytest.fixture
    def store(self, engine: Engine) -> SourceStore:
        return SourceStore(engine)

    @pytest.fixture
    def lexical(self, engine: Engine) -> LexicalIndex:
        return make_lexical_index(engine)

    def put(
        self,
        store: SourceStore,
        lexical: LexicalIndex | None,
        rec: SourceRecord,
        texts: list[str],
        *,
        content_hash: str = "h1",
    ) -> tuple[int, list[int]]:
        """Store `rec` as its next version (retiring the current one), like the ingester."""
        with store.engine.begin() as conn:
            cur = store.current_versions(conn, [rec.external_id]).get(rec.external_id)
            if cur is not None:
                old = store.passage_ids_of(conn, cur.source_id)
                if lexical is not None:
                    lexical.remove(conn, old)
                store.retire_source(conn, cur.source_id)
            version = store.latest_version(conn, rec.external_id) + 1
            sid = store.insert_source(
                conn,
                rec,
                version=version,
                content_hash=content_hash,
                text=" ".join(texts),
                run_id=None,
            )
            pids = store.insert_passages(conn, sid, drafts(rec.external_id, version, texts))
            if lexical is not None:
                lexical.add(conn, pids)
        return sid, pids

    # -- migrations -----------------------------------------------------------------------------
    def test_migrations_reach_head_and_are_idempotent(self, engine: Engine) -> None:
        assert current_revision(engine) == head_revision(engine) == "0009"
        upgrade(engine)
        assert current_revision(engine) == "0009"

    # -- SourceStore ----------------------------------------------------------------------------
    def test_insert_and_read_back_a_source(self, store: SourceStore) -> None:
        rec = record("pmid:111", "Exercise for back pain", "Exercise helps.", pmid="111")
        sid, pids = self.put(store, None, rec, ["Exercise helps back pain.", "Imaging rarely."])
        src = store.get_source(sid)
        assert src is not None
        assert (src.external_id, src.version, src.is_current) == ("pmid:111", 1, True)
        assert src.kind == SourceKind.RCT and src.year == 2020 and src.pmid == "111"
        assert src.authors == ["Doe J", "Roe R"]
        assert src.publication_types == ["Randomized Controlled Trial"]
        assert src.mesh_terms == ["Low Back Pain"] and src.meta == {"origin": "conformance", "n": 1}
        assert src.retracted is False and src.ingested_at
        assert store.source_text(sid) == "Exercise helps back pain. Imaging rarely."
        assert [p.id for p in store.passages_of(sid)] == pids
        assert [p.ord for p in store.passages_of(sid)] == [0, 1]
        assert store.get_passage_by_uid("pmid:111#v1.1") is not None

    def test_new_version_retires_the_old_one(self, store: SourceStore) -> None:
        rec = record("doc:a", "Old title", "x")
        v1, p1 = self.put(store, None, rec, ["first text"])
        v2, p2 = self.put(
            store, None, record("doc:a", "New title", "y"), ["second"], content_hash="h2"
        )
        versions = store.versions("doc:a")
        assert [(s.id, s.version, s.is_current) for s in versions] == [
            (v1, 1, False),
            (v2, 2, True),
        ]
        with store.engine.connect() as conn:
            cur = store.current_versions(conn, ["doc:a", "doc:none"])
            assert list(cur) == ["doc:a"]
            assert (cur["doc:a"].source_id, cur["doc:a"].content_hash) == (v2, "h2")
            assert store.latest_version(conn, "doc:a") == 2
            assert store.current_passage_ids(conn) == p2
        assert store.current_passage_ids() == p2
        # Old passages stay readable: stored articles may cite them.
        assert store.passages_of(v1)[0].text == "first text"
        assert [s.id for s in store.list_sources()] == [v2]

    def test_retire_as_deleted(self, store: SourceStore) -> None:
        sid, _ = self.put(store, None, record("doc:gone", "Gone", "x"), ["text"])
        with store.engine.begin() as conn:
            store.retire_source(conn, sid, deleted=True)
        src = store.get_source(sid)
        assert src is not None and not src.is_current
        assert store.list_sources() == [] and store.current_passage_ids() == []

    def test_find_source_by_id_external_id_and_pmid(self, store: SourceStore) -> None:
        sid, _ = self.put(store, None, record("pmid:4242", "T", "x", pmid="4242"), ["a"])
        sid2, _ = self.put(store, None, record("pmid:4242", "T2", "x", pmid="4242"), ["b"])
        by_id = store.find_source(str(sid))
        assert by_id is not None and by_id.id == sid  # a numeric id names that exact version
        by_ext = store.find_source("pmid:4242")
        assert by_ext is not None and by_ext.id == sid2  # the current version
        by_pmid = store.find_source("4242")
        assert by_pmid is not None and by_pmid.id == sid2
        assert store.find_source("pmid:0") is None and store.find_source("999999") is None

    def test_get_passages_joins_their_sources(self, store: SourceStore) -> None:
        sid, pids = self.put(store, None, record("doc:j", "Joined", "x"), ["one", "two", "three"])
        got = store.get_passages(pids + [10**9])
        assert sorted(got) == sorted(pids)
        passage, source = got[pids[2]]
        assert passage.text == "three" and passage.source_id == sid
        assert (
            source.id == sid and source.title == "Joined" and source.authors == ["Doe J", "Roe R"]
        )
        assert store.get_passages([]) == {}

    def test_stats_count_current_sources_and_passages(self, store: SourceStore) -> None:
        self.put(store, None, record("doc:1", "A", "x"), ["p1", "p2"])
        self.put(store, None, record("doc:2", "B", "x"), ["p3"])
        self.put(store, None, record("doc:2", "B2", "x"), ["p4", "p5", "p6"], content_hash="h2")
        st = store.stats()
        assert (st["sources"], st["source_versions"], st["passages"]) == (2, 3, 5)
        assert st["kinds"][SourceKind.RCT] == 2 and st["passages_per_kind"][SourceKind.RCT] == 5
        assert st["retracted"] == 0 and st["quarantined"] == 0

    def test_retraction_flags_the_current_source(self, store: SourceStore) -> None:
        sid, _ = self.put(store, None, record("pmid:77", "Flawed", "x", pmid="77"), ["t"])
        with store.engine.begin() as conn:
            assert store.mark_retracted(conn, ["77", "78"], "900") == [sid]
        src = store.get_source(sid)
        assert src is not None and src.retracted
        assert store.stats()["retracted"] == 1

    def test_quarantine_and_ingest_runs(self, store: SourceStore) -> None:
        run = store.begin_run(["a.xml"])
        with store.engine.begin() as conn:
            store.add_quarantine(
                conn, run, RejectedRecord("a.xml", 3, "no title", "pmid:5", "x" * 900)
            )
        store.finish_run(run, status="done", counts={"rejected": 1})
        (q,) = store.quarantined()
        assert (q["file"], q["position"], q["record_id"], q["reason"]) == (
            "a.xml",
            3,
            "pmid:5",
            "no title",
        )
        assert len(q["excerpt"]) == 500 and q["ingest_run_id"] == run
        (r,) = store.runs()
        assert r["status"] == "done" and r["counts"] == {"rejected": 1} and r["paths"] == ["a.xml"]
        assert store.stats()["quarantined"] == 1
        # A run left "running" by a killed process is marked interrupted by the next one.
        left = store.begin_run(["b.xml"])
        store.begin_run(["c.xml"])
        assert {x["id"]: x["status"] for x in store.runs()}[left] == "interrupted"

    def test_quarantine_key_keeps_a_record_once(self, store: SourceStore) -> None:
        rej = RejectedRecord("a.jsonl", 2, "invalid JSON", None, "{x")
        with store.engine.begin() as conn:
            assert store.add_quarantine(conn, None, rej, key="k" * 64) is True
            assert store.add_quarantine(conn, None, rej, key="k" * 64) is False
            assert store.add_quarantine(conn, None, rej, key="j" * 64) is True
            assert store.add_quarantine(conn, None, rej) is True  # no key: always stored
        assert store.stats()["quarantined"] == 3

    def test_writer_lock_serialises_writers(self, engine: Engine) -> None:
        """One ingest per database: a second writer waits, then gives up with `LockBusy`
        (SQLite: a lock file; PostgreSQL: an advisory lock on another connection)."""
        from curbside.store.locks import LockBusy, writer_lock

        other = make_engine(engine.url.render_as_string(hide_password=False))
        told: list[str] = []
        try:
            with writer_lock(engine, purpose="ingest", timeout_s=0), pytest.raises(LockBusy), \
                    writer_lock(other, purpose="ingest", timeout_s=1, on_wait=told.append,
                                poll_s=0.05):
                pass
            assert len(told) == 1 and "waiting for another" in told[0]
            with writer_lock(other, purpose="ingest", timeout_s=0):  # released: free again
                pass
        finally:
            other.dispose()

    # -- ArticleStore ---------------------------------------------------------------------------
    def article(self, sid: int, pid: int) -> Article:
        span = Span(passage_id=pid, passage_uid="u", start=0, end=4)
        return Article(
            question="Does exercise help?",
            title="Exercise and back pain",
            lead=[Claim(id="c1", text="Exercise helps.", citations=[1], spans=[span])],
            sections=[
                ArticleSection(
                    heading="Treatment",
                    kind="treatment",
                    claims=[Claim(id="c2", text="It helps a little.", citations=[1])],
                )
            ],
            references=[
                Reference(
                    n=1,
                    type="Research",
                    kind="rct",
                    level=3,
                    source_id=sid,
                    external_id="doc:art",
                    title="Exercise trial",
                )
            ],
            created_at="2025-01-01T00:00:00Z",
            settings_fingerprint="conformance",
        )

    def test_article_versions_status_and_citations(self, store: SourceStore) -> None:
        arts = ArticleStore(store.engine)
        sid, pids = self.put(store, None, record("doc:art", "Exercise trial", "x"), ["Exercise"])
        thread = arts.new_thread({"topic": "back pain"})
        saved = arts.save_new(self.article(sid, pids[0]).model_copy(update={"thread_id": thread}))
        assert saved.id is not None and saved.version == 1
        again = arts.get(saved.id)
        assert again is not None and again.title == saved.title and again.status == "draft"
        assert again.lead[0].spans[0].passage_id == pids[0]
        assert arts.thread_articles(thread) == [saved.id]
        assert arts.thread_context(thread) == {"topic": "back pain"}
        arts.update_thread_context(thread, {"topic": "sciatica", "n": [1, 2]})
        assert arts.thread_context(thread) == {"topic": "sciatica", "n": [1, 2]}

        v2 = arts.save_version(saved.model_copy(update={"title": "Exercise, revised"}))
        assert v2.version == 2
        assert [v["version"] for v in arts.versions(saved.id)] == [1, 2]
        first = arts.get(saved.id, 1)
        assert first is not None and first.title == "Exercise and back pain"  # immutable
        arts.set_version_status(saved.id, 2, "approved")
        latest = arts.get(saved.id)
        assert latest is not None and latest.status == "approved"
        old = arts.get(saved.id, 1)
        assert old is not None and old.status == "draft"
        assert arts.has_approved_versions()
        assert arts.recent(status="approved")[0]["id"] == saved.id
        assert sorted(arts.citing([sid])) == [(saved.id, 1), (saved.id, 2)]
        assert arts.citing([sid + 1000]) == [] and arts.citing([]) == []
        assert arts.get(10**6) is None
        with pytest.raises(LookupError):
            arts.save_version(saved.model_copy(update={"id": 10**6}))

    def test_audit_chain_verifies(self, engine: Engine, tmp_path: Path) -> None:
        from curbside.store.audit import AuditLog

        log = AuditLog(engine, key_file=tmp_path / "audit_key",
                       checkpoint_file=tmp_path / "checkpoints.jsonl")
        for i in range(3):
            log.append(actor="editor", action="submit", subject=f"article:{i}", detail={"n": i})
        report = log.verify()
        assert report.ok and report.entries == 3 and report.head == log.head()

    def test_migration_0006_keeps_legacy_audit_entries_verifiable(self, db_url: str,
                                                                   tmp_path: Path) -> None:
        """A log written before 0006 (plain SHA-256, no `scheme` column) verifies after the
        upgrade; new entries are keyed; the throttle rows with raw names are gone."""
        import datetime as dt

        from curbside.store.audit import GENESIS, AuditLog, entry_hash

        engine = make_engine(db_url)
        try:
            upgrade(engine, "0005")
            prev = GENESIS
            with engine.begin() as conn:
                for i in (1, 2, 3):
                    at = dt.datetime(2025, 1, i, 12, 0, tzinfo=dt.UTC)
                    h = entry_hash(prev, id=i, at=at, actor="old", action="user.add",
                                   subject=f"user:u{i}", detail={"role": "editor"})
                    conn.execute(text(
                        "INSERT INTO audit_log (id, at, actor, action, subject, detail, "
                        "prev_hash, hash) VALUES (:i, :at, 'old', 'user.add', :s, :d, :p, :h)"),
                        {"i": i, "at": at, "s": f"user:u{i}", "d": '{"role": "editor"}',
                         "p": prev, "h": h})
                    prev = h
                conn.execute(text("INSERT INTO login_attempts (username, ip, success, at) "
                                  "VALUES ('a password typed as the name', 'x', false, :at)"),
                             {"at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)})
            upgrade(engine)
            log = AuditLog(engine, key_file=tmp_path / "audit_key",
                           checkpoint_file=tmp_path / "checkpoints.jsonl")
            rep = log.verify()
            assert rep.ok and rep.entries == 3 and rep.legacy_entries == 3
            log.append(actor="editor", action="submit", subject="article:1", detail={})
            rep = log.verify()
            assert rep.ok and rep.entries == 4 and rep.legacy_entries == 3
            assert [e.scheme for e in log.entries()] == [1, 1, 1, 2]
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM login_attempts")).scalar() == 0
        finally:
            engine.dispose()

    def test_audit_rewrite_and_truncation_are_caught(self, engine: Engine,
                                                     tmp_path: Path) -> None:
        """Keyed MACs catch a chain rehashed with the public `entry_hash`; the checkpoint file
        catches deleting the newest entries, with no head remembered by hand."""
        from curbside.store.audit import GENESIS, AuditLog, entry_hash

        log = AuditLog(engine, key_file=tmp_path / "audit_key",
                       checkpoint_file=tmp_path / "checkpoints.jsonl")
        for i in range(4):
            log.append(actor="editor", action="submit", subject=f"article:{i}", detail={"n": i})
        assert log.verify().ok
        entries = list(log.entries())
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_log WHERE id = 4")
        rep = log.verify()
        assert not rep.ok and rep.first_broken_id == 4 and "newest" in (rep.problem or "")
        prev = GENESIS
        with engine.begin() as conn:  # rewrite entries 1..3 with the public hash, as scheme 1
            for e in entries[:3]:
                actor = "mallory" if e.id == 2 else e.actor
                h = entry_hash(prev, id=e.id, at=e.at, actor=actor, action=e.action,
                               subject=e.subject, detail=e.detail)
                conn.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h, "
                                  "scheme = 1 WHERE id = :i"),
                             {"a": actor, "p": prev, "h": h, "i": e.id})
                prev = h
        rep = log.verify()
        assert not rep.ok and rep.first_broken_id == 1 and "checkpoint" in (rep.problem or "")

    # -- LexicalIndex ---------------------------------------------------------------------------
    def seed(self, store: SourceStore, lexical: LexicalIndex) -> dict[str, list[int]]:
        _, back = self.put(
            store,
            lexical,
            record("doc:back", "Low back pain", "x"),
            [
                "Exercise therapy reduces chronic low back pain.",
                "Imaging is not routinely needed.",
            ],
        )
        _, mig = self.put(
            store,
            lexical,
            record("doc:mig", "Migraine", "x"),
            [
                "Triptans relieve acute migraine headache.",
            ],
        )
        _, sci = self.put(
            store,
            lexical,
            record("doc:sci", "Sciatica", "x"),
            [
                "Sciatica is leg pain from a compressed nerve root.",
            ],
        )
        return {"back": back, "mig": mig, "sci": sci}

    def test_lexical_search_ranks_matching_passages(
        self, store: SourceStore, lexical: LexicalIndex
    ) -> None:
        ids = self.seed(store, lexical)
        hits = lexical.search(["exercise"], 10)
        assert [pid for pid, _ in hits] == [ids["back"][0]]
        # Stemming: "headaches" finds "headache"; the title counts too.
        assert [p for p, _ in lexical.search(["headaches"], 10)] == ids["mig"]
        assert [p for p, _ in lexical.search(["migraine"], 10)] == ids["mig"]
        # OR of terms; a passage matching more terms and its title ranks first.
        hits = lexical.search(["back", "pain", "exercise"], 10)
        assert hits[0][0] == ids["back"][0]
        assert {p for p, _ in hits} == set(ids["back"]) | set(ids["sci"])
        assert all(isinstance(s, float) for _, s in hits)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
        # A multi-word term is a phrase.
        assert [p for p, _ in lexical.search(["nerve root"], 10)] == ids["sci"]
        assert lexical.search(["root nerve"], 10) == []
        assert len(lexical.search(["pain"], 1)) == 1
        assert lexical.search(["pain"], 0) == [] and lexical.search([], 5) == []
        assert lexical.search(["the", "of"], 5) == []  # stop words alone find nothing

    def test_lexical_passage_count(self, store: SourceStore, lexical: LexicalIndex) -> None:
        ids = self.seed(store, lexical)
        # The title counts: both passages of "Low back pain", and the sciatica one.
        assert lexical.passage_count("pain") == 3
        assert lexical.passage_count("headaches") == 1  # stemmed like search
        assert lexical.passage_count("nerve root") == 1  # a multi-word term is a phrase
        assert lexical.passage_count("root nerve") == 0
        assert lexical.passage_count("the") == 0  # a stop word alone: nothing searchable
        assert lexical.passage_count("") == 0
        with store.engine.begin() as conn:
            lexical.remove(conn, ids["sci"])
        assert lexical.passage_count("nerve root") == 0  # counts follow removals
        assert lexical.passage_count("pain") == 2

    def test_lexical_remove_and_new_versions(
        self, store: SourceStore, lexical: LexicalIndex
    ) -> None:
        ids = self.seed(store, lexical)
        _, new = self.put(
            store,
            lexical,
            record("doc:mig", "Migraine", "x"),
            ["Rest in a dark room eases migraine."],
            content_hash="h2",
        )
        assert [p for p, _ in lexical.search(["triptans"], 5)] == []  # old version gone
        assert [p for p, _ in lexical.search(["migraine"], 5)] == new
        with store.engine.begin() as conn:
            lexical.remove(conn, ids["sci"])
        assert lexical.search(["sciatica"], 5) == []
        # remove/add happen in the caller's transaction: a rollback undoes them.
        try:
            with store.engine.begin() as conn:
                lexical.remove(conn, ids["back"])
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert [p for p, _ in lexical.search(["exercise"], 5)] == [ids["back"][0]]

    def test_lexical_rebuild_indexes_current_passages_only(
        self, store: SourceStore, lexical: LexicalIndex
    ) -> None:
        ids = self.seed(store, lexical)
        with store.engine.begin() as conn:
            lexical.remove(conn, ids["sci"])  # out of step with the store on purpose
        self.put(
            store, None, record("doc:back", "Low back pain", "x"), ["Walking."], content_hash="h2"
        )
        n = lexical.rebuild()
        assert n == len(store.current_passage_ids()) == 3
        assert [p for p, _ in lexical.search(["sciatica"], 5)] == ids["sci"]
        assert lexical.search(["exercise"], 5) == []  # retired version not indexed
        assert len(lexical.search(["walking"], 5)) == 1
        assert lexical.rebuild() == 3  # idempotent

    @pytest.mark.parametrize("query", HOSTILE)
    def test_lexical_query_syntax_in_user_text_is_inert(
        self, store: SourceStore, lexical: LexicalIndex, query: str
    ) -> None:
        self.seed(store, lexical)
        lexical.search([query], 5)
        lexical.search(lexical_tokens(query), 5)
        lexical.search(query.split(), 5)

    @settings(
        max_examples=40,
        deadline=None,
        # Fixtures are reset per test, not per example: searches are read-only. Each backend
        # subclass runs this one method (a different executor); that is the point here.
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
    def test_lexical_arbitrary_user_text_never_raises(
        self, store: SourceStore, lexical: LexicalIndex, text: str
    ) -> None:
        if not lexical.search(["exercise"], 1):
            self.seed(store, lexical)  # once per test: the examples only read
        for terms in ([text], lexical_tokens(text), text.split(), [text, "NEAR", '"', "*", "-"]):
            hits = lexical.search(terms, 5)
            assert all(isinstance(pid, int) for pid, _ in hits)

    # -- end to end through services ------------------------------------------------------------
    @pytest.fixture
    def rt(self, db_url: str, tmp_path: Path) -> Iterator[services.Runtime]:
        rt = services.open_runtime(Settings(home=tmp_path / "home", database_url=db_url))
        # Until services/runtime.py picks the index by dialect (see test_postgres).
        rt.lexical = make_lexical_index(rt.engine)
        yield rt
        rt.close()

    def test_ready_checks_the_database_is_writable(self, rt: services.Runtime) -> None:
        _ok, checks, detail = services.readiness(rt)
        assert checks["database"] and checks["writable"], detail
        assert "writable" in detail["writable"] or "read-write" in detail["writable"]

    def test_end_to_end_ingest_search_ask(self, rt: services.Runtime, tmp_path: Path) -> None:
        notes = tmp_path / "notes"
        notes.mkdir()
        for name in E2E_NOTES:
            shutil.copy(NOTES / name, notes / name)
        rep = services.ingest(rt, paths=[notes], fmt="markdown", embed=False)
        assert rep.total("added") == len(E2E_NOTES) and rep.total("rejected") == 0
        again = services.ingest(rt, paths=[notes], fmt="markdown", embed=False)
        assert again.total("unchanged") == len(E2E_NOTES) and again.total("added") == 0
        st_ = services.stats(rt)
        assert st_["sources"] == len(E2E_NOTES) and st_["passages"] == rep.total("passages")

        hits = services.search_passages_lexical(rt, text='sciatica "NEAR" back*', limit=5)
        assert hits and all(src.is_current for _, src, _ in hits)

        result = services.search(rt, query="What helps chronic low back pain?", k=5)
        assert result.evidence  # lexical only: no dense index was built
        assert all("lexical" in e.scores and "dense" not in e.scores for e in result.evidence)
        titles = " ".join(e.source.title.lower() for e in result.evidence)
        assert "back pain" in titles

        # Without a dense index, confidence comes from keyword coverage: a lexical-only
        # answer is still composed and cited from stored passages, on every backend.
        question = "What helps chronic low back pain?"
        lexical_only = services.ask(rt, question=question)
        assert lexical_only.id is not None and lexical_only.references
        assert all(c.citations for c in lexical_only.all_claims() if not c.ours)

        services.build_index(rt)  # 16 passages: the bundled embedder, a few seconds
        article = services.ask(rt, question=question)
        assert article.id is not None and not article.insufficient and article.references
        stored = services.get_article(rt, article_id=article.id)
        assert stored.title == article.title and stored.references == article.references
        for ref in article.references:
            assert rt.store.get_source(ref.source_id) is not None
        cited = {s.passage_id for c in article.all_claims() for s in c.spans}
        assert cited and set(rt.store.get_passages(sorted(cited))) == cited
        # The citation index works on this backend (living articles rely on it).
        assert (article.id, 1) in rt.articles.citing([article.references[0].source_id])
