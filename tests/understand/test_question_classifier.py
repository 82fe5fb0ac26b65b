"""Question-type rules: yes/no detection, topic cues, and the BioASQ yes/no benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curbside.understand.question import (
    QuestionType,
    classify_question,
    classify_question_types,
)

QT = QuestionType


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Is liraglutide effective for weight reduction?", QT.YES_NO),
        ("Does gepotidacin activate bacterial topoisomerase?", QT.YES_NO),
        ("Can miR-122 target RUNX2?", QT.YES_NO),
        ("Should statins be stopped before surgery?", QT.YES_NO),
        ("Has the FDA approved a vaccine for RSV?", QT.YES_NO),
        ("As of 2019, are gangliosides a target in Alzheimer's disease?", QT.YES_NO),
        ("Tocilizumab is an anti-TNF antibody, yes or no?", QT.YES_NO),
        ("\u0391re plants the original source of curare?", QT.YES_NO),  # Greek capital alpha
        ("Is fingolimod a drug or a pro-drug?", QT.OTHER),
        ("Is METTL3 an m6A writer, reader or eraser?", QT.OTHER),
        ("Is it worth treating or not?", QT.YES_NO),
        ("Is aspirin safe in pregnancy or breastfeeding?", QT.YES_NO),
        ("Should I take ibuprofen or paracetamol?", QT.DRUG_INFORMATION),
        ("Life expectancy after a diagnosis of ALS", QT.PROGNOSIS),
        ("Can you summarize myasthenia gravis?", QT.OTHER),
        ("How to treat acute gout?", QT.TREATMENT),
        ("What is the drug of choice for syphilis in pregnancy?", QT.TREATMENT),
        ("First-line management of axial spondyloarthritis", QT.TREATMENT),
        ("How is giant cell arteritis diagnosed?", QT.DIAGNOSIS),
        ("Work-up of a thyroid nodule", QT.DIAGNOSIS),
        ("How to tell a migraine from a tension headache?", QT.DIAGNOSIS),
        ("What is the prognosis of glioblastoma?", QT.PROGNOSIS),
        ("How common is psoriatic arthritis?", QT.PREVALENCE),
        ("Incidence of Lyme disease in Europe", QT.PREVALENCE),
        ("What causes kidney stones?", QT.ETIOLOGY),
        ("Risk factors for hip fracture in older women", QT.ETIOLOGY),
        ("Why does my back hurt in the morning?", QT.ETIOLOGY),
        ("What is hemochromatosis?", QT.DEFINITION),
        ("Define spondyloarthritis", QT.DEFINITION),
        ("What is the usual dose of methotrexate in RA?", QT.DRUG_INFORMATION),
        ("Side effects of adalimumab", QT.DRUG_INFORMATION),
        ("Interactions between warfarin and amiodarone", QT.DRUG_INFORMATION),
        ("Can I take ibuprofen with lisinopril?", QT.DRUG_INFORMATION),
        ("Which enzyme is deficient in Wolman disease?", QT.OTHER),
        ("", QT.OTHER),
    ],
)
def test_primary_type(text: str, expected: QuestionType) -> None:
    assert classify_question(text) is expected


def test_secondary_types() -> None:
    c = classify_question_types("Is methotrexate effective for treating psoriatic arthritis?")
    assert c.qtype is QT.YES_NO
    assert QT.TREATMENT in c.secondary
    assert QT.YES_NO not in c.secondary
    assert c.reasons

    c = classify_question_types("Can I take naproxen while on warfarin?")
    assert c.qtype is QT.DRUG_INFORMATION
    assert QT.YES_NO in c.secondary
    assert len(set(c.types)) == len(c.types)


def test_question_type_values() -> None:
    assert {t.value for t in QT} == {
        "yes_no", "diagnosis", "treatment", "prognosis", "prevalence", "etiology", "definition",
        "drug_information", "other",
    }


@pytest.mark.parametrize("text", ["\x00\x01", "?" * 50, "or or or?", "Is" + " x" * 5000, "是否"])
def test_odd_input(text: str) -> None:
    assert isinstance(classify_question(text), QuestionType)


@pytest.mark.data
def test_bioasq_yes_no_precision_recall(shared_data: Path) -> None:
    path = shared_data / "benchmarks" / "bioasq" / "questions_dev.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    tp = fp = fn = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            predicted = classify_question(row["question"]) is QT.YES_NO
            actual = row["type"] == "yesno"
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
    assert tp > 100
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.9, precision
    assert recall >= 0.9, recall
