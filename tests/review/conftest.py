"""Fixtures for the editorial workflow: a runtime with a tiny corpus, users, an article."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from curbside import services
from curbside.article import Article, ArticleSection, Claim, Reference
from curbside.config import Settings
from curbside.review.editorial import Actor
from curbside.services import accounts


@pytest.fixture
def rt(home: Path) -> services.Runtime:
    return services.open_runtime(Settings(home=home))


@pytest.fixture
def source_ids(rt: services.Runtime, tmp_path: Path) -> list[int]:
    """Three stored sources (a synthetic BEIR corpus), ids in order d0, d1, d2."""
    f = tmp_path / "corpus.jsonl"
    with f.open("w", encoding="utf-8") as fh:
        for i in range(3):
            fh.write(json.dumps({"_id": f"d{i}", "title": f"Synthetic document {i}",
                                 "text": f"Exercise therapy helps chronic low back pain {i}."})
                     + "\n")
    services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir")
    out = []
    for i in range(3):
        src = rt.store.find_source(f"doc:d{i}")
        assert src is not None
        out.append(src.id)
    return out


def _ref(n: int, sid: int, ext: str) -> Reference:
    return Reference(n=n, type="Research", kind="rct", level=3, source_id=sid, external_id=ext,
                     title=f"Synthetic document {n}")


@pytest.fixture
def make_article(source_ids: list[int]) -> Callable[..., Article]:
    def make(question: str = "Does exercise help chronic low back pain?") -> Article:
        refs = [_ref(i + 1, sid, f"doc:d{i}") for i, sid in enumerate(source_ids[:2])]
        return Article(
            question=question, title="Exercise for chronic low back pain",
            lead=[Claim(id="c1", text="Exercise therapy helps chronic low back pain.",
                        citations=[1])],
            sections=[ArticleSection(heading="Treatment", kind="treatment", claims=[
                Claim(id="c2", text="Supervised exercise reduces pain intensity modestly.",
                      citations=[1]),
                Claim(id="c3", text="Imaging is not routinely needed for back pain.",
                      citations=[2]),
            ])],
            bottom_line=[Claim(id="c4", text="Stay active; exercise is recommended.",
                               citations=[1])],
            references=refs, created_at="2025-01-01T00:00:00Z", settings_fingerprint="test",
        )
    return make


@pytest.fixture
def people(rt: services.Runtime) -> dict[str, Actor]:
    """admin, editor, editor2, reviewer, reviewer2 (token-only accounts: no argon2 cost)."""
    out = {}
    for name, role in [("admin", "admin"), ("editor", "editor"), ("editor2", "editor"),
                       ("reviewer", "reviewer"), ("reviewer2", "reviewer")]:
        u = accounts.add_user(rt, name=f"{name}-user", role=role)
        out[name] = accounts.actor_of(u)
    return out


@pytest.fixture
def article_id(rt: services.Runtime, make_article: Callable[..., Article]) -> int:
    saved = rt.articles.save_new(make_article())
    assert saved.id is not None
    return saved.id


