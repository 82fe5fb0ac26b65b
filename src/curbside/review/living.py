"""Living articles: approved articles go back to review when their evidence changes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from curbside.review.editorial import SYSTEM, EditorialContext, transition
from curbside.store.audit import ReviewRecords
from curbside.store.sources import SourceStore

log = logging.getLogger(__name__)

#: Returns the source ids the retriever would use to answer `question`.
Retrieve = Callable[[str], Sequence[int]]


class LivingContext(EditorialContext, Protocol):
    store: SourceStore


@dataclass(frozen=True, slots=True)
class OutdatedFlag:
    article_id: int
    version: int
    reasons: tuple[str, ...]


def flag_outdated(
    rt: LivingContext,
    *,
    superseded_source_ids: Iterable[int] = (),
    retracted_source_ids: Iterable[int] = (),
    new_guideline_source_ids: Iterable[int] = (),
    retrieve: Retrieve | None = None,
) -> list[OutdatedFlag]:
    """Mark approved versions outdated (back to the review queue), with the reason.

    An approved version is outdated when it cites a superseded or retracted source, or when a
    newly ingested guideline would be retrieved for its question (needs `retrieve`).
    """
    approved = {(int(v["article_id"]), int(v["version"]))
                for v in ReviewRecords(rt.engine).versions_in_states(("approved",))}
    if not approved:
        return []
    reasons: dict[tuple[int, int], list[str]] = {}

    def cited(ids: list[int], why: str) -> None:
        for key in rt.articles.citing(ids):
            if key in approved:
                article = rt.articles.get(*key)
                hit = sorted({r.external_id for r in article.references if r.source_id in ids}
                             if article else set())
                reasons.setdefault(key, []).append(f"{why}: {', '.join(hit)}")

    cited(sorted(set(retracted_source_ids)), "cites a retracted source")
    cited(sorted(set(superseded_source_ids)), "cites a source that has a new version")
    guidelines = set(new_guideline_source_ids)
    if guidelines and retrieve is not None:
        for key in sorted(approved):
            article = rt.articles.get(*key)
            if article is None:
                continue
            mine = {r.source_id for r in article.references}
            fresh = (set(retrieve(article.question)) & guidelines) - mine
            if fresh:
                names = sorted(s.external_id for sid in fresh
                               if (s := rt.store.get_source(sid)) is not None)
                reasons.setdefault(key, []).append(
                    f"a new guideline would now be retrieved for its question: {', '.join(names)}")
    flags: list[OutdatedFlag] = []
    for (article_id, version), why in sorted(reasons.items()):
        note = "Re-review needed: " + "; ".join(why)
        transition(rt, article_id=article_id, version=version, action="outdate", actor=SYSTEM,
                   note=note)
        flags.append(OutdatedFlag(article_id, version, tuple(why)))
        log.info("article %s version %s outdated (%d reasons)", article_id, version, len(why))
    return flags
