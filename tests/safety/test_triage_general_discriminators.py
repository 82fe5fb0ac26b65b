"""Issue 17: general emergency discriminators (Manchester Triage System style) as cited rules.

Urgency must not hinge on a diagnosis the differential knows: signs of shock, cyanosis, severe
breathlessness, sudden loss of vision, poisoning or overdose, severe pain of abrupt onset and a
seizure that goes on raise the case whatever its diagnosis. The rules are data
(knowledge/vital_signs.yaml), their findings are negation-aware, and their wording does not fire
on look-alike phrases.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from curbside.safety.triage import triage_findings
from curbside.safety.vital_rules import load_vital_rules
from curbside.understand.findings import extract_findings

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "corpus").is_dir(),
                                reason="development data ../shared/data is absent")

GENERAL = ("child_red_features", "shock_signs", "cyanosis_or_hypoxia", "severe_breathlessness",
           "sudden_vision_loss", "poisoning_or_overdose", "abrupt_severe_pain", "severe_pain",
           "prolonged_seizure")


def _rules(text: str) -> dict[str, str]:
    r = triage_findings(extract_findings(text), partial=False, differential=False)
    return {x["id"]: x["level"] for x in r.rules}


def _level(text: str) -> str:
    return triage_findings(extract_findings(text), partial=False, differential=False).urgency


@pytest.mark.parametrize(("text", "rule"), [
    # no condition pattern names these presentations: the general rule alone raises them
    ("58-year-old man, vomited twice, now pale and clammy with a thready pulse.", "shock_signs"),
    ("Two days of diarrhoea; her hands and feet are cold and her BP is low.", "shock_signs"),
    ("Toddler with a cough, lips turned blue, cyanosis around the mouth.",
     "cyanosis_or_hypoxia"),
    ("Known asthmatic, now unable to speak in full sentences.", "severe_breathlessness"),
    ("Infant with grunting and intercostal recession.", "severe_breathlessness"),
    ("70-year-old woman suddenly lost vision in her right eye this morning.",
     "sudden_vision_loss"),
    ("He said a curtain came down over his left eye an hour ago.", "sudden_vision_loss"),
    ("Teenager found with empty pill bottles, drowsy.", "poisoning_or_overdose"),
    ("Toddler swallowed some drain cleaner at home.", "poisoning_or_overdose"),
    ("Sudden onset of severe left eye pain with nausea.", "abrupt_severe_pain"),
    ("15-year-old boy with abrupt, excruciating pain in the left testicle.",
     "abrupt_severe_pain"),
    ("9-month-old with a bulging fontanelle and a high-pitched cry.", "child_red_features"),
    ("My 3-year-old has been having a seizure for 10 minutes.", "prolonged_seizure"),
    ("Known epileptic, still fitting after rectal diazepam.", "prolonged_seizure"),
    ("Two seizures back-to-back and she has not woken up between seizures.",
     "prolonged_seizure"),
    ("Brought in by ambulance in status epilepticus.", "prolonged_seizure"),
])
def test_a_general_discriminator_makes_the_case_an_emergency(text: str, rule: str) -> None:
    rules = _rules(text)
    assert rules.get(rule) == "emergency", rules
    assert _level(text) == "emergency"


def test_severe_pain_alone_is_urgent_not_an_emergency() -> None:
    text = "Severe pain in the left big toe since last night."
    assert _rules(text).get("severe_pain") == "urgent"
    assert "abrupt_severe_pain" not in _rules(text)
    assert _level(text) in ("urgent", "emergency")  # never routine or undetermined


@pytest.mark.parametrize(("text", "rule"), [
    # negated
    ("No pallor, no cold peripheries, pulse strong, BP normal.", "shock_signs"),
    ("No cyanosis, no respiratory distress.", "cyanosis_or_hypoxia"),
    ("No cyanosis, no respiratory distress.", "severe_breathlessness"),
    ("Denies any sudden loss of vision.", "sudden_vision_loss"),
    ("No severe pain; the pain came on suddenly but is mild.", "abrupt_severe_pain"),
    ("No overdose, no poisoning.", "poisoning_or_overdose"),
    # look-alike wording
    ("Pale stools and dark urine for a week.", "shock_signs"),
    ("Her urine is pale yellow; fast heart rate after coffee.", "shock_signs"),
    ("Vomiting and diarrhoea since the barbecue, probably food poisoning.",
     "poisoning_or_overdose"),
    ("How many mg does it take to overdose on oxycodone?", "poisoning_or_overdose"),
    ("Which substance use is associated with Brodifacoum poisoning?",
     "poisoning_or_overdose"),
    ("He wakes at night gasping, and his wife says he snores.", "severe_breathlessness"),
    ("Gradually blurred vision over two years, worse at night.", "sudden_vision_loss"),
    # a red feature of a young child, in an adult or with no age stated
    ("30-year-old man, feels floppy and tired.", "child_red_features"),
    ("The baby has a high-pitched cry.", "child_red_features"),
    # one shock sign alone
    ("She looks pale and tired.", "shock_signs"),
    # a seizure without its duration, a short one, a conditional or a past one
    ("She had one seizure last year; is her levetiracetam dose right?", "prolonged_seizure"),
    ("Most febrile seizures last a minute or two.", "prolonged_seizure"),
    ("Her seizure lasted 2 minutes and she is now alert.", "prolonged_seizure"),
    ("Is it an emergency if a seizure lasts longer than 5 minutes?", "prolonged_seizure"),
    ("History of status epilepticus as a child, none since.", "prolonged_seizure"),
    ("No seizures, no fits.", "prolonged_seizure"),
])
def test_negated_or_look_alike_wording_does_not_fire(text: str, rule: str) -> None:
    assert rule not in _rules(text)


def test_visual_disorientation_is_not_altered_consciousness() -> None:
    f = extract_findings("Spinning vertigo for 30 seconds with visual disorientation and nausea.")
    assert "altered consciousness" not in f.present()
    assert "confusion" not in f.present()
    assert "altered consciousness" in extract_findings("He is disorientated in time").present()


def test_each_general_rule_names_its_source() -> None:
    by_id = {r.id: r for r in load_vital_rules()}
    for rule_id in GENERAL:
        src = by_id[rule_id].source
        # a library id (medquad:/library ngc-) or the named triage system, never a bare claim
        assert "medquad:" in src or "library ngc-" in src or "Manchester Triage System" in src


@needs_data
def test_every_library_id_a_rule_names_exists_in_the_development_corpus() -> None:
    """The ids in every rule's source (medquad:<collection>/<qid>, ngc-<n>) are pages of the
    library, and a cited MedQuAD page says to get care now (911, emergency, right away)."""
    medquad: dict[str, str] = {}
    with gzip.open(DATA / "corpus" / "medquad_answers.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            medquad[f"medquad:{d['collection']}/{d['qid']}"] = d["answer"]
    with gzip.open(DATA / "corpus" / "guidelines_ngc.jsonl.gz", "rt", encoding="utf-8") as fh:
        ngc = {json.loads(line)["ngc_id"] for line in fh}
    cited = 0
    for rule in load_vital_rules():
        for mid in re.findall(r"medquad:[\w-]+/[\w-]+", rule.source):
            assert mid in medquad, (rule.id, mid)
            cited += 1
            if rule.id in GENERAL:
                assert re.search(r"911|emergency|right away", medquad[mid]), (rule.id, mid)
        for nid in re.findall(r"\bngc-\d+", rule.source):
            assert nid in ngc, (rule.id, nid)
            cited += 1
    assert cited >= 10
