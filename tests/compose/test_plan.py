"""Which sentences belong in which section, and the frequency gap note."""

from __future__ import annotations

import pytest

from curbside.article import Article
from curbside.compose.composer import ComposeInput, ExtractiveComposer
from curbside.compose.plan import (
    NO_DEFINITION_KEY,
    NO_FREQUENCY_GAP_KEY,
    NO_FREQUENCY_KEY,
    asks_frequency,
    defines,
    definition_subject,
    matches,
    plan_for,
)
from curbside.domain import Evidence, Passage, Source, SourceKind
from curbside.messages import message, says

NO_DEFINITION_TEXT = message(NO_DEFINITION_KEY)
NO_FREQUENCY_TEXT = message(NO_FREQUENCY_KEY)


@pytest.mark.parametrize(
    ("text", "prevalence"),
    [
        ("Sacroiliac joint pain accounts for 15% to 30% of chronic low back pain.", True),
        ("Isolated spine involvement was seen in 6% to 23% of patients on MRI.", True),
        ("The prevalence of axial spondyloarthritis is about 0.5%.", True),
        ("Back pain is common in adults.", True),
        ("Gout is a common cause of foot pain.", True),
        ("Back pain is very common.", True),
        # "common" naming a kind of thing, and a share of a recommendation's patients
        ("Common symptoms of sepsis are fever, chills and confusion.", False),
        ("Rate control is recommended for the majority of patients with heart failure.", False),
        ("One in five adults reports back pain each year.", True),
        # a bare percentage is an effect size or a threshold, not a frequency
        ("The evidence is good with 75% to 100% pain relief as the criterion standard.", False),
        ("Pain fell by 30% with the drug.", False),
        ("Take 500 mg every 6 hours.", False),
    ],
)
def test_prevalence_cue_needs_a_frequency(text: str, prevalence: bool) -> None:
    assert matches("prevalence", text) is prevalence


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("The evidence for steroid injections of the sacroiliac joint is limited.", True),
        ("Evidence is insufficient to recommend for or against screening.", True),
        ("Insufficient evidence supports routine use.", True),
        ("Few studies are available, so the evidence is only fair.", True),
        ("Further research is needed to confirm these findings.", True),
        ("The certainty of evidence was very low.", True),
        # limits of a patient or of a test, not of the evidence
        ("Uncomplicated acute low back pain is a benign, self-limited condition.", False),
        ("Radiographs are not recommended because they are of limited diagnostic value.", False),
        ("Back movement becomes more limited over time as the vertebrae fuse.", False),
    ],
)
def test_limits_cue_is_about_the_evidence(text: str, limits: bool) -> None:
    assert matches("limits", text) is limits


def test_a_frequency_question_always_gets_the_prevalence_section() -> None:
    assert asks_frequency("Is SI joint imbalance a common cause of low back pain?")
    assert asks_frequency("How often does gout come back?")
    assert not asks_frequency("Does exercise help chronic low back pain?")
    # a schedule, not how common anything is
    assert not asks_frequency("How often should I take ibuprofen for a headache?")
    assert not asks_frequency("pneumococcal vaccine how often?")
    assert plan_for("What causes gout?", "etiology") == ["etiology", "key_evidence", "limits"]
    assert plan_for("Is gout a common cause of foot pain?", "etiology") == [
        "etiology", "prevalence", "key_evidence", "limits"]  # fmt: skip
    assert plan_for("Is gout common?", "yes_no").count("prevalence") == 1


def _compose(question: str, texts: list[str]) -> list[tuple[str, str | None, list[str]]]:
    art = _article(question, "yes_no", texts, terms=["gout", "foot", "pain", "common", "cause"])
    return [
        (s.kind, s.intro.text if s.intro else None, [c.text for c in s.claims])
        for s in art.sections
    ]


def test_no_frequency_in_the_evidence_is_said_not_guessed() -> None:
    texts = [
        "Gout causes sudden foot pain, most often in the big toe.",
        "Gout foot pain responds to colchicine within days.",
    ]
    sections = _compose("Is gout a common cause of foot pain?", texts)
    prevalence = [s for s in sections if s[0] == "prevalence"]
    assert prevalence == [("prevalence", NO_FREQUENCY_TEXT, [])]
    # the note is ours: no citation, and it never replaces a figure the evidence gives
    texts.append("Gout is the cause of foot pain in 5% of adults seen in primary care.")
    sections = _compose("Is gout a common cause of foot pain?", texts)
    assert not any(s[1] == NO_FREQUENCY_TEXT for s in sections)
    # a question that doesn't ask how common gets no note
    sections = _compose("Does gout cause foot pain?", texts[:2])
    assert not any(s[0] == "prevalence" for s in sections)


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("what is morphine", "morphine"),
        ("What are sacroiliac joints?", "sacroiliac joints"),
        ("Define sciatica.", "sciatica"),
        ("What is meant by sciatica?", "sciatica"),
        ("what does HLA-B27 mean?", "HLA-B27"),
        ("Is morphine safe in pregnancy?", None),
        ("What are acoustic reporter genes used to detect?", None),
        ("What is the difference between opioid and opium?", None),
    ],
)
def test_definition_subject(question: str, subject: str | None) -> None:
    assert definition_subject(question) == subject


@pytest.mark.parametrize(
    ("sentence", "defining"),
    [
        ("Morphine is an opioid analgesic used for severe pain.", True),
        ("Morphine, an opioid agonist, relieves pain after surgery.", True),
        ("Sciatica refers to pain along the sciatic nerve.", True),
        ("Sacroiliac joints (SIJ) are the joints between the sacrum and the ilium.", True),
        ("Similar global satisfaction with the morphine treatments was reported.", False),
        ("Morphine is effective after caesarean section.", False),
    ],
)
def test_defines(sentence: str, defining: bool) -> None:
    subject = "sacroiliac joint" if "acroiliac" in sentence else sentence.split()[0].strip(",")
    assert defines(subject.lower(), sentence) is defining


def _article(
    question: str, qtype: str, texts: list[str], terms: tuple[str, ...] | list[str] = ("morphine",)
) -> Article:
    """One guideline whose passages are `texts`, best first, composed for `question`."""
    src = Source(
        id=1, external_id="ngc:1", version=1, kind=SourceKind.GUIDELINE, title="A guideline",
        container=None, container_abbrev=None, year=2020, authors=[], pmid=None, doi=None,
        url=None, publication_types=[], mesh_terms=[], retracted=False, is_current=True,
        content_hash="h", meta={}, ingested_at="",
    )  # fmt: skip
    ev = [
        Evidence(
            source=src,
            passage=Passage(id=10 + i, uid=f"u{i}", source_id=1, ord=i, section="", text=t,
                            char_start=0, char_end=len(t)),
            scores={"final": 1.0 - 0.1 * i},
        )
        for i, t in enumerate(texts)
    ]
    art, _ = ExtractiveComposer(max_per_source=5).compose(ComposeInput(
        question=question, question_type=qtype, terms=list(terms), evidence=ev,
        confidence=0.9, source_texts={}))  # fmt: skip
    return art


def test_a_frequency_question_without_a_figure_says_so_in_the_lead() -> None:
    texts = [
        "Gout causes sudden foot pain, most often in the big toe.",
        "Gout foot pain responds to colchicine within days.",
    ]
    art = _article("Is gout a common cause of foot pain?", "yes_no", texts,
                   terms=["gout", "foot", "pain", "common", "cause"])
    first = art.lead[0]
    assert first.ours and says(first, NO_FREQUENCY_GAP_KEY) and not first.citations
    assert any(not c.ours for c in art.lead[1:])  # the best sentence still follows
    # A figure in the evidence: it is given, and no gap is said.
    texts.append("Gout is the cause of foot pain in 5% of adults seen in primary care.")
    art = _article("Is gout a common cause of foot pain?", "yes_no", texts,
                   terms=["gout", "foot", "pain", "common", "cause"])
    assert not any(says(c, NO_FREQUENCY_GAP_KEY) for c in art.lead)
    # A question that does not ask how common: no gap either.
    art = _article("Does gout cause foot pain?", "yes_no", texts[:2],
                   terms=["gout", "foot", "pain", "cause"])
    assert not any(says(c, NO_FREQUENCY_GAP_KEY) for c in art.lead)


def test_a_definition_question_leads_with_a_definition_or_says_there_is_none() -> None:
    findings = [
        "Morphine requirements fell with age after surgery in infants.",
        "Sustained-release morphine once daily was as effective as immediate-release morphine.",
    ]
    definition = "Morphine is an opioid analgesic given for severe pain."
    art = _article("What is morphine?", "definition", [*findings, definition])
    assert [c.text for c in art.lead] == [definition]
    assert [c.text for c in art.bottom_line] == [definition]
    assert NO_DEFINITION_TEXT not in [c.text for c in art.all_claims()]
    # no definition: the article says so first, then what the sources do report
    art = _article("What is morphine?", "definition", findings)
    assert [c.text for c in art.lead] == [NO_DEFINITION_TEXT, findings[0]]
    assert [c.key for c in art.lead] == [NO_DEFINITION_KEY, None]
    assert art.lead[0].ours and not art.lead[0].citations
    # other question types are not asked for a definition
    art = _article("Does morphine relieve pain?", "yes_no", findings)
    assert NO_DEFINITION_TEXT not in [c.text for c in art.all_claims()]


def test_a_note_only_section_renders_in_every_format() -> None:
    from curbside.article import ArticleSection, Claim
    from curbside.render.formats import RENDERERS

    finding = "Morphine requirements fell with age after surgery in infants."
    art = _article("What is morphine?", "definition", [finding])
    assert art.lead[0].text == NO_DEFINITION_TEXT
    art.sections.append(ArticleSection(heading="How common it is", kind="prevalence",
                                       intro=Claim(text=NO_FREQUENCY_TEXT, ours=True,
                                                   key=NO_FREQUENCY_KEY)))
    for name in ("text", "md", "html"):
        out = " ".join(RENDERERS[name](art).split())
        assert NO_FREQUENCY_TEXT in out and NO_DEFINITION_TEXT in out, name
        assert "<ul></ul>" not in out


def test_frequency_words_are_not_the_topic() -> None:
    sepsis = "Common symptoms of sepsis include fever, chills and confusion in adults."
    gout = "Gout causes sudden foot pain, most often in the big toe."
    claims = [c for _kind, _intro, cs in _compose("How common is gout?", [sepsis, gout])
              for c in cs]  # fmt: skip
    assert sepsis not in claims


def test_a_schedule_answers_a_dose_question() -> None:
    from curbside.compose.composer import fits_ask
    from curbside.understand.focus import Ask

    assert fits_ask(Ask.DOSE, "Adults should get a tetanus shot, or booster, every 10 years.")
    assert fits_ask(Ask.DOSE, "Take 400 mg every 6 to 8 hours.")
    assert not fits_ask(Ask.DOSE, "Tetanus is rare in adults who were vaccinated.")


def test_what_a_patient_notices_answers_a_symptoms_question() -> None:
    from curbside.compose.composer import fits_ask
    from curbside.understand.focus import Ask

    assert fits_ask(Ask.SYMPTOMS, "Symptoms include a painful, burning feeling when you urinate.")
    assert fits_ask(Ask.SYMPTOMS, "People with shingles often feel pain before the rash appears.")
    assert not fits_ask(Ask.SYMPTOMS, "Shingles is caused by the varicella zoster virus.")
    assert not fits_ask(Ask.SYMPTOMS, "The Human Phenotype Ontology provides the following list "
                                      "of signs and symptoms for Long QT syndrome 3.")
