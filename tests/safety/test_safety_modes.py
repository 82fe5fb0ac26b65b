"""Reader modes render the same verified claims: nothing safety-relevant is lost."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.article import (
    Article,
    ArticleSection,
    Claim,
    PremiseFinding,
    RedFlag,
    Reference,
)
from curbside.render.modes import render_for_audience, split_long

NUM = re.compile(r"\d+(?:[.,]\d+)*")


def _ref(n: int, typ: str = "Guideline") -> Reference:
    return Reference(n=n, type=typ, kind="guideline", level=1, source_id=n,  # type: ignore[arg-type]
                     external_id=f"ngc:ngc-{n}", title=f"Source {n}")


def _article(lead: list[Claim], sections: list[ArticleSection], *, flags: bool = True) -> Article:
    return Article(
        question="Is SI joint imbalance a common cause of low back pain?", title="T",
        lead=lead, sections=sections,
        bottom_line=[Claim(text="Most patients with acute low back pain improve within a month; "
                                "NSAIDs at the lowest effective dose for the shortest time are "
                                "first-line, and imaging is not needed without red flags.",
                           citations=[2, 3])],
        premise_findings=[PremiseFinding(assumption="SI joint imbalance is a common cause",
                                         finding="Inflammatory features suggest axSpA.",
                                         citations=[1, 2], pattern="axial_spondyloarthritis")],
        red_flags=[RedFlag(pattern="cauda_equina_syndrome", name="Cauda equina syndrome",
                           urgency="emergency", trigger="saddle anaesthesia",
                           action="Emergency MRI.", citations=[4])] if flags else [],
        urgency="emergency" if flags else "routine",
        references=[_ref(1), _ref(2), _ref(3, "Patient information"), _ref(4)],
        created_at="2025-01-01", settings_fingerprint="x",
    )


ARTICLES = [
    _article([Claim(text="Axial spondyloarthritis is often misdiagnosed as mechanical low back "
                         "pain, which delays access to effective treatment; as much as 5% of "
                         "chronic back pain is caused by axial spondyloarthropathy, and it "
                         "typically presents before 45 years of age.", citations=[1, 2])],
             [ArticleSection(heading="Work-up", kind="diagnosis", claims=[
                 Claim(text="MRI of the sacroiliac joints should include T1 and STIR sequences.",
                       citations=[1]),
                 Claim(text="Patients with myocardial infarction and hypertension had a 12.5% "
                            "risk at 3 years, and the risk of pulmonary embolism doubled.",
                       citations=[3])])]),
    _article([Claim(text="Short lead.", citations=[2])], [], flags=False),
    _article([], [ArticleSection(heading="Treatment", kind="treatment", intro=Claim(
        text="Options include:", ours=True), claims=[
        Claim(text="Adrenaline 0.5 mg intramuscularly, repeated after 5 minutes; high-flow "
                   "oxygen for all patients with anaphylaxis, and 20 ml/kg crystalloid for "
                   "cardiovascular instability in adults and children older than 12 years.",
              citations=[4, 1])])]),
]


def _citations(a: Article) -> set[int]:
    out = {n for c in a.all_claims() for n in c.citations}
    out |= {n for f in a.red_flags for n in f.citations}
    out |= {n for p in a.premise_findings for n in p.citations}
    return out


def _numbers(a: Article) -> Counter[str]:
    return Counter(NUM.findall(" ".join(c.text for c in a.all_claims())))


#: Negations and hedges: a cited sentence keeps every one of them in every mode.
_GUARDED = {"no", "not", "never", "without", "neither", "nor", "may", "might", "could",
            "suggest", "suggests", "likely", "unlikely", "possibly"}


def _guarded(a: Article) -> Counter[str]:
    text = " ".join(c.text for c in a.all_claims() if not c.ours)
    return Counter(w for w in re.findall(r"[a-z]+", text.lower()) if w in _GUARDED)


def _check_preserved(before: Article, after: Article) -> None:
    assert after.red_flags == before.red_flags
    assert after.premise_findings == before.premise_findings
    assert after.urgency == before.urgency
    assert _citations(before) <= _citations(after)
    assert {r.n for r in after.references} == {r.n for r in before.references}
    missing = _numbers(before) - _numbers(after)
    assert not missing, missing
    assert _guarded(after) == _guarded(before)
    # every cited sentence of the patient text comes from a cited sentence of the article,
    # with the same citations
    cited = {tuple(c.citations) for c in before.all_claims() if c.citations}
    assert all(tuple(c.citations) in cited for c in after.all_claims()
               if c.citations and not c.ours)


@pytest.mark.parametrize("article", ARTICLES)
@pytest.mark.parametrize("audience", ["clinician", "patient", "student"])
def test_no_mode_loses_safety_content(article: Article, audience: str) -> None:
    out = render_for_audience(article, audience)
    assert out.audience == audience
    _check_preserved(article, out)
    assert out.readability is not None


def test_patient_mode_explains_terms_and_adds_seek_care() -> None:
    out = render_for_audience(ARTICLES[0], "patient")
    text = " ".join(c.text for c in out.all_claims())
    assert "myocardial infarction (heart attack)" in text
    assert "hypertension (high blood pressure)" in text
    care = next(s for s in out.sections if s.kind == "when_to_seek_care")
    assert care.claims and all(c.citations for c in care.claims)
    assert any(4 in c.citations for c in care.claims)
    assert out.references[0].type == "Patient information"
    assert len(out.lead) > len(ARTICLES[0].lead)  # long sentence split
    for c in out.lead:
        assert c.citations == [1, 2]


def test_student_mode_adds_glossary() -> None:
    out = render_for_audience(ARTICLES[0], "student")
    terms = next(s for s in out.sections if s.kind == "glossary")
    assert any(c.text.startswith("axial spondyloarthritis:") for c in terms.claims)


def test_clinician_text_unchanged() -> None:
    out = render_for_audience(ARTICLES[0], "clinician")
    assert [c.text for c in out.all_claims()] == [c.text for c in ARTICLES[0].all_claims()]


def test_unknown_audience() -> None:
    with pytest.raises(ValueError, match="audience: must be one of"):
        render_for_audience(ARTICLES[0], "robot")


_word = st.sampled_from(["pain", "myocardial", "infarction", "hypertension", "and", "12", "3.5",
                         "the", "risk", ";", ",", "which", "but", "patients", "edema", "45%",
                         "was", "were", "reduced", "no", "not", "may", "suggest", "that", ":",
                         "while", "(", ")", "- ", ".", "administered", "dosage", "mg",
                         "however", "respectively", "without"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_word, min_size=1, max_size=45), min_size=1, max_size=4),
       st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_property_no_loss(sentences: list[list[str]], cites: list[int]) -> None:
    claims = [Claim(text=" ".join(ws) + ".", citations=sorted(set(cites))) for ws in sentences]
    art = _article(claims, [ArticleSection(heading="S", kind="key_evidence", claims=claims)])
    for audience in ("clinician", "patient", "student"):
        _check_preserved(art, render_for_audience(art, audience))


def test_split_long_keeps_short() -> None:
    assert split_long("Short sentence.") == ["Short sentence."]


@pytest.mark.parametrize("audience", ["clinician", "patient", "student"])
def test_undetermined_urgency_kept_and_shown_in_every_mode(audience: str) -> None:
    from curbside.render.formats import render_text
    from curbside.web import views
    from curbside.web.templating import environment

    art = ARTICLES[1].model_copy(update={"urgency": "undetermined"})
    out = render_for_audience(art, audience)
    _check_preserved(art, out)
    assert out.urgency == "undetermined"
    assert "URGENCY NOT DETERMINED" in render_text(out)
    labels = views.PATIENT_URGENCY_LABELS if audience == "patient" else views.URGENCY_LABELS
    macro = environment().get_template("_macros.html").module.red_flags_block  # type: ignore[attr-defined]
    html = str(macro(out, None, labels))
    assert "urgency-undetermined" in html and "routine" not in html.lower()
    if audience == "patient":
        assert "getting worse" in html
    else:
        assert "Not determined" in html
