"""The coded differential over the urgency table (curbside.safety.differential)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from curbside.knowledge_files import KnowledgeError, knowledge_text, parse_knowledge
from curbside.safety import differential
from curbside.safety.differential import (
    DEFAULT_PARAMS,
    FEATURES,
    REFERENCE_FEATURES,
    CaseContext,
    CuesFile,
    DenseReference,
    RankedCondition,
    affirmed_text,
    condition_documents,
    dense_scores,
    differential_level,
    load_cues,
    load_reranker,
    parse_reranker,
    rank_conditions,
    reranker_json,
    states_complaint,
)
from curbside.safety.triage import triage
from curbside.understand.findings import extract_findings

MI = ("58 year old man with crushing central chest pain radiating to the left arm and jaw for "
      "an hour, sweating and nausea. No fever, no cough.")


def test_myocardial_infarction_ranks_high_and_cites_its_sentences() -> None:
    ranked = rank_conditions(extract_findings(MI))
    names = [r.name for r in ranked]
    assert "Myocardial infarction" in names[:5]
    mi = ranked[names.index("Myocardial infarction")]
    assert mi.icd10cm == "I21.9" and mi.level == "emergency"
    assert mi.matched and all(m["cite"] in mi.citations for m in mi.matched)
    assert abs(sum(r.probability for r in rank_conditions(extract_findings(MI), k=1000)) - 1) < 1e-6


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
    # one whose sources name no finding does, on its probability alone, when the case states
    # a finding; in a text that states none nothing can be judged, so nothing is plausible
    unprofiled = replace(_rc("emergency", 0.9), supported_by=(), profiled=False)
    assert differential_level([unprofiled]) == "emergency"
    assert differential_level([replace(unprofiled, case_findings=False)]) is None


@pytest.mark.parametrize(("text", "complaint"), [
    ("What is the class for insulin glargine?", False),  # "diabetes": a history only
    ("Type 2 diabetic, smoker, on warfarin.", False),
    ("Diabetic with vomiting since last night.", True),
    ("Pale with a weak pulse.", True),
])
def test_only_a_symptom_or_sign_makes_an_unprofiled_condition_plausible(
        text: str, complaint: bool) -> None:
    f = extract_findings(text)
    assert states_complaint(f) is complaint
    unprofiled = [r for r in rank_conditions(f, k=50) if not r.profiled]
    assert unprofiled, "an unprofiled condition among the candidates"
    assert all(r.plausible is complaint for r in unprofiled if not r.supported_by)


def test_negated_findings_are_no_complaint() -> None:
    assert not states_complaint(extract_findings("No fever, no vomiting, no abdominal pain."))
    assert states_complaint(extract_findings("Fever, no vomiting."))


@pytest.mark.parametrize("question", ["what is the maximum dose of pregabalin",
                                      "What is the mode of action of primaquine?",
                                      "what is prevnar >65"])
def test_a_question_that_states_no_finding_is_not_raised_by_the_differential(
        question: str) -> None:
    f = extract_findings(question)
    assert not f.present()
    ranked = rank_conditions(f)
    assert ranked and not any(r.plausible for r in ranked)
    assert differential_level(ranked) is None
    assert triage(question).urgency not in ("urgent", "emergency")


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
        assert "Myocardial infarction" in names[:5]
        assert all(m["cite"] for x in body["diagnoses"] for m in x["matched"])


# -- age, sex, duration and vital signs in the re-ranker (differential_cues.yaml) ---------------

def _features_of(text: str) -> dict[str, dict[str, float]]:
    feats: list[tuple[str, tuple[float, ...]]] = []
    rank_conditions(extract_findings(text), k=50, rerank=False, features_out=feats)
    return {name: dict(zip(FEATURES, x, strict=True)) for name, x in feats}


def test_the_case_context_reads_age_band_sex_duration_and_red_vitals() -> None:
    child = CaseContext.of(extract_findings(
        "4 year old boy with a barking cough and noisy breathing since last night, "
        "temperature 38.2 C."))
    assert child.child and not child.adult and not child.older and child.sex == "male"
    assert child.acute and not child.chronic and not child.red_vitals
    old = CaseContext.of(extract_findings(
        "72 year old woman with aching knees for 6 months, worse after walking."))
    assert old.adult and old.older and not old.child and old.sex == "female"
    assert old.chronic and not old.acute
    sick = CaseContext.of(extract_findings(
        "45 year old man, breathless for two days, oxygen saturation 86% on air."))
    assert sick.red_vitals and sick.acute
    unknown = CaseContext.of(extract_findings("Itchy rash on the arms."))
    assert not (unknown.child or unknown.adult or unknown.acute or unknown.chronic)


def test_age_cues_of_a_condition_are_read_against_the_case_age() -> None:
    text = ("{age} year old with fever and a sore throat for two days, painful swallowing, "
            "swollen glands in the neck. No cough.")
    kid, adult = _features_of(text.format(age=5)), _features_of(text.format(age=40))
    both = set(kid) & set(adult)
    child_cued = [n for n in both if kid[n]["child_case_child_cue"]]
    assert child_cued, "some candidate's sources speak of children"
    for n in child_cued:
        assert adult[n]["child_case_child_cue"] == 0 and adult[n]["adult_case_child_cue"] == 1
    assert all(v["acute_case_chronic_cue"] in (0, 1) for v in kid.values())
    # the urgency level is a feature, and weighs with acuteness
    for v in kid.values():
        assert v["acute_case_level"] == v["level"]


def test_case_coverage_is_the_share_of_stated_findings_a_condition_explains() -> None:
    feats = _features_of("Cough, fever and chest pain on breathing for three days. "
                         "No rash, no headache.")
    for v in feats.values():
        assert 0 <= v["case_coverage"] < 1 and 0 <= v["absent_share"] < 1
    assert max(v["case_coverage"] for v in feats.values()) > 0


def test_the_cues_file_is_checked_and_errors_name_the_cue_and_field() -> None:
    cues = load_cues()
    assert {c.id for c in cues.cues} == {"child", "older", "female", "male", "acute", "chronic"}
    assert cues.case.child_under_years.value == 16
    bad = knowledge_text("differential_cues.yaml").replace(
        "pattern: '\\b(?:sudden", "pattern: '\\b(?:(sudden", 1)
    with pytest.raises(KnowledgeError, match=r"cue 'acute', field 'pattern'"):
        parse_knowledge(bad, CuesFile, name="differential_cues.yaml", labels={"cues": "cue"})


def test_a_child_cue_is_found_in_a_profile_that_speaks_of_children() -> None:
    rx = next(re.compile(c.pattern, re.IGNORECASE) for c in load_cues().cues if c.id == "child")
    assert rx.search("It is most common in children under 5 years of age.")
    assert not rx.search("Most people recover in a week.")


def test_condition_documents_are_one_per_condition_with_names_and_sentences() -> None:
    names, docs = condition_documents()
    assert len(names) == len(docs) == len(set(names)) >= 300
    i = names.index("Acute appendicitis")
    assert docs[i].startswith("Acute appendicitis") and "right" in docs[i]


# -- MiniLM similarity: the second retriever and the dense features ---------------------------

def test_the_bundled_condition_vectors_match_the_documents_and_the_embedder() -> None:
    """A stale file would be recomputed at first use (minutes): rebuild it with
    benchmarks/condition_profiles.py --vectors when the profiles or the table change."""
    emb = differential._embedder()
    assert emb is not None, "the bundled MiniLM is a declared dependency"
    assert differential.load_condition_vectors().shape == (len(condition_documents()[0]), 384)
    names, docs = condition_documents()
    path = resources.files("curbside") / "knowledge" / differential.VECTORS_FILE
    with path.open("rb") as fh, np.load(fh) as z:
        assert list(z["names"]) == names
        assert str(z["documents_sha256"]) == differential._documents_sha256(docs)
        assert str(z["fingerprint"]) == emb.fingerprint
        assert z["vectors"].shape == (len(names), emb.dim)
        # the stored vectors are the embedder's, to float16 precision
        i = names.index("Acute appendicitis")
        fresh = emb.embed([docs[i]])[0]
        assert float(np.asarray(z["vectors"][i], dtype=np.float32) @ fresh) > 0.99


def test_minilm_brings_candidates_bm25_misses_and_reads_as_features() -> None:
    # bm25 sees none of these words in the documents of stye or conjunctivitis; MiniLM does
    text = "My eyelid has a small tender red lump at the edge near the lashes since yesterday."
    feats = _features_of(text)
    bm25_only = {n for n, v in feats.items() if v["bm25"] > 0}
    dense_only = {n for n, v in feats.items() if v["bm25"] == 0}
    assert dense_only and bm25_only, "the candidates are the union of both retrievers"
    for v in feats.values():
        assert -1 <= v["dense_cos"] <= 1 and v["dense_gap"] >= 0 and v["dense_rank"] >= 0
    best = min(feats.values(), key=lambda v: v["dense_rank"])
    assert best["dense_gap"] == 0 and best["dense_rank"] == 0
    names = [r.name for r in rank_conditions(extract_findings(text), k=10)]
    assert "Stye" in names


def test_a_missing_vectors_file_is_computed_not_ignored(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def embed_all(emb: object) -> np.ndarray:  # the real embedding takes minutes on one core
        calls.append(1)
        return np.zeros((len(condition_documents()[0]), 384), dtype=np.float32)

    monkeypatch.setattr(differential, "VECTORS_FILE", "no_such_file.npz")
    monkeypatch.setattr(differential, "embed_condition_documents", embed_all)
    differential._condition_vectors.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="curbside.safety.differential"):
            vectors = differential._condition_vectors()
        assert calls == [1] and vectors is not None
        assert "no_such_file.npz: is missing" in caplog.text
    finally:
        differential._condition_vectors.cache_clear()


def test_stale_vectors_are_refused_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(differential, "_documents_sha256", lambda docs: "another hash")
    with pytest.raises(ValueError, match=r"condition_vectors\.npz: field 'documents_sha256'"):
        differential.load_condition_vectors()


# -- the dense reference: MiniLM cosine read against how near a document comes to any case ----

def test_a_document_near_every_case_counts_only_where_it_is_nearer_than_usual() -> None:
    # condition 0 is a hub: near every reference case; condition 1 is near only some
    ref = DenseReference.of(np.array([[0.50, 0.10, 0.20], [0.40, 0.30, 0.20],
                                      [0.60, 0.20, 0.20]]))
    assert ref.cases == 3 and np.allclose(ref.mean, [0.5, 0.2, 0.2])
    table = ref.table(np.array([0.55, 0.45, 0.10]))
    rel, gap, rank, z = table.T
    assert int(np.argmax([0.55, 0.45, 0.10])) == 0  # raw cosine: the hub first
    assert np.allclose(rel, [0.05, 0.25, -0.10]) and int(np.argmax(rel)) == 1
    assert np.allclose(gap, [0.20, 0.0, 0.35]) and np.allclose(np.expm1(rank), [1, 0, 2])
    assert np.allclose(z, rel / ref.sd)
    with pytest.raises(ValueError, match="two or more cases"):
        DenseReference.of(np.array([[0.1, 0.2, 0.3]]))


def test_the_bundled_reranker_reads_the_cosine_against_its_reference() -> None:
    model = load_reranker()
    assert model is not None and model.reference is not None
    names = condition_documents()[0]
    assert model.reference.mean.shape == model.reference.sd.shape == (len(names),)
    assert model.reference.cases >= 100 and (model.reference.sd > 0).all()
    assert FEATURES[-len(REFERENCE_FEATURES):] == REFERENCE_FEATURES
    f = extract_findings(MI)
    feats: list[tuple[str, tuple[float, ...]]] = []
    rank_conditions(f, k=50, features_out=feats)
    cos = dense_scores(f)
    assert cos is not None
    table = model.reference.table(cos)
    for name, x in feats:
        assert np.allclose(x[-len(REFERENCE_FEATURES):], table[names.index(name)])
    # without a re-ranker the features are 0: a fit computes them against its own reference
    bare: list[tuple[str, tuple[float, ...]]] = []
    rank_conditions(f, k=50, rerank=False, features_out=bare)
    assert all(x[-len(REFERENCE_FEATURES):] == (0.0,) * len(REFERENCE_FEATURES)
               for _, x in bare)


def test_a_model_whose_reference_is_stale_or_missing_is_refused_naming_the_field() -> None:
    model = load_reranker()
    assert model is not None
    raw = reranker_json(model)
    assert parse_reranker(raw).weights == model.weights
    stale = json.loads(json.dumps(raw))
    stale["dense_reference"]["documents_sha256"] = "0" * 64
    with pytest.raises(ValueError, match=r"field 'dense_reference\.documents_sha256'"):
        parse_reranker(stale)
    short = json.loads(json.dumps(raw))
    short["dense_reference"]["sd"] = short["dense_reference"]["sd"][:-1]
    with pytest.raises(ValueError, match=r"field 'dense_reference\.sd': one number per"):
        parse_reranker(short)
    del raw["dense_reference"]
    with pytest.raises(ValueError, match=r"field 'dense_reference': missing"):
        parse_reranker(raw)
