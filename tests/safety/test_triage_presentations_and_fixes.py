"""Issue 17, stop 29: knowledge for emergency conditions whose quoted sources named no finding
(knowledge/condition_presentations.yaml), generic local signs in the findings lexicon, and the
defects noted at stop 28: a temperature after "fever" without a unit, the scope of a negated
verb phrase before ", with ...", the diabetic ketoacidosis trigger on thirst alone, and the
differential rating a stated hiatal hernia or a long-standing painless inguinal hernia as an
incarcerated hernia (`stated_condition`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from curbside.knowledge_files import knowledge_text
from curbside.safety.differential import (
    PRESENTATIONS_FILE,
    load_presentations,
    rank_conditions,
    unprofiled_conditions,
)
from curbside.safety.patterns import match_patterns
from curbside.safety.triage import triage_findings
from curbside.safety.urgency import load_urgency_table
from curbside.understand.findings import extract_findings
from curbside.understand.findings.vitals import read_vitals
from curbside.understand.negation import find_negations

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "corpus").is_dir(),
                                reason="development data ../shared/data is absent")


# -- temperatures after "fever" without a unit ------------------------------------------------

@pytest.mark.parametrize(("text", "celsius"), [
    ("a child with a fever of 104", 40.0),
    ("febrile to 102.5 overnight", 39.2),
    ("fever of 39.5 since yesterday", 39.5),
    ("fever of 39 C", 39.0),
    ("temperature of 104", 40.0),
])
def test_a_fever_without_a_unit_is_read_as_a_temperature(text: str, celsius: float) -> None:
    temps = [v.value for v in read_vitals(text) if v.name == "temperature"]
    assert temps == [celsius]


@pytest.mark.parametrize("text", ["fever for 10 days", "a fever of 3 days", "fever 38 hours",
                                  "fever of 2", "fever of 120"])
def test_a_number_after_fever_that_is_no_temperature_is_not_read(text: str) -> None:
    assert [v for v in read_vitals(text) if v.name == "temperature"] == []


def test_a_fever_of_104_fires_the_temperature_rule() -> None:
    r = triage_findings(extract_findings("My son has had a fever of 104 since last night."),
                        partial=False, differential=False)
    assert r.urgency in ("urgent", "emergency")
    assert any("temperature" in str(x).lower() for x in r.reasons)


# -- negation scope ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "negated", "present"), [
    ("a bulge in the groin that won't go back, with vomiting", "go back", "vomiting"),
    ("does not have fever, with a cough", "fever", "cough"),
    ("no nausea, along with headache", "nausea", "headache"),
])
def test_a_comma_and_with_end_a_negated_scope(text: str, negated: str, present: str) -> None:
    terms = [t for s in find_negations(text) for t in s.terms]
    assert negated in terms
    assert not any(present in t for t in terms)


def test_with_without_a_comma_stays_in_the_scope() -> None:
    terms = [t for s in find_negations("denies chest pain with exertion") for t in s.terms]
    assert terms == ["chest pain with exertion"]
    assert find_negations("no fever, chills, or cough")[0].terms == ("fever", "chills", "cough")


def test_vomiting_after_a_bulge_that_wont_go_back_is_present() -> None:
    f = extract_findings("a bulge in the groin that won't go back, with vomiting")
    assert "vomiting" in f.present()
    assert triage_findings(f, partial=False, differential=False).urgency == "emergency"


# -- the diabetic ketoacidosis trigger --------------------------------------------------------

def _dka(text: str) -> bool:
    return any(m.pattern.id == "diabetic_ketoacidosis"
               for m in match_patterns(extract_findings(text)))


@pytest.mark.parametrize("text", [
    "A 30 year old with excessive thirst and abdominal pain.",
    "Very thirsty after two days of vomiting and diarrhoea.",
    "Passing a lot of urine and some abdominal pain.",
])
def test_thirst_or_polyuria_alone_with_abdominal_pain_is_not_dka(text: str) -> None:
    assert not _dka(text)


@pytest.mark.parametrize("text", [
    "A 12 year old with excessive thirst, passing a lot of urine and vomiting.",
    "Type 1 diabetes, vomiting and abdominal pain since this morning.",
    "Blood glucose 28 mmol/L with ketones and vomiting.",
])
def test_dka_still_fires_on_its_patterns(text: str) -> None:
    assert _dka(text)


# -- lexicon: generic local signs, "rapid heart rate", "number" is not numbness ---------------

def test_generic_local_signs_are_read_and_negated() -> None:
    f = extract_findings("swollen, tender, warm and red calf after a long flight")
    assert {"swelling", "tenderness", "warmth", "redness", "leg swelling"} <= f.present()
    g = extract_findings("no swelling or redness of the leg")
    assert {"swelling", "redness"} <= g.absent()
    assert not {"swelling", "redness"} & g.present()


def test_rapid_heart_rate_is_tachycardia_and_number_is_not_numbness() -> None:
    assert "tachycardia" in extract_findings("short of breath with a rapid heart rate").present()
    assert "numbness" not in extract_findings("the number of patients examined").present()
    assert "numbness" in extract_findings("numb fingers").present()


def test_for_years_is_a_long_duration() -> None:
    f = extract_findings("a painless lump in the groin for years")
    assert f.max_duration_days() == 730.0
    assert "duration over 3 months" in f.present()


def test_deep_vein_thrombosis_is_profiled_by_its_local_signs() -> None:
    assert "Deep vein thrombosis" not in unprofiled_conditions()
    ranked = rank_conditions(extract_findings(
        "Swollen, warm, tender and red left calf for two days after a long flight."), k=10)
    dvt = [r for r in ranked if r.name == "Deep vein thrombosis"]
    assert dvt and {"swelling", "tenderness"} <= set(dvt[0].supported_by)


# -- condition_presentations.yaml -------------------------------------------------------------

def test_presentations_name_table_conditions_and_lexicon_terms() -> None:
    pres = load_presentations()
    table = load_urgency_table()
    assert pres and all(table.lookup(n) is not None for n in pres)
    # each row makes its condition profiled: its findings now count for it
    assert not set(pres) & unprofiled_conditions()


def test_presentations_loader_names_the_row_and_field(monkeypatch: pytest.MonkeyPatch) -> None:
    import curbside.knowledge_files as kf
    from curbside.safety import differential

    raw = yaml.safe_load(knowledge_text(PRESENTATIONS_FILE))
    raw["presentations"][0]["findings"] = ["not a finding term"]
    monkeypatch.setattr(kf, "knowledge_text", lambda name: yaml.safe_dump(raw))
    differential.load_presentations.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"presentation #0 .*field 'findings.0'"):
            differential.load_presentations()
        raw["presentations"][0]["findings"] = ["fever"]
        raw["presentations"][0]["name"] = "Not a condition"
        with pytest.raises(ValueError, match=r"field 'name': not a condition name"):
            differential.load_presentations()
    finally:
        monkeypatch.undo()
        differential.load_presentations.cache_clear()


@needs_data
def test_each_presentation_source_exists_names_the_condition_and_states_the_findings() -> None:
    from test_urgency_table import AMBIGUOUS, _library  # the library ids and their text

    lib = _library()
    rows = yaml.safe_load(knowledge_text(PRESENTATIONS_FILE))["presentations"]
    assert len(rows) >= 10
    for r in rows:
        assert r["source"] in lib and lib[r["source"]] != AMBIGUOUS, r
        text = " ".join(lib[r["source"]].split())
        assert any(n.lower() in text.lower() for n in r["source_names"]), r
        missing = set(r["findings"]) - extract_findings(text).present()
        assert not missing, (r["name"], r["source"], missing)


# -- a named, less urgent condition stands for its emergency form -----------------------------

@pytest.mark.parametrize(("text", "stated"), [
    ("Hiatal hernia with nausea and vomiting", "Hiatal hernia"),  # a sibling of it
    ("I have had a painless inguinal hernia for years", "Inguinal hernia"),  # its plain form
])
def test_a_stated_less_urgent_hernia_is_not_an_incarcerated_hernia(text: str,
                                                                  stated: str) -> None:
    f = extract_findings(text)
    ranked = {r.name: r for r in rank_conditions(f, k=20)}
    inc = ranked.get("Incarcerated inguinal hernia")
    assert inc is None or (inc.stated_instead == stated and not inc.plausible)
    assert triage_findings(f, partial=False).urgency != "emergency"


def test_a_hernia_with_signs_beyond_it_stays_an_emergency() -> None:
    f = extract_findings("Known inguinal hernia; now the bulge won't go back, with vomiting "
                         "and severe pain.")
    ranked = {r.name: r for r in rank_conditions(f, k=20)}
    inc = ranked["Incarcerated inguinal hernia"]
    assert inc.stated_instead == "" and inc.plausible
    assert triage_findings(f, partial=False).urgency == "emergency"


def test_a_named_emergency_is_never_stood_for() -> None:
    ranked = {r.name: r for r in rank_conditions(extract_findings(
        "Inguinal hernia that is now an incarcerated hernia with groin pain"), k=20)}
    assert ranked["Incarcerated inguinal hernia"].stated_instead == ""
