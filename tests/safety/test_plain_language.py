"""Patient-mode plain language: sentence splitting and lay wording keep every fact."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.article import Article, ArticleSection, Claim, Reference
from curbside.messages import message, own_claim
from curbside.render.modes import (
    GENERAL_CARE,
    flesch_kincaid_grade,
    readability_units,
    render_for_audience,
)
from curbside.render.plain import (
    drop_repeated_asides,
    lay_text,
    split_sentence,
    split_statistics,
)
from curbside.text.vocabulary import plain_word_pairs

NUM = re.compile(r"\d+(?:[.,]\d+)*")
UNIT = re.compile(r"\d+(?:[.,]\d+)*\s*(?:mg/kg|mg|ml|%|years?|minutes?|hours?|h)\b")
NEGATIONS = {"no", "not", "never", "without", "neither", "nor", "none", "cannot"}
HEDGES = {"may", "might", "could", "can", "possibly", "likely", "unlikely", "suggest",
          "suggests", "suggested", "appears", "appear", "probably", "uncertain", "unclear"}


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z']+", text)]


def _kept(text: str, pieces: list[str]) -> None:
    """Every number, number+unit, negation and hedge of `text` is in the pieces, as often."""
    joined = " ".join(pieces)
    assert Counter(NUM.findall(text)) == Counter(NUM.findall(joined))
    assert Counter(UNIT.findall(text)) == Counter(UNIT.findall(joined))
    for vocab in (NEGATIONS, HEDGES):
        before = Counter(w for w in _words(text) if w in vocab)
        after = Counter(w for w in _words(joined) if w in vocab)
        assert before == after, (text, pieces)


# -- splitting -------------------------------------------------------------------------------


def test_semicolon_split_keeps_numbers_units_and_negation() -> None:
    text = ("Adrenaline 0.5 mg was given into the thigh muscle at once; no patient had a "
            "second reaction within 30 minutes of the first dose.")
    pieces = split_sentence(text)
    assert pieces == ["Adrenaline 0.5 mg was given into the thigh muscle at once.",
                      "No patient had a second reaction within 30 minutes of the first dose."]
    _kept(text, pieces)


def test_and_between_clauses_is_dropped_at_the_cut() -> None:
    text = ("The dose was 20 mg/kg in adults over 18 years, and children under 12 years did "
            "not receive the drug at all.")
    pieces = split_sentence(text)
    assert pieces == ["The dose was 20 mg/kg in adults over 18 years.",
                      "Children under 12 years did not receive the drug at all."]
    _kept(text, pieces)


def test_but_however_which_and_whereas_cuts() -> None:
    assert split_sentence(
        "Most of the patients in the trial had high blood pressure, but a small number (180) "
        "had heart failure.") == [
        "Most of the patients in the trial had high blood pressure.",
        "But a small number (180) had heart failure."]
    assert split_sentence(
        "The drug lowered pain scores by 2 points in the first week; however, the effect "
        "was not seen after 6 weeks.") == [
        "The drug lowered pain scores by 2 points in the first week.",
        "However, the effect was not seen after 6 weeks."]
    pieces = split_sentence(
        "Axial spondyloarthritis is often misdiagnosed as mechanical low back pain, which "
        "delays access to effective treatment by several years in most of the patients.")
    assert pieces[1] == (
        "This delays access to effective treatment by several years in most of the patients.")
    pieces = split_sentence(
        "Pain scores fell by 40% in the group that took the drug, whereas scores in the "
        "placebo group fell by 10%.")
    assert pieces[1] == "But scores in the placebo group fell by 10%."


@pytest.mark.parametrize("text", [
    # a list, not two clauses
    "Side effects included nausea, vomiting, dizziness, and headache in 12% of the patients "
    "who took the drug.",
    # the second clause is inside the scope of "suggest that"
    "These results suggest that the drug may lower blood pressure in older adults, and it "
    "reduced the risk of stroke by 20%.",
    # a condition governs the whole sentence
    "If the pain lasts more than 6 weeks in an adult, imaging is advised, and a referral is "
    "made to a specialist.",
    # "respectively" pairs two lists across the sentence
    "Rates were 12% and 15% in the two groups, and deaths were 2 and 3, respectively, after "
    "a year.",
    # the only cut points are inside brackets
    "The overall effect of rofecoxib 50 mg was greater than that of codeine 60 mg (12.4 vs "
    "7.0; P < 0.001) at 6 hours.",
    # a verb shared with the first clause's subject
    "The drug was given to 40 patients with chronic pain, and reduced their pain scores by "
    "half in 4 weeks.",
    # a colon that introduces a list
    "Be sure to mention any of the following medicines to your doctor: antihistamines, "
    "aspirin and ibuprofen.",
    # "not only ... but"
    "The treatment not only lowered the blood pressure of most patients in the trial but it "
    "also reduced their heart rate.",
])
def test_unsafe_cuts_are_refused(text: str) -> None:
    assert split_sentence(text) == [text]


def test_short_sentences_and_bullets() -> None:
    assert split_sentence("Short sentence; no cut.") == ["Short sentence; no cut."]
    text = ("The stored form of glucose is called glycogen. - Insulin also lowers blood "
            "glucose levels. - Glucagon signals the liver to make glucose.")
    assert split_sentence(text) == [
        "The stored form of glucose is called glycogen.",
        "Insulin also lowers blood glucose levels.",
        "Glucagon signals the liver to make glucose."]


_tok = st.sampled_from([
    "the", "drug", "patients", "was", "were", "is", "reduced", "pain", "12", "3.5", "mg",
    "20%", "no", "not", "without", "may", "might", "suggest", "that", "and", ",", ";", ":",
    "which", "but", "while", "however", "(", ")", "respectively", "it", "- ", ".", "never",
    "although", "because", "develops", "prevents",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_tok, min_size=1, max_size=60))
def test_property_split_keeps_numbers_negations_hedges(tokens: list[str]) -> None:
    text = " ".join(tokens).replace(" ,", ",").replace(" ;", ";").replace(" :", ":")
    pieces = split_sentence(text)
    assert pieces
    _kept(text, pieces)


def move_statistics(text: str) -> str:
    main, figures = split_statistics(text)
    return f"{main} {figures}" if figures else main


@pytest.mark.parametrize(("text", "expected"), [
    ("More patients on codeine had side effects overall (P < 0.050) and nausea in particular "
     "(P < 0.001).",
     "More patients on codeine had side effects overall and nausea in particular. "
     "(Figures: P < 0.050; P < 0.001.)"),
    ("Risk of death was lower with statins (OR 0.8, 95% CI [0.7, 0.9]) in older adults.",
     "Risk of death was lower with statins in older adults. (Figures: OR 0.8, 95% CI [0.7, 0.9].)"),
    # Doses, lay explanations and abbreviations stay where they are.
    ("Smokers were kept on active (300 mg/day) or placebo (0 mg/day) bupropion (Zyban).",
     "Smokers were kept on active (300 mg/day) or placebo (0 mg/day) bupropion (Zyban)."),
    # Too little left without the figures: unchanged.
    ("Pain fell (P < 0.01).", "Pain fell (P < 0.01)."),
])
def test_statistics_brackets_move_to_a_figures_sentence(text: str, expected: str) -> None:
    assert move_statistics(text) == expected
    _kept(text, [move_statistics(text)])


# -- lay wording -----------------------------------------------------------------------------


def test_plain_words_and_case() -> None:
    seen: set[str] = set()
    assert lay_text("In this study of 40 adults with nerve pain, gabapentin was administered "
                    "orally at a dosage of 900 mg each day.", seen) == (
        "In this study of 40 adults with nerve pain, gabapentin was given by mouth at a dose "
        "of 900 mg each day.")
    assert lay_text("Approximately 40 participants took part in the trial.", seen) == (
        "About 40 participants took part in the trial.")  # one swap for 5 content words
    assert lay_text("Approximately 40 participants took part in the trial over two years.",
                    seen) == "About 40 people took part in the trial over two years."


def test_technical_terms_explained_then_replaced_with_plural() -> None:
    seen: set[str] = set()
    first = lay_text("Myocardial infarctions were rare.", seen)
    assert first == "Myocardial infarctions (heart attacks) were rare."
    assert lay_text("Myocardial infarction recurred in 3 of the 40 patients during the first "
                    "year.", seen) == (
        "Heart attack recurred in 3 of the 40 patients during the first year.")
    # a number inside the technical term keeps it
    seen2: set[str] = {"sugar diabetes"}
    assert "2" in lay_text("Type 2 diabetes mellitus was common.", seen2)
    # a lay term that is only another form of the same words explains nothing
    assert lay_text("Low back pain was common.", set()) == "Low back pain was common."


def test_swaps_leave_most_of_a_short_sentence_alone() -> None:
    # two swaps would take out half of the content words: only the first is made
    out = lay_text("Plasma concentrations were determined after 48 hours of dosing.", set())
    assert out.count("blood level") + out.count("Blood level") <= 1
    assert "48" in out


def test_plain_word_list_never_changes_negation_hedge_or_number() -> None:
    pairs = plain_word_pairs()
    assert len(pairs) >= 100
    for formal, plain in pairs:
        for vocab in (NEGATIONS, HEDGES):
            assert {w for w in _words(formal) if w in vocab} == {
                w for w in _words(plain) if w in vocab}, formal
        assert NUM.findall(formal) == NUM.findall(plain), formal
        # the strength-changing swaps the list's rules forbid
        assert formal.lower() not in {"indicate", "indicates", "suggest", "suggests",
                                      "significant", "significantly"}


# -- the patient article ---------------------------------------------------------------------


def _ref(n: int, typ: str) -> Reference:
    return Reference(n=n, type=typ, kind="guideline", level=1, source_id=n,  # type: ignore[arg-type]
                     external_id=f"x:{n}", title=f"Source {n}")


def _article(**kw: object) -> Article:
    base: dict[str, object] = {
        "question": "how much acetaminophen is safe", "title": "T",
        "created_at": "2025-01-01", "settings_fingerprint": "x",
        "references": [_ref(1, "Research"), _ref(2, "Patient information")],
    }
    base.update(kw)
    return Article.model_validate(base)


def test_patient_mode_moves_statistics_and_keeps_them_with_the_claim() -> None:
    text = ("Significantly more patients in the codeine group than in the rofecoxib group had side "
            "effects overall (P < 0.050) and nausea in particular (P < 0.001).")
    p = render_for_audience(_article(lead=[Claim(text=text, citations=[1])]), "patient")
    assert p.lead[0].citations == [1]
    assert p.lead[0].text.endswith("(Figures: P < 0.050; P < 0.001.)")
    _kept(text, [p.lead[0].text])


def test_insufficient_notice_and_general_care_in_plain_words() -> None:
    art = _article(insufficient=True, references=[], lead=[own_claim("lead.insufficient")])
    out = render_for_audience(art, "patient")
    texts = [c.text for c in out.all_claims()]
    assert texts[0].startswith("This library")
    care = next(s for s in out.sections if s.kind == "when_to_seek_care")
    assert [c.text for c in care.claims] == [message(k, "patient") for k in GENERAL_CARE]
    assert [c.key for c in care.claims] == list(GENERAL_CARE)
    assert all(c.ours and not c.citations for c in care.claims)


def test_patient_information_first_and_unused_abbreviations_dropped() -> None:
    sec = ArticleSection(heading="Key evidence", kind="key_evidence", claims=[
        Claim(text="Controlled-release (CR) oxycodone was given twice a day for 4 weeks.",
              citations=[1]),
        Claim(text="Adults should not take more than 4,000 mg (4 g) a day.", citations=[2]),
        Claim(text="Extended-release (ER) tablets and ER capsules were both studied.",
              citations=[1]),
    ])
    out = render_for_audience(_article(sections=[sec]), "patient")
    body = next(s for s in out.sections if s.kind == "key_evidence")
    assert body.claims[0].citations == [2]  # the patient-information source first
    texts = " ".join(c.text for c in body.claims)
    assert "(CR)" not in texts and "Controlled-release oxycodone" in texts
    assert "(ER)" in texts  # used again: the definition stays
    assert "(4 g)" in texts


def test_readability_is_over_body_claims_only() -> None:
    art = _article(lead=[Claim(text="Take it with food.", citations=[2])],
                   sections=[ArticleSection(heading="H", kind="key_evidence", intro=Claim(
                       text="Evidence from 2 sources:", ours=True), claims=[
                       Claim(text="The dose is 1 g.", citations=[1])])])
    assert readability_units(art) == ["Take it with food.", "Evidence from 2 sources:",
                                      "The dose is 1 g."]
    # each claim is at least one sentence; "e.g." and "2.5" do not end one
    assert flesch_kincaid_grade(["Short one", "Another one"]) == pytest.approx(
        flesch_kincaid_grade("Short one. Another one."))
    assert flesch_kincaid_grade("Take 2.5 mg, e.g. with food, daily.") == pytest.approx(
        flesch_kincaid_grade(["Take 2.5 mg, e.g. with food, daily."]))


def test_no_lay_form_adds_or_removes_a_negation_or_hedge() -> None:
    from curbside.render.plain import GUARDED_WORDS, lay_forms

    forms = lay_forms()
    assert len(forms) > 300
    for f in forms:
        assert set(_words(f.formal)) & GUARDED_WORDS == set(_words(f.plain)) & GUARDED_WORDS
    assert lay_text("Most were asymptomatic at 6 months of follow-up in this cohort.",
                    set()) == "Most were asymptomatic at 6 months of follow-up in this cohort."


def test_elliptical_clause_is_not_cut_off() -> None:
    # "but in no patient given verapamil" has no verb of its own: cutting it off would leave
    # a fragment and move the negation away from what it negates
    text = ("Side effects occurred in 5 patients (16.6%) given quinidine, 1 patient given "
            "amiodarone, but in no patient given verapamil.")
    assert split_sentence(text) == [text]


@pytest.mark.parametrize("text", [
    "Tobacco cessation is very likely to be the single most beneficial intervention that is "
    "available, and it should be emphasized by clinicians as described below.",
    "Pill splitting can be a cost-saving practice when implemented judiciously using drug- "
    "and patient-specific criteria, although this strategy is used infrequently.",
    "Axial spondyloarthritis is often misdiagnosed as mechanical low back pain, which "
    "delays access to treatment.",
])
def test_short_pronoun_pieces_stay_attached(text: str) -> None:
    assert split_sentence(text) == [text]


@pytest.mark.parametrize("text", [
    # the negation belongs with the words it qualifies
    "Taking finasteride or dutasteride has been shown to lower the risk for prostate cancer, "
    "but it is not known if these drugs lower the risk of death from prostate cancer.",
    # "appears to" governs the which-clause
    "Taken together, vatanidipine appears to be a novel and useful antihypertensive agent, "
    "which can both prevent target-organ damage and reduce cardiovascular morbidity and "
    "mortality.",
])
def test_negation_and_hedge_stay_with_what_they_qualify(text: str) -> None:
    assert split_sentence(text) == [text]


# -- repeated asides ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "said", "expected"), [
    # an abbreviation the article already gave
    ("Ibuprofen is one of the NSAIDs (NSAIDs) sold without a prescription.", "",
     "Ibuprofen is one of the NSAIDs sold without a prescription."),
    ("Ibuprofen and naproxen (NSAIDs) can upset the stomach.",
     "Nonsteroidal anti-inflammatory drugs (NSAIDs) ease pain.",
     "Ibuprofen and naproxen can upset the stomach."),
    # a technical name said before, first letter in another case
    ("Affected infants have a small head (microcephaly) and widely spaced eyes.",
     "Microcephaly is common in this condition.",
     "Affected infants have a small head and widely spaced eyes."),
])
def test_repeated_asides_are_dropped(text: str, said: str, expected: str) -> None:
    assert drop_repeated_asides(text, said) == expected
    _kept(text, [expected])


@pytest.mark.parametrize(("text", "said"), [
    ("Adults should not take more than 4,000 mg (4 g) a day.", "4 g is the most"),
    ("The drug is safe for most people (not in pregnancy).", "not in pregnancy"),
    ("Symptoms usually fade (but may return).", "but may return"),
    ("Ibuprofen (all) helps with pain.", "ALL is a cancer of the blood."),  # case differs
    ("Affected infants have a small head (microcephaly).", "A small head is common."),  # new
    ("(Low) blood sugar can make you shaky.", "low blood sugar"),  # not an aside to anything
    ("It grows slowly (a type of tumor that rarely spreads to other organs).",
     "a type of tumor that rarely spreads to other organs"),  # a long explanation stays
])
def test_asides_with_facts_or_new_words_stay(text: str, said: str) -> None:
    assert drop_repeated_asides(text, said) == text


def test_patient_article_drops_an_aside_repeated_from_an_earlier_claim() -> None:
    sec = ArticleSection(heading="Key evidence", kind="key_evidence", claims=[
        Claim(text="Nonsteroidal anti-inflammatory drugs (NSAIDs) ease pain in 7 of 10 adults.",
              citations=[2]),
        Claim(text="Ibuprofen and naproxen (NSAIDs) may upset the stomach in 1 of 10 adults.",
              citations=[1]),
    ])
    out = render_for_audience(_article(sections=[sec]), "patient")
    texts = [c.text for s in out.sections if s.kind == "key_evidence" for c in s.claims]
    assert texts[1] == "Ibuprofen and naproxen may upset the stomach in 1 of 10 adults."
    assert [c.citations for s in out.sections if s.kind == "key_evidence"
            for c in s.claims] == [[2], [1]]
    _kept(" ".join(c.text for c in sec.claims), texts)


# -- more cuts: "although", "because", ", but" after a list, more verbs ----------------------


def test_although_clause_first_becomes_two_sentences() -> None:
    text = ("Although the condition is described as benign in 9 of 10 cases, in rare cases the "
            "skin lesions may develop into a form of skin cancer.")
    pieces = split_sentence(text)
    assert pieces == ["The condition is described as benign in 9 of 10 cases.",
                      "But in rare cases the skin lesions may develop into a form of skin cancer."]
    _kept(text, pieces)
    text = ("Although HIV is a lifelong infection with no cure, HIV medicines help people live "
            "longer.")
    assert split_sentence(text) == ["HIV is a lifelong infection with no cure.",
                                    "But HIV medicines help people live longer."]


def test_because_clause_and_but_after_a_list() -> None:
    text = ("Doctors often recommend a low dose of aspirin for older adults after 50, because "
            "aspirin lowers the chance of a second heart attack.")
    pieces = split_sentence(text)
    assert pieces == ["Doctors often recommend a low dose of aspirin for older adults after 50.",
                      "This is because aspirin lowers the chance of a second heart attack."]
    _kept(text, pieces)
    text = ("Currently, medicines are available to treat addiction to opiates, nicotine, and "
            "alcohol, but none are yet approved for treating addiction to stimulants.")
    pieces = split_sentence(text)
    assert pieces == [
        "Currently, medicines are available to treat addiction to opiates, nicotine, and alcohol.",
        "But none are yet approved for treating addiction to stimulants."]
    _kept(text, pieces)
    # a present-tense verb the cue list now knows ("attach") makes the left side a clause
    assert split_sentence(
        "The thick and thin filaments attach to each other and release, which allows the "
        "filaments to move relative to one another so that muscles can contract.")[1] == (
        "This allows the filaments to move relative to one another so that muscles can contract.")


@pytest.mark.parametrize("text", [
    # "not ... because": which part the negation governs is unclear
    "Doctors did not give aspirin to older adults in the study, because aspirin raised the "
    "chance of bleeding.",
    # "because of" is no clause
    "Many people in the study stopped taking the drug early, because of stomach pain and "
    "nausea.",
    # "although" with a verbless first part, or a pronoun that points back into it
    "Although rare, the drug causes liver damage in some people who take it for years.",
    "Although the drug is rare in the shops, it can cause liver damage in people who take it.",
    # the main clause negated right after the comma
    "Although the pain is often severe at first, not every patient needs strong pain medicine.",
    # a condition still governs the whole sentence
    "If the pain lasts more than 6 weeks, imaging is advised, because a tumour or an infection "
    "must be ruled out.",
])
def test_more_unsafe_cuts_are_refused(text: str) -> None:
    assert split_sentence(text) == [text]


# -- issue 15: the patient reading grade -------------------------------------------------------


def test_because_without_a_comma_is_cut_before_a_clause() -> None:
    text = ("Older adults often need a lower dose of this medicine because the kidneys "
            "remove it from the blood more slowly with age.")
    pieces = split_sentence(text)
    assert pieces == [
        "Older adults often need a lower dose of this medicine.",
        "This is because the kidneys remove it from the blood more slowly with age."]
    _kept(text, pieces)


@pytest.mark.parametrize("text", [
    # a qualifier of the reason would be left behind ("partly", "only", "mainly")
    "Some people gain weight on this medicine partly because it makes them feel more hungry "
    "at night.",
    "The rash is seen in children only because their skin reacts more strongly to the drug.",
    # "may be because": the cut would leave "may be" without what it hedges
    "The weight gain in some of these people may be because the drug makes them more hungry.",
    "Children are at risk of poisoning especially because the tablets look like sweets to them.",
    # a negation before "because": which part it governs is unclear
    "The drug does not work well in young children because their bodies break it down "
    "too fast.",
    # "because of" is no clause
    "Many people in the study stopped taking the drug early because of stomach pain and "
    "nausea in the first week.",
    # the reason is inside the scope of "suggest that"
    "These results suggest that the drug lowers blood pressure in older adults because it "
    "relaxes the walls of the blood vessels.",
])
def test_unsafe_because_cuts_are_refused(text: str) -> None:
    assert split_sentence(text) == [text]


@pytest.mark.parametrize(("formal", "plain"), [
    ("If necessary, the dose is lowered after 2 weeks.",
     "If needed, the dose is lowered after 2 weeks."),
    ("Consult your doctor before you stop taking this medicine or change its dose in any way.",
     "Talk to your doctor before you stop taking this medicine or change its dose in any way."),
    ("Do not take the two medicines concomitantly unless told to.",
     "Do not take the two medicines at the same time unless told to."),
])
def test_new_plain_words(formal: str, plain: str) -> None:
    assert lay_text(formal, set()) == plain
    _kept(formal, [plain])


@pytest.mark.parametrize("text", [
    # "unnecessary" is another word; "consult" outside the listed phrases keeps its sense
    "Unnecessary antibiotics can cause side effects in 1 in 10 people who take them.",
    "Consult the label for the full list of ingredients in each tablet.",
])
def test_new_plain_words_leave_other_words_alone(text: str) -> None:
    assert lay_text(text, set()) == text


@pytest.mark.parametrize("key", ["gap.no_definition", "gap.not_together", "gap.no_frequency",
                                 "gap.no_dose",
                                 "section.no_frequency"])
def test_patient_catalogue_says_our_gaps_in_shorter_sentences(key: str) -> None:
    clinician, patient = message(key, "clinician"), message(key, "patient")
    assert patient != clinician
    assert flesch_kincaid_grade(patient) < flesch_kincaid_grade(clinician)
    # still says that something is missing (a negation word), never a finding
    assert {"no", "none", "not"} & set(_words(patient))
    assert not NUM.findall(patient)
