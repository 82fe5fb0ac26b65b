"""Findings from questions and vignettes: negation, ages in words, odd units, conflicts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.understand.findings import extract_findings, word_number


def test_reference_question_modifiers() -> None:
    f = extract_findings("Is SI joint imbalance a common cause of low back pain and stiffness "
                         "that improves with movement and exercise?")
    assert {"back pain", "stiffness", "improves with exercise"} <= f.present()


@pytest.mark.parametrize(("text", "term"), [
    ("no chest pain", "chest pain"),
    ("He denies fever.", "fever"),
    ("Back pain without weight loss", "weight loss"),
    ("Chest pain was ruled out.", "chest pain"),
    ("No history of cancer", "history of cancer"),
    ("No saddle anaesthesia, no urinary retention", "urinary retention"),
    ("Patient is not pregnant", "pregnant"),
])
def test_negated_findings_are_not_present(text: str, term: str) -> None:
    f = extract_findings(text)
    assert term not in f.present()
    assert term in f.absent()


def test_negation_ends_at_but() -> None:
    f = extract_findings("No fever but has chest pain radiating to the jaw")
    assert "chest pain" in f.present() and "fever" in f.absent()


def test_embedded_negation_modifier() -> None:
    f = extract_findings("pain that does not improve with rest, morning stiffness > 30 minutes")
    assert "not improved by rest" in f.present()
    assert "improves with rest" not in f.present()
    assert "prolonged morning stiffness" in f.present()


@pytest.mark.parametrize(("text", "age", "sex"), [
    ("A fifty-two-year-old man with back pain", 52, "male"),
    ("52 yo F with headache", 52, "female"),
    ("52M presents with chest pain", 52, "male"),
    ("A 34-year-old woman", 34, "female"),
    ("an eighteen year old boy", 18, "male"),
    ("a 6-month-old girl with fever", 0.5, "female"),
    ("Seventy-one-year-old gentleman", 71, "male"),
    ("aged 45, she reports", 45, "female"),
])
def test_ages_and_sex(text: str, age: float, sex: str) -> None:
    f = extract_findings(text)
    assert f.age == pytest.approx(age, abs=0.01)
    assert f.sex == sex


@pytest.mark.parametrize(("text", "name", "value"), [
    ("temp 38.5C", "temperature", 38.5),
    ("T 101 F", "temperature", 38.3),
    ("temperature of 39 °C", "temperature", 39.0),
    ("bp 80/50", "systolic_bp", 80),
    ("BP: 80/50 mmHg", "diastolic_bp", 50),
    ("HR 124", "heart_rate", 124),
    ("sats 88%", "spo2", 88),
    ("RR 28", "respiratory_rate", 28),
    ("glucose 400 mg/dl", "glucose", 22.2),
    ("blood sugar 25 mmol/L", "glucose", 25),
])
def test_units_in_odd_forms(text: str, name: str, value: float) -> None:
    f = extract_findings(text)
    assert any(v.name == name and v.value == pytest.approx(value, abs=0.1) for v in f.vitals)


def test_vitals_imply_findings() -> None:
    f = extract_findings("T 38.9C, bp 82/50, HR 120, RR 26, sats 89%")
    assert {"fever", "hypotension", "tachycardia", "tachypnoea", "hypoxia"} <= f.present()


def test_temperature_is_not_an_age() -> None:
    f = extract_findings("30 yo woman, temp 99 F")
    assert f.ages == [30]


@pytest.mark.parametrize(("text", "unit_days"), [
    ("back pain for 3 months", 90),
    ("since last week", 7),
    ("stiffness lasting > 30 minutes", 30 / 1440),
    ("for two weeks", 14),
    ("a 6-month history of pain", 180),
])
def test_durations(text: str, unit_days: float) -> None:
    f = extract_findings(text)
    assert any(d.days == pytest.approx(unit_days) for d in f.durations)


def test_contradictory_findings_reported_both_and_flagged() -> None:
    f = extract_findings("Patient reports fever. On review: no fever. He says he is pregnant.")
    assert "fever" in f.present()  # stated at least once: conservative
    assert any("fever" in c for c in f.conflicts)
    assert any("male" in c for c in f.conflicts)


def test_measured_temperature_contradicts_fever() -> None:
    f = extract_findings("She has a fever; temp 36.8C")
    assert any("measured temperature" in c for c in f.conflicts)


def test_opposite_modifiers_conflict() -> None:
    f = extract_findings("pain improves with rest; pain is not relieved by rest")
    assert any("conflicts" in c for c in f.conflicts)


def test_word_numbers() -> None:
    assert word_number("fifty-two") == 52
    assert word_number("ninety nine") == 99
    assert word_number("a") == 1
    assert word_number("banana") is None


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text: str) -> None:
    f = extract_findings(text)
    assert isinstance(f.present(), set)
