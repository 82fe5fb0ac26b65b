"""Claim-level review: the actions a reviewer takes on one claim, and striking claims. Pure."""

from __future__ import annotations

from typing import Literal, get_args

from curbside.article import Article, ArticleSection, Claim

ClaimAction = Literal["accept", "comment", "strike"]
CLAIM_ACTIONS: tuple[ClaimAction, ...] = get_args(ClaimAction)


def claim_ids(article: Article) -> list[str]:
    return [c.id for c in article.all_claims() if c.id]


def find_claim(article: Article, claim_id: str) -> Claim | None:
    return next((c for c in article.all_claims() if c.id == claim_id), None)


def strike_claims(article: Article, ids: set[str]) -> Article:
    """A copy of `article` without the claims whose id is in `ids`.

    References no claim, premise finding or red flag cites any more are dropped (their numbers
    are kept, so the remaining citation numbers stay valid). The input is not modified.
    """
    missing = ids - set(claim_ids(article))
    if missing:
        raise KeyError(f"no claim {', '.join(sorted(missing))} in this version")

    def keep(claims: list[Claim]) -> list[Claim]:
        return [c for c in claims if c.id not in ids]

    sections: list[ArticleSection] = []
    for s in article.sections:
        if not keep(s.claims) and s.claims:
            continue  # every claim of the section struck: the heading alone would mislead
        intro = s.intro if s.intro is None or s.intro.id not in ids else None
        sections.append(s.model_copy(update={"intro": intro, "claims": keep(s.claims)}, deep=True))
    out = article.model_copy(
        update={"lead": keep(article.lead), "sections": sections,
                "bottom_line": keep(article.bottom_line)},
        deep=True,
    )
    cited = {n for c in out.all_claims() for n in c.citations}
    cited |= {n for f in out.premise_findings for n in f.citations}
    cited |= {n for f in out.red_flags for n in f.citations}
    refs = [r for r in out.references if r.n in cited]
    levels: dict[str, int] = {}
    for r in refs:
        levels[r.kind] = levels.get(r.kind, 0) + 1
    return out.model_copy(update={"references": refs, "evidence_levels": levels})
