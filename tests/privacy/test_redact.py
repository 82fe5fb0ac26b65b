"""The PHI redactor on synthetic identifiers: what it removes, what clinical text it keeps."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curbside.privacy import (
    PhiPatternError,
    RedactingFilter,
    load_phi_patterns,
    redact,
    redact_text,
    strip_placeholders,
)

# Invented, clearly fake identifiers (555-01xx numbers are reserved for fiction; example.com
# is reserved for documentation).
SYNTHETIC = ("My name is Jane Roe, DOB 03/14/1961, MRN 00123456, call 555-0142, "
             "jane.roe@example.com, 12 Elm Street, Springfield. Jane has had chest pain "
             "for 3 days; is aspirin 81 mg safe?")
IDENTIFIERS = ["Jane", "Roe", "03/14/1961", "00123456", "555-0142", "jane.roe@example.com",
               "12 Elm Street", "Springfield"]

REDACTED = [
    # (text, what must be gone, the placeholder that replaces it)
    ("my name is jane roe and i have diabetes", "jane roe", "[NAME]"),
    ("My name's Tom Kowalski. Can I take ibuprofen?", "Tom Kowalski", "[NAME]"),
    ("Patient: John Q. Public, 67-year-old man with AF", "John Q. Public", "[NAME]"),
    ("Mrs. Okafor has MS and takes interferon", "Okafor", "[NAME]"),
    ("Dr. Nguyen started 2.5 mg/kg gentamicin", "Nguyen", "[NAME]"),
    ("I am Jane Roe, 52, with a BP of 140/90", "Jane Roe", "[NAME]"),
    ("I'm Priya and I am pregnant", "Priya", "[NAME]"),
    ("call me Ana, what dose of amoxicillin?", "Ana", "[NAME]"),
    ("DOB: 1961-03-14, now on metformin", "1961-03-14", "[DATE]"),
    ("born on March 14, 1961 and diabetic", "March 14, 1961", "[DATE]"),
    ("date of birth 1961, hypertension", "1961", "[DATE]"),
    ("seen on 14th of March 2023 for cough", "14th of March 2023", "[DATE]"),
    ("admitted 14.03.2023 with sepsis", "14.03.2023", "[DATE]"),
    ("MRN: A1234567 chest pain", "A1234567", "[MRN]"),
    ("medical record number 884422 with COPD", "884422", "[MRN]"),
    ("NHS number 943 476 5919 asthma", "943 476 5919", "[MRN]"),
    ("account 0012345678 billing", "0012345678", "[ID]"),
    ("phone (555) 014-2000 after 5 pm", "(555) 014-2000", "[PHONE]"),
    ("ring 555-0187 if worse", "555-0187", "[PHONE]"),
    ("ring +44 20 7946 0958 please", "+44 20 7946 0958", "[PHONE]"),
    ("mobile: 555 014 2099", "555 014 2099", "[PHONE]"),
    ("mail j.roe+clinic@mail.example.org today", "j.roe+clinic@mail.example.org", "[EMAIL]"),
    ("I live at 42 oak lane, apt 3 and smoke", "42 oak lane, apt 3", "[ADDRESS]"),
    ("lives at 7 Harbour Road, Kingston", "7 Harbour Road, Kingston", "[ADDRESS]"),
    ("write to 1600 Maple Avenue, Springfield, IL 62701", "1600 Maple Avenue", "[ADDRESS]"),
    ("P.O. Box 4411 for records", "P.O. Box 4411", "[ADDRESS]"),
    ("SSN 123-45-6789 on file", "123-45-6789", "[SSN]"),
    ("social security number 123 45 6789", "123 45 6789", "[SSN]"),
    ("from Springfield, IL 62701 with gout", "IL 62701", "[ADDRESS]"),
    ("photo at https://example.com/u/janeroe/scan.png", "https://example.com/u/janeroe/scan.png",
     "[URL]"),
    ("logged in from 192.168.10.24", "192.168.10.24", "[IP]"),
]

# Clinical phrases that must come out exactly as they went in.
CLINICAL = [
    "A 52-year-old woman with chest pain for 3 days",
    "Is 500-1000 mg of paracetamol every 6 hours safe?",
    "Gentamicin 2.5 mg/kg IV once daily",
    "Blood pressure 140/90 mmHg on amlodipine 5 mg",
    "BP 120/80 and heart rate 72 bpm",
    "HbA1c 7.5% and eGFR 45 mL/min/1.73 m2",
    "Platelets 150000 per microlitre",
    "A 2019 randomised trial of 4,500 patients",
    "Studies from 1990 to 2020 found no benefit",
    "ICD-10 I21.4 non-ST elevation myocardial infarction",
    "Does warfarin interact with St John's wort?",
    "I am diabetic and take metformin 500 mg twice daily",
    "I am Hispanic and 45 years old",
    "I am pregnant, 32 weeks, with a headache",
    "I am HIV positive; can I take efavirenz?",
    "I live at home with my wife",
    "Born at 32 weeks, now 2 years old",
    "Parkinson disease and Alzheimer disease in MS patients",
    "Take 1-2 tablets every 4-6 hours, at most 8 in 24 hours",
    "Vitamin D 50,000 IU weekly for 8 weeks",
    "Is 100-1000 IU of vitamin E safe?",
    "He walks 5 blocks down the road before leg pain starts",
    "Troponin 0.04 ng/mL at 3 h, CK 250 U/L",
    "Dose 1.5 g/m2 on days 1-5 of a 28-day cycle",
    "FEV1/FVC 0.65, GOLD stage 2",
    "PMID 12345678 reported a 30% reduction",
    "NCT01234567 enrolled 1200 people",
    "Apgar 8/9 at 1 and 5 minutes",
    "Is Dr. Fox's test useful for hip pain?",  # eponym after Dr: see test below
    "The MR and MS findings on echo",
    "Gravida 2 para 1 at 12/40 weeks",
    "May 2 tablets be taken with food?",
]


@pytest.mark.parametrize(("text", "gone", "placeholder"), REDACTED)
def test_identifier_is_replaced_by_its_placeholder(text: str, gone: str,
                                                   placeholder: str) -> None:
    out = redact_text(text)
    assert gone not in out, out
    assert placeholder in out, out


@pytest.mark.parametrize("text", [c for c in CLINICAL if "Dr. Fox" not in c])
def test_clinical_content_is_unchanged(text: str) -> None:
    r = redact(text)
    assert r.text == text and not r.found, r.found


def test_a_surname_after_dr_is_treated_as_a_name() -> None:
    # A cue is a cue: a clinician's surname after "Dr." goes too (a known cost).
    assert redact_text("Is Dr. Fox's test useful?") == "Is Dr. [NAME]'s test useful?"


def test_synthetic_phi_leaves_no_identifier_and_keeps_the_clinical_question() -> None:
    r = redact(SYNTHETIC)
    for ident in IDENTIFIERS:
        assert ident not in r.text, (ident, r.text)
    assert "chest pain for 3 days" in r.text and "aspirin 81 mg safe?" in r.text
    assert r.counts() == {"NAME": 2, "DATE": 1, "MRN": 1, "PHONE": 1, "EMAIL": 1, "ADDRESS": 1}
    # The later bare mention of the name ("Jane has ...") is replaced too, possessive too.
    assert "[NAME] has had chest pain" in r.text
    assert redact_text("I'm Jane Roe. Jane's sugar is 14") == "I'm [NAME]. [NAME]'s sugar is 14"


def test_a_name_that_is_a_common_word_is_not_propagated() -> None:
    out = redact_text("My name is May. May I take 2 tablets?")
    assert out == "My name is [NAME]. [NAME] I take 2 tablets?"  # capitalised: propagated
    assert redact_text("my name is hope and i hope this works") == \
        "my name is [NAME] and i hope this works"


def test_strip_placeholders_leaves_the_words() -> None:
    assert strip_placeholders("My name is [NAME], DOB [DATE]: chest pain") == \
        "My name is , DOB : chest pain"


def test_redaction_is_idempotent_on_the_tables() -> None:
    for text in [SYNTHETIC, *(t for t, _, _ in REDACTED), *CLINICAL]:
        once = redact_text(text)
        assert redact_text(once) == once


_pieces = st.sampled_from(
    [t for t, _, _ in REDACTED] + CLINICAL + IDENTIFIERS
    + ["my name is", "DOB", "MRN", "call", "Mr.", "I am", ",", ".", " ", "\n", "[NAME]",
       "[DATE]", "born on", "address:", "I live at", "12", "555", "-", "/", "@", "Street"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_pieces, st.text(max_size=12)), max_size=12))
def test_redaction_is_idempotent(parts: list[str]) -> None:
    text = " ".join(parts)
    once = redact_text(text)
    assert redact_text(once) == once


def test_pattern_file_errors_name_the_pattern_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "phi.yaml"
    bad.write_text("version: 1\npatterns:\n  - id: broken\n    label: NAME\n"
                   "    reason: a reason long enough\n    regex: '(unclosed'\n")
    with pytest.raises(PhiPatternError, match=r"pattern 'broken', field 'regex'"):
        load_phi_patterns(bad)
    bad.write_text("version: 1\npatterns:\n  - id: odd\n    label: FOO\n"
                   "    reason: a reason long enough\n    regex: 'x'\n")
    with pytest.raises(PhiPatternError, match=r"pattern 'odd', field 'label'"):
        load_phi_patterns(bad)
    bad.write_text("version: 1\npatterns:\n  - id: short\n    label: NAME\n    regex: 'x'\n")
    with pytest.raises(PhiPatternError, match=r"pattern 'short', field 'reason'"):
        load_phi_patterns(bad)
    bad.write_text("version: 1\npatterns:\n  - id: frag\n    label: NAME\n"
                   "    reason: a reason long enough\n    regex: '<<nope>>'\n")
    with pytest.raises(PhiPatternError, match=r"unknown fragment <<nope>>"):
        load_phi_patterns(bad)


def test_every_bundled_pattern_has_a_reason_and_fires() -> None:
    spec = load_phi_patterns()
    fired = {f.pattern for t, _, _ in REDACTED for f in redact(t).found}
    fired |= {f.pattern for f in redact(SYNTHETIC).found}
    missing = {p.id for p in spec.patterns} - fired
    assert not missing, f"patterns never exercised by the tables: {sorted(missing)}"


def test_logging_filter_redacts_the_formatted_message() -> None:
    record = logging.LogRecord("curbside.test", logging.WARNING, __file__, 1,
                               "question was %s", (SYNTHETIC,), None)
    assert RedactingFilter().filter(record)
    message = record.getMessage()
    for ident in IDENTIFIERS:
        assert ident not in message
    assert "[EMAIL]" in message


def test_installed_filter_redacts_what_a_handler_writes() -> None:
    import io

    from curbside.privacy import install_redacting_filter

    stream = io.StringIO()
    logger = logging.getLogger("curbside.test.redacting")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(stream))
    try:
        install_redacting_filter(logger)
        install_redacting_filter(logger)  # once per handler
        assert sum(isinstance(f, RedactingFilter) for f in logger.handlers[0].filters) == 1
        logger.warning("unexpected input: %s", SYNTHETIC)
    finally:
        logger.handlers.clear()
    written = stream.getvalue()
    assert "[NAME]" in written and "chest pain" in written
    assert not [i for i in IDENTIFIERS if i in written]
