"""Issue 17 slice: unknown is never silently routine; vital-sign and age rules as cited data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curbside.messages import message
from curbside.safety.triage import LEVEL_KEY, triage, triage_findings
from curbside.safety.vital_rules import load_vital_rules, parse_vital_rules
from curbside.understand.findings import extract_findings

# -- undetermined ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Itchy left ear for two days",
    "Cough for 3 days, no fever",
    "42-year-old woman with a painful swollen knee",
])
def test_no_pattern_and_no_rule_is_undetermined_never_routine(text: str) -> None:
    # without the differential (which may raise it to urgent or emergency, never to routine)
    r = triage_findings(extract_findings(text), differential=False)
    assert not r.conditions and not r.rules
    assert r.urgency == "undetermined"
    assert r.label.startswith("Not determined")
    assert "no condition pattern" in r.reasons[-1]
    assert triage(text).urgency in ("undetermined", "urgent", "emergency")


def test_routine_only_when_a_routine_pattern_fired() -> None:
    r = triage("30 yo man with back pain for 6 months, morning stiffness > 30 minutes, improves "
               "with exercise, wakes in the second half of the night")
    assert r.urgency == "routine"
    assert any(c.urgency == "routine" and c.fired for c in r.conditions)


def test_level_texts() -> None:
    assert message(LEVEL_KEY["undetermined"], "clinician") == (
        "Not determined \u2014 no rule matched; if symptoms are severe, new or worsening, seek "
        "medical advice")
    patient = message(LEVEL_KEY["undetermined"], "patient")
    assert "getting worse" in patient and "routine" not in patient.lower()
    assert message(LEVEL_KEY["emergency"], "patient").startswith("Call emergency services now")
    r = triage("Itchy left ear for two days")
    d = r.to_dict()
    assert d["urgency"] == "undetermined" and d["patient_advice"] == patient


# -- extraction of the values ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "name", "value"), [
    ("sats 88%", "spo2", 88), ("O2 sat 88", "spo2", 88), ("saturating 88% on room air", "spo2", 88),
    ("pulse ox 89%", "spo2", 89), ("SpO2 of 91 %", "spo2", 91),
    ("BP 85/50", "systolic_bp", 85), ("blood pressure 90/60 mmHg", "systolic_bp", 90),
    ("HR 140", "heart_rate", 140), ("pulse 131 bpm", "heart_rate", 131),
    ("RR 30", "respiratory_rate", 30), ("resp rate of 25", "respiratory_rate", 25),
    ("temp 39.5", "temperature", 39.5), ("T 103 F", "temperature", 39.4),
    ("temperature 95 F", "temperature", 35.0), ("GCS 13", "gcs", 13), ("GCS of 14/15", "gcs", 14),
])
def test_vital_values_extracted(text: str, name: str, value: float) -> None:
    vals = [v.value for v in extract_findings(text).vitals if v.name == name]
    assert vals == [pytest.approx(value, abs=0.05)]


# -- each rule fires at its threshold and not just below it ----------------------------------

AT_AND_BELOW = [
    # rule, text at the threshold, text just short of it
    ("news2_spo2_low", "sats 91%", "sats 92%"),
    ("news2_sbp_low", "BP 90/60", "BP 91/60"),
    ("news2_sbp_very_high", "BP 220/110", "BP 219/110"),
    ("news2_hr_high", "HR 131", "HR 130"),
    ("news2_hr_low", "HR 40", "HR 41"),
    ("news2_rr_high", "RR 25", "RR 24"),
    ("news2_rr_low", "RR 8", "RR 9"),
    ("news2_temp_low", "temp 35.0", "temp 35.1"),
    ("news2_temp_high", "temp 39.1", "temp 39.0"),
    ("gcs_below_15", "GCS 14", "GCS 15"),
    ("news2_new_confusion", "he is confused", "he is not confused"),
    ("qsofa_2", "RR 22, BP 100/60", "RR 21, BP 100/60"),
    ("infant_fever", "2-month-old baby, temp 38.0", "2-month-old baby, temp 37.9"),
    ("infant_3_6_months_fever_39", "6-month-old baby, temp 39.0", "6-month-old baby, temp 38.9"),
    ("upper_airway_obstruction", "3-year-old, fever, drooling and a muffled voice",
     "3-year-old, fever and drooling"),
    ("aaa_rupture_back_pain_collapse", "65-year-old man, severe back pain, fainted",
     "64-year-old man, severe back pain, fainted"),
    ("aaa_rupture_abdominal_pain_collapse", "70-year-old, abdominal pain and collapsed",
     "70-year-old, abdominal pain, no syncope"),
    ("later_pregnancy_bleeding", "30 weeks pregnant with vaginal bleeding",
     "8 weeks pregnant with vaginal bleeding"),
    ("later_pregnancy_abdominal_pain", "at 32-week gestation, abdominal pain",
     "at 32-week gestation, no abdominal pain"),
    ("fever_impaired_immunity", "fever for two days, on immunosuppressants after a transplant",
     "fever for two days, not immunosuppressed"),
    ("right_lower_abdominal_pain_appendicitis", "right lower quadrant pain and nausea",
     "right lower quadrant pain, no nausea"),
    ("child_red_features", "4-month-old baby, floppy and hard to wake",
     "4-month-old baby, not floppy, wakes easily"),
    ("shock_signs", "she is pale with a weak pulse", "she is pale, no weak pulse"),
    ("cyanosis_or_hypoxia", "his lips look cyanosed", "no cyanosis"),
    ("severe_breathlessness", "too breathless to speak", "breathless on stairs"),
    ("sudden_vision_loss", "suddenly lost the vision in his left eye",
     "gradual loss of vision over years"),
    ("poisoning_or_overdose", "took an overdose of her tablets an hour ago",
     "how much paracetamol is an overdose?"),
    ("abrupt_severe_pain", "sudden severe chest pain", "severe chest pain for two weeks"),
    ("severe_pain", "severe pain in the right knee", "mild pain in the right knee"),
    ("prolonged_seizure", "seizure lasting 5 minutes so far", "seizure lasting 4 minutes"),
    ("low_blood_glucose", "blood sugar 69 mg/dL", "blood sugar 70 mg/dL"),
    ("rigid_abdomen", "abdominal pain, the abdomen is rigid", "abdominal pain, no rigidity"),
    ("bowel_obstruction_signs", "vomiting and unable to pass stool",
     "constipation and vomiting"),
    ("incarcerated_hernia_signs", "a lump in his groin and vomiting",
     "a lump in his groin, no vomiting"),
    ("head_injury_red_flags", "hit his head and vomited", "hit his head, no vomiting"),
    ("slow_or_stopped_breathing", "found with slow, shallow breathing",
     "on some occasions he stops breathing in his sleep"),
    ("prolonged_erection", "an erection lasting 4 hours", "painful erections for a year"),
]


@pytest.mark.parametrize(("rule", "at", "below"), AT_AND_BELOW)
def test_rule_fires_at_threshold_not_below(rule: str, at: str, below: str) -> None:
    fired = triage(at)
    assert rule in [r["id"] for r in fired.rules], fired.reasons
    assert any(rule in x for x in fired.reasons)
    level = next(r["level"] for r in fired.rules if r["id"] == rule)
    assert fired.urgency in ("emergency", level)
    assert rule not in [r["id"] for r in triage(below).rules]


def test_every_rule_is_tested() -> None:
    assert {r.id for r in load_vital_rules()} == {x[0] for x in AT_AND_BELOW}


def test_low_glucose_is_urgent_alone_and_an_emergency_with_confusion() -> None:
    alone = triage("Type 1 diabetic, shaky and sweaty, glucose 3.2 mmol/L")
    assert "low_blood_glucose" in [r["id"] for r in alone.rules], alone.reasons
    assert alone.urgency in ("urgent", "emergency")
    assert any("NIDDK, Hypoglycemia" in x for x in alone.reasons)
    confused = triage("Found confused, blood sugar 45")  # a bare 45 is read as mg/dL
    assert {"low_blood_glucose", "news2_new_confusion"} <= {r["id"] for r in confused.rules}
    assert confused.urgency == "emergency"
    assert "low_blood_glucose" not in [r["id"] for r in triage("fasting glucose 5.4").rules]


def test_reason_names_rule_value_and_source() -> None:
    r = triage("Cough and fever, sats 88% on air")
    assert r.urgency == "emergency"
    reason = next(x for x in r.reasons if "news2_spo2_low" in x)
    assert "88" in reason and "NEWS2 (Royal College of Physicians 2017)" in reason


def test_fever_with_impaired_immunity_is_urgent_and_needs_the_fever() -> None:
    steroids = triage("Takes prednisolone every day for her arthritis; now a fever and cough")
    assert "fever_impaired_immunity" in [r["id"] for r in steroids.rules], steroids.reasons
    assert steroids.urgency in ("urgent", "emergency")
    assert any("NICE NG51" in x for x in steroids.reasons)
    # the immune state alone, without a fever, does not fire it
    assert "fever_impaired_immunity" not in [
        r["id"] for r in triage("Kidney transplant on immunosuppressants, mild cough").rules]


def test_infant_rule_needs_age_under_3_months() -> None:
    assert "infant_fever" not in [r["id"] for r in triage("4-month-old baby, temp 38.5").rules]
    assert "infant_fever" not in [r["id"] for r in triage("temp 38.5, feels unwell").rules]
    assert triage("3-week-old with a fever").urgency == "emergency"


def test_the_3_to_6_month_rule_needs_that_age_and_39_degrees() -> None:
    def fired(text: str) -> bool:
        return "infant_3_6_months_fever_39" in [r["id"] for r in triage(text).rules]

    assert fired("4-month-old baby with a fever of 39.5")
    assert triage("4-month-old baby with a fever of 39.5").urgency in ("urgent", "emergency")
    assert not fired("7-month-old baby with a fever of 39.5")
    assert not fired("2-month-old baby with a fever of 39.5")  # the infant rule's instead
    assert not fired("4-month-old baby with a fever")  # no temperature stated


def test_age_at_least_rule_needs_a_stated_age() -> None:
    assert "aaa_rupture_back_pain_collapse" not in [
        r["id"] for r in triage("severe back pain, fainted").rules]


@pytest.mark.parametrize(("text", "not_term"), [
    ("burning pain in the back of his throat", "back pain"),
    ("1-year-old boy; his mother smoked during pregnancy", "pregnant"),
])
def test_lexicon_reads_what_the_text_means(text: str, not_term: str) -> None:
    assert not_term not in extract_findings(text).present()


def test_ectopic_pattern_not_in_later_pregnancy() -> None:
    early = triage("28-year-old woman, 7 weeks pregnant, lower abdominal pain")
    late = triage("35-year-old woman at 37 weeks gestation with abdominal pain")
    assert "ectopic_pregnancy" in [c.pattern for c in early.conditions]
    assert "ectopic_pregnancy" not in [c.pattern for c in late.conditions]


def test_negated_confusion_does_not_fire() -> None:
    assert not triage("No confusion, alert and oriented").rules


def test_urgency_is_the_highest_of_patterns_and_rules() -> None:
    # a routine pattern plus a red vital sign -> emergency
    r = triage("30 yo man with back pain for 6 months, morning stiffness > 30 minutes, improves "
               "with exercise, wakes in the second half of the night. HR 140")
    assert r.urgency == "emergency"
    assert any(c.urgency == "routine" for c in r.conditions)


# -- the loader ------------------------------------------------------------------------------

GOOD = """
rules:
  - id: r1
    name: Low sats
    level: emergency
    source: NEWS2 (Royal College of Physicians 2017)
    criteria:
      - {vital: spo2, op: "<=", value: 91, unit: "%"}
"""


def test_loader_accepts_good_and_bundled_file() -> None:
    assert [r.id for r in parse_vital_rules(GOOD)] == ["r1"]
    rules = load_vital_rules()
    assert len(rules) >= 10 and all(r.source for r in rules)


@pytest.mark.parametrize(("bad", "field"), [
    (GOOD.replace("value: 91", "value: low"), "criteria.0.value"),
    (GOOD.replace('unit: "%"', "unit: mmHg"), "criteria.0.unit"),
    (GOOD.replace("vital: spo2", "vital: sats"), "criteria.0.vital"),
    (GOOD.replace('op: "<="', 'op: "=="'), "criteria.0.op"),
    (GOOD.replace("level: emergency", "level: soon"), "level"),
    (GOOD.replace("    source: NEWS2 (Royal College of Physicians 2017)\n", ""), "source"),
    (GOOD.replace("{vital: spo2, op: \"<=\", value: 91, unit: \"%\"}", "{finding: nonsense}"),
     "criteria.0.finding"),
    (GOOD + "    colour: red\n", "colour"),
    (GOOD + "    min_met: 3\n", "min_met"),
    (GOOD.replace("{vital: spo2, op: \"<=\", value: 91, unit: \"%\"}",
                  "{finding: fever, required: maybe}"), "criteria.0.required"),
])
def test_loader_rejects_malformed_entry_naming_entry_and_field(bad: str, field: str) -> None:
    with pytest.raises(ValueError, match="vital_signs.yaml") as exc:
        parse_vital_rules(bad, name="vital_signs.yaml")
    msg = str(exc.value)
    assert "vital_signs.yaml" in msg and "rule 'r1'" in msg and f"field '{field}" in msg


def test_loader_rejects_duplicate_and_non_yaml(tmp_path: Path) -> None:
    dup = GOOD + GOOD.split("rules:\n", 1)[1]
    with pytest.raises(ValueError, match="duplicate id"):
        parse_vital_rules(dup)
    p = tmp_path / "v.yaml"
    p.write_text("rules: [", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_vital_rules(p)


# -- interfaces ------------------------------------------------------------------------------


def test_cli_json_and_text_show_undetermined() -> None:
    from typer.testing import CliRunner

    from curbside.cli import app

    r = CliRunner().invoke(app, ["triage", "Itchy left ear for two days", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["urgency"] == "undetermined" and d["label"].startswith("Not determined")
    r = CliRunner().invoke(app, ["triage", "Itchy left ear for two days", "--patient"])
    assert r.exit_code == 0 and "UNDETERMINED" in r.output and "getting worse" in r.output
    r = CliRunner().invoke(app, ["triage", "Cough, sats 88%", "--json"])
    d = json.loads(r.output)
    assert d["urgency"] == "emergency" and d["rules"][0]["id"] == "news2_spo2_low"


def test_api_triage_route(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from curbside import services
    from curbside.app import create_app
    from curbside.config import Settings

    rt = services.open_runtime(Settings(home=tmp_path / "home"))
    with TestClient(create_app(runtime=rt)) as c:
        r = c.post("/api/v1/triage", json={"text": "Itchy left ear for two days"})
        assert r.status_code == 200, r.text
        assert r.json()["urgency"] == "undetermined"
        assert r.json()["label"].startswith("Not determined")
        r = c.post("/api/v1/triage", json={"text": "RR 30, cough", "audience": "patient"})
        assert r.json()["urgency"] == "emergency"
        assert r.json()["label"].startswith("Call emergency services now")
        assert r.json()["rules"][0]["source"].startswith("NEWS2")
        assert c.post("/api/v1/triage", json={"text": " "}).status_code == 422
        spec = c.get("/openapi.json").json()
        levels = spec["components"]["schemas"]["TriagePublic"]["properties"]["urgency"]
        assert "undetermined" in json.dumps(levels)
        assert "undetermined" in json.dumps(spec["components"]["schemas"])


def test_web_labels_cover_every_level() -> None:
    from curbside.web import views

    for labels in (views.URGENCY_LABELS, views.PATIENT_URGENCY_LABELS):
        assert set(labels) == {"emergency", "urgent", "routine", "undetermined", "none"}
    assert views.URGENCY_LABELS["undetermined"].startswith("Not determined")
    assert "routine" not in views.PATIENT_URGENCY_LABELS["undetermined"].lower()


# -- a required criterion; right lower abdominal pain (possible appendicitis) -----------------


@pytest.mark.parametrize("text", [
    "19 year old woman, pain began around the navel yesterday and is now in the right lower "
    "quadrant; she has no appetite for food since, anorexia and nausea.",
    "Pain in the lower right part of the abdomen since this morning, worse on coughing, with "
    "vomiting twice.",
    "12 yo boy with RLQ pain for 8 hours and a temperature of 38.1 C.",
])
def test_right_lower_abdominal_pain_with_nausea_or_fever_is_an_emergency(text: str) -> None:
    r = triage_findings(extract_findings(text), partial=False, differential=False)
    assert r.urgency == "emergency"
    assert any(x["id"] == "right_lower_abdominal_pain_appendicitis" for x in r.rules)


@pytest.mark.parametrize("text", [
    "Nausea and loss of appetite for two days after a night out.",  # no right-sided pain
    "Right lower quadrant pain on and off for a year. No nausea, no vomiting, no fever.",
    "She is recovering from anorexia nervosa and has right lower quadrant pain.",
])
def test_the_appendicitis_rule_needs_right_sided_pain_and_another_finding(text: str) -> None:
    r = triage_findings(extract_findings(text), partial=False, differential=False)
    assert not any(x["id"] == "right_lower_abdominal_pain_appendicitis" for x in r.rules)


def test_a_required_criterion_must_hold_whatever_else_does() -> None:
    rules = parse_vital_rules("""
rules:
  - id: r2
    name: test rule
    level: urgent
    source: a test source, named
    min_met: 2
    criteria:
      - {finding: scrotal pain, required: true}
      - {finding: fever}
      - {finding: vomiting}
""")
    from curbside.safety.vital_rules import fire_vital_rules

    assert not fire_vital_rules(extract_findings("Fever and vomiting since Monday."), rules)
    assert fire_vital_rules(extract_findings("Scrotal pain and fever since Monday."), rules)
    assert not fire_vital_rules(extract_findings("Scrotal pain since Monday."), rules)
