"""The profile builder's second source: sentences of other MedQuAD pages that name a condition
(benchmarks/condition_profiles.py), and the profiles it built."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import condition_profiles as cp  # noqa: E402  (benchmarks/condition_profiles.py)

PAGES = [
    (
        "medquad:4_MPlus_Health_Topics_QA/0000001-1",
        [
            "Scrotal pain can have many causes.",
            "Testicular torsion causes sudden, severe pain in the scrotum and needs surgery.",
        ],
    ),
    (
        "medquad:2_GARD_QA/0000002-2",
        [
            "Signs and Symptoms Approximate number of patients (when available) Cryptorchidism "
            "90% Testicular torsion 90% Thin skin 50% Short stature 50%",
            "Testicular torsions were reported in two brothers.",
        ],
    ),
    ("medquad:5_NIDDK_QA/0000003-1", ["A twisted testis (testicular torsion) is treated."]),
]


def test_sentences_naming_a_condition_come_symptoms_first_without_feature_lists() -> None:
    got = cp.naming_sentences(("Testicular torsion",), PAGES, skip=set())
    texts = [g["text"] for g in got]
    assert texts[0].startswith("Testicular torsion causes sudden, severe pain")
    assert not any("Approximate number" in t for t in texts)  # a syndrome's feature list
    assert "Testicular torsions were reported in two brothers." in texts  # plural form
    assert "Scrotal pain can have many causes." not in texts
    assert {g["cite"] for g in got} <= {cid for cid, _ in PAGES}
    # a page the condition already cites is not quoted twice
    skipped = cp.naming_sentences(
        ("Testicular torsion",), PAGES, skip={"medquad:4_MPlus_Health_Topics_QA/0000001-1"}
    )
    assert all(g["cite"] != "medquad:4_MPlus_Health_Topics_QA/0000001-1" for g in skipped)


def test_short_names_match_only_in_capitals() -> None:
    rx = cp.name_pattern(("AAA", "abdominal aortic aneurysm"))
    assert rx.search("An AAA may rupture.") and rx.search("Abdominal Aortic Aneurysms grow.")
    assert not rx.search("the aaa battery")


def test_a_short_name_with_another_meaning_does_not_make_a_page_about_the_condition() -> None:
    pages = [("medquad:5_NIDDK_QA/0000011-2",
              ["The HHS has identified 29 cases of CJD among people who received hGH."]),
             ("medquad:5_NIDDK_QA/0000012-1",
              ["A hyperosmolar hyperglycemic state causes severe dehydration and confusion."])]
    names = ("Hyperosmolar hyperglycemic state", "HHS")
    texts = [g["text"] for g in cp.naming_sentences(names, pages, skip=set())]
    assert texts == ["A hyperosmolar hyperglycemic state causes severe dehydration and "
                     "confusion."]
    # an abbreviation without another meaning still names the condition on its own
    dvt = cp.naming_sentences(("Deep vein thrombosis", "DVT"),
                              [("medquad:4_MPlus_Health_Topics_QA/0000256-1",
                                ["A DVT can cause leg pain and swelling."])], skip=set())
    assert [g["text"] for g in dvt] == ["A DVT can cause leg pain and swelling."]


def test_no_profile_quotes_the_department_of_health_and_human_services() -> None:
    text = (resources.files("curbside") / "knowledge" / "condition_profiles.jsonl").read_text(
        encoding="utf-8")
    for line in text.splitlines():
        p = json.loads(line)
        assert not any("HHS" in s["text"] for s in p["sentences"]), p["name"]


def test_every_profile_sentence_cites_a_source_of_the_library_kind() -> None:
    text = (resources.files("curbside") / "knowledge" / "condition_profiles.jsonl").read_text(
        encoding="utf-8"
    )
    rows = [json.loads(line) for line in text.splitlines() if line]
    assert len(rows) >= 300
    for r in rows:
        assert len(r["sentences"]) <= 12
        for s in r["sentences"]:
            assert s["cite"].startswith(("medquad:", "ngc:")) and s["text"].strip()


DATA = REPO.parent / "shared" / "data"


@pytest.mark.data
@pytest.mark.skipif(not (DATA / "corpus").is_dir(), reason="../shared/data is absent")
def test_every_profile_sentence_is_quoted_from_the_page_it_cites() -> None:
    pages = {
        f"medquad:{d['collection']}/{d['qid']}": d
        for d in cp.read_jsonl(DATA / "corpus" / "medquad_answers.jsonl.gz")
    }
    titles = {
        f"ngc:{g['ngc_id']}": " ".join(g["title"].split())
        for g in cp.read_jsonl(DATA / "corpus" / "guidelines_ngc.jsonl.gz")
    }
    text = (resources.files("curbside") / "knowledge" / "condition_profiles.jsonl").read_text(
        encoding="utf-8"
    )
    bad = []
    for row in map(json.loads, text.splitlines()):
        for s in row["sentences"]:
            cid = s["cite"]
            if cid in titles:
                ok = s["text"] == titles[cid]
            else:
                ok = cid in pages and s["text"] in cp.sentences(pages[cid]["answer"])
            if not ok:
                bad.append((row["name"], cid))
    assert bad == []
