"""The answer stages: understand -> retrieve -> compose -> safety -> verify -> render.

Each stage is a class whose dependencies come in through ``__init__`` and whose ``run`` takes
the previous stage's output (`pipeline.contracts`) and gives its own. `AnswerPipeline` runs them
in order; the services call it and only check input, store and audit around it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from curbside.article import Article, ArticleSection, Audience, Span
from curbside.compose.bottom_line import settle_bottom_line
from curbside.compose.composer import ComposeInput, ExtractiveComposer
from curbside.compose.frames import frame_lead
from curbside.compose.references import ReferenceList
from curbside.config import AnswerSettings, LLMSettings
from curbside.domain import Evidence
from curbside.index.dense import DenseIndex
from curbside.index.embedder import TextVectors
from curbside.messages import message
from curbside.pipeline.contracts import (
    AskRequest,
    Checked,
    Composed,
    Retrieved,
    Understood,
    Verified,
)
from curbside.privacy import redact, strip_placeholders
from curbside.render.modes import render_for_audience
from curbside.retrieve.hybrid import HybridRetriever, RetrievalResult
from curbside.safety.blocks import SafetyResult, safety_blocks
from curbside.store.sources import SourceStore
from curbside.understand.focus import Focus, analyze_focus
from curbside.verify.citations import CitationVerifier

log = logging.getLogger(__name__)

#: How well each text answers a question: (question, texts) -> one score per text.
Similarity = Callable[[str, list[str]], list[float]]


class WriterUnavailable(ValueError):
    """The writer asked for cannot write here (no LLM server is configured)."""


class Understand:
    """Redact the question and say what is searched for.

    Direct identifiers (names, dates, record numbers, phones, e-mail, addresses) are redacted
    first: the search, the composer, the LLM writer and the stored article all see the
    redacted question."""

    def run(self, inp: AskRequest) -> Understood:
        redaction = redact(inp.question)
        q = redaction.text
        counts = redaction.counts()
        # Counts only: question text is never logged, not even redacted.
        log.debug("question of %d characters; redacted: %s", len(inp.question),
                  _counts(counts) or "nothing")
        search_text = strip_placeholders(q)
        if inp.context_terms:
            search_text = f"{search_text} {' '.join(inp.context_terms)}"
        return Understood(
            request=inp, question=q, search_text=search_text, redacted=counts,
            focus=analyze_focus(q),
        )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))


class Retrieve:
    """The best `k` evidence passages for the searched text (raises `QueryError` when it
    cannot be searched)."""

    def __init__(self, retriever: HybridRetriever, *, k: int) -> None:
        self.retriever = retriever
        self.k = k

    def run(self, inp: Understood) -> Retrieved:
        return Retrieved(understood=inp, result=self.retriever.search(inp.search_text, k=self.k))


class Compose:
    """The article draft: the extractive composer's, its lead and sections replaced by the
    LLM writer's verified prose when that writer is asked for and the evidence suffices."""

    def __init__(
        self,
        *,
        composer: ExtractiveComposer,
        store: SourceStore,
        dense: DenseIndex,
        vectors: TextVectors,
        llm: LLMSettings,
        answers: AnswerSettings,
        fingerprint: str,
    ) -> None:
        """`dense`: its embedder scores answers and LLM sentences (loaded on first use, never
        needing the index itself), through `vectors` (sentence vectors kept by text, shared
        with the verifier); `fingerprint`: stored as each article's ``settings_fingerprint``
        (`Settings.answer_fingerprint`)."""
        self.composer = composer
        self.store = store
        self.dense = dense
        self.vectors = vectors
        self.llm = llm
        self.answers = answers
        self.fingerprint = fingerprint

    def run(self, inp: Retrieved) -> Composed:
        req = inp.understood.request
        if req.writer == "llm" and not self.llm.base_url:
            raise WriterUnavailable(
                "no LLM server is configured: set CURBSIDE_LLM__BASE_URL "
                "(and __MODEL) or use the extractive writer"
            )
        article, refs = self.composer.compose(
            self.input(inp.understood.question, inp.result, req.audience,
                       focus=inp.understood.focus)
        )
        if req.writer == "llm" and not article.insufficient:
            article = self.llm_body(article, refs, inp.evidence, req.audience)
        return Composed(retrieved=inp, article=article, refs=refs)

    def input(
        self,
        question: str,
        result: RetrievalResult,
        audience: str = "clinician",
        *,
        focus: Focus | None = None,
        with_similarity: bool = True,
    ) -> ComposeInput:
        """What the composer gets from a retrieval result. The consensus meter reads all
        passages of the top-ranked source from the store (its conclusions or results), not
        only those that were retrieved. The confidence is on the dense scale with or without a
        dense index (`confidence`). `with_similarity=False` drops the answer scorer and keeps
        the retriever's confidence (the lead and refusal then follow the retrieval scores; the
        consensus verdict is the same)."""
        a = result.analysis
        # Every retrieved source's stored passages, read once: their joined text lets an
        # abbreviation one passage defines ("beta-endorphin (beta E)") be expanded in the others.
        vectors = self._sentence_vectors() if with_similarity else None
        source_ids = dict.fromkeys(e.source.id for e in result.evidence)
        stored = {sid: self.store.passages_of(sid) for sid in source_ids}
        return ComposeInput(
            question=question,
            question_type=str(a.qtype),
            terms=list(a.keywords) + [x.term for x in a.expansions],
            evidence=result.evidence,
            confidence=(
                self.confidence(question, result) if with_similarity else result.confidence
            ),
            source_texts={sid: " ".join(p.text for p in ps) for sid, ps in stored.items()},
            audience=audience,
            settings_fingerprint=self.fingerprint,
            similarity=similarity(vectors) if vectors is not None else None,
            study_design=study_design(vectors) if vectors is not None else None,
            answer_kinds=answer_kinds(vectors) if vectors is not None else None,
            top_source_passages=stored[result.evidence[0].source.id] if result.evidence else None,
            drugs=[(d.text, d.generic, *d.synonyms) for d in a.drugs],
            focus=focus,
        )

    def confidence(self, question: str, result: RetrievalResult) -> float:
        """How strongly the best passages match, on one scale with or without a dense index.

        The retrieval's own figure when the dense index scored the top passages (the best
        dense cosine among the top 3, `retrieve.hybrid.confidence`). Without a dense index
        the retriever can only give 0.7 x the share of the question's keywords in the best
        passage, a different scale (median 0.28 against 0.64 with the index on held-out
        MedicationQA questions over the whole development corpus), so the weak-match notice
        and the verdict's weak-match rule fired on nearly every keyword-only article. Here
        the embedder (the model, not an index) gives the cosine the hybrid search would: the
        question's vector moved towards the top passages (`feedback.rocchio`, the search's
        own pseudo-relevance feedback, `RetrievalOptions.feedback_beta` and
        ``feedback_docs``), against each of the top 3. The keyword share is kept only when no
        embedder can be loaded.
        """
        import numpy as np

        from curbside.index.dense import embedding_text
        from curbside.index.embedder import EmbedderUnavailable
        from curbside.retrieve.feedback import rocchio
        from curbside.retrieve.hybrid import RetrievalOptions

        opt = RetrievalOptions()
        n = max(3, opt.feedback_docs)
        top = result.evidence[:n]
        if not top or any("dense" in e.scores for e in top[:3]):
            return result.confidence
        try:
            embedder = self.dense.embedder
        except EmbedderUnavailable:
            return result.confidence
        q = np.asarray(embedder.embed_query(question), dtype=np.float32).reshape(-1)
        vecs = np.asarray(embedder.embed([
            embedding_text(e.source.title, e.passage.section, e.passage.text) for e in top
        ]), dtype=np.float32)
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        if opt.feedback_beta > 0:
            q = rocchio(q, vecs[: opt.feedback_docs], opt.feedback_beta)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        return max(0.0, min(1.0, float((vecs[:3] @ q).max())))

    def _sentence_vectors(self) -> TextVectors | None:
        """The shared sentence vectors, or None when no embedder can be loaded."""
        from curbside.index.embedder import EmbedderUnavailable

        try:
            _ = self.dense.embedder  # raises when no embedder can be loaded
        except EmbedderUnavailable:
            log.warning("no embedder: answers are chosen by retrieval scores alone")
            return None
        return self.vectors

    def llm_body(
        self,
        article: Article,
        refs: ReferenceList,
        evidence: Sequence[Evidence],
        audience: Audience,
    ) -> Article:
        """Replace the extractive lead and sections with verified LLM prose, or fall back.

        The LLM gets the best `AnswerSettings.llm_passages` passages, numbered through `refs`
        (the composer's reference list, so its numbers continue); each of its sentences passes
        the same support check (`AnswerSettings.support_threshold`) as an extracted one."""
        from curbside.llm.writer import write_with_llm
        from curbside.verify.support import SupportScorer

        numbered = []
        for ev in evidence[: self.answers.llm_passages]:
            n = refs.cite(ev.source, ev.passage.id, ev.passage.text)
            numbered.append((n, ev.source.title, ev.passage.text))
        out = write_with_llm(
            self.llm,
            article.question,
            numbered,
            audience=audience,
            scorer=SupportScorer(vectors=self.vectors),
            threshold=self.answers.support_threshold,
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
            ][: self.answers.llm_spans_per_claim]
            claims.append(c.model_copy(update={"spans": spans}))
        uids = {ev.passage.id: ev.passage.uid for ev in evidence}
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


class Safety:
    """Premise findings, red flags and urgency from the knowledge patterns (never from a
    model); added even when the evidence is insufficient."""

    def __init__(self, store: SourceStore) -> None:
        self.store = store

    def run(self, inp: Composed) -> Checked:
        article, result = self.add(inp.article, inp.retrieved.evidence, inp.refs)
        return Checked(composed=inp, article=article, safety=result)

    def add(
        self, article: Article, evidence: Sequence[Evidence], refs: ReferenceList
    ) -> tuple[Article, SafetyResult]:
        """`article` with premise findings, red flags, urgency and references filled in.

        `refs` must be the ReferenceList the composer used for `article`, so new numbers
        continue its numbering. The article keeps its references (as the verifier left them)
        and gains those the safety blocks cite."""
        res = safety_blocks(article.question, evidence, self.store, refs)
        cited = {n for f in res.premise_findings for n in f.citations}
        cited |= {n for f in res.red_flags for n in f.citations}
        have = {r.n for r in article.references}
        extra = [r for r in refs.references() if r.n in cited and r.n not in have]
        updated = article.model_copy(update={
            "premise_findings": list(article.premise_findings) + res.premise_findings,
            "red_flags": list(article.red_flags) + res.red_flags,
            "urgency": res.urgency if res.urgency != "none" else article.urgency,
            "references": sorted([*article.references, *extra], key=lambda r: r.n),
            "notices": [
                *article.notices,
                *(message("notice.premise_unsupported", assumption=a) for a in res.unsupported),
            ],
        })
        return settle_bottom_line(updated, res.premise_findings), res


def similarity(vectors: TextVectors) -> Similarity:
    """How well each text answers the question: the answer scorer (`compose.answer_scorer`:
    the learned adapter where weights ship, else plain cosine) over the shared sentence
    vectors. It needs the embedding model, not a dense index, so answers are chosen (and
    refused) the same way with or without one."""
    from curbside.compose.answer_scorer import score

    def sim(question: str, sentences: list[str]) -> list[float]:
        vecs = vectors.vectors([question, *sentences])
        return [float(x) for x in score(vecs[0], vecs[1:])]

    return sim


def study_design(vectors: TextVectors) -> Callable[[list[str]], list[bool]]:
    """Which sentences say how a study was run (`compose.sentence_roles`, on the same
    sentence vectors as the answer scores, so it embeds nothing more)."""
    from curbside.compose.sentence_roles import says_how_run

    def design(sentences: list[str]) -> list[bool]:
        return says_how_run(vectors.vectors(sentences)) if sentences else []

    return design


def answer_kinds(vectors: TextVectors) -> Callable[[list[str]], list[frozenset[str]] | None]:
    """The kinds of answer sentences give (`compose.answer_kinds`, on the same sentence
    vectors as the answer scores, so it embeds nothing more)."""
    from curbside.compose import answer_kinds as kinds

    def read(sentences: list[str]) -> list[frozenset[str]] | None:
        return kinds.answer_kinds(vectors.vectors(sentences)) if sentences else []

    return read


class Verify:
    """Each cited claim checked against the passages it cites; unsupported claims dropped,
    references renumbered. `verifier` is called only when the article cites something (it
    loads the embedding model). Then the lead gets its frame (`compose.frames.frame_lead`:
    the guidelines the verified lead sentence cites, named from their stored metadata), so
    the frame names what the lead cites after verification."""

    def __init__(self, verifier: Callable[[], CitationVerifier]) -> None:
        self.verifier = verifier

    def run(self, inp: Checked) -> Verified:
        article = inp.article
        if not article.references:
            return Verified(checked=inp, article=frame_lead(article), report=None)
        refs = inp.composed.refs
        passages_by_ref = {n: list(p.values()) for n, p in refs.passages.items()}
        verified, report = self.verifier().verify(article, passages_by_ref, drop_unsupported=True)
        return Verified(checked=inp, article=frame_lead(verified), report=report)


class Render:
    """The verified article rendered for its reader (`render.modes`): the final `Article`."""

    def run(self, inp: Verified) -> Article:
        return render_for_audience(inp.article, inp.request.audience)
