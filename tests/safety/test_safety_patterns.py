"""patterns.yaml: versioned, valid, cited to real starter notes; clear errors on bad data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from curbside.safety.patterns import PatternError, load_patterns, parse_patterns
from curbside.starter import notes_dir

REQUIRED = [
    "axial_spondyloarthritis", "cauda_equina_syndrome", "spinal_infection", "spinal_malignancy",
    "acute_coronary_syndrome", "stroke", "subarachnoid_haemorrhage", "bacterial_meningitis",
    "sepsis", "pulmonary_embolism", "ectopic_pregnancy", "testicular_torsion",
    "diabetic_ketoacidosis", "anaphylaxis", "suicide_risk_acute", "upper_gi_bleeding",
    "lower_gi_bleeding", "giant_cell_arteritis",
]


def _note_ids() -> set[str]:
    out: set[str] = set()
    for path in Path(str(notes_dir())).glob("*.md"):
        m = re.search(r"^external_id:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
        assert m, path
        out.add(m.group(1))
    return out


def test_versioned_and_enough_patterns() -> None:
    ps = load_patterns()
    assert ps.version >= 1 and re.match(r"\d{4}-\d{2}-\d{2}", ps.updated)
    assert len([p for p in ps.patterns if p.triggers]) >= 30
    ids = {p.id for p in ps.patterns}
    assert set(REQUIRED) <= ids


def test_every_citation_resolves_to_a_starter_note() -> None:
    notes = _note_ids()
    for p in load_patterns().patterns:
        assert p.citations, p.id
        for ext in p.citations:
            assert ext in notes, f"{p.id}: {ext} is not a starter-library note"


def test_premise_patterns_have_corrections() -> None:
    ps = load_patterns()
    premise = [p for p in ps.patterns if p.premise]
    assert len(premise) >= 5
    axspa = ps.by_id()["axial_spondyloarthritis"]
    assert axspa.premise is not None
    for word in ("MRI", "HLA-B27", "rheumatologist"):
        assert word in axspa.premise.correction
    assert {"ngc:ngc-11034", "ngc:ngc-11188"} <= set(axspa.citations)


def _raw() -> dict[str, object]:
    text = (Path(str(notes_dir())).parent.parent / "knowledge" / "patterns.yaml").read_text()
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(("mutate", "pid", "fld"), [
    (lambda p: p.update(urgency="soon"), "stroke", "urgency"),
    (lambda p: p.update(citations=[]), "stroke", "citations"),
    (lambda p: p["triggers"][0].update(any=["chest pian"]), "stroke", "triggers.0"),
    (lambda p: p.update(colour="red"), "stroke", "colour"),
    (lambda p: p.update(citations=["see NICE"]), "stroke", "citations"),
])
def test_bad_data_names_pattern_and_field(mutate: object, pid: str, fld: str) -> None:
    data = _raw()
    pats = data["patterns"]
    assert isinstance(pats, list)
    target = next(p for p in pats if p["id"] == pid)
    mutate(target)  # type: ignore[operator]
    with pytest.raises(PatternError) as exc:
        parse_patterns(yaml.safe_dump(data))
    msg = str(exc.value)
    assert f"pattern '{pid}'" in msg and fld in msg


def test_duplicate_ids_rejected() -> None:
    data = _raw()
    pats = data["patterns"]
    assert isinstance(pats, list)
    pats.append(dict(pats[0]))
    with pytest.raises(PatternError, match="duplicate id"):
        parse_patterns(yaml.safe_dump(data))
