"""What changed between two versions of an article: claims and references. Pure, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from difflib import SequenceMatcher
from typing import Any

from pydantic import BaseModel, Field

from curbside.article import Article, Claim, Reference

#: Two claims without a common id are "the same claim, changed" at or above this similarity.
SIMILARITY_THRESHOLD = 0.6


class ClaimChange(BaseModel):
    old: Claim
    new: Claim
    similarity: float = Field(description="Text similarity in [0, 1] (1 = same words).")
    matched_by: str = Field(description="'id' or 'text'.")


class ArticleDiff(BaseModel):
    """Claims added, removed and changed; references added and removed."""

    old_version: int
    new_version: int
    claims_added: list[Claim] = Field(default_factory=list)
    claims_removed: list[Claim] = Field(default_factory=list)
    claims_changed: list[ClaimChange] = Field(default_factory=list)
    claims_unchanged: int = 0
    references_added: list[Reference] = Field(default_factory=list)
    references_removed: list[Reference] = Field(default_factory=list)
    title_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.claims_added or self.claims_removed or self.claims_changed
                    or self.references_added or self.references_removed or self.title_changed)


def similarity(a: str, b: str) -> float:
    """Word-level similarity of two sentences in [0, 1]."""
    return SequenceMatcher(None, a.lower().split(), b.lower().split(), autojunk=False).ratio()


def _ref_key(ref: Reference) -> str:
    # A new version of the same source is "the same reference": the external id names the work.
    return ref.external_id or f"source:{ref.source_id}"


def diff_articles(old: Article, new: Article) -> ArticleDiff:
    """Diff two versions: claims matched by claim id first, then by text similarity."""
    out = ArticleDiff(old_version=old.version, new_version=new.version,
                      title_changed=old.title != new.title)
    old_claims, new_claims = old.all_claims(), new.all_claims()
    new_by_id = {c.id: i for i, c in enumerate(new_claims) if c.id}
    matched_old: set[int] = set()
    matched_new: set[int] = set()
    for i, c in enumerate(old_claims):
        j = new_by_id.get(c.id) if c.id else None
        if j is None or j in matched_new:
            continue
        matched_old.add(i)
        matched_new.add(j)
        _record(out, c, new_claims[j], "id")
    # Unmatched claims: pair the most similar first (greedy), above the threshold.
    pairs = sorted(
        ((similarity(old_claims[i].text, new_claims[j].text), i, j)
         for i in range(len(old_claims)) if i not in matched_old
         for j in range(len(new_claims)) if j not in matched_new),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    for sim, i, j in pairs:
        if sim < SIMILARITY_THRESHOLD:
            break
        if i in matched_old or j in matched_new:
            continue
        matched_old.add(i)
        matched_new.add(j)
        _record(out, old_claims[i], new_claims[j], "text")
    out.claims_removed = [c for i, c in enumerate(old_claims) if i not in matched_old]
    out.claims_added = [c for j, c in enumerate(new_claims) if j not in matched_new]
    old_refs = {_ref_key(r): r for r in old.references}
    new_refs = {_ref_key(r): r for r in new.references}
    out.references_removed = [r for k, r in old_refs.items() if k not in new_refs]
    out.references_added = [r for k, r in new_refs.items() if k not in old_refs]
    return out


def _record(out: ArticleDiff, old: Claim, new: Claim, how: str) -> None:
    if old.text == new.text and old.citations == new.citations:
        out.claims_unchanged += 1
    else:
        out.claims_changed.append(
            ClaimChange(old=old, new=new, similarity=round(similarity(old.text, new.text), 3),
                        matched_by=how)
        )


def last_updated(versions: Iterable[Mapping[str, Any]]) -> dt.datetime | None:
    """When the article last changed: the creation time of its newest version."""
    times = [v["created_at"] for v in versions if v.get("created_at") is not None]
    return max(times) if times else None
