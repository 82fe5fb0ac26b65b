"""Fixtures shared by tests/api, tests/web and tests/browser (loaded by their conftest.py).

The starter library is ingested once per session into a template home; each test gets a copy.
Articles are built from real stored passages (claims carry real spans) and saved through the
ArticleStore, so the pages can be tested whether or not the answer service is available.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from curbside import services
from curbside.app import create_app
from curbside.article import (
    Article,
    ArticleSection,
    Claim,
    PremiseFinding,
    RedFlag,
    Reference,
    Span,
)
from curbside.config import Settings
from curbside.domain import EVIDENCE_LEVEL, Passage, Source, SourceKind
from curbside.services import Runtime

REF_TYPE = {SourceKind.GUIDELINE: "Guideline", SourceKind.PATIENT_INFO: "Patient information"}


@pytest.fixture(scope="session")
def library_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Curbside home with the starter library ingested (built once per session)."""
    home = tmp_path_factory.mktemp("library") / "home"
    rt = services.open_runtime(Settings(home=home))
    try:
        services.ingest_starter_library(rt)
    finally:
        rt.close()
    return home


@pytest.fixture
def app_home(library_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(library_home, home)
    return home


@pytest.fixture
def rt(app_home: Path) -> Iterator[Runtime]:
    runtime = services.open_runtime(Settings(home=app_home))
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=rt)) as c:
        yield c


def _first_sentence(text: str) -> tuple[int, int]:
    end = text.find(". ")
    end = len(text) if end < 0 else end + 1
    return 0, end


def _claim(p: Passage, n: int, cid: str) -> Claim:
    start, end = _first_sentence(p.text)
    return Claim(text=p.text[start:end], citations=[n], support=0.9, id=cid,
                 spans=[Span(passage_id=p.id, passage_uid=p.uid, start=start, end=end)])


def _reference(n: int, s: Source) -> Reference:
    return Reference(
        n=n, type=REF_TYPE.get(s.kind, "Research"),  # type: ignore[arg-type]
        kind=str(s.kind), level=EVIDENCE_LEVEL[s.kind], source_id=s.id,
        external_id=s.external_id, title=s.title, container=s.container, year=s.year,
        pmid=s.pmid, doi=s.doi, url=s.url,
    )


def build_article(rt: Runtime, *, question: str = "Is sacroiliac joint pain that improves with "
                  "movement inflammatory back pain?", query: str = "sacroiliac joint pain "
                  "inflammatory back pain spondyloarthritis", status: str = "draft",
                  thread_id: int | None = None, title: str | None = None) -> Article:
    """An article whose every claim is a real stored passage sentence with its span."""
    hits = services.search_passages_lexical(rt, text=query, limit=12)
    refs: dict[int, Reference] = {}
    claims: list[Claim] = []
    for i, (p, s, _score) in enumerate(hits):
        n = refs[s.id].n if s.id in refs else len(refs) + 1
        refs.setdefault(s.id, _reference(n, s))
        claims.append(_claim(p, n, f"c{i}"))
    assert len(claims) >= 4, "starter library should match the test query"
    return Article(
        question=question, title=title or "Inflammatory or mechanical back pain?",
        lead=claims[:1],
        premise_findings=[PremiseFinding(
            assumption="pain that improves with movement is mechanical",
            finding="Stiffness that improves with exercise is typical of inflammatory back pain.",
            citations=[claims[0].citations[0]])],
        red_flags=[RedFlag(pattern="spinal_infection", name="Possible spinal infection",
                           urgency="urgent", trigger="fever",
                           action="Arrange same-day assessment and blood cultures.",
                           citations=[claims[1].citations[0]])],
        urgency="urgent",
        sections=[
            ArticleSection(heading="Key evidence", kind="key_evidence", claims=claims[1:4]),
            ArticleSection(heading="Work-up", kind="diagnosis", style="numbered",
                           claims=claims[4:6]),
        ],
        bottom_line=claims[-1:],
        references=sorted(refs.values(), key=lambda r: r.n),
        status=status, thread_id=thread_id,
        created_at=dt.datetime.now(dt.UTC).isoformat(), settings_fingerprint="test",
    )


@pytest.fixture
def saved_article(rt: Runtime) -> Article:
    return rt.articles.save_new(build_article(rt))


def key_headers(rt: Runtime, article: Article) -> dict[str, str]:
    """The header that opens a private (not approved) article: its reader key."""
    assert article.id is not None
    return {"X-Curbside-Key": services.access_key_of(rt, article_id=article.id)}


@pytest.fixture
def owner(rt: Runtime, saved_article: Article) -> Iterator[TestClient]:
    """A client of the person who asked `saved_article`: it sends the article's reader key."""
    with TestClient(create_app(runtime=rt), headers=key_headers(rt, saved_article)) as c:
        yield c


def needs_answer_service() -> None:
    if not hasattr(services, "ask"):
        pytest.skip("curbside.services.ask is not available yet")


def approve(rt: Runtime, article_id: int) -> None:
    """Record a real approval of the newest version: an editor submits, a reviewer approves."""
    from curbside.review.editorial import Actor

    def actor(name: str, role: str) -> Actor:
        try:
            user = services.add_user(rt, name=name, role=role)
        except services.AccountError:
            return services.actor_for(rt, name)
        return Actor(user.id, user.name, user.role)

    editor, reviewer = actor("ed", "editor"), actor("rev", "reviewer")
    services.transition_article(rt, article_id=article_id, action="submit", actor=editor)
    services.transition_article(rt, article_id=article_id, action="start", actor=reviewer)
    services.transition_article(rt, article_id=article_id, action="approve", actor=reviewer)
