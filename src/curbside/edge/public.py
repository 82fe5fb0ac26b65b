"""The public JSON shapes built from domain objects: one builder per shape, so the REST API and
the web pages' JSON twins answer the same thing for the same record."""

from __future__ import annotations

from collections.abc import Sequence

from curbside import services
from curbside.domain import Passage, Source
from curbside.edge.deps import article_for, call
from curbside.edge.errors import ApiError
from curbside.edge.schemas import (
    CitingArticle,
    HighlightPublic,
    PassagePublic,
    SearchHitPublic,
    SearchPublic,
    SourceBrief,
    SourcePublic,
    ThreadPublic,
)
from curbside.services import ANONYMOUS, Runtime, Viewer, reads


def source_brief(s: Source) -> SourceBrief:
    return SourceBrief(id=s.id, external_id=s.external_id, kind=str(s.kind), title=s.title,
                       container=s.container, year=s.year, pmid=s.pmid, doi=s.doi, url=s.url,
                       retracted=s.retracted)


def passage_public(p: Passage) -> PassagePublic:
    return PassagePublic(id=p.id, uid=p.uid, source_id=p.source_id, section=p.section,
                         text=p.text, char_start=p.char_start, char_end=p.char_end)


def highlight(p: Passage, start: int | None, end: int | None) -> HighlightPublic | None:
    if start is None or end is None:
        return None
    if not 0 <= start < end <= len(p.text):
        raise ApiError(422, "invalid_input", "highlight span outside the passage", "start")
    return HighlightPublic(start=start, end=end)


def source_public(rt: Runtime, source_id: int, viewer: Viewer = ANONYMOUS) -> SourcePublic:
    src, passages = services.get_source(rt, ref=str(source_id))
    if src.id != source_id:  # a bare number falls back to a PMID lookup; ids must be exact
        raise services.NotFoundError(f"no source {source_id}")
    cited = [CitingArticle(article_id=a, version=v, title=t)
             for a, v, t in services.citing_for(rt, source_id=src.id, viewer=viewer)]
    return SourcePublic(source=source_brief(src), authors=src.authors,
                        publication_types=src.publication_types, mesh_terms=src.mesh_terms,
                        version=src.version, is_current=src.is_current,
                        passages=[passage_public(p) for p in passages], cited_by=cited)


def search_public(rt: Runtime, q: str, k: int, kinds: Sequence[str] = (),
                  year: str | None = None) -> SearchPublic:
    hits = call(reads.search, rt, query=q, k=k, kinds=kinds, year=year)
    return SearchPublic(query=q, hits=[
        SearchHitPublic(passage=passage_public(e.passage), source=source_brief(e.source),
                        score=e.score, scores=e.scores) for e in hits
    ])


def thread_public(rt: Runtime, thread_id: int, audience: str | None,
                  viewer: Viewer = ANONYMOUS) -> ThreadPublic:
    turns = services.read_thread(rt, thread_id=thread_id, viewer=viewer)
    return ThreadPublic(id=thread_id, articles=[article_for(rt, a, audience) for a in turns])
