"""The coded differential over the urgency table (curbside.safety.differential)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from curbside.safety.differential import (
    DEFAULT_PARAMS,
    RankedCondition,
    affirmed_text,
    differential_level,
    rank_conditions,
)
from curbside.safety.triage import triage
from curbside.understand.findings import extract_findings

MI = ("58 year old man with crushing central chest pain radiating to the left arm and jaw for "
      "an hour, sweating and nausea. No fever, no cough.")


def test_myocardial_infarction_ranks_high_and_cites_its_sentences() -> None:
    ranked = rank_conditions(extract_findings(MI))
    names = [r.name for r in ranked]
    assert "Myocardial infarction" in names[:3]
    mi = ranked[names.index("Myocardial infarction")]
    assert mi.icd10cm == "I21.9" and mi.level == "emergency"
    assert mi.matched and all(m["cite"] in mi.citations for m in mi.matched)
    assert abs(sum(r.probability for r in rank_conditions(extract_findings(MI), k=50)) - 1) < 1e-6


def test_negated_findings_are_not_part_of_the_query() -> None:
    text = affirmed_text(extract_findings("Cough for a week. No fever or chills."))
    assert "Cough" in text and "fever" not in text and "chills" not in text


def test_absent_findings_count_against_a_condition() -> None:
    with_neg = rank_conditions(extract_findings(
        "Cough and fever for three days with chest pain on breathing. No shortness of breath."),
        k=50)
    against = {r.name: r.absent for r in with_neg}
    assert any("shortness of breath" in a for a in against.values())


def test_conditions_of_the_other_sex_are_dropped() -> None:
    male = rank_conditions(extract_findings("30 year old man with lower abdominal pain and "
                                            "vaginal bleeding, pregnancy test positive"), k=50)
    assert not any(r.icd10cm.startswith("O") for r in male)
    female = rank_conditions(extract_findings("25 year old woman with sudden severe pain in "
                                              "the testis and scrotum"), k=50)
    assert "Testicular torsion" not in [r.name for r in female]


def _rc(level: str, p: float) -> RankedCondition:
    return RankedCondition(name=level, icd10cm="R69", level=level, score=1.0, probability=p,
                           matched=(), citations=(), supported_by=("fever",))


def test_a_plausible_emergency_raises_urgency_even_when_not_first() -> None:
    em = DEFAULT_PARAMS.emergency_threshold
    possible = DEFAULT_PARAMS.possible_emergency_threshold
    ranked = [_rc("routine", 1 - em), _rc("emergency", em)]
    assert differential_level(ranked) == "emergency"
    ranked = [_rc("routine", 1 - possible), _rc("emergency", possible)]
    assert differential_level(ranked) == ("urgent" if possible < em else "emergency")
    assert differential_level([_rc("self-care", 1.0)]) is None
    # only the top k count
    tail = [_rc("routine", 0.0)] * DEFAULT_PARAMS.top_k + [_rc("emergency", 0.9)]
    assert differential_level(tail) is None
    assert differential_level([replace(_rc("emergency", 0.9), level="urgent")]) == "urgent"
    # a condition no stated finding supports does not raise urgency
    assert differential_level([replace(_rc("emergency", 0.9), supported_by=())]) is None


def test_triage_carries_the_differential_and_what_to_do() -> None:
    r = triage(MI)
    assert r.urgency == "emergency"
    d = r.to_dict()
    assert d["diagnoses"] and {"name", "icd10cm", "urgency", "probability", "matched"} <= set(
        d["diagnoses"][0])
    assert d["what_to_do"].startswith("Call emergency services now")


def test_cli_and_api_show_the_differential(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from curbside import services
    from curbside.app import create_app
    from curbside.cli import app
    from curbside.config import Settings

    r = CliRunner().invoke(app, ["triage", MI, "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["urgency"] == "emergency" and d["diagnoses"][0]["icd10cm"]
    r = CliRunner().invoke(app, ["triage", MI, "--patient"])
    assert r.exit_code == 0 and "Differential" in r.output and "Call emergency" in r.output
    rt = services.open_runtime(Settings(home=tmp_path / "home"))
    with TestClient(create_app(runtime=rt)) as c:
        body = c.post("/api/v1/triage", json={"text": MI, "audience": "patient"}).json()
        assert body["what_to_do"].startswith("Call emergency services now")
        names = [x["name"] for x in body["diagnoses"]]
        assert "Myocardial infarction" in names[:3]
        assert all(m["cite"] for x in body["diagnoses"] for m in x["matched"])
