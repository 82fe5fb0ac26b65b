"""A frame of ours before the lead, true by construction: whose guidelines the lead quotes.

Issue 15 (item 3): a short frame of ours may precede the lead only when it is true by
construction. `frame_lead(article)` adds one in a single case: the lead's source sentence
(the first lead claim that is not ours) is cited, and every reference it cites is a guideline
whose developer is stored with it (the source's ``container``). The frame then names those
guidelines from the stored metadata alone, ``"The NICE (2017) guideline says:"`` or ``"The
American College of Physicians (2017) and NICE (2016) guidelines say:"`` (message keys
`FRAME_ONE` and `FRAME_MANY`, said by each audience from its message catalogue; the names
are the claim's ``params``). Nothing is inferred: a name is the stored developer, read into
names with NGC's organisation types (``knowledge/guideline_developers.yaml``); a year is
the stored year, left out when there is none; a developer written with its abbreviation in
brackets ("National Institute for Health and Care Excellence (NICE)") is named by that
abbreviation.

It must run on the verified article (the answer pipeline's Verify stage calls it after the
verifier): the verifier may drop the lead sentence or a citation that does not support it,
and the frame names exactly the references the lead cites after that. Any frame already there
is taken out first, so running it again (a re-verified or edited article) gives the frame of
the lead as it is now, or none. Only the extractive writer's articles are framed: a sentence
of the LLM writer is its own wording, not what a guideline says.
"""

from __future__ import annotations

import re
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from curbside.article import Article, Claim, Reference
from curbside.knowledge_files import DateText, load_knowledge
from curbside.messages import own_claim

#: The frame before a lead sentence from one guideline, and from several.
FRAME_ONE = "frame.guideline"
FRAME_MANY = "frame.guidelines"
FRAME_KEYS = frozenset({FRAME_ONE, FRAME_MANY})
#: A guideline with more developers than this is named by its first one and "et al.".
MAX_DEVELOPERS = 2

_ABBREVIATION = re.compile(r"^(.+?)\s+\(([A-Z][A-Z0-9&-]{1,11})\)$")


class GuidelineDevelopersFile(BaseModel):
    """``knowledge/guideline_developers.yaml``: NGC's organisation types."""

    model_config = ConfigDict(extra="forbid")

    version: int
    updated: DateText
    types: list[str] = Field(min_length=1)


@cache
def _developer_rx() -> re.Pattern[str]:
    data = load_knowledge("guideline_developers.yaml", GuidelineDevelopersFile)
    types = sorted((" ".join(t.split()) for t in data.types), key=len, reverse=True)
    return re.compile(
        r"\s*(.+?) - (?:" + "|".join(re.escape(t) for t in types) + r")(?=\s|$)"
    )


def developers(container: str) -> list[str]:
    """The developer names of a stored guideline's developer field.

    An NGC field ("<name> - <organisation type>" pairs) gives its names in order; any other
    non-empty text (one name, as the NGC ingest mapping keeps it) is one name as written.
    """
    text = " ".join(container.split())
    if not text:
        return []
    rx = _developer_rx()
    names: list[str] = []
    pos = 0
    while pos < len(text):
        m = rx.match(text, pos)
        if m is None:
            break
        names.append(m.group(1))
        pos = m.end()
    if not names or text[pos:].strip():
        return [text]  # not an NGC developer string: the stored text is the name
    return names


def _short(name: str) -> str:
    m = _ABBREVIATION.match(name)
    return m.group(2) if m else name


def guideline_label(ref: Reference) -> str | None:
    """How the frame names one guideline reference: its developers and year, from the stored
    metadata; None when it is not a guideline or has no stored developer."""
    if ref.type != "Guideline" or not ref.container:
        return None
    names = [_short(n) for n in developers(ref.container)]
    if not names:
        return None
    who = (" and ".join(names) if len(names) <= MAX_DEVELOPERS else f"{names[0]} et al.")
    return f"{who} ({ref.year})" if ref.year else who


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def lead_frame(article: Article) -> Claim | None:
    """The frame the article's lead sentence gets (see the module doc), or None."""
    if article.insufficient or article.writer != "extractive":
        return None
    lead = next((c for c in article.lead if not c.ours), None)
    if lead is None or not lead.citations:
        return None
    refs = {r.n: r for r in article.references}
    labels: list[str] = []
    for n in lead.citations:
        ref = refs.get(n)
        label = guideline_label(ref) if ref is not None else None
        if label is None:
            return None  # a cited reference that is not a named guideline: no frame
        if label not in labels:
            labels.append(label)
    key = FRAME_ONE if len(lead.citations) == 1 else FRAME_MANY
    return own_claim(key, article.audience, guidelines=_join(labels))


def is_frame(claim: Claim) -> bool:
    return claim.ours and claim.key in FRAME_KEYS


def frame_lead(article: Article) -> Article:
    """`article` with its lead framed (any earlier frame replaced), or unframed when the
    lead's evidence is not all named guidelines. The input is not modified."""
    lead = [c for c in article.lead if not is_frame(c)]
    out = article.model_copy(update={"lead": lead})
    frame = lead_frame(out)
    if frame is None:
        return out if len(lead) != len(article.lead) else article
    at = next(i for i, c in enumerate(lead) if not c.ours)
    return out.model_copy(update={"lead": [*lead[:at], frame, *lead[at:]]})
