"""benchmarks/readability.py's facts check: it passes a real patient rendering and fails on each
kind of lost fact (a red flag, a premise finding, a citation, a number, a negation, a hedge)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from curbside.article import Article, ArticleSection, Claim, PremiseFinding, RedFlag
from curbside.render.modes import render_for_audience

REPO = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("readability_bench",
                                                  REPO / "benchmarks" / "readability.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _article() -> Article:
    return Article(
        question="Is 4 g of acetaminophen a day safe?", title="Acetaminophen dose",
        created_at="2026-12-07T00:00:00Z", settings_fingerprint="t",
        lead=[Claim(text="Adults should not take more than 4 grams of acetaminophen in 24 "
                         "hours, because higher doses may cause severe liver damage, which "
                         "can be fatal.", citations=[1], support=0.9)],
        sections=[ArticleSection(heading="Key evidence", kind="key_evidence", claims=[
            Claim(text="Hepatotoxicity was reported in 12 of 310 patients (P < 0.001).",
                  citations=[2], support=0.9)])],
        bottom_line=[Claim(text="Doses above 4 g per day are not recommended.",
                           citations=[1], support=0.9)],
        red_flags=[RedFlag(pattern="overdose", name="Possible overdose", urgency="emergency",
                           trigger="took too much", action="Call poison control now.",
                           citations=[1])],
        premise_findings=[PremiseFinding(assumption="4 g is always safe",
                                         finding="Liver damage can occur at lower doses.",
                                         citations=[2])],
    )


def test_a_patient_rendering_keeps_every_fact() -> None:
    rb = _bench()
    art = _article()
    before = render_for_audience(art, "clinician")
    patient = render_for_audience(art, "patient")
    assert patient.all_claims() != before.all_claims()  # the patient text was rewritten
    assert rb.violations(before, patient) == {k: 0 for k in (
        "red_flags", "premise_findings", "citations", "numbers", "negations", "hedges")}


def test_each_lost_fact_is_caught() -> None:
    rb = _bench()
    art = _article()
    before = render_for_audience(art, "clinician")
    patient = render_for_audience(art, "patient")

    def lose(kind: str, changed: Article) -> None:
        got = rb.violations(before, changed)
        assert got[kind] == 1, (kind, got)

    lose("red_flags", patient.model_copy(update={"red_flags": []}))
    lose("premise_findings", patient.model_copy(update={"premise_findings": []}))

    def edit(fn: object) -> Article:
        out = patient.model_copy(deep=True)
        for c in out.all_claims():
            if not c.ours:
                fn(c)  # type: ignore[operator]
        return out

    def drop_citation(c: Claim) -> None:
        if 2 in c.citations:
            c.citations.remove(2)

    lose("citations", edit(drop_citation))
    lose("numbers", edit(lambda c: setattr(c, "text", c.text.replace("12 of", "of"))))
    lose("negations", edit(lambda c: setattr(c, "text", c.text.replace(" not ", " "))))
    lose("hedges", edit(lambda c: setattr(c, "text", c.text.replace(" may ", " will "))))


def test_a_safety_block_missing_from_the_patient_ask_is_caught() -> None:
    rb = _bench()
    art = _article()
    patient = render_for_audience(art, "patient")
    # the other ask cited other sentences (other numbers): the same flag still counts as kept
    renumbered = art.model_copy(update={"red_flags": [
        art.red_flags[0].model_copy(update={"citations": [3]})]})
    assert rb.across_asks(renumbered, patient) == {"red_flags_vs_clinician": 0,
                                                   "premise_vs_clinician": 0}
    assert rb.across_asks(art, patient.model_copy(update={"red_flags": []})) == {
        "red_flags_vs_clinician": 1, "premise_vs_clinician": 0}
    assert rb.across_asks(art, patient.model_copy(update={"premise_findings": []})) == {
        "red_flags_vs_clinician": 0, "premise_vs_clinician": 1}
