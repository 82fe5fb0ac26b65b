"""The lead and bottom line answer the question: focus-gated, scored, refused when nothing
answers (issue 15). Examples are the failures measured on consumer questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from curbside.article import Article, Audience, Claim
from curbside.compose.audience import sentence_grade
from curbside.compose.composer import ANSWER, ComposeInput, ExtractiveComposer
from curbside.config import AnswerSettings
from curbside.domain import Evidence, Passage, Source, SourceKind

Similarity = Callable[[str, list[str]], list[float]]


def _source(sid: int, title: str, kind: SourceKind = SourceKind.RCT) -> Source:
    return Source(
        id=sid, external_id=f"doc:{sid}", version=1, kind=kind, title=title,
        container=None, container_abbrev=None, year=2020, authors=[], pmid=None, doi=None,
        url=None, publication_types=[], mesh_terms=[], retracted=False, is_current=True,
        content_hash="h", meta={}, ingested_at="",
    )  # fmt: skip


def _ev(sid: int, title: str, text: str, kind: SourceKind = SourceKind.RCT,
        section: str = "RESULTS") -> Evidence:
    p = Passage(id=sid * 10, uid=f"u{sid}", source_id=sid, ord=0, section=section, text=text,
                char_start=0, char_end=len(text))
    return Evidence(source=_source(sid, title, kind), passage=p, scores={"final": 1.0})


def _compose(question: str, evidence: Sequence[Evidence], *, similarity: Similarity | None,
             question_type: str = "other", confidence: float = 0.9,
             audience: Audience = "clinician", settings: AnswerSettings | None = None
             ) -> Article:
    terms = [w.strip("?,.").lower() for w in question.split()]
    art, _ = ExtractiveComposer(settings).compose(ComposeInput(
        question=question, question_type=question_type, terms=terms, evidence=evidence,
        confidence=confidence, source_texts={}, similarity=similarity, audience=audience))
    return art


def _body(art: Article) -> list[str]:
    return [c.text for c in art.all_claims() if not c.ours]


@pytest.fixture(scope="module")
def minilm() -> Similarity:
    """The bundled int8 MiniLM and the answer scorer, as the service builds them."""
    import numpy as np

    from curbside.compose.answer_scorer import score
    from curbside.config import Settings
    from curbside.index.embedder import make_embedder

    embedder = make_embedder(Settings().embedder)

    def similarity(question: str, texts: list[str]) -> list[float]:
        vecs = np.asarray(embedder.embed([question, *texts]))
        return [float(x) for x in score(vecs[0], vecs[1:])]

    return similarity


SUICIDE = _ev(1, "Screening for suicide risk in primary care",
              "Clinicians should ask adolescents with depression about suicidal thoughts.")
RELAXANT = _ev(2, "Skeletal muscle relaxants for acute low back pain",
               "Cyclobenzaprine is a muscle relaxant that relieves acute low back pain for "
               "up to two weeks.")
KAWASAKI = _ev(3, "Kawasaki syndrome",
               "Kawasaki syndrome is not contagious and does not spread between children.")
NURSE = _ev(4, "Support for families",
            "A nurse can refer families to paediatric brain tumour programmes for support.")


@pytest.mark.parametrize("scored", [False, True])
def test_a_stray_shared_word_never_picks_the_evidence(
    scored: bool, minilm: Similarity
) -> None:
    sim = minilm if scored else None
    art = _compose("Any thoughts on a mild muscle relaxant?", [SUICIDE, RELAXANT],
                   similarity=sim)
    assert art.lead[-1].text == RELAXANT.passage.text
    assert SUICIDE.passage.text not in _body(art)
    # alone, the stray sentence answers nothing
    assert _compose("Any thoughts on a mild muscle relaxant?", [SUICIDE],
                    similarity=sim).insufficient


@pytest.mark.parametrize("scored", [False, True])
def test_off_focus_evidence_gives_no_answer_and_no_verdict(
    scored: bool, minilm: Similarity
) -> None:
    sim = minilm if scored else None
    art = _compose("Am I contagious with respiratory infection?", [KAWASAKI],
                   similarity=sim, question_type="yes_no")
    assert art.insufficient
    assert art.consensus is None or art.consensus.verdict == "insufficient"
    assert not any("says no" in c.text or "does not support" in c.text
                   for c in art.bottom_line)
    art = _compose("My mom has stage IV colorectal cancer, what are her options?", [NURSE],
                   similarity=sim)
    assert art.insufficient


def fixed_similarity(table: dict[str, float]) -> Similarity:
    """A stand-in for the answer scorer with given scores (named as such: these tests check
    the composer's use of scores, not the model)."""

    def similarity(question: str, texts: list[str]) -> list[float]:
        return [table.get(t, 0.0) for t in texts]

    return similarity


def test_refusal_follows_the_answer_score_not_the_keyword_share() -> None:
    ev = [RELAXANT]
    text = RELAXANT.passage.text
    low = fixed_similarity({text: ANSWER.min_answer - 0.05})
    high = fixed_similarity({text: ANSWER.min_answer + 0.2})
    q = "Any thoughts on a mild muscle relaxant?"
    assert _compose(q, ev, similarity=low, confidence=0.95).insufficient
    assert not _compose(q, ev, similarity=high, confidence=0.2).insufficient


def test_a_how_common_question_leads_with_a_frequency() -> None:
    freq = "Gout affects about 4% of adults in the United States."
    treat = "Gout flares are treated with colchicine, NSAIDs or corticosteroids."
    ev = [_ev(1, "Gout treatment", treat), _ev(2, "Gout epidemiology", freq)]
    sim = fixed_similarity({freq: 0.45, treat: 0.6})
    art = _compose("How common is gout?", ev, similarity=sim, question_type="prevalence")
    assert art.lead[-1].text == freq


@pytest.mark.parametrize("audience", ["clinician", "patient"])
def test_a_dose_question_no_source_answers_says_so_first(audience: Audience) -> None:
    """Said in the base wording; each reader mode says the key its own way later."""
    from curbside.compose.plan import NO_DOSE_GAP_KEY
    from curbside.messages import message, says

    dose = "Adults take 500 mg of amoxicillin every 8 hours."
    use = "Amoxicillin is a first choice for acute otitis media in adults."
    q = "How much amoxicillin should an adult take?"
    sim = fixed_similarity({dose: 0.5, use: 0.6})
    art = _compose(q, [_ev(1, "Amoxicillin", use)], similarity=sim, audience=audience)
    assert says(art.lead[0], NO_DOSE_GAP_KEY) and art.lead[0].ours
    assert art.lead[0].text == message(NO_DOSE_GAP_KEY)
    assert art.lead[-1].text == use  # what the sources do say follows, cited
    # a sentence giving the dose: no gap, and it leads
    art = _compose(q, [_ev(1, "Amoxicillin", use), _ev(2, "Amoxicillin dosing", dose)],
                   similarity=sim, audience=audience)
    assert not any(says(c, NO_DOSE_GAP_KEY) for c in art.lead)
    assert art.lead[-1].text == dose


def test_a_guideline_leads_when_it_answers_nearly_as_well() -> None:
    rct = "Exercise therapy reduced chronic low back pain by 10 points at 12 weeks."
    gl = "Clinicians should recommend exercise therapy for chronic low back pain."
    ev = [_ev(1, "An exercise trial", rct),
          _ev(2, "Low back pain guideline", gl, SourceKind.GUIDELINE, "RECOMMENDATIONS")]
    near = fixed_similarity({rct: 0.62, gl: 0.60})
    art = _compose("Does exercise help chronic low back pain?", ev, similarity=near)
    assert art.lead[-1].text == gl
    far = fixed_similarity({rct: 0.75, gl: 0.40})
    art = _compose("Does exercise help chronic low back pain?", ev, similarity=far)
    assert art.lead[-1].text == rct


def test_best_answer_score_is_what_refusal_compares() -> None:
    text = RELAXANT.passage.text
    inp = ComposeInput(
        question="Any thoughts on a mild muscle relaxant?", question_type="other",
        terms=["muscle", "relaxant"], evidence=[RELAXANT, SUICIDE], confidence=0.9,
        source_texts={}, similarity=fixed_similarity({text: 0.5}))
    assert ExtractiveComposer().best_answer_score(inp) == pytest.approx(0.5)
    inp.similarity = None
    assert ExtractiveComposer().best_answer_score(inp) is None


def test_a_population_word_adds_coverage_but_never_passes_the_gate_alone() -> None:
    fever = _ev(1, "Fever in children", "Fever in infants younger than 3 months needs "
                "urgent assessment by a doctor.")
    sleep = _ev(2, "Infant sleep", "A baby should sleep on its back in its own cot.")
    art = _compose("What should I do about a fever in my baby?", [fever, sleep],
                   similarity=None)
    assert sleep.passage.text not in _body(art)
    assert fever.passage.text in _body(art)


def test_patients_get_the_plain_language_source_on_a_near_tie() -> None:
    gl = ("Nonsteroidal anti-inflammatory drugs are recommended as first-line pharmacotherapy "
          "for acute gouty arthritis flares in adults.")
    pi = "Gout flares are treated with medicines that ease pain and swelling."
    ev = [_ev(1, "Gout guideline", gl, SourceKind.GUIDELINE, "RECOMMENDATIONS"),
          _ev(2, "Gout", pi, SourceKind.PATIENT_INFO)]
    sim = fixed_similarity({gl: 0.60, pi: 0.58})

    def lead(audience: str) -> str:
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question="How are gout flares treated?", question_type="treatment",
            terms=["gout", "flares", "treated"], evidence=ev, confidence=0.9,
            source_texts={}, similarity=sim, audience=audience))
        return art.lead[-1].text

    assert lead("clinician") == gl
    assert lead("patient") == pi


def _compose_with(question: str, evidence: Sequence[Evidence], similarity: Similarity,
                  **answer: float) -> Article:
    settings = ANSWER.model_copy(update=answer)
    terms = [w.strip("?,.").lower() for w in question.split()]
    art, _ = ExtractiveComposer(settings).compose(ComposeInput(
        question=question, question_type="treatment", terms=terms, evidence=evidence,
        confidence=0.9, source_texts={}, similarity=similarity))
    return art


def test_a_treatment_question_leads_with_a_treatment_within_the_ask_margin() -> None:
    about = "Gout is a form of arthritis caused by urate crystals in the joints."
    treat = "Gout flares are treated with colchicine, NSAIDs or corticosteroids."
    ev = [_ev(1, "Gout overview", about), _ev(2, "Gout care", treat)]
    near = fixed_similarity({about: 0.68, treat: 0.58})  # beyond `fit_bonus`, within 0.1
    q = "How is gout treated?"
    assert _compose_with(q, ev, near, ask_margin=0.0).lead[-1].text == about
    assert _compose_with(q, ev, near, ask_margin=0.1).lead[-1].text == treat
    far = fixed_similarity({about: 0.80, treat: 0.45})  # too far below: the better answer leads
    assert _compose_with(q, ev, far, ask_margin=0.1).lead[-1].text == about


def test_the_ask_margin_leaves_other_questions_alone() -> None:
    about = "Gout is a form of arthritis caused by urate crystals in the joints."
    treat = "Gout flares are treated with colchicine, NSAIDs or corticosteroids."
    ev = [_ev(1, "Gout overview", about), _ev(2, "Gout care", treat)]
    near = fixed_similarity({about: 0.62, treat: 0.58})
    art = _compose_with("Tell me about gout in older men", ev, near, ask_margin=0.1)
    assert art.lead[-1].text == about


def test_patient_sections_leave_out_sentences_above_the_grade_cap() -> None:
    from curbside.compose.audience import sentence_grade

    lead = "Gout flares are treated with colchicine, NSAIDs or corticosteroids."
    dense = ("Pharmacological urate-lowering therapy with xanthine oxidase inhibitors, "
             "titrated against serial serum urate measurements to a predefined therapeutic "
             "target, is recommended for individuals experiencing recurrent gout flares, "
             "tophaceous deposition or radiographically demonstrated erosive arthropathy.")
    plain = "Drinking less alcohol and losing weight can help prevent gout flares."
    assert (sentence_grade(dense) or 0) > ANSWER.patient_max_grade
    assert (sentence_grade(plain) or 99) <= ANSWER.patient_max_grade
    ev = [_ev(1, "Gout care", lead), _ev(2, "Gout guideline", dense, SourceKind.GUIDELINE),
          _ev(3, "Gout", plain, SourceKind.PATIENT_INFO)]
    sim = fixed_similarity({lead: 0.80, dense: 0.62, plain: 0.55})

    def body(audience: str, **answer: float) -> list[str]:
        art, _ = ExtractiveComposer(ANSWER.model_copy(update=answer)).compose(ComposeInput(
            question="How are gout flares treated?", question_type="treatment",
            terms=["gout", "flares", "treated"], evidence=ev, confidence=0.9,
            source_texts={}, similarity=sim, audience=audience))
        return [c.text for s in art.sections for c in s.claims if not c.ours]

    assert dense in body("clinician") and dense in body("student")
    assert dense not in body("patient") and plain in body("patient")
    assert dense in body("patient", patient_max_grade=0)  # 0: the rule is off
    # the lead and the bottom line answer the question: never left out for their grade
    for dense_score in (0.62, 0.95):
        sim = fixed_similarity({lead: 0.80, dense: dense_score, plain: 0.55})

        def ends(sim: Similarity = sim, **answer: float) -> tuple[str, str]:
            art, _ = ExtractiveComposer(ANSWER.model_copy(update=answer)).compose(ComposeInput(
                question="How are gout flares treated?", question_type="treatment",
                terms=["gout", "flares", "treated"], evidence=ev, confidence=0.9,
                source_texts={}, similarity=sim, audience="patient"))
            return art.lead[-1].text, art.bottom_line[-1].text

        assert ends() == ends(patient_max_grade=0)


# A patient's lead and bottom line: a plainer sentence that answers about as well (issue 15,
# item 3). Grades (`sentence_grade`): LBP_LEAD 10.2, LBP_HARD 20, LBP_PLAIN 4.8.
LBP_Q = "How is chronic low back pain managed?"
LBP_LEAD = "Exercise therapy is recommended for chronic low back pain."
LBP_HARD = (
    "Multidisciplinary biopsychosocial rehabilitation incorporating cognitive behavioural "
    "interventions demonstrated clinically meaningful improvements in functional disability "
    "among individuals with persistent nonspecific low back pain.")
LBP_PLAIN = "Exercise helps most people with low back pain feel better."
#: As plain, but not a treatment (the ask of LBP_Q): it never takes a treatment lead.
LBP_PLAIN_NO_FIT = "Staying active helps most people with low back pain feel better."
LBP_EV = [_ev(1, "Exercise for back pain", LBP_LEAD), _ev(2, "Rehabilitation trial", LBP_HARD),
          _ev(3, "Back pain and activity", LBP_PLAIN)]
PLAIN_SETTINGS = AnswerSettings(patient_max_grade=10.5, patient_bottom_margin=0.2,
                                patient_lead_margin=0.2)


def _answer_sentence(lines: list[Claim]) -> str:
    return next(c.text for c in lines if not c.ours)


def test_patient_bottom_line_takes_a_plainer_answer_nearly_as_good() -> None:
    assert sentence_grade(LBP_HARD) > 10.5 >= sentence_grade(LBP_PLAIN)  # type: ignore[operator]
    # the patient's plainness weight (`audience_weight`) alone keeps the hard sentence ahead
    sim = fixed_similarity({LBP_LEAD: 0.95, LBP_HARD: 0.9, LBP_PLAIN: 0.45})
    patient = _compose(LBP_Q, LBP_EV, similarity=sim, audience="patient",
                       settings=PLAIN_SETTINGS)
    assert _answer_sentence(patient.lead) == LBP_LEAD
    assert _answer_sentence(patient.bottom_line) == LBP_PLAIN
    # the clinician's bottom line, and the patient's with the rule off, are the hard sentence
    for aud, st in (("clinician", PLAIN_SETTINGS),
                    ("patient", PLAIN_SETTINGS.model_copy(update={"patient_bottom_margin": 0.0}))):
        art = _compose(LBP_Q, LBP_EV, similarity=sim, audience=aud, settings=st)  # type: ignore[arg-type]
        assert _answer_sentence(art.bottom_line) == LBP_HARD


def test_a_plainer_sentence_that_does_not_answer_never_closes() -> None:
    # below the calibrated answer score, or far below the hard sentence: the hard one stays
    for plain in (ANSWER.min_answer - 0.01, 0.2):
        sim = fixed_similarity({LBP_LEAD: 0.95, LBP_HARD: 0.9 if plain > 0.3 else 0.99,
                                LBP_PLAIN: plain})
        art = _compose(LBP_Q, LBP_EV, similarity=sim, audience="patient",
                       settings=PLAIN_SETTINGS.model_copy(update={"patient_bottom_margin": 0.05}))
        assert _answer_sentence(art.bottom_line) == LBP_HARD


def test_patient_lead_takes_a_plainer_answer_of_the_same_level() -> None:
    sim = fixed_similarity({LBP_HARD: 0.95, LBP_LEAD: 0.4, LBP_PLAIN: 0.5})
    patient = _compose(LBP_Q, LBP_EV, similarity=sim, audience="patient",
                       settings=PLAIN_SETTINGS)
    assert _answer_sentence(patient.lead) == LBP_PLAIN
    clinician = _compose(LBP_Q, LBP_EV, similarity=sim, settings=PLAIN_SETTINGS)
    assert _answer_sentence(clinician.lead) == LBP_HARD
    off = PLAIN_SETTINGS.model_copy(update={"patient_lead_margin": 0.0})
    art = _compose(LBP_Q, LBP_EV, similarity=sim, audience="patient", settings=off)
    assert _answer_sentence(art.lead) == LBP_HARD
    # a plain sentence of another evidence level does not take the lead (levels keep order)
    ev = [LBP_EV[1], _ev(3, "Back pain and activity", LBP_PLAIN, SourceKind.OBSERVATIONAL)]
    art = _compose(LBP_Q, ev, similarity=sim, audience="patient", settings=PLAIN_SETTINGS)
    assert _answer_sentence(art.lead) == LBP_HARD
    # nor one that does not give what is asked (a treatment) when the lead does
    sim = fixed_similarity({LBP_HARD: 0.95, LBP_PLAIN_NO_FIT: 0.5})
    ev = [LBP_EV[1], _ev(3, "Back pain and activity", LBP_PLAIN_NO_FIT)]
    art = _compose(LBP_Q, ev, similarity=sim, audience="patient", settings=PLAIN_SETTINGS)
    assert _answer_sentence(art.lead) == LBP_HARD


SI_Q = "Is SI joint imbalance a common cause of low back pain?"


def _si_evidence(one_side: str, both: str) -> list[Evidence]:
    """Two case reports for `SI_Q`: one naming only low back pain, one naming both concepts."""
    return [_ev(1, "Stiff-person syndrome presenting as low back pain", one_side,
                kind=SourceKind.CASE_REPORT),
            _ev(2, "Low back pain guideline", both, kind=SourceKind.CASE_REPORT)]


def test_a_sentence_on_every_focus_concept_leads_when_it_answers_nearly_as_well() -> None:
    # the reference question over the whole corpus led with a case report that names only
    # one side of what the question relates
    one_side = "Stiff-person syndrome was diagnosed in a patient with chronic low back pain."
    both = ("Most patients with sacroiliac (SI) joint dysfunction and low back pain do well with "
            "active therapy.")
    ev = _si_evidence(one_side, both)
    sim = fixed_similarity({one_side: 0.64, both: 0.58})
    on = AnswerSettings(concept_margin=0.15)
    assert _compose(SI_Q, ev, similarity=sim, settings=on).lead[-1].text == both
    off = AnswerSettings(concept_margin=0.0)
    assert _compose(SI_Q, ev, similarity=sim, settings=off).lead[-1].text == one_side
    # beyond the margin the better answer keeps the lead
    far = fixed_similarity({one_side: 0.64, both: 0.40})
    assert _compose(SI_Q, ev, similarity=far, settings=on).lead[-1].text == one_side


def test_the_patient_lead_names_every_focus_concept_too() -> None:
    # a plain one-sided sentence must not take the patient's lead from a harder one that
    # names both sides: what a sentence is about does not depend on its reading grade
    one_side = "Stiff-person syndrome was found in a man with low back pain."
    both = ("The use of prolotherapy for low back pain is generally not recommended, as the "
            "majority of patients with sacroiliac (SI) joint dysfunction will do well with a "
            "combination of active therapy and manipulation.")
    sim = fixed_similarity({one_side: 0.64, both: 0.58})
    on = AnswerSettings(concept_margin=0.15, patient_lead_margin=0.0)
    art = _compose(SI_Q, _si_evidence(one_side, both), similarity=sim, settings=on,
                   audience="patient")
    assert art.lead[-1].text == both


#: The MedlinePlus "Sore Throat" health topic summary (MedQuAD, in the development corpus):
#: its answer sentences name no word of "What helps with a sore throat?".
SORE_THROAT = (
    "Your throat is a tube that carries food to your esophagus and air to your windpipe and "
    "larynx (also called the voice box). The technical name for the throat is pharynx. You can "
    "have a sore throat for many reasons. Often, colds and flu cause sore throats. Treatment "
    "depends on the cause. Sucking on lozenges, drinking lots of liquids, and gargling may ease "
    "the pain. Over-the-counter pain relievers can also help, but children should not take "
    "aspirin."
)


def test_a_page_on_the_focus_gives_sentences_that_name_no_question_word() -> None:
    ev = [_ev(1, "What is (are) Sore Throat?", SORE_THROAT, SourceKind.PATIENT_INFO,
              section="")]
    art = _compose("What helps with a sore throat?", ev, similarity=None, confidence=0.9)
    assert "Sucking on lozenges, drinking lots of liquids, and gargling may ease the pain." in (
        _body(art))
    # a page on another topic still gives nothing that names no focus concept
    other = [_ev(2, "What is (are) Tonsils and Adenoids?", SORE_THROAT.replace(
        "sore throat", "tonsil problem").replace("Sore Throat", "Tonsils"),
        SourceKind.PATIENT_INFO, section="")]
    assert not any("lozenges" in t for t in _body(
        _compose("What helps with a sore throat?", other, similarity=None, confidence=0.9)))


def test_a_treatment_question_leads_with_the_top_passages_treatment_sentence(
    minilm: Similarity,
) -> None:
    # "You can have a sore throat for many reasons." is the sentence most like the question;
    # the page's answer names no topic word and scores 0.2 lower, beyond `ask_margin`
    ev = [_ev(1, "What is (are) Sore Throat?", SORE_THROAT, SourceKind.PATIENT_INFO,
              section="")]
    art = _compose("What helps with a sore throat?", ev, similarity=minilm)
    lead = art.lead[-1].text
    assert "lozenges" in lead or "pain relievers" in lead, lead


def test_another_subtype_is_another_condition() -> None:
    """"What are the symptoms of Microphthalmia syndromic 7?" led with type 3's signs, and
    "the early signs of type 2 diabetes" with type 1's: a sentence naming only another
    subtype, or a page about another one, is off the focus unless the sentence names the
    question's own."""
    type3 = ("People with microphthalmia syndromic 3 have small eyes and seizures. "
             "Most affected people also have hearing loss from birth.")
    type7 = "Microphthalmia syndromic 7 causes small eyes and skin defects on the face."
    question = "What are the symptoms of Microphthalmia syndromic 7?"
    ev = [_ev(1, "What are the symptoms of Microphthalmia syndromic 3?", type3,
              SourceKind.PATIENT_INFO, section=""),
          _ev(2, "What are the symptoms of Microphthalmia syndromic 7?", type7,
              SourceKind.PATIENT_INFO, section="")]
    body = _body(_compose(question, ev, similarity=None))
    assert body and type7 in body
    assert not any("seizures" in t or "hearing loss" in t for t in body)
    # only the other subtype: nothing answers
    assert _compose(question, ev[:1], similarity=None).insufficient
    # a page naming the subtype bare, and a sentence naming the right one, still answer
    diabetes = ("Signs of type 1 diabetes usually develop over a short period of time. "
                "The signs for type 2 diabetes develop more gradually.")
    body = _body(_compose("What are the early signs of type 2 diabetes?", [
        _ev(3, "What are the symptoms of Diabetes?", diabetes, SourceKind.PATIENT_INFO,
            section="")], similarity=None))
    assert set(body) == {"The signs for type 2 diabetes develop more gradually."}
