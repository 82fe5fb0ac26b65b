"""Extractive articles: structure, citations, consensus, honesty when evidence is thin."""

from __future__ import annotations

import dataclasses
import json

import pytest

from curbside import services
from curbside.article import Article
from curbside.compose.candidates import definitions, normalise
from curbside.compose.composer import consensus_basis_of
from curbside.compose.consensus import consensus, sentence_stance
from curbside.compose.plan import title_case
from curbside.domain import Evidence, Passage, Source, SourceKind
from curbside.render.formats import RENDERERS

REFERENCE_Q = (
    "Is SI joint imbalance a common cause of low back pain and stiffness that improves "
    "with movement and exercise?"
)


def _check_citation_integrity(rt: services.Runtime, a: Article) -> None:
    ns = [r.n for r in a.references]
    assert ns == list(range(1, len(ns) + 1))
    cited_order: list[int] = []
    for c in a.all_claims():
        if c.ours:
            assert not c.citations
            continue
        assert c.citations, c.text
        for n in c.citations:
            assert n in ns
            if n not in cited_order:
                cited_order.append(n)
        # every claim is traceable to stored passages
        assert c.spans
        found = rt.store.get_passages([s.passage_id for s in c.spans])
        assert all(s.passage_id in found for s in c.spans)
    for p in a.premise_findings:
        cited_order += [n for n in p.citations if n not in cited_order]
    assert set(cited_order) == set(ns), "every reference is cited and nothing else"


def test_reference_question_article(starter_rt: services.Runtime) -> None:
    a = services.ask(starter_rt, question=REFERENCE_Q, save=False)
    assert a.title.startswith("Is SI Joint Imbalance")
    # the premise frame first (a premise finding was made); frames of ours may precede the
    # cited lead sentence
    assert a.lead and a.lead[0].key == "premise.lead" and a.lead[0].ours
    lead = [c for c in a.lead if not c.ours]
    assert lead and lead[0].citations
    assert a.sections and a.bottom_line
    assert a.question_type == "yes_no" and a.consensus is not None
    assert any(r.type == "Guideline" for r in a.references)
    _check_citation_integrity(starter_rt, a)
    text = " ".join(c.text for c in a.all_claims()).lower()
    assert "inflammatory" in text or "spondyl" in text


def test_claims_are_source_sentences(starter_rt: services.Runtime) -> None:
    a = services.ask(
        starter_rt,
        question="What is the first-line treatment for chronic low back pain?",
        save=False,
    )
    assert not a.insufficient
    for c in a.all_claims():
        if c.ours:
            continue
        span = c.spans[0]
        passage, _src = starter_rt.store.get_passages([span.passage_id])[span.passage_id]
        original = passage.text[span.start : span.end]
        # Same words, numbers and negations: only a leading connective may be dropped.
        assert (
            c.text.rstrip(".").split()[-3:] == original.rstrip(".").split()[-3:]
            or c.text in original
            or original in c.text
        )


def test_references_in_order_of_first_citation(starter_rt: services.Runtime) -> None:
    a = services.ask(starter_rt, question="How should acute low back pain be treated?", save=False)
    seen: list[int] = []
    for c in a.all_claims():
        for n in c.citations:
            if n not in seen:
                seen.append(n)
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France and who won the 1998 football world cup?",
        "Quelle est la meilleure recette de crêpes bretonnes?",
        "xylophone",
    ],
)
def test_no_matching_evidence_gives_an_honest_article(
    starter_rt: services.Runtime, question: str
) -> None:
    a = services.ask(starter_rt, question=question, save=False)
    assert a.insufficient
    assert "insufficient" in a.lead[0].text.lower()
    assert not a.references and all(c.ours for c in a.all_claims())


def test_formats_render(starter_rt: services.Runtime) -> None:
    a = services.ask(starter_rt, question=REFERENCE_Q, save=False)
    for name, render in RENDERERS.items():
        out = render(a)
        assert out.strip(), name
    data = json.loads(RENDERERS["json"](a))
    for key in (
        "title",
        "lead",
        "sections",
        "bottom_line",
        "references",
        "consensus",
        "evidence_levels",
        "audience",
        "status",
        "created_at",
        "settings_fingerprint",
    ):
        assert key in data
    ref = data["references"][0]
    assert {"n", "type", "title", "container", "year", "pmid", "doi", "url"} <= set(ref)
    assert "TY  - " in RENDERERS["ris"](a) and "@" in RENDERERS["bibtex"](a)


def test_saved_articles_round_trip(starter_rt: services.Runtime) -> None:
    a = services.ask(starter_rt, question="What are the red flags in low back pain?")
    assert a.id is not None
    again = services.get_article(starter_rt, article_id=a.id)
    assert again.model_dump(exclude={"status"}) == a.model_dump(exclude={"status"})
    with pytest.raises(services.NotFoundError):
        services.get_article(starter_rt, article_id=10**9)


def test_bad_input_is_named() -> None:
    from curbside.services.answers import _check_question

    for q, why in [("", "empty"), ("x" * 3000, "longer"), ("a\x00b", "control")]:
        with pytest.raises(services.InvalidInput) as e:
            _check_question(q)
        assert why in str(e.value) and e.value.field == "question"


def test_normalisation_is_safe() -> None:
    defs = definitions("Pain in the sacroiliac joint (SIJ) is common. SIJ pain is 15-30%.")
    assert defs == {"SIJ": "sacroiliac joint"}
    assert (
        normalise("However, SIJ pain is not 15-30% of cases.", defs)
        == "Sacroiliac joint (SIJ) pain is not 15-30% of cases."
    )
    assert (
        normalise("In conclusion, no significant difference was found.", {})
        == "No significant difference was found."
    )


def test_stance_and_consensus() -> None:
    assert (
        sentence_stance("There was no significant difference in pain scores.").label
        == "contradicts"
    )
    assert sentence_stance("Exercise significantly reduced pain.").label == "supports"
    assert sentence_stance("Patients were recruited from clinics.").label == "neutral"
    r = consensus(
        "Does exercise reduce pain?",
        ["Exercise significantly reduced pain.", "Exercise improved function and reduced pain."],
    )
    assert r.verdict == "supports" and r.supports == 2
    r = consensus("Does X help?", ["X did not improve outcomes.", "No significant benefit of X."])
    assert r.verdict == "contradicts"
    assert consensus("Does X help?", ["Patients were enrolled."]).verdict == "insufficient"


def test_title_case_keeps_acronyms() -> None:
    assert title_case("is SI joint pain common in axSpA?") == "Is SI Joint Pain Common in axSpA?"


def _src(sid: int) -> Source:
    return Source(
        id=sid, external_id=f"pmid:{sid}", version=1, kind=SourceKind.RCT, title=f"Trial {sid}",
        container=None, container_abbrev=None, year=2020, authors=[], pmid=str(sid), doi=None,
        url=None, publication_types=[], mesh_terms=[], retracted=False, is_current=True,
        content_hash="h", meta={}, ingested_at="",
    )  # fmt: skip


def _passage(pid: int, sid: int, ord_: int, section: str, text: str) -> Passage:
    return Passage(
        id=pid, uid=f"u{pid}", source_id=sid, ord=ord_, section=section, text=text,
        char_start=0, char_end=len(text),
    )  # fmt: skip


def test_consensus_basis_reads_the_top_sources_stored_findings() -> None:
    """The retrieved passages of the top source lack its results; the store's passages don't."""
    top, other = _src(1), _src(2)
    methods = _passage(10, 1, 0, "METHODS", "We randomised 80 adults to drug X or placebo.")
    results = _passage(
        11, 1, 1, "RESULTS", "Pain fell by 30% with the drug. Sleep did not change with the drug."
    )
    concl = _passage(12, 1, 2, "CONCLUSIONS", "The drug reduces pain. It is well tolerated.")
    evidence = [
        Evidence(source=top, passage=methods, scores={"final": 1.0}),
        Evidence(
            source=other,
            passage=_passage(20, 2, 0, "CONCLUSIONS", "Y works."),
            scores={"final": 0.5},
        ),
    ]
    # only the retrieved passages: nothing but methods -> the best retrieved passage
    assert consensus_basis_of(evidence) == (
        ["We randomised 80 adults to drug X or placebo."],
        "other",
    )
    # with the stored passages: results, last sentence first (no conclusions in this corpus)
    basis, kind = consensus_basis_of(evidence, [methods, results])
    assert kind == "results"
    assert basis == ["Sleep did not change with the drug.", "Pain fell by 30% with the drug."]
    # conclusions win when present, in order; other sources' passages are never read
    basis, kind = consensus_basis_of(evidence, [methods, results, concl])
    assert (basis, kind) == (["The drug reduces pain.", "It is well tolerated."], "conclusions")
    assert consensus_basis_of([], [concl]) == ([], "other")


def test_headings_titles_and_flattened_bullets_are_never_claims() -> None:
    from curbside.compose.candidates import extract_candidates

    texts = [
        "Recurrent lower urinary tract infections (UTIs)",
        "Abused drugs include - Amphetamines - Cocaine - Heroin - Opioids.",
        "Treatment options for women include the following:",
        "Daily low-dose antibiotics reduce recurrent infections in women (p < 0.05).",
    ]
    evidence = [
        Evidence(source=_src(1), passage=_passage(10 + i, 1, i, "", t), scores={"final": 1.0})
        for i, t in enumerate(texts)
    ]
    got = [c.text for c in extract_candidates(evidence, {"infections", "antibiotics"}, {})]
    assert got == [texts[-1]]


@pytest.mark.parametrize(("confidence", "insufficient"), [(0.9, False), (0.5, True), (0.3, True)])
def test_one_relevant_sentence_is_enough_only_for_a_strong_match(
    confidence: float, insufficient: bool
) -> None:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    text = "Daily low-dose antibiotics reduce recurrent urinary infections in women."
    ev = [Evidence(source=_src(1), passage=_passage(10, 1, 0, "RESULTS", text),
                   scores={"final": 1.0})]
    art, _ = ExtractiveComposer().compose(ComposeInput(
        question="Do antibiotics reduce recurrent urinary infections?", question_type="yes_no",
        terms=["antibiotics", "recurrent", "urinary", "infections"], evidence=ev,
        confidence=confidence, source_texts={}))
    assert art.insufficient is insufficient
    if not insufficient:
        assert [c.text for c in art.lead] == [text] and art.lead[0].citations == [1]
        assert [r.source_id for r in art.references] == [1]


def test_a_question_naming_a_drug_is_answered_only_from_sources_naming_it() -> None:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer, names_a_drug

    drugs = [("tylenol", "acetaminophen", "paracetamol")]
    assert names_a_drug("Paracetamol overdose damages the liver.", drugs)
    assert names_a_drug("Acetaminophen-induced injury was rare.", [("acetaminophen",)])
    assert not names_a_drug("Ibuprofen relieves pain after dental surgery.", drugs)
    texts = ["Ibuprofen relieves pain after dental surgery in most adults.",
             "Naproxen relieves pain after dental surgery in most adults.",
             "Acetaminophen relieves pain after dental surgery in many adults."]
    ev = [Evidence(source=_src(i + 1), passage=_passage(10 + i, i + 1, 0, "RESULTS", t),
                   scores={"final": 1.0}) for i, t in enumerate(texts)]

    def compose(drug_names: list[tuple[str, ...]]) -> Article:
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question="Does tylenol relieve pain after dental surgery?", question_type="yes_no",
            terms=["tylenol", "relieve", "pain", "dental", "surgery"], evidence=ev,
            confidence=0.9, source_texts={}, drugs=drug_names))
        return art

    art = compose(drugs)
    assert [c.text for c in art.all_claims() if not c.ours] == [texts[2], texts[2]]  # lead, bottom
    # a source that names the drug (here in its title) may give sentences that don't
    titled = _src(2)
    titled.title = "Paracetamol or naproxen after dental surgery"
    ev[1] = Evidence(source=titled, passage=ev[1].passage, scores={"final": 1.0})
    got = {c.text for c in compose(drugs).all_claims() if not c.ours}
    assert got == {texts[1], texts[2]}
    # without the drug list, the question's focus (the drug, by any of its names) still
    # keeps the ibuprofen-only source out
    assert len(compose([]).references) == 2
    # a drug no retrieved sentence names: the library can't answer
    assert compose([("desonide", "desonate")]).insufficient


def test_near_duplicates_merge_only_with_the_same_numbers_and_drugs() -> None:
    from curbside.compose.composer import same_claim

    a = "Naproxen relieves pain after dental surgery in most adults."
    assert same_claim(a, "Naproxen relieves the pain after dental surgery in most adults.")
    assert not same_claim(a, "Acetaminophen relieves pain after dental surgery in most adults.")
    assert not same_claim("Pain fell by 30% with naproxen after dental surgery in adults.",
                          "Pain fell by 40% with naproxen after dental surgery in adults.")


def test_consensus_shows_the_stance_model_beside_the_cue_counts() -> None:
    from curbside.article import Consensus
    from curbside.render.formats import consensus_detail, render_html, render_text

    votes = Consensus(verdict="supports", supports=3, contradicts=1, neutral=2)
    assert consensus_detail(votes) == "supports 3, contradicts 1, neutral 2"
    model = Consensus(verdict="contradicts", neutral=6,
                      probabilities={"yes": 0.21, "no": 0.55, "maybe": 0.24})
    detail = consensus_detail(model)
    assert detail == ("stance model: yes 21%, no 55%, maybe 24%; sentence cues: supports 0, "
                      "contradicts 0, neutral 6")
    art = Article.model_validate({"question": "Q?", "title": "Q", "created_at": "2025-01-01",
                                  "settings_fingerprint": "x", "consensus": model.model_dump()})
    assert f"Consensus meter: contradicts ({detail})" in render_text(art).replace("\n", " ")
    assert "stance model: yes 21%" in render_html(art)


def test_two_named_substances_are_answered_from_sources_naming_both_or_the_gap_is_said() -> None:
    from curbside.compose.composer import (
        NOT_TOGETHER_KEY,
        ComposeInput,
        ExtractiveComposer,
    )
    from curbside.messages import message
    from curbside.understand.analysis import analyze_query

    question = "Can I take tylenol after a cocktail?"
    a = analyze_query(question)
    drugs = [(d.text, d.generic, *d.synonyms) for d in a.drugs]
    assert {d.generic for d in a.drugs} == {"acetaminophen", "alcohol"}
    both = "Acetaminophen taken after drinking alcohol raises the risk of liver injury in adults."
    one = "Acetaminophen taken after meals relieves pain in adults with arthritis."
    other = "Ibuprofen taken after meals relieves pain in adults with arthritis."

    def compose(texts: list[str], q: str = question) -> Article:
        ev = [Evidence(source=_src(i + 1), passage=_passage(10 + i, i + 1, 0, "RESULTS", t),
                       scores={"final": 1.0}) for i, t in enumerate(texts)]
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question=q, question_type="drug_information",
            terms=["tylenol", "acetaminophen", "taken", "after", "alcohol", "adults"],
            evidence=ev, confidence=0.9, source_texts={}, drugs=drugs))
        return art

    art = compose([other, both, one])
    assert {c.text for c in art.all_claims() if not c.ours} == {both}
    assert NOT_TOGETHER_KEY not in [c.key for c in art.all_claims()]
    # "Can I take X after Y?" gets no verdict (its affirmative reading is "safe together",
    # which a sentence reporting a harm would "support"): the cited sentence is the answer
    assert art.consensus is None
    assert [c.text for c in art.bottom_line] == [both] and art.bottom_line[0].citations
    # a yes/no question on the pair: the meter reads the best-ranked source that names both,
    # not the ibuprofen trial
    harm = "Does tylenol after a cocktail harm the liver in adults?"
    art = compose([other, both, one], harm)
    assert art.consensus is not None and art.consensus.basis == [both]
    # no source names both: each drug's own sources answer, and the article says so; the
    # meter has nothing on the combination to read, and no verdict sentence is written
    art = compose([other, one])
    assert {c.text for c in art.all_claims() if not c.ours} == {one}
    assert art.lead[0].key == NOT_TOGETHER_KEY and art.lead[0].ours
    assert art.lead[0].text == message(NOT_TOGETHER_KEY)
    art = compose([other, one], harm)
    assert art.consensus is not None and art.consensus.verdict == "insufficient"
    assert not [c for c in art.bottom_line if c.ours]
    # a drug combination is not a drink
    assert {d.generic for d in analyze_query("Is the HIV drug cocktail safe?").drugs} == set()


def test_the_composer_sees_each_retrieved_sources_whole_text(starter_rt: services.Runtime) -> None:
    """Abbreviations are defined once per source, often in a passage that was not retrieved."""
    from curbside.pipeline import AnswerPipeline

    res = services.search(starter_rt, query=REFERENCE_Q, k=8)
    inp = AnswerPipeline(starter_rt).compose.input(REFERENCE_Q, res)
    for e in res.evidence:
        stored = starter_rt.store.passages_of(e.source.id)
        assert inp.source_texts[e.source.id] == " ".join(p.text for p in stored)
        assert len(stored) >= 1 and e.passage.text in inp.source_texts[e.source.id]


def test_no_verdict_from_a_patient_information_page() -> None:
    """The verdict threshold was calibrated on research abstracts; a patient page as the top
    source gives no verdict and no leaning (its topic, not a stance, was read)."""
    from curbside.compose.composer import UNCALIBRATED_SOURCES, ComposeInput, ExtractiveComposer
    from curbside.compose.consensus import confident

    question = "Does regular aerobic exercise reduce blood pressure in adults with hypertension?"
    text = ("Regular aerobic exercise significantly reduced systolic and diastolic blood pressure "
            "in adults with hypertension.")

    def compose(kind: SourceKind, section: str | None) -> Article:
        src = dataclasses.replace(_src(1), kind=kind)
        ev = [Evidence(source=src, passage=_passage(10, 1, 0, section, text),  # type: ignore[arg-type]
                       scores={"final": 1.0})]
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question=question, question_type="yes_no",
            terms=["aerobic", "exercise", "blood", "pressure", "hypertension"],
            evidence=ev, confidence=0.9, source_texts={}))
        return art

    assert confident(consensus(question, [text]))
    for section in ("CONCLUSIONS", None):  # an unstructured abstract too
        study = compose(SourceKind.RCT, section)
        assert study.consensus is not None and study.consensus.verdict == "supports"
    assert SourceKind.PATIENT_INFO in UNCALIBRATED_SOURCES
    page = compose(SourceKind.PATIENT_INFO, None)
    assert page.consensus is not None and page.consensus.verdict == "insufficient"
    assert page.consensus.leaning is None and page.consensus.probabilities is None
    assert not [c for c in page.bottom_line if c.ours]  # no verdict line: the answer sentence
