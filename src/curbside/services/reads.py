"""Read use cases of the web adapters: passages, citing articles, readiness, reader modes."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import text

from curbside.article import Article
from curbside.domain import Evidence, Passage, Source
from curbside.services.faults import ServiceUnavailable, index_faults
from curbside.services.runtime import NotFoundError, Runtime

__all__ = ["ServiceUnavailable"]  # re-exported: it lived here first

log = logging.getLogger(__name__)


# -- answers -----------------------------------------------------------------------------------
def render_article(article: Article, *, audience: str) -> Article:
    """The stored article re-rendered for another reader (same claims, citations, red flags)."""
    if audience == article.audience:
        return article
    from curbside.render.modes import render_for_audience

    return render_for_audience(article, audience)


def search(
    rt: Runtime,
    *,
    query: str,
    k: int = 10,
    kinds: Sequence[str] = (),
    year: str | None = None,
) -> list[Evidence]:
    from curbside.services.answers import search as search_

    with index_faults():
        return list(search_(rt, query=query, k=k, kinds=kinds, year=year).evidence)


# -- passages, sources, article metadata -------------------------------------------------------
def get_passage(rt: Runtime, *, uid: str) -> tuple[Passage, Source]:
    found = rt.store.get_passage_by_uid(uid)
    if found is None:
        raise NotFoundError(f"no passage {uid!r}")
    return found


def passage_sources(rt: Runtime, *, passage_ids: list[int]) -> dict[int, int]:
    """Source id of each passage id (for matching citation numbers to spans)."""
    return {pid: p.source_id for pid, (p, _s) in rt.store.get_passages(passage_ids).items()}


def citing_articles(rt: Runtime, *, source_id: int) -> list[tuple[int, int, str | None]]:
    """(article id, version, title) of article versions citing this source."""
    out = []
    for aid, ver in sorted(rt.articles.citing([source_id])):
        art = rt.articles.get(aid, ver)
        out.append((aid, ver, art.title if art else None))
    return out


def readiness(rt: Runtime) -> tuple[bool, dict[str, bool], dict[str, str]]:
    """Database reachable, writable, migrations at head, search index present, library not empty.

    Writable means a real write check (a probe file in the home, a rolled-back write to the
    database): a read-only or full home answers questions it cannot save, so it is not ready.
    The dense (vector) index is reported but not required: lexical-only search still answers.
    """
    from curbside.services.faults import storage_error
    from curbside.store.engine import current_revision, head_revision, probe_writable

    def why(exc: Exception) -> str:
        fault = storage_error(exc, rt.settings)
        return fault.message if fault else type(exc).__name__

    checks = {"database": False, "writable": False, "migrations": False, "index": False,
              "library": False}
    detail: dict[str, str] = {}
    try:
        with rt.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception as exc:
        detail["database"] = why(exc)
        return False, checks, detail
    try:
        detail["writable"] = probe_writable(rt.engine, rt.settings.home)
        checks["writable"] = True
    except Exception as exc:
        detail["writable"] = why(exc)
    try:
        cur, head = current_revision(rt.engine), head_revision(rt.engine)
        checks["migrations"] = cur is not None and cur == head
        detail["migrations"] = f"{cur} (head {head})"
    except Exception as exc:
        detail["migrations"] = why(exc)
    try:
        rt.lexical.search(["pain"], 1)
        checks["index"] = True
        from curbside.services.answers import dense_index

        dense = dense_index(rt).exists()
        detail["index"] = "lexical + dense" if dense else "lexical only (no dense index)"
    except Exception as exc:
        detail["index"] = why(exc)
    try:
        from curbside.services.corpus import stats

        n = int(stats(rt).get("passages", 0))
        checks["library"] = n > 0
        detail["library"] = f"{n} passages"
    except Exception as exc:
        detail["library"] = why(exc)
    return all(checks.values()), checks, detail
