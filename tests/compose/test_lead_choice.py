"""The lead never is a study aim or a bare title."""

from __future__ import annotations

from curbside.compose.candidates import Candidate, not_a_finding
from curbside.domain import Evidence, Passage, Source, SourceKind


def _cand(text: str, title: str = "Exercise therapy for chronic low back pain") -> Candidate:
    src = Source(id=1, external_id="doc:1", version=1, kind=SourceKind.RCT, title=title,
                 container=None, container_abbrev=None, year=2020, authors=[], pmid=None,
                 doi=None, url=None, publication_types=[], mesh_terms=[], retracted=False,
                 is_current=True, content_hash="x", meta={}, ingested_at="")
    p = Passage(id=1, uid="u", source_id=1, ord=0, section="RESULTS", text=text,
                char_start=0, char_end=len(text))
    return Candidate(text=text, original=text, evidence=Evidence(p, src), start=0, end=len(text))


def _not_a_finding(c: Candidate) -> bool:
    return not_a_finding(c.text, c.evidence.source.title)


def test_aims_and_titles_are_not_findings() -> None:
    assert _not_a_finding(_cand("To determine whether exercise reduces pain in adults."))
    assert _not_a_finding(_cand("The purpose of this study was to compare two programmes."))
    assert _not_a_finding(_cand("Exercise therapy for chronic low back pain."))
    assert not _not_a_finding(_cand("Exercise therapy reduced pain by 10 points at 12 weeks."))


def _trials(texts: list[str]) -> list[Evidence]:
    """One RCT source per text, in retrieval order (the first ranks highest)."""
    out = []
    for i, text in enumerate(texts, start=1):
        src = Source(id=i, external_id=f"pmid:{i}", version=1, kind=SourceKind.RCT,
                     title=f"Trial {i} of ibuprofen in hypertension", container=None,
                     container_abbrev=None, year=2020, authors=[], pmid=str(i), doi=None,
                     url=None, publication_types=[], mesh_terms=[], retracted=False,
                     is_current=True, content_hash="x", meta={}, ingested_at="")
        p = Passage(id=i, uid=f"u{i}", source_id=i, ord=0, section="", text=text,
                    char_start=0, char_end=len(text))
        out.append(Evidence(passage=p, source=src, scores={"final": 1.0 - 0.1 * i}))
    return out


def test_the_bottom_line_is_never_how_a_study_was_run() -> None:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    method = ("Ibuprofen blood pressure in hypertension was compared with blood pressure after "
              "acetaminophen.")
    finding = "Ibuprofen raised blood pressure in hypertension by 5 mmHg."
    ev = _trials([
        "Ibuprofen did not change blood pressure in hypertension compared with placebo.",
        method,
        finding,
    ])
    art, _ = ExtractiveComposer().compose(ComposeInput(
        question="Does ibuprofen raise blood pressure in hypertension?", question_type="yes_no",
        terms=["ibuprofen", "blood", "pressure", "hypertension"], evidence=ev, confidence=0.9,
        source_texts={}))
    assert [c.text for c in art.bottom_line if not c.ours] == [finding]


def test_the_learned_methods_reading_keeps_a_study_schedule_out_of_the_bottom_line() -> None:
    """A sentence the classifier (`compose.sentence_roles`) reads as how a study was run
    counts as study design, which no pattern knows ("lasted for 30 days"); it is asked only
    about sentences of study reports. The similarity is a stand-in (same score for all)."""
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    schedule = "Ibuprofen treatment in hypertension lasted for 30 days in each arm."
    finding = "Ibuprofen raised blood pressure in hypertension by 5 mmHg."
    ev = _trials([
        "Ibuprofen did not change blood pressure in hypertension compared with placebo.",
        schedule,
        finding,
    ])
    asked: list[str] = []

    def study_design(sentences: list[str]) -> list[bool]:
        asked.extend(sentences)
        return [s == schedule for s in sentences]

    def inp(design: object) -> ComposeInput:
        return ComposeInput(
            question="Does ibuprofen raise blood pressure in hypertension?",
            question_type="yes_no", terms=["ibuprofen", "blood", "pressure", "hypertension"],
            evidence=ev, confidence=0.9, source_texts={},
            similarity=lambda q, texts: [0.6 - 0.001 * i for i in range(len(texts))],
            study_design=design,  # type: ignore[arg-type]
        )

    composer = ExtractiveComposer()
    without, _ = composer.compose(inp(None))
    assert [c.text for c in without.bottom_line if not c.ours] == [schedule]
    art, _ = composer.compose(inp(study_design))
    assert schedule in asked
    assert [c.text for c in art.bottom_line if not c.ours] == [finding]


def test_the_methods_classifier_is_not_asked_about_guidelines_or_patient_pages() -> None:
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    ev = _trials(["Ibuprofen raised blood pressure in hypertension by 5 mmHg."])
    text = "Give ibuprofen in hypertension for 3 days only, and check blood pressure."
    for kind in (SourceKind.GUIDELINE, SourceKind.PATIENT_INFO):
        src = ev[0].source
        other = Source(id=9, external_id="g:9", version=1, kind=kind, title="Hypertension",
                       container=None, container_abbrev=None, year=2020, authors=[],
                       pmid=None, doi=None, url=None, publication_types=[], mesh_terms=[],
                       retracted=False, is_current=True, content_hash="x", meta={},
                       ingested_at="")
        p = Passage(id=9, uid="u9", source_id=9, ord=0, section="", text=text, char_start=0,
                    char_end=len(text))
        asked: list[str] = []

        def design(sentences: list[str], asked: list[str] = asked) -> list[bool]:
            asked.extend(sentences)
            return [False] * len(sentences)

        ExtractiveComposer().compose(ComposeInput(
            question="Does ibuprofen raise blood pressure in hypertension?",
            question_type="yes_no", terms=["ibuprofen", "blood", "pressure", "hypertension"],
            evidence=[*ev, Evidence(passage=p, source=other, scores={"final": 0.5})],
            confidence=0.9, source_texts={},
            similarity=lambda q, texts: [0.6] * len(texts), study_design=design))
        assert asked and text not in asked and src.kind == SourceKind.RCT


def test_how_a_study_was_run_never_leads_while_a_finding_answers() -> None:
    """"The patients were randomized into 2 groups." led a patient's article: a methods
    sentence now comes after every sentence that answers, whatever its score. With nothing
    else, it may still lead (the article is not emptied). The similarity is a stand-in."""
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    design = "Adults with hypertension were randomized to ibuprofen or placebo for 4 weeks."
    finding = "Ibuprofen raised blood pressure in hypertension by 5 mmHg."

    def lead_of(texts: list[str]) -> list[str]:
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question="Does ibuprofen raise blood pressure in hypertension?",
            question_type="yes_no", terms=["ibuprofen", "blood", "pressure", "hypertension"],
            evidence=_trials(texts), confidence=0.9, source_texts={},
            similarity=lambda q, ts: [0.9 if t == design else 0.5 for t in ts]))
        return [c.text for c in art.lead if not c.ours]

    assert lead_of([design, finding]) == [finding]
    assert lead_of([design]) == [design]


def test_a_sentence_that_needs_the_one_before_it_never_leads_while_another_answers() -> None:
    """"More studies are needed to confirm this finding." led two articles: it refers back to
    a finding it does not state. Such a sentence, and one that only calls for research, come
    after every sentence that answers, scored or not; alone, it may still lead. The similarity
    is a stand-in."""
    from curbside.compose.candidates import needs_context
    from curbside.compose.composer import ComposeInput, ExtractiveComposer

    finding = "Ibuprofen raised blood pressure in hypertension by 5 mmHg."
    for aside in (
        "More studies of ibuprofen in hypertension are needed to confirm this finding.",
        "Further research on ibuprofen and blood pressure in hypertension is needed.",
    ):
        assert needs_context(aside)

        def lead_of(texts: list[str], scored: bool, aside: str = aside) -> list[str]:
            art, _ = ExtractiveComposer().compose(ComposeInput(
                question="Does ibuprofen raise blood pressure in hypertension?",
                question_type="yes_no", terms=["ibuprofen", "blood", "pressure", "hypertension"],
                evidence=_trials(texts), confidence=0.9, source_texts={},
                similarity=(lambda q, ts: [0.9 if t == aside else 0.5 for t in ts])
                if scored else None))
            return [c.text for c in art.lead if not c.ours]

        for scored in (True, False):
            assert lead_of([aside, finding], scored) == [finding]
            assert lead_of([aside], scored) == [aside]
    # a finding that says what "these results" show stands on its own
    assert not needs_context("Taken together, these results suggest that ibuprofen raises "
                             "blood pressure.")
    assert not needs_context("People with this condition have short stature.")
    # "that" before a verb is a relative pronoun, not a pointer back
    assert not needs_context("18q deletion syndrome is a chromosomal condition that results "
                             "when a piece of chromosome 18 is missing.")


def test_research_under_way_answers_only_a_question_about_research() -> None:
    """"Now, research is suggesting that certain foods may also prevent gout." led "What foods
    should I avoid with gout?" from a page on research under way; such a sentence answers a
    question about research or trials only. The similarity is a stand-in."""
    from curbside.compose.candidates import research_talk
    from curbside.compose.composer import ComposeInput, ExtractiveComposer
    from curbside.understand.question import asks_about_research

    talk = "New treatments of ibuprofen for hypertension are being tested in clinical trials."
    finding = "Ibuprofen raised blood pressure in hypertension by 5 mmHg."
    assert research_talk(talk) and not research_talk(finding)
    assert not research_talk("Researchers have found that ibuprofen raises blood pressure.")

    def lead_of(question: str) -> list[str]:
        art, _ = ExtractiveComposer().compose(ComposeInput(
            question=question, question_type="other",
            terms=["ibuprofen", "blood", "pressure", "hypertension"],
            evidence=_trials([talk, finding]), confidence=0.9, source_texts={},
            similarity=lambda q, ts: [0.9 if t == talk else 0.5 for t in ts]))
        return [c.text for c in art.lead if not c.ours]

    assert not asks_about_research("What does ibuprofen do in hypertension?")
    assert lead_of("What does ibuprofen do in hypertension?") == [finding]
    assert asks_about_research("What new trials of ibuprofen in hypertension are there?")
    assert lead_of("What new trials of ibuprofen in hypertension are there?") == [talk]
