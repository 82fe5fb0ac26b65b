"""Public DTOs of the REST API (``/api/v1``). The article itself is the `Article` model."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from curbside.article import Article, Audience
from curbside.edge.types import INT64_MAX, reject_surrogates

#: The article as served: the same pydantic model the composer builds and the store keeps.
ArticlePublic = Article



class AskedArticlePublic(Article):
    """A newly asked article with its reader key (keep it: it opens the article).

    Until a reviewer approves the article, only this key (``X-Curbside-Key`` header or
    ``?key=``) or a signed-in account opens it; follow-ups in its thread share the key.
    """

    access_key: str = Field(description="Reader key of the article (and of its thread).")


MAX_QUESTION_CHARS = 2000
Writer = Literal["extractive", "llm"]


def clean_question(value: str) -> str:
    """Strip, reject empty, over-long, control-character and invalid-Unicode questions
    (tab/newline allowed)."""
    text = reject_surrogates(value, "question").strip()
    if not text:
        raise ValueError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(f"the question is too long ({len(text)} characters; at most "
                         f"{MAX_QUESTION_CHARS})")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in text):
        raise ValueError("the question contains control characters")
    return text


class AskRequest(BaseModel):
    """A new question (optionally continuing a thread)."""

    question: str = Field(description="The clinical question, 1-2000 characters.",
                          examples=["Is SI joint imbalance a common cause of low back pain?"])
    audience: Audience = Field("clinician", description="Reader mode: clinician, patient, student.")
    writer: Writer = Field("extractive", description="'extractive' (offline) or 'llm'.")
    thread_id: int | None = Field(None, ge=1, le=INT64_MAX, description="Continue this thread.")

    _clean = field_validator("question")(clean_question)


class FollowUpRequest(BaseModel):
    """A follow-up question on an article (starts or continues its thread)."""

    question: str = Field(description="The follow-up question, 1-2000 characters.")
    audience: Audience = Field("clinician", description="Reader mode: clinician, patient, student.")

    _clean = field_validator("question")(clean_question)


class ErrorPublic(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    status: int = Field(description="HTTP status code.")
    code: str = Field(description="Machine-readable reason, e.g. invalid_input, not_found.")
    message: str = Field(description="What went wrong, for people.")
    field: str | None = Field(None, description="The input field at fault, when there is one.")


class ThreadPublic(BaseModel):
    """A follow-up thread: every turn is an article."""

    id: int
    articles: list[Article]


class SourceBrief(BaseModel):
    id: int
    external_id: str
    kind: str
    title: str
    container: str | None = None
    year: int | None = None
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    retracted: bool = False


class PassagePublic(BaseModel):
    id: int
    uid: str
    source_id: int
    section: str | None = None
    text: str
    char_start: int
    char_end: int


class SearchHitPublic(BaseModel):
    passage: PassagePublic
    source: SourceBrief
    score: float = Field(description="Ranking score (higher is better).")
    scores: dict[str, float] = Field(default_factory=dict)


class SearchPublic(BaseModel):
    query: str
    hits: list[SearchHitPublic]


class CitingArticle(BaseModel):
    article_id: int
    version: int
    title: str | None = None


class SourcePublic(BaseModel):
    source: SourceBrief
    authors: list[str] = Field(default_factory=list)
    publication_types: list[str] = Field(default_factory=list)
    mesh_terms: list[str] = Field(default_factory=list)
    version: int
    is_current: bool
    passages: list[PassagePublic]
    cited_by: list[CitingArticle]


class HighlightPublic(BaseModel):
    start: int
    end: int


class PassageWithSource(BaseModel):
    passage: PassagePublic
    source: SourceBrief
    highlight: HighlightPublic | None = None


class ArticleSummary(BaseModel):
    id: int
    title: str
    audience: str
    status: str
    current_version: int
    thread_id: int | None = None
    updated_at: dt.datetime = Field(description="Last change (UTC, ISO 8601 with offset).")


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class ReadyPublic(BaseModel):
    ready: bool
    checks: dict[str, bool]
    detail: dict[str, str] = Field(default_factory=dict)


TriageLevelPublic = Literal["emergency", "urgent", "routine", "undetermined"]


class TriageRequest(BaseModel):
    """A question or case vignette to triage (needs no database)."""

    text: str = Field(description="Question or vignette, 1-20000 characters.",
                      examples=["2-month-old baby, temp 38.4, feeding poorly"])
    audience: Audience = Field("clinician", description="Reader mode: clinician, patient, student.")


class TriageRulePublic(BaseModel):
    id: str
    name: str
    level: Literal["emergency", "urgent"]
    seen: list[str] = Field(description="What in the text met each criterion, with the value.")
    source: str = Field(description="The published criterion the threshold comes from.")


class TriageMatchPublic(BaseModel):
    cite: str = Field(description="External id of the source the sentence is quoted from.")
    text: str


class TriageDiagnosisPublic(BaseModel):
    name: str
    icd10cm: str = Field(description="ICD-10-CM code.")
    urgency: Literal["emergency", "urgent", "routine", "self-care"]
    probability: float
    score: float
    matched: list[TriageMatchPublic]
    citations: list[str]
    absent_findings_against: list[str]


class TriageConditionPublic(BaseModel):
    pattern: str
    name: str
    urgency: str
    fired: bool
    matched: list[str]
    trigger: str
    action: str
    citations: list[str] = Field(description="External ids of the notes behind the pattern.")


class TriagePublic(BaseModel):
    """Urgency and its reasons. ``undetermined`` means no pattern or rule matched: never read
    it as routine."""

    urgency: TriageLevelPublic
    label: str = Field(description="The level in words for the reader mode asked for.")
    reasons: list[str]
    rules: list[TriageRulePublic] = Field(description="Vital-sign and age rules that fired.")
    conditions: list[TriageConditionPublic] = Field(description="Condition patterns that fired.")
    findings: list[str]
    negated: list[str]
    diagnoses: list[TriageDiagnosisPublic] = Field(
        default_factory=list,
        description="The coded differential: conditions of the cited urgency table, most "
                    "probable first, each with the source sentences that matched.")
    what_to_do: str = Field("", description="What to do now, in plain words.")
