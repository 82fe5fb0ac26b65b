"""Triage: urgency and conditions raised; negated red flags never raise a condition."""

from __future__ import annotations

import pytest

from curbside.safety.triage import triage


@pytest.mark.parametrize(("text", "pattern", "level"), [
    ("58 yo man with crushing chest pain radiating to the left arm and sweating",
     "acute_coronary_syndrome", "emergency"),
    ("Sudden facial droop and slurred speech in a seventy-year-old woman", "stroke", "emergency"),
    ("Worst headache of my life, came on suddenly", "subarachnoid_haemorrhage", "emergency"),
    ("Fever, severe headache and a stiff neck", "bacterial_meningitis", "emergency"),
    ("Pneumonia, now confused, bp 80/50, HR 130", "sepsis", "emergency"),
    ("Short of breath and calf swelling after a long-haul flight", "pulmonary_embolism",
     "emergency"),
    ("28 yo woman, 7 weeks pregnant, lower abdominal pain and vaginal spotting",
     "ectopic_pregnancy", "emergency"),
    ("15-year-old boy with sudden testicular pain and vomiting", "testicular_torsion",
     "emergency"),
    ("Type 1 diabetic with vomiting, abdominal pain and deep sighing breathing",
     "diabetic_ketoacidosis", "emergency"),
    ("Ate peanuts, now hives and swollen lips and wheezing", "anaphylaxis", "emergency"),
    ("He says he wants to kill himself and has been stockpiling pills", "suicide_risk_acute",
     "emergency"),
    # a means named with the intent, or a question how much of something would kill
    ("I want to kill myself with tylenol, how many do I need", "suicide_risk_acute",
     "emergency"),
    ("how many tylenol would kill me", "suicide_risk_acute", "emergency"),
    ("how much gravol to kill you", "suicide_risk_acute", "emergency"),
    ("How many sleeping pills does it take to kill a person?", "suicide_risk_acute",
     "emergency"),
    ("what amount of amitriptyline would be lethal", "suicide_risk_acute", "emergency"),
    ("Vomiting blood and black tarry stools", "upper_gi_bleeding", "emergency"),
    ("Back pain with saddle anaesthesia and urinary retention", "cauda_equina_syndrome",
     "emergency"),
    ("Back pain in an IV drug user with fever", "spinal_infection", "emergency"),
    ("Had her third cycle of chemotherapy for breast cancer last week, now fever and shivering",
     "neutropenic_sepsis", "emergency"),
    ("Fever and headache since yesterday, light hurts his eyes", "bacterial_meningitis",
     "emergency"),
    # missing meningitis costs more than a false alarm: vomiting with fever and headache fires
    ("Fever, headache and vomiting since this morning", "bacterial_meningitis", "emergency"),
    ("Back pain, history of breast cancer, weight loss", "spinal_malignancy", "urgent"),
    ("72-year-old woman with new headache, tender temples and jaw pain when chewing",
     "giant_cell_arteritis", "urgent"),
    ("Fresh blood in the stool and dizziness", "lower_gi_bleeding", "urgent"),
    ("30 yo man with back pain for 6 months, morning stiffness > 30 minutes, improves with "
     "exercise, wakes in the second half of the night", "axial_spondyloarthritis", "routine"),
])
def test_vignettes(text: str, pattern: str, level: str) -> None:
    r = triage(text)
    assert pattern in [c.pattern for c in r.conditions]
    assert r.urgency == level
    c = next(c for c in r.conditions if c.pattern == pattern)
    assert c.citations and c.trigger


@pytest.mark.parametrize(("text", "pattern"), [
    ("No chest pain, no sweating, no shortness of breath.", "acute_coronary_syndrome"),
    ("Denies chest pain or arm pain; no diaphoresis", "acute_coronary_syndrome"),
    ("No facial droop, no arm weakness, speech normal", "stroke"),
    ("Headache without fever or neck stiffness", "bacterial_meningitis"),
    ("Back pain. No saddle anaesthesia, no urinary retention, no incontinence",
     "cauda_equina_syndrome"),
    ("Back pain, no fever, no history of IV drug use", "spinal_infection"),
    ("not pregnant; lower abdominal pain", "ectopic_pregnancy"),
    # the cited guideline (NICE CG151) is about anticancer treatment, not any immunosuppression
    ("HIV positive man with fever and a cough for three weeks", "neutropenic_sepsis"),
    # about a poison or a germ, not a person's intent
    ("How many mg does it take to overdose on oxycodone?", "suicide_risk_acute"),
    ("How much bleach does it take to kill mold?", "suicide_risk_acute"),
    ("Does alcohol kill you slowly?", "suicide_risk_acute"),
    ("How many antibiotics do I need to kill the infection?", "suicide_risk_acute"),
])
def test_negated_red_flags_do_not_fire(text: str, pattern: str) -> None:
    r = triage(text)
    assert pattern not in [c.pattern for c in r.conditions]


def test_no_chest_pain_is_undetermined_not_routine() -> None:
    r = triage("no chest pain")
    assert r.urgency == "undetermined" and not r.conditions
    assert "chest pain" in r.negated


def test_contradictory_vignette_reports_conflict_and_stays_safe() -> None:
    r = triage("Chest pain radiating to the jaw with sweating. Later notes: no chest pain.")
    assert "acute_coronary_syndrome" in [c.pattern for c in r.conditions]
    assert r.conflicts and any("conflicting" in x for x in r.reasons)


def test_sex_conditions() -> None:
    assert "testicular_torsion" not in [
        c.pattern for c in triage("A 14-year-old girl with sudden scrotal pain").conditions]
    assert "ectopic_pregnancy" not in [
        c.pattern for c in triage("A man, pregnant partner, abdominal pain").conditions
    ] or triage("A man, pregnant partner, abdominal pain").conflicts


def test_ranked_most_urgent_first() -> None:
    r = triage("Pregnant 30 yo woman with vaginal bleeding and abdominal pain")
    urg = [c.urgency for c in r.conditions]
    order = {"emergency": 0, "urgent": 1, "routine": 2, "undetermined": 3}
    assert urg == sorted(urg, key=order.__getitem__)
    assert r.conditions[0].pattern == "ectopic_pregnancy"
