"""Which sentences belong in which section, and the frequency gap note."""

from __future__ import annotations

import pytest

from curbside.compose.composer import ComposeInput, ExtractiveComposer
from curbside.compose.plan import NO_FREQUENCY_TEXT, asks_frequency, matches, plan_for
from curbside.domain import Evidence, Passage, Source, SourceKind


@pytest.mark.parametrize(
    ("text", "prevalence"),
    [
        ("Sacroiliac joint pain accounts for 15% to 30% of chronic low back pain.", True),
        ("Isolated spine involvement was seen in 6% to 23% of patients on MRI.", True),
        ("The prevalence of axial spondyloarthritis is about 0.5%.", True),
        ("Back pain is common in adults.", True),
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
    assert plan_for("What causes gout?", "etiology") == ["etiology", "key_evidence", "limits"]
    assert plan_for("Is gout a common cause of foot pain?", "etiology") == [
        "etiology", "prevalence", "key_evidence", "limits"]  # fmt: skip
    assert plan_for("Is gout common?", "yes_no").count("prevalence") == 1


def _compose(question: str, texts: list[str]) -> list[tuple[str, str | None, list[str]]]:
    src = Source(
        id=1, external_id="ngc:1", version=1, kind=SourceKind.GUIDELINE, title="Gout guideline",
        container=None, container_abbrev=None, year=2020, authors=[], pmid=None, doi=None,
        url=None, publication_types=[], mesh_terms=[], retracted=False, is_current=True,
        content_hash="h", meta={}, ingested_at="",
    )  # fmt: skip
    ev = [
        Evidence(
            source=src,
            passage=Passage(id=10 + i, uid=f"u{i}", source_id=1, ord=i, section="", text=t,
                            char_start=0, char_end=len(t)),
            scores={"final": 1.0},
        )
        for i, t in enumerate(texts)
    ]
    art, _ = ExtractiveComposer(max_per_source=5).compose(ComposeInput(
        question=question, question_type="yes_no",
        terms=["gout", "foot", "pain", "common", "cause"], evidence=ev, confidence=0.9,
        source_texts={}))  # fmt: skip
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
