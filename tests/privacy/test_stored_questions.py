"""Questions with synthetic PHI: nothing identifying reaches the database, pages, API, audit log
or logs; the clinical question survives; the raw question is kept only when opted in."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from curbside import services
from curbside.app import create_app
from curbside.config import PrivacySettings, Settings
from curbside.services import Runtime, accounts
from curbside.services import review as review_service
from curbside.store.editorial_schema import metadata as editorial_metadata
from curbside.store.schema import articles, metadata

# Invented identifiers (555-01xx is reserved for fiction, example.com for documentation).
PHI_QUESTION = ("My name is Jane Roe, DOB 03/14/1961, MRN 00123456, call 555-0142, "
                "jane.roe@example.com, 12 Elm Street, Springfield. Jane has low back pain that "
                "improves with movement: is it sacroiliac joint imbalance?")
PHI_FOLLOW_UP = "I'm Jane Roe (jane.roe@example.com). How is it treated?"
IDENTIFIERS = ["Jane", "Roe", "03/14/1961", "00123456", "555-0142", "jane.roe@example.com",
               "Elm Street", "Springfield"]
CLINICAL = "low back pain that improves with movement"


def _leaks(text: str) -> list[str]:
    return [i for i in IDENTIFIERS if re.search(re.escape(i), text, re.IGNORECASE)]


def _database_text(rt: Runtime, *, skip: tuple[str, ...] = ()) -> str:
    """Every value of every table (editorial ones included), as one string."""
    out = []
    with rt.engine.connect() as conn:
        for table in [*metadata.sorted_tables, *editorial_metadata.sorted_tables]:
            if table.name in ("sources", "passages", "quarantine", "ingest_runs"):
                continue  # the library itself, not what people asked
            cols = [c for c in table.columns if f"{table.name}.{c.name}" not in skip]
            for row in conn.execute(select(*cols)):
                out.append(repr(tuple(row)))
    return "\n".join(out)


def _database_files(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("curbside.db*") if p.is_file())


def test_asked_question_is_stored_redacted_everywhere(rt: Runtime, app_home: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    art = services.ask(rt, question=PHI_QUESTION)
    fu = services.follow_up(rt, article_id=art.id or 0, question=PHI_FOLLOW_UP)

    assert not _leaks(art.question) and not _leaks(art.title)
    assert CLINICAL in art.question and "[NAME]" in art.question and "[DATE]" in art.question
    assert art.references, "the clinical question is still answered from the library"
    stored = services.get_article(rt, article_id=art.id or 0)
    assert stored.question == art.question
    assert not _leaks(stored.model_dump_json())
    assert not _leaks(fu.model_dump_json()) and "How is it treated?" in fu.question
    # Articles, versions, threads (their topic terms) and the rest: no identifier anywhere.
    assert not _leaks(_database_text(rt))
    with rt.engine.connect() as conn:
        assert conn.execute(select(articles.c.raw_question)).scalars().all() == [None, None]
    # Not even in the SQLite file's bytes (main file and write-ahead log).
    raw = _database_files(app_home)
    for ident in IDENTIFIERS[3:]:
        assert ident.encode() not in raw, ident
    # Logs, DEBUG included: what was redacted is counted; no question text at any level.
    assert not _leaks(caplog.text)
    assert any("redacted: 1 ADDRESS, 1 DATE, 1 EMAIL, 1 MRN, 2 NAME, 1 PHONE" in r.getMessage()
               for r in caplog.records if r.levelno == logging.DEBUG)
    for r in caplog.records:
        assert "back pain" not in r.getMessage() and "treated" not in r.getMessage()


def test_pages_json_and_api_show_only_the_redacted_question(client: TestClient) -> None:
    r = client.post("/ask", data={"question": PHI_QUESTION, "audience": "clinician"},
                    follow_redirects=False)
    assert r.status_code == 303
    loc = r.headers["location"]  # /articles/N?key=K: the asker's reader key
    path, key = loc.split("?key=")
    page = client.get(loc)
    assert page.status_code == 200 and not _leaks(page.text)
    assert "[NAME]" in page.text and CLINICAL in page.text
    assert not _leaks(client.get(path + ".json", params={"key": key}).text)
    assert not _leaks(client.get("/").text)  # the home page and its lists
    fu = client.post(f"{path}/followups", params={"key": key},
                     data={"question": PHI_FOLLOW_UP}, follow_redirects=False)
    assert fu.status_code == 303
    fu_path = fu.headers["location"].split("?key=")[0]
    thread_id = client.get(fu_path + ".json", params={"key": key}).json()["thread_id"]
    thread = client.get(f"/threads/{thread_id}", params={"key": key})
    assert thread.status_code == 200 and not _leaks(thread.text)
    assert "How is it treated?" in thread.text

    api = client.post("/api/v1/ask", json={"question": PHI_QUESTION})
    assert api.status_code == 201 and not _leaks(api.text)
    assert CLINICAL in api.json()["question"]
    got = client.get(f"/api/v1/articles/{api.json()['id']}",
                     params={"key": api.json()["access_key"]})
    assert got.status_code == 200 and not _leaks(got.text)


def test_retention_setting_keeps_the_raw_question_in_its_column_only(app_home: Path) -> None:
    rt = services.open_runtime(Settings(home=app_home,
                                        privacy=PrivacySettings(retain_raw_questions=True)))
    try:
        art = services.ask(rt, question=PHI_QUESTION)
        assert art.id is not None and not _leaks(art.model_dump_json())
        assert rt.articles.raw_question(art.id) == PHI_QUESTION
        assert not _leaks(_database_text(rt, skip=("articles.raw_question",)))
        assert all("raw_question" not in row for row in services.recent_articles(rt))
        with TestClient(create_app(runtime=rt)) as c:
            asked = c.post("/api/v1/ask", json={"question": PHI_QUESTION}).json()
            assert rt.articles.raw_question(asked["id"]) == PHI_QUESTION
            key = {"key": asked["access_key"]}
            for url in (f"/articles/{asked['id']}", f"/articles/{asked['id']}.json",
                        f"/api/v1/articles/{asked['id']}"):
                got = c.get(url, params=key)
                assert got.status_code == 200 and not _leaks(got.text), url
            assert not _leaks(c.get("/api/v1/articles", params={"limit": 100}).text)
    finally:
        rt.close()


def test_retention_is_off_by_default() -> None:
    assert Settings().privacy.retain_raw_questions is False


def test_reviewer_notes_and_comments_reach_the_audit_log_redacted(rt: Runtime) -> None:
    art = services.ask(rt, question="Does exercise help chronic low back pain?")
    assert art.id is not None
    editor = accounts.actor_of(accounts.add_user(rt, name="ed", role="editor"))
    reviewer = accounts.actor_of(accounts.add_user(rt, name="rev", role="reviewer"))
    review_service.transition_article(rt, article_id=art.id, action="submit", actor=editor,
                                      note="Asked by Mrs. Roe (MRN 00123456), see 555-0142")
    review_service.transition_article(rt, article_id=art.id, action="start", actor=reviewer)
    claim = next(c for c in art.all_claims() if c.id)
    review_service.review_claim(rt, article_id=art.id, claim_id=claim.id or "",
                                action="comment", actor=reviewer,
                                comment="Checked with jane.roe@example.com on 03/14/1961")
    entries = list(rt.audit_log().entries())
    text = repr([(e.actor, e.action, e.subject, e.detail) for e in entries])
    assert "article.submit" in text and "claim.comment" in text
    assert not _leaks(text)
    assert "[MRN]" in text and "[EMAIL]" in text
    assert not _leaks(_database_text(rt))  # transitions and claim reviews too
    assert rt.audit_log().verify().ok


def test_revised_question_is_stored_redacted(rt: Runtime) -> None:
    art = services.ask(rt, question="Does exercise help chronic low back pain?")
    assert art.id is not None
    editor = accounts.actor_of(accounts.add_user(rt, name="ed", role="editor"))
    edited = art.model_copy(update={"question": PHI_QUESTION, "title": "Jane Roe's back pain"})
    res = review_service.revise_article(rt, article_id=art.id, actor=editor, article=edited)
    stored = services.get_article(rt, article_id=art.id, version=res.new_version)
    assert not _leaks(stored.question) and not _leaks(stored.title)
    assert stored.title == "[NAME]'s back pain"


def test_redact_stored_cleans_what_an_older_version_stored(rt: Runtime, app_home: Path) -> None:
    from curbside.article import PremiseFinding
    from curbside.messages import message

    # What Curbside stored before questions were redacted: the question as typed everywhere.
    art = services.ask(rt, question="Does exercise help chronic low back pain?", save=False)
    old = art.model_copy(update={
        "question": PHI_QUESTION, "title": "Jane Roe: " + art.title,
        "premise_findings": [PremiseFinding(assumption="Jane Roe has SI joint imbalance",
                                            finding="The evidence indicates otherwise.")],
        "notices": [message("notice.premise_unsupported",
                            assumption="Jane Roe's cracked knuckles cause arthritis")]})
    thread = rt.articles.new_thread({"terms": ["jane", "roe", "back", "pain"]})
    saved = rt.articles.save_new(old.model_copy(update={"thread_id": thread}))
    assert saved.id is not None
    assert _leaks(_database_text(rt))

    dry = services.redact_stored(rt, dry_run=True)
    assert (dry.changed, dry.threads) == (1, 1) and dry.labels["NAME"] >= 3
    assert _leaks(_database_text(rt)), "a dry run changes nothing"

    rep = services.redact_stored(rt)
    assert (rep.versions, rep.changed, rep.threads) == (1, 1, 1) and rep.scrubbed
    stored = services.get_article(rt, article_id=saved.id)
    assert stored.question.startswith("My name is [NAME], DOB [DATE]")
    assert stored.title.startswith("[NAME]: ")
    assert stored.premise_findings[0].assumption == "[NAME] has SI joint imbalance"
    assert stored.notices[0].startswith("None of the sources found says that [NAME]")
    assert stored.references == saved.references  # the answer itself is untouched
    assert "back" in (rt.articles.thread_context(thread) or {})["terms"]
    assert not _leaks(_database_text(rt))
    raw = _database_files(app_home)  # overwritten text is gone from free pages and the log
    for ident in IDENTIFIERS[3:]:
        assert ident.encode() not in raw, ident
    entries = [e for e in rt.audit_log().entries() if e.action == "privacy.redact_stored"]
    assert len(entries) == 1 and entries[0].detail["changed"] == 1
    assert rt.audit_log().verify().ok
    again = services.redact_stored(rt)
    assert (again.changed, again.threads) == (0, 0)


def test_redact_stored_cli(app_home: Path) -> None:
    from typer.testing import CliRunner

    from curbside.cli import app

    result = CliRunner().invoke(app, ["--home", str(app_home), "privacy", "redact-stored",
                                      "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "0 stored versions read; would change 0" in result.output


def test_policy_page_says_identifiers_are_redacted(client: TestClient) -> None:
    page = client.get("/editorial-policy")
    assert page.status_code == 200
    assert "[NAME]" in page.text and "privacy.retain_raw_questions" in page.text
