"""Issue 17, stop 30: a baby with a fever
and a rash is urgent (NICE CG160, library ngc-9891; the article: test_safety_blocks.py), common
complaints the findings lexicon lacked, and cited presentations for placenta praevia, priapism
and opioid overdose."""

from __future__ import annotations

import pytest

from curbside.safety.differential import load_presentations, rank_conditions
from curbside.safety.triage import triage
from curbside.understand.findings import extract_findings


def _patterns(text: str) -> set[str]:
    return {c.pattern for c in triage(text, partial=False).conditions}


# -- a baby with a fever and a rash ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "My baby has a rash and fever, what should I do?",
    "our newborn baby has a fever and a rash on her tummy",
])
def test_a_baby_with_fever_and_rash_is_urgent(text: str) -> None:
    r = triage(text)
    assert "infant_fever_rash" in {c.pattern for c in r.conditions}
    assert r.urgency == "urgent"
    assert "today" in r.conditions[0].action or "same day" in r.conditions[0].action


@pytest.mark.parametrize(("text", "level"), [
    ("My baby has a fever and a non-blanching rash", "emergency"),  # meningococcal disease
    ("my 6 week old baby has a fever and a rash", "emergency"),  # younger than 3 months
])
def test_a_stated_age_or_a_non_blanching_rash_is_stricter(text: str, level: str) -> None:
    assert triage(text).urgency == level


@pytest.mark.parametrize("text", [
    "My baby has a rash", "My baby has a fever",
    "My baby has a rash but no fever",
    "I have a rash and a fever",  # not a baby
])
def test_the_baby_rule_needs_a_baby_a_fever_and_a_rash(text: str) -> None:
    assert "infant_fever_rash" not in _patterns(text)


# -- findings lexicon: common complaints (read: tests/understand/test_findings_knowledge.py)

def test_new_complaints_are_negated_like_the_others() -> None:
    f = extract_findings("No diarrhea or constipation, No sore throat, no eye pain")
    assert {"diarrhoea", "constipation", "sore throat", "eye pain"} <= f.absent()
    assert not {"diarrhoea", "constipation", "sore throat", "eye pain"} & f.present()


@pytest.mark.parametrize("text", [
    "the number of patients with an erection",  # no duration: not prolonged
    "breathing exercises help",
    "I read about itchiness? no",
])
def test_near_misses_are_not_read(text: str) -> None:
    f = extract_findings(text)
    assert not {"prolonged erection", "slow or stopped breathing"} & f.present()


# -- cited presentations ------------------------------------------------------------------------

def test_the_new_presentations_are_loaded() -> None:
    pres = load_presentations()
    assert pres["Placenta previa"] == {"vaginal bleeding", "later pregnancy"}
    assert pres["Priapism"] == {"prolonged erection"}
    assert pres["Opioid overdose"] == {"slow or stopped breathing", "poisoning"}


@pytest.mark.parametrize(("text", "condition", "term"), [
    ("25 year old man with a painful erection lasting 6 hours, sickle cell disease", "Priapism",
     "prolonged erection"),
    ("found unresponsive after injecting heroin, slow shallow breathing", "Opioid overdose",
     "slow or stopped breathing"),
    ("32 weeks pregnant with painless vaginal bleeding", "Placenta previa", "vaginal bleeding"),
])
def test_a_case_that_states_the_findings_supports_the_condition(
        text: str, condition: str, term: str) -> None:
    ranked = rank_conditions(extract_findings(text), k=200)
    hit = next(r for r in ranked if r.name == condition)
    assert hit.profiled and term in hit.supported_by and hit.plausible
    # a case that states none of them does not support it
    other = rank_conditions(extract_findings("itchy rash on both elbows for a year"), k=200)
    assert all(not r.supported_by for r in other if r.name == condition)


# -- two cited emergency rules: breathing that has slowed or stopped, a persistent erection ----

def _rules(text: str) -> set[str]:
    return {r["id"] for r in triage(text, partial=False).rules}


@pytest.mark.parametrize("text", [
    "found unresponsive with slow, shallow breathing",
    "he stopped breathing after taking his pills",
    "respiratory depression after morphine",
])
def test_slowed_or_stopped_breathing_is_an_emergency(text: str) -> None:
    assert "slow_or_stopped_breathing" in _rules(text)
    assert triage(text).urgency == "emergency"


@pytest.mark.parametrize("text", [
    "his wife says that on some occasions he stops breathing and she prods him",  # apnoea
    "he stopped breathing during his sleep, his wife said",
    "shallow breathing because of the chest pain",
    "No slow breathing",
])
def test_sleep_apnoea_pauses_and_shallow_breaths_from_pain_are_not(text: str) -> None:
    assert "slow_or_stopped_breathing" not in _rules(text)


@pytest.mark.parametrize("text", [
    "an erection lasting 5 hours", "a persistent erection since last night",
])
def test_a_persistent_erection_is_an_emergency(text: str) -> None:
    assert "prolonged_erection" in _rules(text)
    assert triage(text).urgency == "emergency"


def test_a_painful_erection_alone_is_not_priapism() -> None:
    # Peyronie's disease: painful erections with a curved penis, not a persistent erection
    assert "prolonged_erection" not in _rules("painful erections with a curvature of the penis")


def test_pleuritic_pain_with_breathlessness_stays_a_pulmonary_embolism() -> None:
    # the narrowing of 3181865 is reverted: held out, it likely cost an emergency
    text = "pleuritic chest pain and shortness of breath for 2 days"
    assert "pulmonary_embolism" in _patterns(text)
    assert triage(text).urgency == "emergency"
