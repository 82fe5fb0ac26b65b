"""The findings lexicon and thresholds as data (``knowledge/findings.yaml``)."""

from __future__ import annotations

import re

import pytest

from curbside.knowledge_files import KnowledgeError, knowledge_text, parse_knowledge
from curbside.understand.findings import KNOWN_TERMS, extract_findings
from curbside.understand.findings.knowledge import LABELS, FindingsFile, findings_knowledge
from curbside.understand.findings.lexicon import COMPILED, EMBEDS_NEGATION, GENERIC_TERMS


def test_lexicon_size_and_flags() -> None:
    k = findings_knowledge()
    assert len(k.findings) == 175  # 143, the generic local signs (stop 29), 28 complaints (stop 30)
    assert len(COMPILED) == 656
    assert len(KNOWN_TERMS) == 178  # the lexicon and 3 derived terms
    case_sensitive = [rx.pattern for _, _, rx in COMPILED if not rx.flags & re.IGNORECASE]
    assert case_sensitive == [r"\bSOB\b"]
    embeds = {"not improved by rest", "not improved by treatment", "reduced urine output",
              "unable to pass stool or gas"}
    assert embeds == EMBEDS_NEGATION
    assert "rash" in GENERIC_TERMS
    # the {WORD} macro is expanded everywhere
    assert not any("{WORD}" in rx.pattern for _, _, rx in COMPILED)


@pytest.mark.parametrize(("text", "term"), [
    ("SOB since this morning", "shortness of breath"),
    ("low back pain that improves with exercise", "improves with exercise"),
    ("pain in the lower back", "back pain"),
    ("worst headache of her life", "thunderclap headache"),
    ("temp 38.5C", "fever"),
    ("HR 120", "tachycardia"),
    ("sats 88%", "hypoxia"),
    ("glucose 250 mg/dL", "hyperglycaemia"),
    ("morning stiffness lasting 45 minutes", "prolonged morning stiffness"),
    ("back pain for 4 months", "duration over 3 months"),
    # common complaints (stop 30)
    ("severe unilateral eye pain with halos", "eye pain"),
    ("pain around the left eye", "eye pain"),
    ("a red eye since this morning", "red eye"),
    ("her eyes are red and watery", "red eye"),
    ("an erection lasting 5 hours", "prolonged erection"),
    ("found with slow, shallow breathing", "slow or stopped breathing"),
    ("3 days of watery diarrhea", "diarrhoea"),
    ("sore throat and fever", "sore throat"),
    ("dysphagia to solids", "difficulty swallowing"),
    ("otalgia of the right ear", "ear pain"),
    ("foul-smelling vaginal discharge", "discharge"),
    ("gross hematuria", "haematuria"),
    ("blood in his urine", "haematuria"),
    ("yellowing of the skin", "jaundice"),
    ("generalized pruritus", "itching"),
    ("a painless neck mass", "lump"),
    ("hoarseness of voice", "hoarseness"),
    ("difficulty hearing in the left ear", "hearing loss"),
    ("heartburn after meals", "heartburn"),
    ("abdominal bloating", "bloating"),
    ("myalgia and malaise", "muscle pain"),
    ("runny nose and sneezing", "runny or blocked nose"),
    ("blurred vision", "blurred vision"),
    ("painful menses", "painful periods"),
    ("irregular menstruation", "irregular periods"),
    ("uncontrollable daytime sleepiness", "excessive sleepiness"),
    ("bilateral pedal edema", "oedema"),
])
def test_triggers(text: str, term: str) -> None:
    assert term in extract_findings(text).present()


@pytest.mark.parametrize(("text", "term"), [
    ("she began to sob", "shortness of breath"),  # "sob" is SOB only in capitals
    ("no chest pain", "chest pain"),
    ("temp 37.9C", "fever"),
    ("HR 100", "tachycardia"),
    ("sats 92%", "hypoxia"),
    ("morning stiffness lasting 20 minutes", "prolonged morning stiffness"),
    ("back pain for 11 weeks", "duration over 3 months"),
])
def test_non_triggers(text: str, term: str) -> None:
    assert term not in extract_findings(text).present()


def test_thresholds_from_the_file() -> None:
    f = extract_findings("feels feverish, temperature 37.2 C")
    assert f.conflicts == ["fever stated but measured temperature is 37.2 C"]
    assert extract_findings("temp 46 C").vitals == []  # outside the plausible range
    assert extract_findings("a 52 year old, aged 54").conflicts == [
        "more than one age stated: 52, 54"]


def _broken(old: str, new: str) -> str:
    text = knowledge_text("findings.yaml")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  - term: fever\n    kind: sign", "  - term: fever\n    kind: sigh",
     "findings.yaml: finding 'fever', field 'kind'"),
    ("      - '\\bfevers?\\b'", "      - '\\bfevers?(\\b'",
     "findings.yaml: finding 'fever', field 'patterns.0': missing ), unterminated"),
    ("      - '\\bfevers?\\b'", "      - '{WRD}fever'",
     "findings.yaml: finding 'fever', field 'patterns.0': unknown macro {WRD}"),
    ("        case_sensitive: true\n        reason: >-\n", "        case_sensitive: true\n"
     "        reasons: >-\n", "findings.yaml: finding 'shortness of breath', field "
     "'patterns.7.reasons': Extra inputs"),
    ("      - pattern: '\\bSOB\\b'\n        case_sensitive: true\n        reason: >-\n",
     "      - pattern: '\\bSOB\\b'\n        case_sensitive: true\n        x: >-\n",
     "findings.yaml: finding 'shortness of breath', field 'patterns.7.x'"),
    ("value: 20000", "value: many", "findings.yaml: thresholds, field "
     "'max_text_chars.value.int'"),
    ("finding: fever,", "finding: fevre,",
     "findings.yaml: vital finding 'temperature', field 'finding': unknown term 'fevre'"),
    ("{vital: heart_rate, op: \">\", value: 100, unit: /min",
     "{vital: heart_rate, op: \">\", value: 100, unit: bpm",
     "findings.yaml: vital finding 'heart_rate', field '(vital finding)': Value error, "
     "heart_rate is in '/min'"),
])
def test_a_bad_file_names_the_entry_and_the_field(old: str, new: str, message: str) -> None:
    with pytest.raises(KnowledgeError) as exc:
        parse_knowledge(_broken(old, new), FindingsFile, name="findings.yaml", labels=LABELS)
    assert str(exc.value).startswith(message), str(exc.value)
