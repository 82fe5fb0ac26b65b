"""The answer pipeline (issue 14): each stage's typed contract, the pipeline end to end, the
answer settings from the environment and the two fingerprints."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from curbside import services
from curbside.article import Article
from curbside.compose.references import ReferenceList
from curbside.config import AnswerSettings, Settings
from curbside.pipeline import (
    AnswerPipeline,
    AskRequest,
    Checked,
    Composed,
    Retrieved,
    Understood,
    Verified,
    WriterUnavailable,
)
from curbside.retrieve.hybrid import QueryError
from curbside.safety.blocks import SafetyResult
from curbside.understand.focus import Focus
from curbside.verify.citations import VerificationReport

SI_QUESTION = (
    "Is SI joint imbalance a common cause of low back pain and stiffness that improves with "
    "movement and exercise?"
)
SRC = Path(__file__).resolve().parents[2] / "src" / "curbside"


@pytest.fixture
def pipe(starter_rt: services.Runtime) -> AnswerPipeline:
    return AnswerPipeline(starter_rt)


# -- Understand ------------------------------------------------------------------------------


def test_understand_redacts_and_builds_the_search_text(pipe: AnswerPipeline) -> None:
    req = AskRequest(
        question="Mr John Smith, MRN 12345678, born 12/03/1961: what is the dose of ibuprofen "
        "for fever?",
        context_terms=("children", "paediatric"),
    )
    out = pipe.understand.run(req)
    assert isinstance(out, Understood) and out.request is req
    assert "John Smith" not in out.question and "12345678" not in out.question
    assert out.redacted == {"DATE": 1, "MRN": 1, "NAME": 1}
    assert "[" not in out.search_text  # placeholders are not searched for
    assert out.search_text.endswith("children paediatric")
    assert isinstance(out.focus, Focus)
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.question = "changed"  # type: ignore[misc]


# -- Retrieve --------------------------------------------------------------------------------


def test_retrieve_gives_k_passages_and_a_confidence(
    starter_rt: services.Runtime, pipe: AnswerPipeline
) -> None:
    und = pipe.understand.run(AskRequest(question=SI_QUESTION))
    out = pipe.retrieve.run(und)
    assert isinstance(out, Retrieved) and out.understood is und
    assert pipe.retrieve.k == starter_rt.settings.answers.retrieval_k == 12
    assert 0 < len(out.evidence) <= 12
    assert 0.0 <= out.confidence <= 1.0
    assert out.analysis.keywords


def test_retrieve_raises_query_error_for_a_wordless_question(pipe: AnswerPipeline) -> None:
    with pytest.raises(QueryError):
        pipe.retrieve.run(pipe.understand.run(AskRequest(question="?!")))


# -- Compose ---------------------------------------------------------------------------------


def test_compose_gives_a_cited_draft_with_the_answer_fingerprint(
    starter_rt: services.Runtime, pipe: AnswerPipeline
) -> None:
    retrieved = pipe.retrieve.run(pipe.understand.run(AskRequest(question=SI_QUESTION)))
    out = pipe.compose.run(retrieved)
    assert isinstance(out, Composed) and out.retrieved is retrieved
    assert isinstance(out.refs, ReferenceList)
    art = out.article
    assert not art.insufficient and art.lead and art.references
    assert art.settings_fingerprint == starter_rt.settings.answer_fingerprint()
    assert {r.n for r in art.references} <= set(out.refs.passages)
    # the question the composer saw is the redacted one, and its focus the Understand stage's
    inp = pipe.compose.input(retrieved.understood.question, retrieved.result,
                             focus=retrieved.understood.focus)
    assert inp.focus is retrieved.understood.focus and inp.question == art.question


def test_confidence_is_on_the_dense_scale_without_a_dense_index(
    starter_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, item 6: the composer's confidence (weak-match notice, the verdict's weak-match
    rule) reads the same cosine scale when the home has no dense index."""
    from curbside.domain import Evidence
    from curbside.retrieve.hybrid import RetrievalResult

    # The compose stage rebuilds the hand fusion's feedback from the top passages, so compare
    # with the fusion's order (the learned ranker, the default, orders the top three by its
    # own score, and its cosines there are another passage's).
    frt = services.open_runtime(
        Settings(home=starter_home, retrieval={"ranker": "fusion"})  # type: ignore[arg-type]
    )
    pipe = AnswerPipeline(frt)
    und = pipe.understand.run(AskRequest(question=SI_QUESTION))
    dense = pipe.retrieve.run(und).result
    assert all("dense" in e.scores for e in dense.evidence[:3])
    assert pipe.compose.input(und.question, dense).confidence == dense.confidence
    # The same passages without their dense scores, as a keyword-only retrieval returns them:
    # the retriever's keyword share is another scale; the compose input's is the cosine again.
    bare = [Evidence(e.passage, e.source, {k: v for k, v in e.scores.items() if k != "dense"})
            for e in dense.evidence]
    keyword_only = RetrievalResult(dense.analysis, bare, confidence=0.1)
    inp = pipe.compose.input(und.question, keyword_only)
    assert inp.confidence == pytest.approx(dense.confidence, abs=0.03)  # int8 index vs exact
    assert pipe.compose.input(und.question, keyword_only, with_similarity=False).confidence == 0.1
    frt.close()

    # A runtime whose dense index reports absent (as in a home that never built one):
    # keyword-only retrieval, and the confidence still a cosine, not the keyword share.
    rt = services.open_runtime(Settings(home=starter_home))
    monkeypatch.setattr(rt.dense, "exists", lambda: False)
    kw = AnswerPipeline(rt)
    res = kw.retrieve.run(kw.understand.run(AskRequest(question=SI_QUESTION))).result
    assert not any("dense" in e.scores for e in res.evidence)
    conf = kw.compose.input(und.question, res).confidence
    assert conf != res.confidence and 0.0 < conf <= 1.0
    rt.close()


def test_compose_refuses_the_llm_writer_without_a_server(pipe: AnswerPipeline) -> None:
    req = AskRequest(question=SI_QUESTION, writer="llm")
    retrieved = pipe.retrieve.run(pipe.understand.run(req))
    with pytest.raises(WriterUnavailable, match="CURBSIDE_LLM__BASE_URL"):
        pipe.compose.run(retrieved)


# -- Safety, Verify, Render ------------------------------------------------------------------


def test_safety_verify_and_render_stages(pipe: AnswerPipeline) -> None:
    composed = pipe.compose.run(
        pipe.retrieve.run(pipe.understand.run(AskRequest(question=SI_QUESTION,
                                                         audience="patient")))
    )
    checked = pipe.safety.run(composed)
    assert isinstance(checked, Checked) and isinstance(checked.safety, SafetyResult)
    assert checked.composed is composed and checked.request.audience == "patient"
    # the premise finding the knowledge patterns hold for this question, with its sources
    assert any(f.pattern == "axial_spondyloarthritis" for f in checked.article.premise_findings)
    cited = {n for f in checked.article.premise_findings for n in f.citations}
    assert cited <= {r.n for r in checked.article.references}
    assert not composed.article.premise_findings  # the stage made a new article

    verified = pipe.verify.run(checked)
    assert isinstance(verified, Verified) and isinstance(verified.report, VerificationReport)
    assert verified.report.sentences >= 1
    numbers = {r.n for r in verified.article.references}
    assert numbers == set(range(1, len(numbers) + 1))  # renumbered, no gaps

    final = pipe.render.run(verified)
    assert isinstance(final, Article) and final.audience == "patient"


def test_verify_does_not_load_the_verifier_for_an_article_without_references(
    pipe: AnswerPipeline,
) -> None:
    composed = pipe.compose.run(
        pipe.retrieve.run(pipe.understand.run(
            AskRequest(question="How do I change a flat tyre on a bicycle?")))
    )
    checked = pipe.safety.run(composed)
    assert checked.article.insufficient and not checked.article.references

    def no_verifier() -> Any:
        raise AssertionError("the verifier was built for an article that cites nothing")

    pipe.verify.verifier = no_verifier
    out = pipe.verify.run(checked)
    assert out.report is None and out.article is checked.article


# -- the pipeline end to end -----------------------------------------------------------------


def _volatile_free(art: Article) -> dict[str, Any]:
    return art.model_dump(mode="json", exclude={"created_at"})


def test_pipeline_is_what_ask_returns_with_one_search_and_one_composition(
    starter_rt: services.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"search": 0, "compose": 0}
    real_search = starter_rt.retriever.search
    real_compose = starter_rt.composer.compose

    def search(*a: Any, **kw: Any) -> Any:
        calls["search"] += 1
        return real_search(*a, **kw)

    def compose(*a: Any, **kw: Any) -> Any:
        calls["compose"] += 1
        return real_compose(*a, **kw)

    monkeypatch.setattr(starter_rt.retriever, "search", search)
    monkeypatch.setattr(starter_rt.composer, "compose", compose)
    trace = AnswerPipeline(starter_rt).trace(AskRequest(question=SI_QUESTION))
    assert calls == {"search": 1, "compose": 1}
    assert trace.article.audience == "clinician" and not trace.article.insufficient
    assert trace.verified.checked is trace.checked and trace.checked.composed is trace.composed
    asked = services.ask(starter_rt, question=SI_QUESTION, save=False)
    assert calls == {"search": 2, "compose": 2}
    assert _volatile_free(asked) == _volatile_free(trace.article)


def test_ask_translates_the_pipeline_errors(starter_rt: services.Runtime) -> None:
    with pytest.raises(services.InvalidInput) as err:
        services.ask(starter_rt, question="?!", save=False)
    assert err.value.field == "question"
    with pytest.raises(services.InvalidInput) as err:
        services.ask(starter_rt, question=SI_QUESTION, writer="llm", save=False)
    assert err.value.field == "writer"


def test_follow_up_goes_through_the_pipeline_and_keeps_the_thread(
    tmp_path: Path, starter_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    home = tmp_path / "home"
    shutil.copytree(starter_home, home)  # follow-ups store articles: not in the shared home
    monkeypatch.setenv("CURBSIDE_ANSWERS__THREAD_CONTEXT_TERMS", "2")
    rt = services.open_runtime(Settings(home=home))
    seen: list[AskRequest] = []
    real = AnswerPipeline.run

    def run(self: AnswerPipeline, request: AskRequest) -> Article:
        seen.append(request)
        return real(self, request)

    monkeypatch.setattr(AnswerPipeline, "run", run)
    try:
        first = services.ask(rt, question=SI_QUESTION)
        assert first.id is not None
        second = services.follow_up(rt, article_id=first.id, question="And in older adults?")
        assert second.thread_id is not None
        assert rt.articles.thread_articles(second.thread_id) == [first.id, second.id]
        assert len(seen) == 2 and len(seen[1].context_terms) == 2
    finally:
        rt.close()


# -- settings and fingerprints ---------------------------------------------------------------


def test_answer_settings_defaults_are_the_values_answers_were_composed_with() -> None:
    a = AnswerSettings()
    assert (a.retrieval_k, a.max_scored, a.min_answer, a.min_confidence, a.min_relevance) == (
        12, 48, 0.35, 0.45, 0.12)
    assert (a.level_margin, a.source_weight, a.passage_weight, a.level_bonus, a.ask_margin) == (
        0.06, 0.25, 1.5, (0.04, 0.03, 0.02, 0.01), 0.15)
    assert (a.conclusion_bonus, a.fit_bonus, a.coverage_weight, a.design_penalty,
            a.overlap_weight) == (0.02, 0.04, 0.10, 0.05, 0.01)
    assert (a.max_per_section, a.max_per_source, a.support_threshold) == (5, 2, 0.55)
    assert (a.llm_passages, a.llm_spans_per_claim) == (8, 3)
    assert (a.thread_context_terms, a.topic_terms, a.thread_terms) == (8, 8, 12)
    for name, field in AnswerSettings.model_fields.items():
        assert field.description and len(field.description) > 20, f"{name} has no reason"
    with pytest.raises(Exception, match="frozen"):
        a.min_answer = 0.5  # type: ignore[misc]


def test_answer_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURBSIDE_ANSWERS__RETRIEVAL_K", "5")
    monkeypatch.setenv("CURBSIDE_ANSWERS__MIN_ANSWER", "0.4")
    monkeypatch.setenv("CURBSIDE_ANSWERS__LEVEL_BONUS", "[0.1, 0.05]")
    monkeypatch.setenv("CURBSIDE_ANSWERS__SUPPORT_THRESHOLD", "0.6")
    s = Settings(home=tmp_path)
    assert s.answers.retrieval_k == 5 and s.answers.min_answer == 0.4
    assert s.answers.level_bonus == (0.1, 0.05)
    rt = services.open_runtime(s)
    try:
        assert rt.composer.answer is s.answers and rt.composer.max_per_source == 2
        assert AnswerPipeline(rt).retrieve.k == 5
        assert rt.verifier.threshold == 0.6
    finally:
        rt.close()
    monkeypatch.setenv("CURBSIDE_ANSWERS__SUPPORT_THRESHOLD", "1.5")
    with pytest.raises(ValueError, match="support_threshold"):
        Settings(home=tmp_path)


def test_index_fingerprint_is_unchanged_by_answer_settings(tmp_path: Path) -> None:
    base = Settings(home=tmp_path)
    # The dense index directory is named by this value: it must stay what it was before the
    # answer settings existed, or every existing dense index would be rebuilt.
    assert base.fingerprint() == "f5da7f8de958b2aa"
    other = Settings(home=tmp_path, answers=AnswerSettings(min_answer=0.5, retrieval_k=20))
    assert other.fingerprint() == base.fingerprint()
    assert other.answer_fingerprint() != base.answer_fingerprint()
    assert Settings(home=tmp_path).answer_fingerprint() == base.answer_fingerprint()
    shaped = Settings(home=tmp_path, chunking={"target_chars": 800})
    assert shaped.fingerprint() != base.fingerprint()
    assert shaped.answer_fingerprint() != base.answer_fingerprint()


def test_no_service_touches_the_store_tables() -> None:
    """Services go through the stores (`ArticleStore.attach_thread` ...), never the schema."""
    for path in sorted((SRC / "services").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "store.schema" not in text and "store import schema" not in text, path.name


# -- the LLM writer inside Compose (a stand-in writer: no server) ----------------------------


def _llm_composed(
    starter_rt: services.Runtime, monkeypatch: pytest.MonkeyPatch, result: Any
) -> tuple[Composed, dict[str, Any]]:
    from curbside.llm import writer

    seen: dict[str, Any] = {}

    def fake_write(settings: Any, question: str, evidence: Any, **kw: Any) -> Any:
        seen.update(question=question, evidence=list(evidence), **kw)
        return result(evidence)

    monkeypatch.setattr(writer, "write_with_llm", fake_write)
    settings = starter_rt.settings.model_copy(
        update={"llm": starter_rt.settings.llm.model_copy(update={"base_url": "http://x/v1"})}
    )
    monkeypatch.setattr(starter_rt, "settings", settings)
    pipe = AnswerPipeline(starter_rt)
    req = AskRequest(question=SI_QUESTION, writer="llm")
    return pipe.compose.run(pipe.retrieve.run(pipe.understand.run(req))), seen


def test_compose_with_the_llm_writer_uses_its_verified_claims(
    starter_rt: services.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curbside.article import Claim
    from curbside.llm.writer import WriterResult

    def result(evidence: list[tuple[int, str, str]]) -> WriterResult:
        n1, n2 = evidence[0][0], evidence[1][0]
        return WriterResult(
            [Claim(text="First sentence.", citations=[n1], id="llm-1"),
             Claim(text="Second sentence.", citations=[n2], id="llm-2")],
            False, "stand-in",
        )

    composed, seen = _llm_composed(starter_rt, monkeypatch, result)
    a = starter_rt.settings.answers
    assert len(seen["evidence"]) == min(a.llm_passages, len(composed.retrieved.evidence))
    assert seen["threshold"] == a.support_threshold and seen["audience"] == "clinician"
    art = composed.article
    assert art.writer == "llm" and art.model == "stand-in"
    assert [c.text for c in art.lead if not c.ours] == ["First sentence."]
    assert [c.text for s in art.sections for c in s.claims] == ["Second sentence."]
    uids = {ev.passage.id: ev.passage.uid for ev in composed.retrieved.evidence}
    for c in [*art.lead, *art.sections[0].claims]:
        if c.ours:
            continue
        assert 1 <= len(c.spans) <= a.llm_spans_per_claim
        assert all(sp.passage_uid == uids.get(sp.passage_id, "") for sp in c.spans)
    assert [r.n for r in art.references] == [r.n for r in composed.refs.references()]
    assert art.notices[-1].startswith("Written by a language model")


def test_compose_falls_back_to_the_extractive_draft_when_the_llm_fails(
    starter_rt: services.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curbside.llm.writer import WriterResult

    composed, _ = _llm_composed(
        starter_rt, monkeypatch,
        lambda ev: WriterResult([], True, "stand-in", reason="LLM unavailable: down"),
    )
    art = composed.article
    assert art.writer == "extractive" and art.lead and not art.insufficient
    assert "LLM unavailable: down" in art.notices[-1]
