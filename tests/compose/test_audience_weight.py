"""The patient audience's plainness weight: neutral for clinicians and students, bounded, and in
favour of patient-information sources and low-grade sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.compose.audience import (
    PATIENT_KIND_FACTOR,
    PATIENT_MAX,
    PATIENT_MIN,
    audience_weight,
    sentence_grade,
)
from curbside.domain import SourceKind

GUIDELINE_DETAIL = (
    "To qualify for a sacroiliac joint injection, the patient must have at least 3 positive "
    "physical examination maneuvers, such as Patrick's sign, Faber's test, Gaenslen, "
    "distraction or gapping, or compression test.")
PROCEDURE = ("Cooled radiofrequency neurotomy is recommended after sacroiliac joint pain is "
             "confirmed by diagnostic sacroiliac joint injections.")
PLAIN = "Most people with low back pain get better within a few weeks."

_kinds = st.sampled_from([k.value for k in SourceKind] + ["", "unknown"])


@pytest.mark.parametrize("audience", ["clinician", "student"])
@pytest.mark.parametrize("text", [GUIDELINE_DETAIL, PROCEDURE, PLAIN, "", "1 2 3"])
def test_clinician_and_student_rankings_are_unchanged(audience: str, text: str) -> None:
    for kind in SourceKind:
        assert audience_weight(audience, text, kind.value) == 1.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), _kinds)
def test_patient_weight_is_bounded(text: str, kind: str) -> None:
    w = audience_weight("patient", text, kind)
    assert PATIENT_MIN <= w <= PATIENT_MAX


def test_patient_information_preferred_for_the_same_sentence() -> None:
    for text in (GUIDELINE_DETAIL, PROCEDURE, PLAIN):
        info = audience_weight("patient", text, "patient_info")
        assert info > audience_weight("patient", text, "guideline")
        assert info > audience_weight("patient", text, "rct")
    # the StrEnum member and its value weigh the same
    assert audience_weight("patient", PLAIN, SourceKind.PATIENT_INFO) == audience_weight(
        "patient", PLAIN, "patient_info")


def test_plain_sentences_preferred_within_a_kind() -> None:
    assert sentence_grade(PLAIN) is not None and sentence_grade(PROCEDURE) is not None
    assert sentence_grade(PLAIN) < sentence_grade(PROCEDURE)  # type: ignore[operator]
    for kind in ("guideline", "patient_info", "other"):
        assert audience_weight("patient", PLAIN, kind) > audience_weight("patient", PROCEDURE,
                                                                         kind)
        assert audience_weight("patient", PLAIN, kind) > audience_weight(
            "patient", GUIDELINE_DETAIL, kind)


def test_reference_question_patient_page_beats_procedure_detail() -> None:
    # issue 15: the patient article on SI joint pain listed "Cooled radiofrequency neurotomy"
    # and "Patrick's sign, Faber's test, Gaenslen" (guideline detail); a patient page's plain
    # sentence on the same topic should outrank them when both answer about as well.
    page = ("Ankylosing spondylitis causes inflammation between the vertebrae and in the joints "
            "between the spine and the pelvis.")
    w_page = audience_weight("patient", page, "patient_info")
    assert w_page > 1.0
    assert w_page > audience_weight("patient", PROCEDURE, "guideline") > PATIENT_MIN
    assert w_page > audience_weight("patient", GUIDELINE_DETAIL, "guideline")
    # a near-tie only: the gap is well under the spread of the composer's ranking scores
    assert w_page / audience_weight("patient", GUIDELINE_DETAIL, "guideline") < 1.4


def test_kind_factors_are_known_kinds_within_bounds() -> None:
    kinds = {k.value for k in SourceKind}
    for kind, factor in PATIENT_KIND_FACTOR.items():
        assert kind in kinds
        assert PATIENT_MIN <= factor <= PATIENT_MAX
    assert max(PATIENT_KIND_FACTOR, key=PATIENT_KIND_FACTOR.__getitem__) == "patient_info"


def test_no_words_no_grade() -> None:
    assert sentence_grade("") is None
    assert sentence_grade(" ;:- ") is None
    assert audience_weight("patient", "", "patient_info") == PATIENT_KIND_FACTOR["patient_info"]
