"""Answer use cases: search, ask, follow-ups, stored articles and threads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from curbside.article import Article, Audience
from curbside.domain import Evidence
from curbside.index.dense import DenseIndex
from curbside.index.filters import FilterError, PassageFilter
from curbside.index.lexical import query_phrases
from curbside.pipeline import AnswerPipeline, AskRequest, WriterUnavailable
from curbside.pipeline.contracts import Writer
from curbside.privacy import redact, strip_placeholders
from curbside.retrieve.hybrid import (
    HybridRetriever,
    QueryError,
    RetrievalOptions,
    RetrievalResult,
    clean_query,
)
from curbside.services.runtime import NotFoundError, Runtime
from curbside.understand.analysis import analyze_query

AUDIENCES = ("clinician", "patient", "student")
WRITERS = ("extractive", "llm")
MAX_QUESTION_CHARS = 2000


class InvalidInput(ValueError):
    """Bad input from the caller; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def dense_index(rt: Runtime) -> DenseIndex:
    return rt.dense


def retriever(rt: Runtime) -> HybridRetriever:
    return rt.retriever


def _check_question(question: str, field: str = "question") -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput(field, "is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(field, f"is longer than {MAX_QUESTION_CHARS} characters")
    if any(ord(ch) < 32 and ch not in "\n\t\r" for ch in question):
        raise InvalidInput(field, "contains control characters")
    return " ".join(question.split())


def passage_filter(kinds: Sequence[str] = (), year: str | None = None) -> PassageFilter:
    """The filter of ``search --kind/--year`` (and the API's ``kind``/``year``): evidence kinds
    (repeated or comma separated) and a year or range; `InvalidInput` names a bad one."""
    try:
        return PassageFilter.parse(kinds, year)
    except FilterError as exc:
        raise InvalidInput(exc.field, exc.message) from None


def search(
    rt: Runtime,
    *,
    query: str,
    k: int = 10,
    options: RetrievalOptions | None = None,
    kinds: Sequence[str] = (),
    year: str | None = None,
) -> RetrievalResult:
    """Best evidence passages for a query, with every score that ranked them; with ``kinds``
    or ``year``, only passages of sources of those evidence kinds and publication years
    (pushed into the keyword index and the vector backend)."""
    where = passage_filter(kinds, year)
    try:
        return retriever(rt).search(query, k=k, options=options, where=where)
    except QueryError as exc:
        raise InvalidInput("query", str(exc)) from None


def keyword_plan(rt: Runtime, *, query: str) -> tuple[list[str], list[str]]:
    """The keyword phrases a search ORs together, and those left out as too common.

    On SQLite the keyword query skips the most common terms beyond a postings budget
    (``retrieval.lexical_postings_budget``); other backends keep every phrase.
    """
    try:
        analysis = analyze_query(clean_query(query))
    except QueryError as exc:
        raise InvalidInput("query", str(exc)) from None
    terms, _gap = rt.retriever.keyword_terms(analysis)
    phrases = query_phrases([t for t, _ in terms])
    kept = rt.lexical.plan(phrases)
    return kept, [p for p in phrases if p not in kept]


def expansions_left_out(rt: Runtime, *, query: str) -> list[str]:
    """The expansions of the question that the keyword search leaves out because the library
    holds them in no more passages than the user's own words (the vocabulary-gap rule,
    `retrieve.expansion.vocabulary_gap`)."""
    try:
        analysis = analyze_query(clean_query(query))
    except QueryError as exc:
        raise InvalidInput("query", str(exc)) from None
    return rt.retriever.keyword_terms(analysis)[1]


def ask(
    rt: Runtime,
    *,
    question: str,
    audience: str = "clinician",
    writer: str = "extractive",
    thread_id: int | None = None,
    save: bool = True,
    context_terms: list[str] | None = None,
) -> Article:
    """Answer a clinical question with a cited article (stored unless `save` is False).

    The answer comes from `pipeline.AnswerPipeline`. Direct identifiers (names, dates, record
    numbers, phones, e-mail, addresses) are redacted first: the search, the composer, the LLM
    writer and the stored article all see the redacted question. The question as typed is
    kept (in its own column) only with ``privacy.retain_raw_questions``.
    """
    raw = _check_question(question)
    if audience not in AUDIENCES:
        raise InvalidInput("audience", f"must be one of {', '.join(AUDIENCES)}")
    if writer not in WRITERS:
        raise InvalidInput("writer", f"must be one of {', '.join(WRITERS)}")
    if thread_id is not None and rt.articles.thread_context(thread_id) is None:
        raise NotFoundError(f"no thread {thread_id}")
    request = AskRequest(
        question=raw,
        audience=cast(Audience, audience),
        writer=cast(Writer, writer),
        context_terms=tuple(context_terms or ()),
    )
    try:
        article = AnswerPipeline(rt).run(request)
    except QueryError as exc:
        raise InvalidInput("question", str(exc)) from None
    except WriterUnavailable as exc:
        raise InvalidInput("writer", str(exc)) from None
    article = article.model_copy(update={"thread_id": thread_id})
    if save:
        keep = raw if rt.settings.privacy.retain_raw_questions else None
        article = rt.articles.save_new(article, raw_question=keep)
    return article


def get_article(rt: Runtime, *, article_id: int, version: int | None = None) -> Article:
    art = rt.articles.get(article_id, version)
    if art is None:
        what = f"article {article_id}" + (f" version {version}" if version else "")
        raise NotFoundError(f"no {what}")
    return art


def follow_up(
    rt: Runtime,
    *,
    article_id: int,
    question: str,
    audience: str = "clinician",
    own_thread: bool = False,
) -> Article:
    """Answer a follow-up in the thread of `article_id`, carrying the thread's topic.

    `own_thread`: start a new thread (with the parent's topic, without the parent) instead,
    for a reader who does not hold the parent's key (see `services.access`).
    """
    parent = get_article(rt, article_id=article_id)
    q = _check_question(question)
    thread_id = None if own_thread else parent.thread_id
    if thread_id is None:
        # A new thread's topic is the parent's question (never another thread's context).
        thread_id = rt.articles.new_thread({"terms": _topic_terms(rt, parent.question)})
        if not own_thread:
            thread_id = rt.articles.attach_thread(article_id, thread_id)
    ctx = rt.articles.thread_context(thread_id) or {}
    terms = list(ctx.get("terms", []))
    carried = terms[: rt.settings.answers.thread_context_terms]
    article = ask(rt, question=q, audience=audience, thread_id=thread_id, context_terms=carried)
    # The thread's stored topic comes from the redacted question, never the one as typed.
    new_terms = _topic_terms(rt, article.question)
    rt.articles.update_thread_context(thread_id, {"terms": _merge_terms(rt, terms, new_terms)})
    return article


def _topic_terms(rt: Runtime, question: str) -> list[str]:
    a = analyze_query(strip_placeholders(redact(question).text))
    return list(a.keywords)[: rt.settings.answers.topic_terms]


def _merge_terms(rt: Runtime, old: list[str], new: list[str]) -> list[str]:
    out = list(dict.fromkeys(new + old))
    return out[: rt.settings.answers.thread_terms]


def get_thread(rt: Runtime, *, thread_id: int) -> list[Article]:
    ids = rt.articles.thread_articles(thread_id)
    if not ids:
        raise NotFoundError(f"no thread {thread_id}")
    return [get_article(rt, article_id=i) for i in ids]


def recent_articles(
    rt: Runtime, *, status: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    return rt.articles.recent(status=status, limit=limit)


def evidence_public(ev: Evidence) -> dict[str, Any]:
    """A JSON-friendly view of one search hit."""
    return {
        "passage_id": ev.passage.id,
        "passage_uid": ev.passage.uid,
        "section": ev.passage.section,
        "text": ev.passage.text,
        "source_id": ev.source.id,
        "external_id": ev.source.external_id,
        "title": ev.source.title,
        "kind": str(ev.source.kind),
        "year": ev.source.year,
        "pmid": ev.source.pmid,
        "scores": {k: round(v, 4) for k, v in ev.scores.items()},
    }
