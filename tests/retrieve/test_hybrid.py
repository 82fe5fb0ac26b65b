"""Hybrid retrieval over the starter library; fusion; FTS5 query safety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curbside import services
from curbside.config import Settings
from curbside.index.lexical import Fts5LexicalIndex, match_expression
from curbside.retrieve.fusion import convex, normalise, rrf
from curbside.retrieve.hybrid import RetrievalOptions


def test_rrf_and_convex_fusion() -> None:
    lists = {"a": [(1, 9.0), (2, 5.0), (4, 1.0)], "b": [(2, 0.9), (3, 0.8), (5, 0.1)]}
    fused = rrf(lists, k=60)
    assert max(fused, key=fused.__getitem__) == 2
    assert normalise([(1, 3.0), (2, 1.0)]) == {1: 1.0, 2: 0.0}
    c = convex(lists, {"a": 0.5, "b": 0.5})
    assert c[2] > c[1] and c[2] > c[3]


def test_search_finds_the_relevant_guideline(starter_rt: services.Runtime) -> None:
    res = services.search(
        starter_rt, query="inflammatory back pain axial spondyloarthritis MRI", k=5
    )
    assert res.evidence
    titles = " ".join(e.source.title.lower() for e in res.evidence[:3])
    assert "spondylo" in titles or "sacroiliitis" in titles
    for ev in res.evidence:
        assert {"fused", "final"} <= set(ev.scores)


def test_per_source_cap_and_explainable_scores(starter_rt: services.Runtime) -> None:
    res = services.search(starter_rt, query="low back pain treatment exercise", k=10)
    per: dict[int, int] = {}
    for ev in res.evidence:
        per[ev.source.id] = per.get(ev.source.id, 0) + 1
    assert max(per.values()) <= starter_rt.settings.retrieval.per_source_cap
    assert all("level_bonus" in e.scores and "mmr" in e.scores for e in res.evidence)


def test_lexical_only_and_dense_only_options(starter_rt: services.Runtime) -> None:
    q = "heart attack symptoms"
    lex = services.search(starter_rt, query=q, options=RetrievalOptions(fusion="lexical"))
    den = services.search(starter_rt, query=q, options=RetrievalOptions(fusion="dense"))
    assert lex.evidence and den.evidence
    assert all("dense" not in e.scores for e in lex.evidence)
    assert all("lexical" not in e.scores for e in den.evidence)


@pytest.mark.parametrize("query", ["", "   \n\t ", "\x00\x01\x02", "!!! ??? ..."])
def test_unsearchable_queries_are_clear_errors(starter_rt: services.Runtime, query: str) -> None:
    with pytest.raises(services.InvalidInput) as exc:
        services.search(starter_rt, query=query)
    assert exc.value.field == "query"


def test_long_and_binary_looking_queries_work(starter_rt: services.Runtime) -> None:
    long_q = "low back pain " * 1500  # ~20,000 characters
    assert services.search(starter_rt, query=long_q, k=3).evidence
    services.search(starter_rt, query="\udcff\ufffd binary \x7f\x80 ÿþ stroke", k=3)


_FTS_NOISE = st.lists(
    st.sampled_from(['"', "'", "*", "-", ":", "^", "(", ")", "[", "]", "{", "}", "+", "NEAR",
                     "NEAR(", "OR", "AND", "NOT", "\\", "\u00e9", "pain", " ", "col:"]),
    max_size=20,
).map("".join)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.one_of(st.text(max_size=80), _FTS_NOISE))
def test_user_text_is_never_fts5_syntax(starter_rt: services.Runtime, text: str) -> None:
    from curbside.text.tokens import lexical_tokens

    lex = Fts5LexicalIndex(starter_rt.engine)
    lex.search([text], 5)  # must not raise
    lex.search(lexical_tokens(text), 5)
    expr = match_expression([text])
    assert expr == "" or all(
        part.startswith('"') and part.endswith('"') for part in expr.split(" OR ")
    )


def test_match_expression_dedupes_terms() -> None:
    expr = match_expression(["pain", "Pain", "pain", "the", "back pain", "back  pain"])
    assert expr == '"pain" OR "back pain"'


def _few_notes(tmp_path: Path, n: int = 4) -> Path:
    import shutil

    notes = tmp_path / "notes"
    notes.mkdir()
    for p in sorted(services.starter_library_path().glob("*.md"))[:n]:
        shutil.copy(p, notes / p.name)
    return notes


def test_missing_dense_index_falls_back_and_status_says_so(tmp_path: Path) -> None:
    rt = services.open_runtime(Settings(home=tmp_path / "h"))
    services.ingest(rt, paths=[_few_notes(tmp_path)], embed=False)
    st_ = services.index_status(rt)
    assert st_["missing"] == st_["current_passages"] > 0
    res = services.search(rt, query="guideline recommendations", k=3)
    assert res.evidence and all("dense" not in e.scores for e in res.evidence)
    built = services.build_index(rt)
    assert built["missing"] == 0 and built["embedded"] == st_["current_passages"]
    assert built["bytes_per_vector"] <= 600 + 400  # int8 vectors plus graph overhead, small sets


def test_changed_embedder_settings_use_a_new_index(tmp_path: Path) -> None:
    rt = services.open_runtime(Settings(home=tmp_path / "h"))
    services.ingest(rt, paths=[_few_notes(tmp_path, 1)], embed=False)
    d1 = services.index_status(rt)["directory"]
    s2 = Settings(home=tmp_path / "h", embedder={"max_tokens": 128})  # type: ignore[arg-type]
    rt2 = services.open_runtime(s2)
    st2 = services.index_status(rt2)
    assert st2["directory"] != d1 and not st2["exists"]


def test_retriever_takes_any_dense_searcher(starter_rt: services.Runtime) -> None:
    """`HybridRetriever` needs only the `DenseSearcher` protocol, not a `DenseIndex`."""
    from curbside.index.vectors import VectorIndex
    from curbside.retrieve.hybrid import HybridRetriever

    dense = starter_rt.dense

    class Searcher:
        def index(self) -> VectorIndex:
            return dense.index()

        def query_vector(self, query: str) -> np.ndarray:
            return dense.query_vector(query)

    mine = HybridRetriever(store=starter_rt.store, lexical=starter_rt.lexical, dense=Searcher(),
                           settings=starter_rt.settings.retrieval)
    q = "low back pain treatment exercise"
    # The hand fusion needs only the protocol: the same evidence and scores. (The document
    # blend needs document vectors, which a bare searcher has not: it is skipped there.)
    fusion = RetrievalOptions(ranker="fusion", document_weight=0)
    assert all("fused_passages" not in e.scores
               for e in mine.search(q, k=8, options=RetrievalOptions()).evidence)
    ours, theirs = mine.search(q, k=8, options=fusion), starter_rt.retriever.search(
        q, k=8, options=fusion
    )
    # The learned ranker (opt-in) runs too, without document vectors (their cosines 0).
    learned = mine.search(q, k=8, options=RetrievalOptions(ranker="learned"))
    assert learned.evidence and all(e.scores["doc_dense"] == 0.0 for e in learned.evidence)
    assert ours.evidence and "dense" in ours.evidence[0].scores
    assert [(e.passage.id, e.scores) for e in ours.evidence] == [
        (e.passage.id, e.scores) for e in theirs.evidence
    ]


def test_query_embeddings_are_remembered_until_forgotten(starter_rt: services.Runtime) -> None:
    """A repeated query reuses its embedding; `forget_queries` (the latency benchmark's reset)
    makes the next search embed it again."""
    from curbside.index.vectors import VectorIndex
    from curbside.retrieve.hybrid import HybridRetriever

    dense = starter_rt.dense
    embedded: list[str] = []

    class Counting:
        def index(self) -> VectorIndex:
            return dense.index()

        def query_vector(self, query: str) -> np.ndarray:
            embedded.append(query)
            return dense.query_vector(query)

    mine = HybridRetriever(store=starter_rt.store, lexical=starter_rt.lexical, dense=Counting(),
                           settings=starter_rt.settings.retrieval)
    q = "low back pain treatment exercise"
    mine.search(q, k=5)
    mine.search(q, k=5)
    assert len(embedded) == 1
    mine.forget_queries()
    mine.search(q, k=5)
    assert len(embedded) == 2


def test_document_weight_blends_the_source_cosine(starter_rt: services.Runtime) -> None:
    """`document_weight` adds w x the z-score of each head passage's source cosine to its fused
    score (the score before kept); off, or for a technical question (the default gives it to
    consumer-phrased questions only), the scores are the fusion's own."""
    retriever = starter_rt.retriever
    q = "my back hurts when I sit, what exercise helps"
    base = retriever.search(q, k=8, options=RetrievalOptions(document_weight=0, diversity=False))
    w = 0.4
    blended = retriever.search(q, k=8, options=RetrievalOptions(document_weight=w, diversity=False))
    assert all("doc_dense" not in e.scores for e in base.evidence)
    cos = {e.passage.id: e.scores["doc_dense"] for e in blended.evidence}
    assert len(set(cos.values())) > 1, "sources differ in what they are about"
    for e in blended.evidence:
        s = e.scores
        assert s["fused"] != s["fused_passages"]
    # Higher source cosine, larger lift: the blend is monotone in the cosine.
    lifts = sorted((s["doc_dense"], s["fused"] - s["fused_passages"])
                   for s in (e.scores for e in blended.evidence))
    assert all(a[1] <= b[1] + 1e-9 for a, b in zip(lifts, lifts[1:], strict=False))
    assert max(d for _, d in lifts) > 0  # the best-matching sources rise
    # Consumer-only: a technical question keeps the fusion's scores exactly.
    tech = "lumbar spinal stenosis decompression surgery outcomes"
    only = RetrievalOptions(document_weight=w, document_when="consumer", diversity=False)
    assert RetrievalOptions().document_when == "style"
    assert RetrievalOptions().document_weight == starter_rt.settings.retrieval.document_weight
    off = RetrievalOptions(document_weight=0, diversity=False)
    plain = retriever.search(tech, k=8, options=off)
    gated = retriever.search(tech, k=8, options=only)
    assert [(e.passage.id, e.scores) for e in gated.evidence] == [
        (e.passage.id, e.scores) for e in plain.evidence
    ]
