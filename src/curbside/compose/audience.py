"""The reader's weight on a candidate sentence: plain-language sources and sentences for patients.

`audience_weight(audience, text, source_kind)` is a bounded factor the composer multiplies into
a candidate's ranking score. For the clinician and the student it is 1.0 (nothing changes).
For the patient it favours, among sentences that answer about equally well, the ones a lay
reader can follow: sentences from patient-information pages (MedlinePlus, NIH institute
pages...) over procedure-level guideline detail, and sentences of a low reading grade over
long, polysyllabic ones. The factor is bounded (`PATIENT_MIN`..`PATIENT_MAX`) so it only
breaks near-ties: a sentence that answers the question clearly better still wins, whatever
its source or grade, and no source kind is ever excluded.
"""

from __future__ import annotations

from curbside.text.readability import flesch_kincaid_grade
from curbside.text.tokens import PROSE_WORD

#: Audiences whose ranking is left as it is (their weight is always 1.0).
NEUTRAL_AUDIENCES = frozenset({"clinician", "student"})

#: Factor per source kind (`domain.SourceKind` values) for the patient audience; kinds not
#: listed get 1.0. Reasons:
#: - patient_info: written for lay readers by the publisher (NIH consumer-health pages,
#:   MedlinePlus, patient leaflets) in plain words and short sentences; issue 15, item 3 asks
#:   that patients get these where they answer about as well.
#: - guideline: the strongest evidence, but written for clinicians (procedure names, test
#:   eponyms, dosing algorithms): a slight down-weight only, so a guideline sentence that
#:   answers better still leads (its evidence-level bonus in `_score` is far larger).
#: - systematic_review / rct / observational / case_report: research abstracts, written for
#:   researchers (effect sizes, designs); the same slight down-weight as guidelines, a little
#:   more for the single-study kinds whose sentences are most often about how a study was run.
PATIENT_KIND_FACTOR: dict[str, float] = {
    "patient_info": 1.10,
    "guideline": 0.97,
    "systematic_review": 0.97,
    "review": 0.98,
    "rct": 0.95,
    "observational": 0.95,
    "case_report": 0.95,
}

#: The reading grade that is neither favoured nor penalised: grade 8, the patient target of
#: issue 15 (US health-literacy guidance, e.g. NIH/AMA, asks for grade 6-8 patient material).
TARGET_GRADE = 8.0
#: Factor change per Flesch-Kincaid grade point away from the target: a grade-16 sentence (a
#: typical abstract sentence) loses 8 %, a grade-4 sentence gains 4 %; about the spread of
#: question similarity between sentences that answer "about equally well" (a few hundredths
#: of the composer's 0..1 ranking key).
PER_GRADE = 0.01
#: Grades are read within these bounds: one-sentence Flesch-Kincaid grades run far past the
#: scale's meaning at both ends (a 60-word sentence scores grade 30; a three-word one below 0).
GRADE_FLOOR, GRADE_CEIL = 2.0, 20.0
#: The patient factor stays within these bounds, so it reorders near-ties only.
PATIENT_MIN, PATIENT_MAX = 0.8, 1.15


def sentence_grade(text: str) -> float | None:
    """The Flesch-Kincaid grade of `text` within [GRADE_FLOOR, GRADE_CEIL]; None for no words."""
    if not PROSE_WORD.search(text):
        return None
    return min(GRADE_CEIL, max(GRADE_FLOOR, flesch_kincaid_grade(text)))


def audience_weight(audience: str, text: str, source_kind: str) -> float:
    """A ranking factor for a candidate sentence `text` from a source of `source_kind`.

    1.0 for the clinician and student audiences (and any audience we do not know); for the
    patient, the source kind's factor times a grade factor, within [PATIENT_MIN, PATIENT_MAX].
    """
    if audience != "patient":
        return 1.0
    factor = PATIENT_KIND_FACTOR.get(str(source_kind), 1.0)
    grade = sentence_grade(text)
    if grade is not None:
        factor *= 1.0 - PER_GRADE * (grade - TARGET_GRADE)
    return min(PATIENT_MAX, max(PATIENT_MIN, factor))
