"""The cited urgency table (knowledge/urgency.yaml): schema, coverage, codes and citations."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from curbside.safety.urgency import load_urgency_table, name_key, parse_urgency_table
from curbside.starter import notes_dir

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
VIGNETTES = DATA / "benchmarks" / "triage" / "avey_vignettes.jsonl"
needs_data = pytest.mark.skipif(not (DATA / "corpus").is_dir(),
                                reason="development data ../shared/data is absent")


def test_table_has_at_least_300_conditions_and_every_level() -> None:
    t = load_urgency_table()
    assert len(t) >= 300
    assert {c.level for c in t.conditions} == {"emergency", "urgent", "routine", "self-care"}


@pytest.mark.parametrize("name", [
    "myocardial infarction", "stroke", "sepsis", "bacterial meningitis", "anaphylaxis",
    "ectopic pregnancy", "pulmonary embolism", "diabetic ketoacidosis", "testicular torsion",
    "epiglottitis", "aortic dissection", "subarachnoid hemorrhage", "acute appendicitis",
])
def test_time_critical_conditions_are_emergencies(name: str) -> None:
    c = load_urgency_table().lookup(name)
    assert c is not None and c.level == "emergency", name


@pytest.mark.parametrize(("name", "level"), [
    ("common cold", "self-care"), ("sunburn", "self-care"), ("hypertension", "routine"),
    ("pyelonephritis", "urgent"), ("Crohn's Disease", "routine"),
])
def test_levels_of_common_conditions(name: str, level: str) -> None:
    c = load_urgency_table().lookup(name)
    assert c is not None and c.level == level


def test_lookup_ignores_case_and_punctuation() -> None:
    t = load_urgency_table()
    assert name_key("Crohn's Disease") == "crohn disease"
    assert t.lookup("DIABETIC KETOACIDOSIS") is t.lookup("dka")


def _raw() -> dict[str, Any]:
    return {"conditions": [{"name": "Sepsis", "icd10cm": "A41.9", "level": "emergency",
                            "reason": "organ failure", "citations": ["ngc:ngc-1"]}]}


@pytest.mark.parametrize(("change", "field"), [
    (lambda c: c.update(level="soon"), "level"),
    (lambda c: c.update(icd10cm="sepsis"), "icd10cm"),
    (lambda c: c.update(reason=""), "reason"),
    (lambda c: c.update(citations=[]), "citations"),
    (lambda c: c.update(citations=["see NICE"]), "citations.0"),
    (lambda c: c.update(colour="red"), "colour"),
    (lambda c: c.update(synonyms="septicaemia"), "synonyms"),
])
def test_loader_names_the_entry_and_field_it_rejects(change: Any, field: str) -> None:
    raw = _raw()
    change(raw["conditions"][0])
    with pytest.raises(ValueError, match=rf"condition 'Sepsis', field '{re.escape(field)}'"):
        parse_urgency_table(yaml.safe_dump(raw))


def test_uncited_row_must_say_why_and_duplicate_names_are_rejected() -> None:
    raw = _raw()
    raw["conditions"][0].update(citations=[], uncited="no page in the corpus")
    assert len(parse_urgency_table(yaml.safe_dump(raw))) == 1
    raw["conditions"].append({"name": "Septicaemia", "icd10cm": "A41.9", "level": "emergency",
                              "reason": "x", "synonyms": ["sepsis"], "citations": ["ngc:ngc-2"]})
    with pytest.raises(ValueError, match=r"'Septicaemia', field 'synonyms.0'.*'Sepsis'"):
        parse_urgency_table(yaml.safe_dump(raw))


def test_icd10cm_codes_exist() -> None:
    icd = pytest.importorskip("simple_icd_10_cm", reason="simple-icd-10-cm is not installed")
    bad = [(c.name, c.icd10cm) for c in load_urgency_table().conditions
           if not icd.is_valid_item(c.icd10cm)]
    assert not bad


@needs_data
def test_every_vignette_diagnosis_is_in_the_table() -> None:
    t = load_urgency_table()
    names = {json.loads(line)["correct_diagnosis"] for line in VIGNETTES.open(encoding="utf-8")}
    assert sorted(n for n in names if t.lookup(n) is None) == []


AMBIGUOUS = "\0ambiguous"


@cache
def _library() -> dict[str, str]:
    """External id -> the text that must name the condition (focus + answer, or NGC fields)."""
    out: dict[str, str] = {}
    with gzip.open(DATA / "corpus" / "medquad_answers.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            key = f"medquad:{d['collection']}/{d['qid']}"
            # a few CancerGov qids name several pages: such an id identifies nothing
            out[key] = AMBIGUOUS if key in out else f"{d.get('focus')} {d['answer']}"
    with gzip.open(DATA / "corpus" / "guidelines_ngc.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            g = json.loads(line)
            out[f"ngc:{g['ngc_id']}"] = " ".join(
                str(g.get(k) or "") for k in ("title", "disease_condition",
                                             "major_recommendations"))
    return out


def _starter_ids() -> set[str]:
    ids = set()
    for path in Path(str(notes_dir())).glob("*.md"):
        m = re.search(r"^external_id:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
        if m:
            ids.add(m.group(1))
    return ids


@needs_data
def test_every_citation_exists_and_names_its_condition() -> None:
    lib, starter = _library(), _starter_ids()
    missing, unrelated = [], []
    for c in load_urgency_table().conditions:
        keys = [name_key(n) for n in c.names]
        for cid in c.citations:
            if cid not in lib:
                if cid not in starter:
                    missing.append((c.name, cid))
                continue
            if lib[cid] == AMBIGUOUS:
                unrelated.append((c.name, cid))
                continue
            text = " " + name_key(lib[cid]) + " "
            if not any(f" {k} " in text or f" {k}s " in text or f" {k}es " in text
                       for k in keys):
                unrelated.append((c.name, cid))
    assert not missing
    assert not unrelated


def test_most_conditions_are_cited() -> None:
    t = load_urgency_table()
    uncited = [c.name for c in t.conditions if not c.citations]
    assert len(t) - len(uncited) >= 300, uncited
