"""The answer article: what the composer builds, the verifier checks, renderers and the store keep.

Pydantic models, because the article is also a public JSON document with a published schema
(`curbside schema article`, ``schemas/article.schema.json``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Audience = Literal["clinician", "patient", "student"]
ReferenceType = Literal["Guideline", "Research", "Patient information"]
Verdict = Literal["supports", "contradicts", "mixed", "insufficient"]
Urgency = Literal["emergency", "urgent", "routine", "undetermined", "none"]


class Span(BaseModel):
    """Where a claim's text comes from: a character span of one stored passage."""

    passage_id: int = Field(description="Stored passage id.")
    passage_uid: str = Field(description="Stable passage id.")
    start: int = Field(description="Start offset within the passage text.")
    end: int = Field(description="End offset within the passage text.")


class Claim(BaseModel):
    """One sentence of the article with its citations and how well they support it."""

    text: str = Field(description="The sentence as shown.")
    citations: list[int] = Field(default_factory=list, description="Reference numbers cited.")
    support: float = Field(0.0, description="Verifier support score in [0, 1].")
    ours: bool = Field(
        False, description="True for our own connective phrase (not a source sentence)."
    )
    spans: list[Span] = Field(default_factory=list, description="Passage spans behind the claim.")
    id: str = Field("", description="Stable claim id within the article (for review).")
    key: str | None = Field(
        None,
        description="For our own sentence (ours is true): its message key in Curbside's "
        "message catalogue (curbside/knowledge/messages/), e.g. 'verdict.supports'; several "
        "keys said in a row are joined by '+'. Null for a source sentence. Stages compare "
        "keys, never sentence text; a reader mode says the key in its own words.",
    )
    params: dict[str, str] | None = Field(
        None,
        description="The values of the placeholders of the message named by key "
        "(for 'Evidence from {n} sources:', the value of n); null when it has none.",
    )


class ArticleSection(BaseModel):
    heading: str
    kind: str = Field(
        description="e.g. premise, key_evidence, diagnosis, treatment, prognosis, "
        "prevalence, red_flags, limits."
    )
    style: Literal["bullets", "numbered", "paragraph"] = "bullets"
    intro: Claim | None = Field(None, description="Our connective phrase introducing the list.")
    claims: list[Claim] = Field(default_factory=list)


class Reference(BaseModel):
    n: int = Field(description="Reference number, in order of first citation.")
    type: ReferenceType
    kind: str = Field(description="Evidence kind: guideline, systematic_review, rct, ...")
    level: int = Field(description="Evidence level, 1 = strongest.")
    source_id: int
    external_id: str
    title: str
    container: str | None = None
    year: int | None = None
    authors: list[str] = Field(default_factory=list)
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    retracted: bool = False
    ama: str = Field("", description="AMA-style citation text.")


class Consensus(BaseModel):
    """Consensus meter for yes/no questions."""

    verdict: Verdict
    supports: int = 0
    contradicts: int = 0
    neutral: int = 0
    basis: list[str] = Field(default_factory=list, description="Why: the counted sentences, cited.")
    probabilities: dict[str, float] | None = Field(
        None,
        description="The stance model's probabilities of yes / no / maybe when it read the "
        "basis; supports / contradicts / neutral then count the sentences' stance cues only.",
    )
    leaning: Verdict | None = Field(
        None,
        description="What the stance model read (supports / contradicts / mixed) when its top "
        "probability fell short of the confidence a verdict needs; the verdict is then "
        "\"insufficient\" and the bottom line carries no verdict sentence.",
    )


class PremiseFinding(BaseModel):
    assumption: str = Field(description="What the question assumes, in the question's words.")
    finding: str = Field(description="What the evidence indicates.")
    citations: list[int] = Field(default_factory=list)
    pattern: str | None = Field(None, description="Knowledge pattern id behind the finding.")


class RedFlag(BaseModel):
    pattern: str = Field(description="Knowledge pattern id.")
    name: str
    urgency: Urgency
    trigger: str = Field(description="What in the question triggered it.")
    action: str = Field(description="Recommended action.")
    citations: list[int] = Field(default_factory=list)


class Article(BaseModel):
    """A cited answer to one clinical question."""

    schema_version: int = 1
    id: int | None = Field(None, description="Stored article id (None until saved).")
    version: int = Field(1, description="Article version number.")
    thread_id: int | None = None
    question: str
    question_type: str = "other"
    title: str
    lead: list[Claim] = Field(
        default_factory=list,
        description="Lead paragraph: the bottom line up front. A frame of ours (ours true, "
        "key 'frame.guideline' or 'frame.guidelines') may precede the lead sentence, naming "
        "the guidelines it cites from their stored developer and year.",
    )
    premise_findings: list[PremiseFinding] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    urgency: Urgency = "none"
    sections: list[ArticleSection] = Field(default_factory=list)
    bottom_line: list[Claim] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    consensus: Consensus | None = None
    evidence_levels: dict[str, int] = Field(
        default_factory=dict, description="Count of cited references per evidence kind."
    )
    insufficient: bool = Field(
        False, description="True when the library holds too little evidence."
    )
    notices: list[str] = Field(
        default_factory=list, description="Honest caveats shown to the reader."
    )
    audience: Audience = "clinician"
    readability: float | None = Field(
        None,
        description="Flesch-Kincaid grade of the article body's claims (lead, sections, "
        "bottom line; one unit per claim), not the title, notices or reference list.",
    )
    status: str = Field("draft", description="Review state of this version.")
    writer: str = Field("extractive", description="'extractive' or 'llm'.")
    model: str | None = Field(None, description="LLM model name when writer is 'llm'.")
    created_at: str
    settings_fingerprint: str
    retrieval_confidence: float = 0.0

    def all_claims(self) -> list[Claim]:
        out = list(self.lead)
        for s in self.sections:
            if s.intro:
                out.append(s.intro)
            out += s.claims
        return out + list(self.bottom_line)
