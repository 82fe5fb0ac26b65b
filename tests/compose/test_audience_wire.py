"""TEMP wire (issue 15 item 3): the composer ranks with `audience_weight`; patients get the
patient-information sentence of a near tie, clinicians keep the ranking as it was."""

from __future__ import annotations

from curbside.article import Article
from curbside.compose.composer import ComposeInput, ExtractiveComposer
from curbside.domain import Evidence, Passage, Source, SourceKind

REVIEW = ("Exercise therapy reduces pain intensity and improves physical functioning in adults "
          "with chronic nonspecific low back pain.")
PAGE = "Exercise helps most people with long-lasting low back pain feel less pain."


def _ev(sid: int, kind: SourceKind, text: str, score: float) -> Evidence:
    src = Source(id=sid, external_id=f"doc:{sid}", version=1, kind=kind, title=f"Source {sid}",
                 container=None, container_abbrev=None, year=2020, authors=[], pmid=None,
                 doi=None, url=None, publication_types=[], mesh_terms=[], retracted=False,
                 is_current=True, content_hash="h", meta={}, ingested_at="")
    p = Passage(id=10 + sid, uid=f"u{sid}", source_id=sid, ord=0, section="", text=text,
                char_start=0, char_end=len(text))
    return Evidence(source=src, passage=p, scores={"final": score})


def _compose(audience: str) -> Article:
    ev = [_ev(1, SourceKind.REVIEW, REVIEW, 1.0), _ev(2, SourceKind.PATIENT_INFO, PAGE, 0.97)]
    art, _ = ExtractiveComposer().compose(ComposeInput(
        question="Does exercise help chronic low back pain?", question_type="treatment",
        terms=["exercise", "chronic", "low", "back", "pain"], evidence=ev, confidence=0.9,
        source_texts={}, audience=audience))
    return art


def test_patient_gets_the_plain_page_of_a_near_tie() -> None:
    clin, pat = _compose("clinician"), _compose("patient")
    assert _compose("student").lead[0].text == clin.lead[0].text
    assert clin.lead[0].text == REVIEW
    assert pat.lead[0].text == PAGE
    # nothing is dropped: the same sentences, only their order differs
    assert {c.text for c in clin.all_claims() if not c.ours} == {
        c.text for c in pat.all_claims() if not c.ours}
