"""View models for the article page: citation links, review status, reader modes, disclaimers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from curbside.article import Article, Claim
from curbside.messages import message
from curbside.review.status import PublicStatus

AUDIENCE_LABELS = {
    "patient": ("Patient or caregiver", "Plain language, what to do next."),
    "clinician": ("Clinician", "Guideline-first, with numbers and actions."),
    "student": ("Student", "Clinician content with terms explained."),
}

STEPS = [("submitted", "Submitted"), ("under_review", "Under review"), ("approved", "Approved")]
#: Which step of the badge a review state sits on (-1: none yet, e.g. a draft).
STEP_OF = {"submitted": 0, "under_review": 1, "changes_requested": 1, "outdated": 1,
           "approved": 2}

#: The urgency levels an article can carry ("none": not a symptom question, no triage block).
URGENCY_LEVELS = ("emergency", "urgent", "routine", "undetermined")


def urgency_labels(audience: str) -> dict[str, str]:
    """What each urgency level tells this reader: the message catalogue's ``urgency.<level>``
    (patient mode: what to do now, in plain words, e.g. "Call emergency services now")."""
    return {**{lv: message(f"urgency.{lv}", audience) for lv in URGENCY_LEVELS}, "none": ""}


URGENCY_LABELS = urgency_labels("clinician")
#: The same levels in plain words, for patient mode.
PATIENT_URGENCY_LABELS = urgency_labels("patient")

DISCLAIMERS = {
    "professional": (
        "Professional medical disclaimer",
        "This information is intended for healthcare professionals. Any medical decision-making "
        "should rely on clinical judgment and independently verified information. The content "
        "is assembled from the sources cited above and does not replace professional "
        "discretion; it should be considered supplementary to established clinical guidelines. "
        "Verify all information against primary literature and current practice standards "
        "before applying it in patient care. Curbside assumes no liability for clinical "
        "decisions based on this content.",
    ),
    "patient": (
        "Medical disclaimer",
        "This page is for general education. It is not a diagnosis and does not replace advice "
        "from your own doctor, nurse or pharmacist, who knows your history. Do not start, stop "
        "or change a treatment because of this page without talking to them. If you think you "
        "may have a medical emergency, call your local emergency number now.",
    ),
}


@dataclass
class CiteLink:
    n: int
    href: str
    popover: str | None
    label: str


@dataclass
class ReviewStatus:
    status: str
    label: str
    approved: bool
    step: int
    caution: str | None
    approved_on: Any = None
    version: int = 1
    steps: list[tuple[str, str]] = field(default_factory=lambda: list(STEPS))


def review_status(public: PublicStatus) -> ReviewStatus:
    """The badge. "Approved" only when a reviewer's approval of this version is recorded."""
    step = STEP_OF.get(public.state, -1)
    if public.state == "approved" and not public.approved:
        step = 1  # approved state without a recorded approval: never shown as approved
    return ReviewStatus(
        status=public.state, label=public.label, approved=public.approved, step=step,
        caution=public.caution, approved_on=public.approved_at if public.approved else None,
        version=public.version,
    )


def passage_href(uid: str, start: int, end: int, *, json: bool = False) -> str:
    suffix = ".json" if json else ""
    return f"/passages/{uid}{suffix}?{urlencode({'start': start, 'end': end})}"


class Citations:
    """Links each citation number of a claim to the passage span that supports it."""

    def __init__(self, article: Article, passage_source: dict[int, int]) -> None:
        self.refs = {r.n: r for r in article.references}
        self.passage_source = passage_source
        # For citations without spans (premise findings, red flags): a passage of that
        # reference used elsewhere in the article, else the reference entry.
        self.fallback: dict[int, tuple[str, int, int]] = {}
        for claim in article.all_claims():
            for n in claim.citations:
                span = self._span_for(claim, n)
                if span and n not in self.fallback:
                    self.fallback[n] = span

    def _span_for(self, claim: Claim, n: int) -> tuple[str, int, int] | None:
        ref = self.refs.get(n)
        if ref is None:
            return None
        for span in claim.spans:
            if self.passage_source.get(span.passage_id) == ref.source_id:
                return span.passage_uid, span.start, span.end
        if len(claim.citations) == 1 and len(claim.spans) == 1:
            s = claim.spans[0]
            return s.passage_uid, s.start, s.end
        return None

    def _link(self, n: int, span: tuple[str, int, int] | None) -> CiteLink:
        ref = self.refs.get(n)
        label = f"Reference {n}" + (f": {ref.title}" if ref else "")
        if span is None:
            return CiteLink(n=n, href=f"#ref-{n}", popover=None, label=label)
        uid, start, end = span
        return CiteLink(n=n, href=passage_href(uid, start, end),
                        popover=passage_href(uid, start, end, json=True),
                        label=f"{label} (supporting passage)")

    def for_claim(self, claim: Claim) -> list[CiteLink]:
        return [self._link(n, self._span_for(claim, n) or self.fallback.get(n))
                for n in claim.citations]

    def for_numbers(self, numbers: list[int]) -> list[CiteLink]:
        return [self._link(n, self.fallback.get(n)) for n in numbers]


def passage_ids(article: Article) -> list[int]:
    return sorted({s.passage_id for c in article.all_claims() for s in c.spans})


def reference_links(ref: Any) -> list[tuple[str, str]]:
    """(label, href) for a reference's identifiers."""
    out: list[tuple[str, str]] = []
    if ref.pmid:
        out.append((f"PMID {ref.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/"))
    if ref.doi:
        out.append((f"DOI {ref.doi}", f"https://doi.org/{ref.doi}"))
    if ref.url and str(ref.url).startswith(("http://", "https://")):
        out.append(("Link", str(ref.url)))
    return out


def highlight_parts(text: str, start: int | None, end: int | None) -> tuple[str, str, str]:
    """(before, highlighted, after) for a passage; all text when the span is absent or bad."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return text, "", ""
    return text[:start], text[start:end], text[end:]
