"""Answer use cases: search, ask, follow-ups, stored articles and threads."""

from __future__ import annotations

import logging
from typing import Any

from curbside.article import Article
from curbside.compose.composer import ComposeInput
from curbside.domain import Evidence
from curbside.index.dense import DenseIndex
from curbside.index.lexical import query_phrases
from curbside.messages import message
from curbside.privacy import redact, strip_placeholders
from curbside.render.modes import render_for_audience
from curbside.retrieve.hybrid import (
    HybridRetriever,
    QueryError,
    RetrievalOptions,
    RetrievalResult,
    clean_query,
)
from curbside.services.runtime import NotFoundError, Runtime
from curbside.services.safety import add_safety
from curbside.understand.analysis import analyze_query, lexical_terms

log = logging.getLogger(__name__)

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


def search(
    rt: Runtime, *, query: str, k: int = 10, options: RetrievalOptions | None = None
) -> RetrievalResult:
    """Best evidence passages for a query, with every score that ranked them."""
    try:
        return retriever(rt).search(query, k=k, options=options)
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
    phrases = query_phrases([t for t, _ in lexical_terms(analysis)])
    kept = rt.lexical.plan(phrases)
    return kept, [p for p in phrases if p not in kept]


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

    Direct identifiers (names, dates, record numbers, phones, e-mail, addresses) are redacted
    first: the search, the composer, the LLM writer and the stored article all see the
    redacted question. The question as typed is kept (in its own column) only with
    ``privacy.retain_raw_questions``.
    """
    raw = _check_question(question)
    if audience not in AUDIENCES:
        raise InvalidInput("audience", f"must be one of {', '.join(AUDIENCES)}")
    if writer not in WRITERS:
        raise InvalidInput("writer", f"must be one of {', '.join(WRITERS)}")
    if thread_id is not None and rt.articles.thread_context(thread_id) is None:
        raise NotFoundError(f"no thread {thread_id}")
    redaction = redact(raw)
    q = redaction.text
    # Counts only: question text is never logged, not even redacted.
    log.debug("question of %d characters; redacted: %s", len(raw),
              _counts(redaction.counts()) or "nothing")
    search_text = strip_placeholders(q)
    if context_terms:
        search_text = f"{search_text} {' '.join(context_terms)}"
    try:
        result = retriever(rt).search(search_text, k=12)
    except QueryError as exc:
        raise InvalidInput("question", str(exc)) from None
    if writer == "llm" and not rt.settings.llm.base_url:
        raise InvalidInput(
            "writer",
            "no LLM server is configured: set CURBSIDE_LLM__BASE_URL "
            "(and __MODEL) or use the extractive writer",
        )
    article = compose_article(rt, question=q, result=result, audience=audience, writer=writer)
    article = article.model_copy(update={"thread_id": thread_id})
    if save:
        keep = raw if rt.settings.privacy.retain_raw_questions else None
        article = rt.articles.save_new(article, raw_question=keep)
    return article


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))


def compose_article(
    rt: Runtime,
    *,
    question: str,
    result: RetrievalResult,
    audience: str = "clinician",
    writer: str = "extractive",
) -> Article:
    """Compose (and verify) an article from retrieval results."""
    article, refs = rt.composer.compose(compose_input(rt, question, result, audience))
    if writer == "llm" and not article.insufficient:
        article = _llm_body(rt, article, refs, result, audience)
    # Premise findings and red flags come from the knowledge patterns, never from a model;
    # they are added even when the evidence is insufficient.
    article, _safety = add_safety(rt, article=article, evidence=result.evidence, refs=refs)
    if article.references:
        passages_by_ref = {n: list(p.values()) for n, p in refs.passages.items()}
        article, _report = rt.verifier.verify(article, passages_by_ref, drop_unsupported=True)
    return render_for_audience(article, audience)


def compose_input(
    rt: Runtime,
    question: str,
    result: RetrievalResult,
    audience: str = "clinician",
    *,
    with_similarity: bool = True,
) -> ComposeInput:
    """What the composer gets from a retrieval result. The consensus meter reads all passages
    of the top-ranked source from the store (its conclusions or results), not only those that
    were retrieved. `with_similarity=False` drops the answer scorer (the lead and refusal then
    follow the retrieval scores; the consensus verdict is the same)."""
    a = result.analysis
    # Every retrieved source's stored passages, read once: their joined text lets an
    # abbreviation one passage defines ("beta-endorphin (beta E)") be expanded in the others.
    source_ids = dict.fromkeys(e.source.id for e in result.evidence)
    stored = {sid: rt.store.passages_of(sid) for sid in source_ids}
    return ComposeInput(
        question=question,
        question_type=str(a.qtype),
        terms=list(a.keywords) + [x.term for x in a.expansions],
        evidence=result.evidence,
        confidence=result.confidence,
        source_texts={sid: " ".join(p.text for p in ps) for sid, ps in stored.items()},
        audience=audience,
        settings_fingerprint=rt.settings.fingerprint(),
        similarity=_similarity(rt) if with_similarity else None,
        top_source_passages=stored[result.evidence[0].source.id] if result.evidence else None,
        drugs=[(d.text, d.generic, *d.synonyms) for d in a.drugs],
    )


def _llm_body(
    rt: Runtime, article: Article, refs: Any, result: RetrievalResult, audience: str
) -> Article:
    """Replace the extractive lead and sections with verified LLM prose, or fall back."""
    from curbside.article import ArticleSection, Span
    from curbside.llm.writer import write_with_llm
    from curbside.verify.support import SupportScorer

    numbered = []
    for ev in result.evidence[:8]:
        n = refs.cite(ev.source, ev.passage.id, ev.passage.text)
        numbered.append((n, ev.source.title, ev.passage.text))
    out = write_with_llm(
        rt.settings.llm,
        article.question,
        numbered,
        audience=audience,  # type: ignore[arg-type]
        scorer=SupportScorer(dense_index(rt).embedder),
    )
    if out.fallback:
        notice = out.notice or message("notice.llm_unverified")
        return article.model_copy(update={"notices": [*article.notices, notice]})
    claims = []
    for c in out.claims:
        spans = [
            Span(passage_id=pid, passage_uid="", start=0, end=len(text))
            for n in c.citations
            for pid, text in refs.passages.get(n, {}).items()
        ][:3]
        claims.append(c.model_copy(update={"spans": spans}))
    uids = {ev.passage.id: ev.passage.uid for ev in result.evidence}
    for c in claims:
        for sp in c.spans:
            sp.passage_uid = uids.get(sp.passage_id, "")
    body = ArticleSection(
        heading="Answer", kind="key_evidence", style="paragraph", claims=claims[1:]
    )
    # The composer's notes on what the evidence lacks (ours, uncited) stay in front.
    gaps = [c for c in article.lead if c.ours]
    return article.model_copy(
        update={
            "lead": gaps + claims[:1],
            "sections": [body] if body.claims else [],
            "writer": "llm",
            "model": out.model,
            "references": refs.references(),
            "notices": [*article.notices, message("notice.llm_written")],
        }
    )


def _similarity(rt: Runtime) -> Any:
    """How well each text answers the question: the answer scorer (`compose.answer_scorer`:
    the learned adapter where weights ship, else plain cosine) over the configured embedder.
    It needs the embedding model, not a dense index, so answers are chosen (and refused) the
    same way with or without one; None when no embedder can be loaded."""
    from curbside.compose.answer_scorer import score
    from curbside.index.embedder import EmbedderUnavailable

    try:
        embedder = dense_index(rt).embedder
    except EmbedderUnavailable:
        log.warning("no embedder: answers are chosen by retrieval scores alone")
        return None

    def similarity(question: str, sentences: list[str]) -> list[float]:
        import numpy as np

        vecs = np.asarray(embedder.embed([question, *sentences]))
        return [float(x) for x in score(vecs[0], vecs[1:])]

    return similarity


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
            rt.articles.attach_thread(article_id, thread_id)
    ctx = rt.articles.thread_context(thread_id) or {}
    terms = list(ctx.get("terms", []))
    article = ask(rt, question=q, audience=audience, thread_id=thread_id, context_terms=terms[:8])
    # The thread's stored topic comes from the redacted question, never the one as typed.
    new_terms = _topic_terms(rt, article.question)
    rt.articles.update_thread_context(thread_id, {"terms": _merge_terms(terms, new_terms)})
    return article


def _topic_terms(rt: Runtime, question: str) -> list[str]:
    from curbside.understand.analysis import analyze_query

    a = analyze_query(strip_placeholders(redact(question).text))
    return list(a.keywords)[:8]


def _merge_terms(old: list[str], new: list[str]) -> list[str]:
    out = list(dict.fromkeys(new + old))
    return out[:12]


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
