"""What each answer stage takes and gives: frozen dataclasses, one per stage output.

Each output carries the one before it (``Retrieved.understood``, ``Composed.retrieved`` ...), so
the last one holds the whole trace of an answer. The articles inside are pydantic models that a
stage never changes in place: it makes a new one (``model_copy``) for the next stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from curbside.article import Article, Audience
from curbside.compose.references import ReferenceList
from curbside.domain import Evidence
from curbside.retrieve.hybrid import RetrievalResult
from curbside.safety.blocks import SafetyResult
from curbside.understand.analysis import QueryAnalysis
from curbside.understand.focus import Focus
from curbside.verify.citations import VerificationReport

Writer = Literal["extractive", "llm"]


@dataclass(frozen=True)
class AskRequest:
    """One question to answer (the input of `Understand` and of `AnswerPipeline.run`).

    `question` is as typed (checked and whitespace-normalised by the service), before
    redaction; `context_terms` are a follow-up's thread topic terms, added to its search."""

    question: str
    audience: Audience = "clinician"
    writer: Writer = "extractive"
    context_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understood:
    """`Understand`'s output: the redacted question and what is searched for."""

    request: AskRequest
    #: The question with direct identifiers replaced by placeholders: everything after this
    #: stage (search, composer, LLM, stored article) sees only this text.
    question: str
    #: What the retriever searches: the redacted question without its placeholders, then the
    #: thread's context terms.
    search_text: str
    #: Identifiers redacted, by label (counts only, never the text).
    redacted: dict[str, int]
    #: The question's focus concepts and ask (`understand.focus`).
    focus: Focus


@dataclass(frozen=True)
class Retrieved:
    """`Retrieve`'s output: the ranked evidence and how strongly it matches."""

    understood: Understood
    result: RetrievalResult

    @property
    def request(self) -> AskRequest:
        return self.understood.request

    @property
    def evidence(self) -> list[Evidence]:
        return self.result.evidence

    @property
    def confidence(self) -> float:
        return self.result.confidence

    @property
    def analysis(self) -> QueryAnalysis:
        """The query analysis of the searched text (keywords, expansions, drugs, type)."""
        return self.result.analysis


@dataclass(frozen=True)
class Composed:
    """`Compose`'s output: the article draft (extractive, or the LLM's verified prose) and the
    reference list its numbers come from (the safety blocks continue that numbering)."""

    retrieved: Retrieved
    article: Article
    refs: ReferenceList

    @property
    def request(self) -> AskRequest:
        return self.retrieved.request


@dataclass(frozen=True)
class Checked:
    """`Safety`'s output: the draft with premise findings, red flags and urgency added (and
    its bottom line reconciled with the premise findings)."""

    composed: Composed
    article: Article
    safety: SafetyResult

    @property
    def request(self) -> AskRequest:
        return self.composed.request


@dataclass(frozen=True)
class Verified:
    """`Verify`'s output: every cited claim checked against its passages, unsupported ones
    dropped and references renumbered. `report` is None when the article cites nothing."""

    checked: Checked
    article: Article
    report: VerificationReport | None

    @property
    def request(self) -> AskRequest:
        return self.checked.request


@dataclass(frozen=True)
class Trace:
    """Every stage's output for one question, and the rendered article (`AnswerPipeline.trace`)."""

    understood: Understood
    retrieved: Retrieved
    composed: Composed
    checked: Checked
    verified: Verified
    article: Article
