"""Candidate sentences: flattened headings and labels are cut off, aims and notes are skipped,
long sentences and study-design sentences lose weight."""

from __future__ import annotations

import pytest

from curbside.compose.candidates import extract_candidates, is_aim, is_heading, strip_heading
from curbside.compose.composer import LONG_CLAIM_WORDS, _score
from curbside.domain import Evidence, Passage, Source, SourceKind


def _evidence(text: str, kind: SourceKind = SourceKind.GUIDELINE, section: str = "") -> Evidence:
    src = Source(id=1, external_id="doc:1", version=1, kind=kind, title="Vaccines in arthritis",
                 container=None, container_abbrev=None, year=2020, authors=[], pmid=None,
                 doi=None, url=None, publication_types=[], mesh_terms=[], retracted=False,
                 is_current=True, content_hash="x", meta={}, ingested_at="")
    p = Passage(id=1, uid="u", source_id=1, ord=0, section=section, text=text,
                char_start=0, char_end=len(text))
    return Evidence(p, src, scores={"final": 1.0})


@pytest.mark.parametrize(("text", "expected"), [
    ("Serious Infections In patients with established RA, use combination therapy.",
     "In patients with established RA, use combination therapy."),
    ("Differentiation of CD from Non-Celiac Gluten Sensitivity Symptoms or symptom response "
     "alone should not be used to diagnose CD.",
     "Symptoms or symptom response alone should not be used to diagnose CD."),
    ("Treatment and Treatments Oral vitamin D is most often used to treat deficiency.",
     "Oral vitamin D is most often used to treat deficiency."),
    ("Summary : Marijuana is a green, brown, or gray mix of dried parts.",
     "Marijuana is a green, brown, or gray mix of dried parts."),
    ("Recommendation 7 : Evidence remains insufficient for a recommendation.",
     "Evidence remains insufficient for a recommendation."),
    ("Aims Intake of grapefruit juice alters the kinetics of various drugs.",
     "Intake of grapefruit juice alters the kinetics of various drugs."),
    ("Prolotherapy The use of prolotherapy for low back pain is generally not recommended.",
     "The use of prolotherapy for low back pain is generally not recommended."),
    ("Sacroiliac (SI) Joint Injection Description A generally accepted injection of local "
     "anesthetic into the joint.",
     "A generally accepted injection of local anesthetic into the joint."),
    ("Some Evidence Prolotherapy of the SI joint is longer lasting, up to 15 months.",
     "Prolotherapy of the SI joint is longer lasting, up to 15 months."),
    ("Treatment Penicillin V is the drug of choice in patients who can swallow pills.",
     "Penicillin V is the drug of choice in patients who can swallow pills."),
    ("3.12 Penicillin Allergy Management A number of articles have provided considerations.",
     "A number of articles have provided considerations."),
    ("Some Evidence Long-acting oxycodone and oxymorphone have equal analgesic effects.",
     "Long-acting oxycodone and oxymorphone have equal analgesic effects."),
    ("GCP - The guideline development group suggests giving the pneumococcal vaccine.",
     "The guideline development group suggests giving the pneumococcal vaccine."),
    ("Metformin B - Metformin should be offered to overweight adults with diabetes.",
     "Metformin should be offered to overweight adults with diabetes."),
    ("Category 2 - Women with migraine may use the combined pill with caution.",
     "Women with migraine may use the combined pill with caution."),
])
def test_flattened_headings_are_cut_off(text: str, expected: str) -> None:
    assert strip_heading(text, titled=True) == expected


@pytest.mark.parametrize("text", [
    "The American College of Physicians recommends exercise for low back pain in adults.",
    "Oral Vitamin D is used to treat vitamin D deficiency in adults.",
    "New York Heart Association Class III patients had worse outcomes than others.",
    "Crohn's Disease Activity Index scores improved in most of the treated patients.",
    "Patients with diabetes had more events than the others.",
    "In the United States, the rate of infection fell by half.",
    "Treatment was stopped in 4 of the 20 patients after a week.",
    "Some evidence suggests that exercise helps most people with back pain.",
    "A - B testing of two reminders raised vaccine uptake in older adults.",
])
def test_sentences_starting_with_names_are_kept_whole(text: str) -> None:
    assert strip_heading(text, titled=True) == text


def test_headings_are_not_candidates() -> None:
    assert is_heading("Discussion of Imaging Modalities by Variant Variant 1: Inflammatory "
                      "Sacroiliac or Back Symptoms.")
    assert not is_heading("The American College of Physicians recommends exercise for pain.")
    assert not is_heading("Radiographs Negative or Equivocal CT of the SI joints may be helpful.")


def test_title_case_rule_only_for_guidelines_and_patient_information() -> None:
    text = "Serious Infections In patients with established RA, use combination therapy."
    assert strip_heading(text, titled=False) == text
    cands = extract_candidates([_evidence(text, SourceKind.RCT)], {"infections"}, {})
    assert cands[0].text == text
    cands = extract_candidates([_evidence(text)], {"infections", "patients"}, {})
    assert cands[0].text.startswith("In patients")
    # The span still points at exactly the sentence quoted.
    assert text[cands[0].start:cands[0].end] == cands[0].original


def test_aims_and_notes_about_the_document_are_not_candidates() -> None:
    assert is_aim("To compare acetaminophen with codeine after tonsillectomy in children.")
    assert is_aim("The objectives of the present study were to study the effects of fentanyl.")
    assert is_aim("Given its use in smoking, this study studied how bupropion changed withdrawal.")
    assert not is_aim("This study showed that bupropion did not change withdrawal symptoms.")
    # What the authors set out to do, said in the first person, is an aim too; what they
    # found or present evidence for is not.
    assert is_aim("In this work, we investigated the role of lncRNA PCAT6 in breast cancer.")
    assert is_aim("Here, we examined radiosensitizing effects of LB-100 on tumour cells.")
    assert not is_aim("We present evidence that LB-100 sensitises tumour cells to radiation.")
    assert not is_aim("We found that exercise reduced pain in most adults.")
    assert is_aim("Secondary objectives were to compare Ritalin LA with Concerta in school.")
    assert not is_aim("The goal is to keep blood pressure below 140/90 mmHg in most adults.")
    text = ("The purposes of this review were to check gabapentin dosing schedules. "
            "Detailed guidelines for simvastatin are beyond the scope of this article. "
            "For gabapentin in children, see the National Guideline Clearinghouse (NGC) summary "
            "of the epilepsy guideline. "
            "Gabapentin was well tolerated at doses of 3600 mg a day.")
    cands = extract_candidates([_evidence(text, SourceKind.REVIEW)], {"gabapentin"}, {})
    assert [c.text for c in cands] == ["Gabapentin was well tolerated at doses of 3600 mg a day."]
    # a rare-disease page's notes on where its list comes from and how to read it
    text = ("Much of this information comes from Orphanet, a European rare disease database. "
            "The frequency of a sign or symptom is usually listed as a rough estimate of the "
            "percentage of patients who have that feature. "
            "In these cases, the sign or symptom may be rare or common. "
            "The Human Phenotype Ontology provides the following list of signs and symptoms "
            "for Joubert syndrome. "
            "For example, a frequency of 25/25 means that in a study of 25 people all patients "
            "were found to have that symptom. "
            "The Human Phenotype Ontology (HPO) has collected information on how often a "
            "sign or symptom occurs in a condition. "
            "Most people with Joubert syndrome have weak muscle tone in infancy.")
    cands = extract_candidates([_evidence(text, SourceKind.PATIENT_INFO)], {"joubert"}, {})
    assert [c.text for c in cands] == [
        "Most people with Joubert syndrome have weak muscle tone in infancy."]


def test_long_and_design_sentences_lose_weight() -> None:
    short = "Gabapentin was well tolerated at doses of 3600 mg a day in adults."
    long = short[:-1] + " " + " ".join(["and"] * (LONG_CLAIM_WORDS + 10)) + "."
    design = "Adults (n = 64) were randomized to gabapentin or placebo for 12 weeks."
    found = "Gabapentin reduced pain more than placebo did over the 12 weeks in adults."
    c = {t: extract_candidates([_evidence(t, SourceKind.RCT)], {"gabapentin"}, {})[0]
         for t in (short, long, design, found)}
    for cand in c.values():
        cand.relevance = 1.0
    assert _score(c[long]) < _score(c[short])
    assert _score(c[design]) < _score(c[found])
    for other in ("The study was conducted in a helicopter during flights over the sea.",
                  "Charts of 300 adults given gabapentin for pain were reviewed by two nurses.",
                  "A total of 23 subjects with chronic pain took gabapentin for 12 weeks."):
        cand = extract_candidates([_evidence(other, SourceKind.RCT)], {"gabapentin", "study"},
                                  {})[0]
        cand.relevance = 1.0
        assert _score(cand) < _score(c[found])


def test_a_term_of_several_words_matches_when_all_its_words_are_there() -> None:
    text = "Beta-endorphin levels fell during alcohol withdrawal in most patients."
    [c] = extract_candidates([_evidence(text)], {"beta-endorphin", "anxiety"}, {})
    assert c.features["overlap"] == 0.5  # one of two terms; the hyphenated one counts whole
    [c] = extract_candidates([_evidence(text)], {"alcohol use disorder", "withdrawal"}, {})
    assert c.features["overlap"] == 0.5  # "use disorder" is missing: that term doesn't match


def test_an_abbreviation_defined_elsewhere_in_the_source_counts_as_its_long_form() -> None:
    text = "Levels of CRP fell with treatment in most adults."
    source = "C-reactive protein (CRP) was measured weekly. " + text
    [c] = extract_candidates([_evidence(text)], {"c-reactive protein"}, {1: source})
    assert c.text.startswith("Levels of C-reactive protein (CRP) fell")
    assert c.features["overlap"] == 1.0
    [c] = extract_candidates([_evidence(text)], {"c-reactive protein"}, {})
    assert c.features["overlap"] == 0.0


def test_a_first_person_finding_is_a_candidate_and_an_anaphor_is_not() -> None:
    # BioASQ dev: "Our study identified ... six genetic susceptibility loci for IBS" was the
    # only sentence naming IBS, and the article refused
    text = (
        "We sequenced the genomes of 4,280 patients with irritable bowel syndrome. "
        "Our study identified and confirmed six genetic susceptibility loci for IBS. "
        "We have recently shown that yeast LTR elements generate circular DNAs. "
        "Our findings do not support routine genetic testing for irritable bowel syndrome. "
        "This locus was replicated in a second cohort of irritable bowel syndrome patients. "
        "They were recruited from four hospitals in Sweden and the United States."
    )
    got = [c.text for c in extract_candidates([_evidence(text, SourceKind.OBSERVATIONAL)],
                                              {"irritable", "bowel"}, {})]
    assert got == [
        "Our study identified and confirmed six genetic susceptibility loci for IBS.",
        "We have recently shown that yeast LTR elements generate circular DNAs.",
        "Our findings do not support routine genetic testing for irritable bowel syndrome.",
    ]
