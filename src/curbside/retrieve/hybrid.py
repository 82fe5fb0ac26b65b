"""Hybrid evidence retrieval: lexical + dense candidates, fusion, evidence-aware rerank, diversity.

Every score that shaped the order is kept on the `Evidence` (``curbside search --explain``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from curbside.config import RetrievalSettings
from curbside.domain import EVIDENCE_LEVEL, Evidence, SourceKind
from curbside.index.documents import DocumentMode, DocumentVectors
from curbside.index.filters import PassageFilter, search_filtered
from curbside.index.lexical import LexicalIndex, search_lexical
from curbside.index.vectors import VectorIndex
from curbside.retrieve.expansion import (
    policy_weights,
    question_phrasing,
    vocabulary_gap,
    weighted_terms,
)
from curbside.retrieve.feedback import lexical_is_weak, rocchio, stored_vectors
from curbside.retrieve.fusion import convex, rrf
from curbside.retrieve.question_style import is_consumer
from curbside.retrieve.ranker import Candidate, LinearRanker, features, load_ranker, on_scale
from curbside.store.sources import SourceStore
from curbside.text.tokens import lexical_tokens
from curbside.understand.analysis import QueryAnalysis, analyze_query

MAX_QUERY_CHARS = 2000

#: Rerank bonuses: strength of evidence, section, recency. Small: relevance comes first.
LEVEL_BONUS = {1: 0.12, 2: 0.09, 3: 0.06, 4: 0.03, 5: 0.0, 6: 0.02, 7: 0.0}
KEY_SECTIONS = re.compile(
    r"CONCLUSION|RECOMMENDATION|KEY (POINTS|FINDINGS)|BOTTOM LINE|SUMMARY", re.I
)


class QueryError(ValueError):
    """The query cannot be searched; the message says why."""


class DenseSearcher(Protocol):
    """What hybrid retrieval needs of the dense side (`curbside.index.dense.DenseIndex` is
    one): the query's embedding and the vector index to search with it."""

    def index(self) -> VectorIndex: ...

    def query_vector(self, query: str) -> npt.NDArray[np.float32]: ...


#: Default `RetrievalOptions.document_weight`: off. Weight 0.5 on the questions the learned
#: question-style gate reads as consumer-phrased (`question_style`, ``document_when`` "style")
#: was chosen on the development halves of the retrieval sets and won or tied on each, but the
#: one held-out run lost 0.0004 nDCG@10 on BioASQ's half (docs/benchmarks.md, stop 30; weight
#: 1 with the hand rule had lost NFCorpus's), so it is opt-in: ``retrieval.document_weight``.
DOCUMENT_WEIGHT = 0.0
#: Default `RetrievalOptions.document_when` (see `DOCUMENT_WEIGHT`).
DOCUMENT_WHEN: Literal["any", "consumer", "style"] = "style"


@dataclass
class RetrievalOptions:
    """Switches for the ablation table; the defaults are what `search` and `ask` use."""

    fusion: Literal["rrf", "convex", "lexical", "dense", "document"] = "convex"
    dense_weight: float = 0.5
    norm: Literal["zscore", "minmax"] = "zscore"
    #: Lean on dense when the lexical list's top scores stand out less than ``ratio`` x the
    #: dense list's (`feedback.lexical_is_weak`); None turns the rule off.
    weak_lexical_ratio: float | None = 0.9
    weak_lexical_dense_weight: float = 0.75
    #: Dense pseudo-relevance feedback (Rocchio) from the top fused passages; beta 0 = off.
    feedback_beta: float = 0.6
    feedback_docs: int = 3
    expansion: bool = True
    #: Search weight of each expansion kind (`analysis.EXPANSION_KINDS`; 0 drops it, 1 keeps
    #: it as the user's own word); None = the shipped policy for the question's kind
    #: (`retrieve.expansion`, ``knowledge/expansion.yaml``). Ignored without `expansion`.
    expansion_weights: Mapping[str, float] | None = None
    #: The vocabulary-gap rule (`expansion.vocabulary_gap`): an expansion is searched only
    #: where the library holds it in more than this many times as many passages as the
    #: user's words it stands for; None = ``knowledge/expansion.yaml``'s, 0 = every expansion.
    expansion_gap: float | None = None
    rerank: bool = True
    diversity: bool = True
    candidates: int | None = None
    #: "fusion": the hand-set fusion and rerank bonuses; "learned": `ranker.LinearRanker`
    #: over the fused candidates and the document list (its bonuses are features).
    ranker: Literal["fusion", "learned"] = "fusion"
    #: Document-level vectors (`index.documents`) for fusion "document" and the learned
    #: ranker: "first" (title + opening) or "mean" of the passages; None = the ranker's own.
    documents: DocumentMode | None = None
    #: Weight of the source's document-level cosine (`index.documents`, ``first``: title +
    #: opening) in the hand fusion: the head of the fused list gains this times the z-score
    #: of its source's cosine among the head ("what the source is about"); 0 = off. `search`
    #: takes it from ``retrieval.document_weight`` (the same default).
    document_weight: float = DOCUMENT_WEIGHT
    #: Which questions get `document_weight`: those the learned question-style gate reads as
    #: consumer-phrased ("style", `question_style.is_consumer` on the question's vector),
    #: those the hand rule does ("consumer", `expansion.question_phrasing`), or "any" (on
    #: every question it lowered BioASQ: its sources are single abstracts).
    document_when: Literal["any", "consumer", "style"] = DOCUMENT_WHEN


#: Document vectors of fusion "document" when the options name none (see docs/benchmarks.md).
DEFAULT_DOCUMENTS: DocumentMode = "first"
#: Candidates the learned ranker scores: the head of the fused list and of the document list.
LEARNED_POOL = 100
LEARNED_DOCUMENTS = 20


@dataclass
class RetrievalResult:
    analysis: QueryAnalysis
    evidence: list[Evidence]
    confidence: float
    timings_ms: dict[str, float] = field(default_factory=dict)


def clean_query(query: str) -> str:
    """Validate and trim a query; raises `QueryError` with a clear reason."""
    if query is None or not query.strip():
        raise QueryError("the question is empty")
    q = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in query)
    q = q[:MAX_QUERY_CHARS]
    if not lexical_tokens(q):
        raise QueryError("the question has no words to search for")
    return q


class HybridRetriever:
    def __init__(
        self,
        *,
        store: SourceStore,
        lexical: LexicalIndex,
        dense: DenseSearcher | None,
        settings: RetrievalSettings,
    ) -> None:
        self.store = store
        self.lexical = lexical
        self.dense = dense
        self.settings = settings
        self._qvecs: dict[str, npt.NDArray[np.float32]] = {}
        self._ranker: LinearRanker | None = None

    def raw_lists(
        self,
        query: str,
        n: int,
        *,
        expansion: bool = True,
        lexical: bool = True,
        dense: bool = True,
        where: PassageFilter | None = None,
        document: DocumentMode | None = None,
        expansion_weights: Mapping[str, float] | None = None,
        expansion_gap: float | None = None,
    ) -> tuple[QueryAnalysis, dict[str, list[tuple[int, float]]], dict[str, float]]:
        """The retrievers' own ranked lists (and their timings in ms), before fusion; with an
        active ``where``, each list keeps to matching current passages (the filter pushed into
        the keyword index and the vector backend, so each still has ``n`` when ``n`` match).
        With `document`, also the best sources by their document vector, each as its first
        passage (``"document"``; not filtered by ``where``: the ranker's pool is). Expansions
        weigh `expansion_weights` by kind (None: the policy for the question, `expansion`),
        less those the vocabulary-gap rule leaves out (`expansion_gap`)."""
        import time

        q = clean_query(query)
        analysis = analyze_query(q)
        lists: dict[str, list[tuple[int, float]]] = {}
        timings: dict[str, float] = {}
        if lexical:
            t0 = time.perf_counter()
            terms, _left_out = self.keyword_terms(
                analysis, expansion=expansion, weights=expansion_weights, gap=expansion_gap
            )
            lists["lexical"] = self._lexical(terms, n, _active(where))
            timings["lexical"] = (time.perf_counter() - t0) * 1000
        if dense and self.dense is not None:
            t0 = time.perf_counter()
            lists["dense"] = self._dense_search(self.dense.index(), self.query_vector(q), n, where)
            timings["dense"] = (time.perf_counter() - t0) * 1000
        docs = self.documents(document) if document else None
        if docs is not None:
            t0 = time.perf_counter()
            lists["document"] = docs.search(self.query_vector(q), n)
            timings["document"] = (time.perf_counter() - t0) * 1000
        return analysis, lists, timings

    def keyword_terms(
        self,
        analysis: QueryAnalysis,
        *,
        expansion: bool = True,
        weights: Mapping[str, float] | None = None,
        gap: float | None = None,
    ) -> tuple[list[tuple[str, float]], list[str]]:
        """The keyword search's weighted terms for a question, and the expansions the
        vocabulary-gap rule left out: the user's words, the expansions weighted by kind
        (`weights`; None: the policy for the question; none without `expansion`), less those
        the library does not need (`expansion.vocabulary_gap` at `gap`; None: the file's)."""
        if weights is None:
            weights = policy_weights(analysis)
        terms = weighted_terms(analysis, weights if expansion else {})
        count = getattr(self.lexical, "passage_count", None)  # a plugin index may lack it
        return vocabulary_gap(analysis, terms, count, gap)

    def _lexical(
        self, terms: Sequence[tuple[str, float]], n: int, where: PassageFilter | None
    ) -> list[tuple[int, float]]:
        """The keyword list for weighted terms: the terms of weight 1 in one query; each lower
        weight's terms in a query of their own, whose BM25 scores are added times the weight
        (FTS5's BM25 of an OR query is the sum of its phrases' scores, so weight 1 everywhere
        is the single query). A passage outside a partial list gains nothing from it."""
        full = [t for t, w in terms if w >= 1.0]
        ranked = search_lexical(self.lexical, full, n, where) if full else []
        by_weight: dict[float, list[str]] = {}
        for t, w in terms:
            if 0.0 < w < 1.0:
                by_weight.setdefault(w, []).append(t)
        if not by_weight:
            return ranked
        total = dict(ranked)
        for w, part in sorted(by_weight.items(), reverse=True):
            for pid, s in search_lexical(self.lexical, part, n, where):
                total[pid] = total.get(pid, 0.0) + w * s
        return sorted(total.items(), key=lambda t: (-t[1], t[0]))[:n]

    def _dense_search(
        self,
        index: VectorIndex,
        vec: npt.NDArray[np.float32],
        n: int,
        where: PassageFilter | None,
    ) -> list[tuple[int, float]]:
        if _active(where) is None:
            return index.search(vec, n)
        return search_filtered(index, self.store, vec, n, where)

    def documents(self, mode: DocumentMode) -> DocumentVectors | None:
        """The dense side's document vectors, or None where it has none."""
        build = getattr(self.dense, "documents", None)
        return build(mode) if build is not None else None

    @property
    def ranker(self) -> LinearRanker:
        """The learned ranker's weights (`ranker.RANKER_FILE`), read on first use."""
        if self._ranker is None:
            self._ranker = load_ranker()
        return self._ranker

    def query_vector(self, query: str) -> npt.NDArray[np.float32]:
        """The query's embedding (the last few are kept: feedback needs it again)."""
        assert self.dense is not None
        q = clean_query(query)
        vec = self._qvecs.pop(q, None)
        if vec is None:
            vec = self.dense.query_vector(q)
        self._qvecs[q] = vec
        while len(self._qvecs) > 32:
            self._qvecs.pop(next(iter(self._qvecs)))
        return vec

    def forget_queries(self) -> None:
        """Drop the remembered query embeddings (a benchmark timing each search from scratch
        calls this; nothing else needs to)."""
        self._qvecs.clear()

    def dense_weight(
        self, lists: dict[str, list[tuple[int, float]]], opt: RetrievalOptions
    ) -> float:
        """The dense list's fusion weight for this query (see `feedback.lexical_is_weak`)."""
        if opt.weak_lexical_ratio is not None and lexical_is_weak(lists, opt.weak_lexical_ratio):
            return opt.weak_lexical_dense_weight
        return opt.dense_weight

    def refine(
        self,
        query: str,
        lists: dict[str, list[tuple[int, float]]],
        opt: RetrievalOptions,
        where: PassageFilter | None = None,
    ) -> dict[str, list[tuple[int, float]]]:
        """The lists after dense pseudo-relevance feedback (unchanged where it does not apply).

        Applies to convex fusion of both lists when lexical is not weak: the query vector moves
        towards the top `feedback_docs` fused passages and the dense index is searched again.
        """
        if (
            opt.fusion != "convex"
            or opt.feedback_beta <= 0
            or self.dense is None
            or not lists.get("lexical")
            or not lists.get("dense")
            or (
                opt.weak_lexical_ratio is not None
                and lexical_is_weak(lists, opt.weak_lexical_ratio)
            )
        ):
            return lists
        first = self.fuse(lists, opt)
        top = sorted(first, key=lambda pid: first[pid]["fused"], reverse=True)[: opt.feedback_docs]
        index = self.dense.index()
        fb = stored_vectors(index, top)
        if fb is None:  # nothing stored to feed back: embedding passages now would cost more
            return lists
        vec = rocchio(self.query_vector(query), fb, opt.feedback_beta)
        return {**lists, "dense": self._dense_search(index, vec, len(lists["dense"]), where)}

    def candidates(
        self,
        query: str,
        options: RetrievalOptions | None = None,
        where: PassageFilter | None = None,
    ) -> tuple[QueryAnalysis, dict[int, dict[str, float]]]:
        """Fused candidate passages with their per-retriever scores (no rerank, no diversity);
        with ``where``, only current passages of those kinds and years."""
        analysis, _lists, scores = self._candidates(query, options or RetrievalOptions(), where)
        return analysis, scores

    def _candidates(
        self, query: str, opt: RetrievalOptions, where: PassageFilter | None = None
    ) -> tuple[QueryAnalysis, dict[str, list[tuple[int, float]]], dict[int, dict[str, float]]]:
        """(analysis, the lists after feedback, fused scores); the document list, where the
        options ask for one, is in the lists but not in the hand-set fusion."""
        n = opt.candidates or self.settings.candidates
        learned = opt.ranker == "learned"
        mode = opt.documents or (self.ranker.documents if learned else DEFAULT_DOCUMENTS)
        analysis, lists, _t = self.raw_lists(
            query,
            n,
            expansion=opt.expansion,
            expansion_weights=opt.expansion_weights,
            expansion_gap=opt.expansion_gap,
            lexical=opt.fusion not in ("dense", "document"),
            dense=opt.fusion not in ("lexical", "document"),
            where=where,
            document=mode if (learned or opt.fusion == "document") else None,
        )
        if opt.fusion == "document":
            return analysis, lists, self.fuse(lists, opt)
        doc = lists.pop("document", None)
        lists = self.refine(query, lists, opt, where)
        scores = self.fuse(lists, opt)
        if doc is not None:
            lists = {**lists, "document": doc}
        return analysis, lists, scores

    def learned_candidates(
        self,
        query: str,
        opt: RetrievalOptions,
        where: PassageFilter | None = None,
    ) -> tuple[
        QueryAnalysis, list[Candidate], npt.NDArray[np.float64], dict[int, dict[str, float]]
    ]:
        """The learned ranker's pool (head of the fused list, then of the document list; current
        sources only), its `ranker.FEATURES` matrix and the fused scores. The training script
        (``benchmarks/train_ranker.py``) calls this too, so training sees what search sees."""
        learned = dataclasses.replace(opt, ranker="learned")
        analysis, lists, scores = self._candidates(query, learned, where)
        head = sorted(scores, key=lambda pid: scores[pid]["fused"], reverse=True)[:LEARNED_POOL]
        seen = set(head)
        head += [p for p, _ in lists.get("document", [])[:LEARNED_DOCUMENTS] if p not in seen]
        found = self.store.get_passages(head)
        pool = [
            Candidate(pid, found[pid][0], found[pid][1])
            for pid in head
            if pid in found
            and found[pid][1].is_current
            and (where is None or where.matches(found[pid][1].kind, found[pid][1].year))
        ]
        pids = [c.pid for c in pool]
        dense_cos = np.zeros(len(pool), dtype=np.float32)
        doc_cos = np.zeros(len(pool), dtype=np.float32)
        if self.dense is not None and pool:
            qvec = self.query_vector(query)
            ids, vecs = self.dense.index().vectors(pids)
            at = {int(p): i for i, p in enumerate(ids)}
            for i, pid in enumerate(pids):
                if pid in at:
                    dense_cos[i] = float(vecs[at[pid]] @ qvec)
            docs = self.documents(learned.documents or self.ranker.documents)
            if docs is not None:
                doc_cos = docs.scores(qvec, [c.source.id for c in pool])
        fused = {pid: s["fused"] for pid, s in scores.items()}
        x = features(
            analysis,
            pool,
            lists,
            fused,
            dense_cos,
            doc_cos,
            lexical_weak=lexical_is_weak(lists, opt.weak_lexical_ratio or 0.9),
        )
        for i, c in enumerate(pool):
            s = scores.setdefault(c.pid, {"fused": min(fused.values(), default=0.0)})
            s["dense_cos"] = float(dense_cos[i])
            s["doc_dense"] = float(doc_cos[i])
        return analysis, pool, x, scores

    def fuse(
        self, lists: dict[str, list[tuple[int, float]]], opt: RetrievalOptions
    ) -> dict[int, dict[str, float]]:
        """Fused scores per passage, keeping each retriever's score and rank."""
        if opt.fusion == "rrf":
            fused = rrf(lists, k=self.settings.rrf_k)
        elif opt.fusion == "convex":
            w = self.dense_weight(lists, opt) if "lexical" in lists and "dense" in lists else 1.0
            fused = convex(
                lists, {"dense": w, "lexical": 1.0 - w if "dense" in lists else 1.0}, norm=opt.norm
            )
        else:
            fused = {i: s for ranked in lists.values() for i, s in ranked}
        scores: dict[int, dict[str, float]] = {pid: {"fused": s} for pid, s in fused.items()}
        for name, ranked in lists.items():
            for rank, (pid, s) in enumerate(ranked, start=1):
                if pid in scores:
                    scores[pid][name] = s
                    scores[pid][f"{name}_rank"] = rank
        return scores

    def _fused(
        self, query: str, k: int, opt: RetrievalOptions, where: PassageFilter | None = None
    ) -> tuple[QueryAnalysis, list[Evidence]]:
        analysis, _lists, scores = self._candidates(query, opt, where)
        # Only the head of the fused list can reach the top k after a bounded rerank.
        head = sorted(scores, key=lambda pid: scores[pid]["fused"], reverse=True)
        found = self.store.get_passages(head[: max(k * 6, 60)])
        evidence = [
            Evidence(passage=found[pid][0], source=found[pid][1], scores=scores[pid])
            for pid in head
            if pid in found
            and found[pid][1].is_current
            and (where is None or where.matches(found[pid][1].kind, found[pid][1].year))
        ]
        if evidence and self._document_blend_applies(query, analysis, opt):
            self._blend_documents(query, evidence, opt)
        return analysis, evidence

    def _document_blend_applies(
        self, query: str, analysis: QueryAnalysis, opt: RetrievalOptions
    ) -> bool:
        """Whether `document_weight` applies to this question (`document_when`)."""
        if opt.document_weight <= 0 or opt.fusion != "convex" or self.dense is None:
            return False
        if opt.document_when == "consumer":
            return question_phrasing(analysis) == "consumer"
        if opt.document_when == "style":
            return bool(is_consumer(self.query_vector(query)))
        return True

    def _blend_documents(
        self, query: str, evidence: list[Evidence], opt: RetrievalOptions
    ) -> None:
        """Add ``weight`` x the z-score (within `evidence`) of each passage's source's
        document cosine to its fused score; the score before is kept as ``fused_passages``."""
        weight = opt.document_weight
        docs = self.documents(opt.documents or DEFAULT_DOCUMENTS)
        if docs is None:
            return
        cos = docs.scores(self.query_vector(query), [e.source.id for e in evidence])
        sd = float(cos.std()) or 1.0
        z = (cos - float(cos.mean())) / sd
        for e, c, zi in zip(evidence, cos, z, strict=True):
            s = e.scores
            s["doc_dense"] = float(c)
            s["fused_passages"] = s["fused"]
            s["fused"] = s["fused"] + weight * float(zi)

    def _learned(
        self, query: str, opt: RetrievalOptions, where: PassageFilter | None = None
    ) -> tuple[QueryAnalysis, list[Evidence]]:
        """The pool in the learned ranker's order, on the hand fusion's scale, times the
        hand-set bonuses (`_rerank`). The development sets give every passage the same kind,
        no year and no section, so the ranker cannot learn them; this keeps evidence level, key
        section, recency and the retraction penalty shaping the order in a real library as
        much as after the fusion: ``learned_fused`` is the pool's fused score at the ranker's
        rank (`ranker.on_scale`), not the ranker's own (0, 1) score, whose top candidates lie
        too close together for a multiplied bonus (see `ranker`)."""
        analysis, pool, x, scores = self.learned_candidates(query, opt, where)
        learned = self.ranker.score(x) if len(pool) else np.zeros(0)
        scaled = on_scale(learned, [scores[c.pid]["fused"] for c in pool])
        evidence = []
        for c, val, base in zip(pool, learned, scaled, strict=True):
            s = scores[c.pid]
            s["learned"] = float(val)
            s["learned_fused"] = float(base)
            evidence.append(Evidence(passage=c.passage, source=c.source, scores=s))
        self._rerank(evidence, opt, base="learned_fused")
        return analysis, evidence

    def _rerank(
        self, evidence: list[Evidence], opt: RetrievalOptions, base: str = "fused"
    ) -> None:
        """The hand-set bonuses: evidence level, key section, recency, retraction; ``final``
        is the `base` score (fused, or learned on the fused scale) times one plus their sum."""
        year_now = dt.date.today().year
        for ev in evidence:
            s = ev.scores
            bonus = 0.0
            if opt.rerank:
                level = EVIDENCE_LEVEL[SourceKind(ev.source.kind)]
                s["level_bonus"] = LEVEL_BONUS.get(level, 0.0)
                s["section_bonus"] = 0.04 if KEY_SECTIONS.search(ev.passage.section or "") else 0.0
                age = year_now - ev.source.year if ev.source.year else 30
                s["recency_bonus"] = 0.03 if age <= 10 else (0.015 if age <= 20 else 0.0)
                s["retracted_penalty"] = -0.5 if ev.source.retracted else 0.0
                bonus = (
                    s["level_bonus"]
                    + s["section_bonus"]
                    + s["recency_bonus"]
                    + s["retracted_penalty"]
                )
            elif base == "learned_fused" and ev.source.retracted:  # as before rerank did
                bonus = s["retracted_penalty"] = -0.5
            s["final"] = s[base] * (1.0 + bonus)

    def search(
        self,
        query: str,
        k: int = 10,
        options: RetrievalOptions | None = None,
        where: PassageFilter | None = None,
    ) -> RetrievalResult:
        """The best ``k`` passages; with ``where``, only those of its kinds and years."""
        import time

        opt = options or RetrievalOptions(
            ranker=self.settings.ranker,
            document_weight=self.settings.document_weight,
            document_when=self.settings.document_when,
        )
        where = _active(where)
        t0 = time.perf_counter()
        if opt.ranker == "learned" and self.dense is not None:
            # Trained on both retrievers' candidates; keyword-only search keeps the hand fusion.
            analysis, evidence = self._learned(query, opt, where)
            t1 = time.perf_counter()
        else:
            analysis, evidence = self._fused(query, k, opt, where)
            t1 = time.perf_counter()
            self._rerank(evidence, opt)
        evidence.sort(key=lambda e: e.scores["final"], reverse=True)
        if opt.diversity:
            evidence = diversify(
                evidence, k=k, per_source=self.settings.per_source_cap, lam=self.settings.mmr_lambda
            )
        else:
            evidence = evidence[:k]
        t2 = time.perf_counter()
        return RetrievalResult(
            analysis=analysis,
            evidence=evidence,
            confidence=confidence(evidence, analysis.keywords),
            timings_ms={"candidates": (t1 - t0) * 1000, "rerank": (t2 - t1) * 1000},
        )


def _active(where: PassageFilter | None) -> PassageFilter | None:
    """``where`` if it narrows anything, else None (the unfiltered path, as before)."""
    return where if where is not None and where.active else None


def _token_set(text: str) -> set[str]:
    return {t for t in lexical_tokens(text) if len(t) > 2}


def diversify(
    evidence: Sequence[Evidence], *, k: int, per_source: int, lam: float
) -> list[Evidence]:
    """MMR over token overlap plus a per-source cap (greedy, from the reranked order)."""
    pool = list(evidence[: max(k * 5, 50)])
    if not pool:
        return []
    top = pool[0].scores["final"] or 1.0
    sets = {id(e): _token_set(e.passage.text) for e in pool}
    max_sim = dict.fromkeys(sets, 0.0)  # similarity to the closest passage chosen so far
    chosen: list[Evidence] = []
    per: dict[int, int] = {}
    while pool and len(chosen) < k:
        best, best_val = None, -1e9
        for e in pool:
            if per.get(e.source.id, 0) >= per_source:
                continue
            val = lam * e.scores["final"] / top - (1 - lam) * max_sim[id(e)]
            if val > best_val:
                best, best_val = e, val
        if best is None:
            break
        best.scores["mmr"] = best_val
        chosen.append(best)
        per[best.source.id] = per.get(best.source.id, 0) + 1
        pool.remove(best)
        b = sets[id(best)]
        for e in pool:  # incremental MMR: compare with the newly chosen passage only
            a = sets[id(e)]
            if a and b:
                common = len(a & b)
                if common:
                    sim = common / (len(a) + len(b) - common)  # Jaccard
                    max_sim[id(e)] = max(max_sim[id(e)], sim)
    return chosen


def confidence(evidence: Sequence[Evidence], keywords: Sequence[str] = ()) -> float:
    """Retrieval confidence in [0, 1]: how strongly the best passages match.

    With a dense index: the best dense cosine among the top 3. Lexical-only (no index yet):
    0.7 x the share of the question's keywords found in the best passage, another scale; the
    answer pipeline computes the cosine with the embedder instead where it can
    (`pipeline.stages.Compose.confidence`).
    """
    if not evidence:
        return 0.0
    dense = [e.scores["dense"] for e in evidence[:3] if "dense" in e.scores]
    if dense:
        return max(0.0, min(1.0, max(dense)))
    words = {w for w in keywords if len(w) > 2}
    if not words:
        return 0.0
    best = max(
        len(words & set(lexical_tokens(f"{e.source.title} {e.passage.text}"))) for e in evidence[:3]
    )
    return 0.7 * best / len(words)
