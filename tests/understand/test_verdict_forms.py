"""Verdicts only where asked (issue 15, item 4): which questions a yes/no verdict answers.

`asks_for_verdict` is the one decision behind the consensus meter and the verdict sentence
("On balance, the evidence in this library supports this."). Consumer questions that look like
yes/no questions but ask for something else get none; yes/no claims and research-title
questions keep it.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from curbside.compose.composer import is_yes_no
from curbside.understand.question import asks_for_verdict, classify_question_types

REPO = Path(__file__).resolve().parents[2]

NOT_YES_NO = [
    "Any thoughts on a mild muscle relaxant?",
    "Anything for a sore throat?",
    "Is there a treatment for gout?",
    "Is there a cure for psoriasis?",
    "Are there any medicines for migraine in children?",
    "Is there a test for Lyme disease?",
    "Can you tell me about lupus?",
    "Could you describe the stages of Parkinson's disease?",
    "Do you have information about B Vitamins",
    "Does anyone know anything about statins?",
    "Are there side effects of metformin?",
    "Are there complications from botulism?",
    "Are certain people at risk of getting vancomycin-resistant enterococci?",
    "What about ibuprofen?",
    "Tell me about gout?",
    "topiramate?",
    "freezing clotrimazole?",
    "problems when stopping metformin, hair loss?",
    "Is fingolimod a drug or a pro-drug?",
]
#: Yes/no questions that still get no verdict: "Can I take X with Y?" reads "safe together" as
#: the affirmative, and the stance model reads a sentence reporting a harm of the combination
#: ("Ibuprofen increases the risk of kidney injury when combined with lisinopril") as support.
COMBINATIONS = [
    "Can I take ibuprofen with lisinopril?",
    "can i take vitamins with rasagiline?",
    "Should metoprolol and lexapro be taken together?",
    "do ursodiol and coconut oil mix?",
    "Is it safe to take tramadol with ibuprofen?",
]
YES_NO = [
    "Does smoking cause lung cancer?",
    "Is ibuprofen safe in pregnancy?",
    "Is it safe to take toradol when breast feeding",
    "Is hypothyroidism a common cause of fatigue?",
    "Is there a link between coffee and atrial fibrillation?",
    "Is cystic fibrosis inherited ?",
    "Can alprazolam lower blood pressure?",
    "Does benazepril aggravate hepatitis?",
    "As of 2019, are gangliosides a target in Alzheimer's disease?",
    "Tocilizumab is an anti-TNF antibody, yes or no?",
]
#: PubMedQA-style research titles (written for this test, not taken from its test set).
TITLE_FORM = [
    "Spinal subdural hematoma: a sequela of a ruptured aneurysm?",
    "Statins after stroke: do they reduce recurrence?",
    "Day-case tonsillectomy in children: is it safe?",
    "Appendicitis in pregnancy--an indication for laparoscopy?",
    "Late-onset asthma. Is obesity a risk factor?",
    "Chronic cough, a symptom of reflux disease in adults?",
]


@pytest.mark.parametrize("text", NOT_YES_NO + COMBINATIONS)
def test_no_verdict_for_questions_that_ask_for_something_else(text: str) -> None:
    c = classify_question_types(text)
    assert not c.verdict, c.reasons
    assert not asks_for_verdict(text)
    assert not is_yes_no(text, "yes_no")  # the composer asks the classifier, not the type


@pytest.mark.parametrize("text", YES_NO + TITLE_FORM)
def test_verdict_for_yes_no_claims_and_research_titles(text: str) -> None:
    assert asks_for_verdict(text), classify_question_types(text).reasons
    assert is_yes_no(text, "other")


def test_requests_and_treatment_questions_are_typed_by_their_topic() -> None:
    assert classify_question_types("Is there a cure for psoriasis?").qtype.value == "treatment"
    assert classify_question_types("Are there side effects of metformin?").qtype.value == (
        "drug_information"
    )
    c = classify_question_types("Do you have information about B Vitamins")
    assert c.qtype.value == "other" and any("request" in r for r in c.reasons)


def test_every_form_has_a_reason() -> None:
    import yaml

    data = yaml.safe_load(
        (REPO / "src/curbside/knowledge/question_forms.yaml").read_text(encoding="utf-8")
    )
    lists = [k for k, v in data.items() if isinstance(v, list)]
    assert set(lists) == {
        "requests", "asks_for_the_thing", "not_yes_no_openings", "combination_questions"
    }
    for key in lists:
        for row in data[key]:
            assert row["reason"].strip() and re.compile(row["pattern"])


def test_hand_labelled_sample_precision() -> None:
    """The 60 hand-labelled MedQuAD / MedicationQA questions the old gate gave a verdict: the
    questions called yes/no now are genuine yes/no questions at least 90% of the time."""
    rows = [
        r.split("\t")
        for r in (REPO / "benchmarks/verdict_labels.tsv").read_text().splitlines()
        if r and not r.startswith("#")
    ][1:]
    assert len(rows) == 60
    called = [int(r[1]) for r in rows if asks_for_verdict(r[2])]
    assert sum(called) / len(called) >= 0.9, (sum(called), len(called))
    # Known misses: two messages whose yes/no opening is followed by the real question, a
    # how-question ("is 600mg of gabapentin a strong dose ? how high can it go?").
    missed = [r[2] for r in rows if r[1] == "0" and asks_for_verdict(r[2])]
    assert len(missed) <= 2 and all(re.search(r"\bhow\b", q) for q in missed), missed


@pytest.mark.data
def test_zero_verdicts_on_medquad_and_medicationqa_non_yes_no(shared_data: Path) -> None:
    """A fixed sample: 2,000 MedQuAD questions of every type but "inheritance" ("Is X inherited
    ?", the one yes/no form there), and every MedicationQA question that opens with a
    wh-word or one of the request / open-ended forms: none gets a verdict."""
    mq = shared_data / "corpus" / "medquad_answers.jsonl.gz"
    mqa = shared_data / "benchmarks" / "medicationqa.jsonl"
    if not mq.is_file() or not mqa.is_file():
        pytest.skip(f"{mq} or {mqa} not found")
    medquad = [json.loads(x) for x in gzip.decompress(mq.read_bytes()).splitlines()]
    pool = sorted({r["question"] for r in medquad if r["qtype"] != "inheritance"})
    sample = random.Random(13).sample(pool, 2000)
    opening = re.compile(
        r"^\W*(?:what|which|who|whom|whose|when|where|why|how|any\s|anything\b|"
        r"do you have information|tell me|is there an? (?:treatment|cure|medicine|test)|"
        r"are there (?:any )?side effects)",
        re.IGNORECASE,
    )
    medqa = [
        json.loads(x)["Question"] for x in mqa.read_text(encoding="utf-8").splitlines() if x
    ]
    consumer = [q for q in medqa if opening.match(q)]
    assert len(consumer) > 250
    wrong = [q for q in sample + consumer if asks_for_verdict(q)]
    assert wrong == []
