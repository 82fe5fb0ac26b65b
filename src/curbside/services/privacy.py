"""Privacy use cases: redact identifiers from questions stored before redaction existed."""

from __future__ import annotations

from dataclasses import dataclass

from curbside.article import Article
from curbside.privacy import redact, strip_placeholders
from curbside.services.runtime import Runtime
from curbside.store.engine import scrub_free_space


@dataclass(frozen=True, slots=True)
class RedactStoredReport:
    versions: int  # stored versions read
    changed: int  # versions whose question-derived text had identifiers
    threads: int  # threads whose topic terms were recomputed
    labels: dict[str, int]  # identifiers replaced, by placeholder
    dry_run: bool
    scrubbed: bool = False  # SQLite free pages and log rewritten (VACUUM) after the change


def _redacted(article: Article) -> tuple[Article, dict[str, int]]:
    """The article with identifiers removed from the text that quotes the question: the
    question, the title, premise assumptions, red-flag triggers and notices (one quotes what
    the question assumes)."""
    q = redact(article.question)
    title = redact(article.title, known=q)
    premises = [(p, redact(p.assumption, known=q)) for p in article.premise_findings]
    flags = [(f, redact(f.trigger, known=q)) for f in article.red_flags]
    notices = [redact(n, known=q) for n in article.notices]
    counts: dict[str, int] = {}
    for r in [q, title, *(r for _, r in premises), *(r for _, r in flags), *notices]:
        for label, n in r.counts().items():
            counts[label] = counts.get(label, 0) + n
    if not counts:
        return article, counts
    return article.model_copy(update={
        "question": q.text,
        "title": title.text,
        "premise_findings": [p.model_copy(update={"assumption": r.text}) for p, r in premises],
        "red_flags": [f.model_copy(update={"trigger": r.text}) for f, r in flags],
        "notices": [r.text for r in notices],
    }), counts


def redact_stored(rt: Runtime, *, dry_run: bool = False,
                  actor: str = "system") -> RedactStoredReport:
    """Redact every stored version's question-derived text in place, and recompute each
    thread's topic terms from its (redacted) questions. The raw_question column, which an
    operator opted into, is left alone. One audit entry records the counts."""
    from curbside.services.answers import _merge_terms, _topic_terms

    keys = rt.articles.version_keys()
    changed = 0
    labels: dict[str, int] = {}
    for aid, ver in keys:
        art = rt.articles.get(aid, ver)
        if art is None:
            continue
        new, counts = _redacted(art)
        if not counts:
            continue
        changed += 1
        for label, n in counts.items():
            labels[label] = labels.get(label, 0) + n
        if not dry_run:
            rt.articles.replace_question_text(new.model_copy(update={"status": art.status}))
    threads = 0
    for tid in rt.articles.thread_ids():
        terms: list[str] = []
        for aid in rt.articles.thread_articles(tid):
            art = rt.articles.get(aid)
            if art is not None and strip_placeholders(art.question):
                terms = _merge_terms(rt, terms, _topic_terms(rt, art.question))
        ctx = rt.articles.thread_context(tid) or {}
        if ctx.get("terms") != terms:
            threads += 1
            if not dry_run:
                rt.articles.update_thread_context(tid, {**ctx, "terms": terms})
    if dry_run:
        return RedactStoredReport(len(keys), changed, threads, labels, dry_run)
    rt.audit_log().append(actor=actor, action="privacy.redact_stored", subject="articles",
                          detail={"versions": len(keys), "changed": changed,
                                  "threads": threads, "labels": labels})
    # The overwritten text would otherwise survive in SQLite's free pages and its log.
    scrubbed = scrub_free_space(rt.engine) if changed or threads else False
    return RedactStoredReport(len(keys), changed, threads, labels, dry_run, scrubbed)
