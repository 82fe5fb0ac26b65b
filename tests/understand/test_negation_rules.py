"""ConText-style negation of findings in questions."""

from __future__ import annotations

import pytest

from curbside.understand.negation import find_negations, negated_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no fever", ["fever"]),
        ("Patient denies chest pain or dyspnea.", ["chest pain", "dyspnea"]),
        ("45M without weight loss, what is the cause of anemia?", ["weight loss"]),
        ("She is not pregnant; is methotrexate safe?", ["pregnant"]),
        ("no fever but has a rash", ["fever"]),
        ("Does not have any fever, chills, or night sweats; cough for 3 weeks", [
            "fever", "chills", "night sweats"]),
        ("Knee pain, no swelling, no redness", ["swelling", "redness"]),
        ("neither fever nor chills", ["fever", "chills"]),
        ("Is MRI useful if the X-ray doesn't show sacroiliitis?", ["sacroiliitis"]),
        # Typed without the apostrophe, or with a curled one: still a negation.
        ("I dont have chest pain", ["chest pain"]),
        # "just" / "only" bring what is present
        ("No fever, just a cough for 3 days", ["fever"]),
        ("I don't have chest pain, only a cough", ["chest pain"]),
        ("She doesn\u2019t have a fever", ["fever"]),
        ("Donuts and chest pain", []),
        ("Fever is absent and PE was ruled out", ["fever", "pe"]),
        ("CT negative for PE, what next?", ["pe"]),
        ("no change in symptoms", []),
        ("not only fever but rash", []),
        ("gram-negative sepsis treatment", []),
        ("whether or not to treat", []),
        ("PE has not been ruled out", []),
        ("chest pain and fever", []),
        ("", []),
    ],
)
def test_negated_terms(text: str, expected: list[str]) -> None:
    assert negated_terms(text) == expected


def test_span_offsets() -> None:
    text = "Adult with back pain, denies fever or weight loss, what imaging?"
    (span,) = find_negations(text)
    assert span.trigger == "denies"
    assert text[span.start : span.end] == span.text == "fever or weight loss"
    assert span.terms == ("fever", "weight loss")


def test_scope_is_bounded() -> None:
    text = "no " + " ".join(f"word{i}" for i in range(40))
    (span,) = find_negations(text)
    assert len(span.text.split()) <= 8
