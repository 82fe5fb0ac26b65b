"""`curbside eval retrieval`: the standard gain, the content-hash cache, the TREC run file, and
that every method goes through the shipped search path."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curbside.cli import app
from curbside.config import Settings
from curbside.eval.retrieval import ndcg_at, score_ranking
from curbside.services import open_runtime
from curbside.services.evaluation import eval_home, open_beir_runtime

DOCS = [
    (
        "d1",
        "Metformin and lactic acidosis",
        "Metformin rarely causes lactic acidosis in renal failure.",
    ),
    (
        "d2",
        "Statins in the elderly",
        "Statin therapy lowers cardiovascular events in older adults.",
    ),
    (
        "d3",
        "Aspirin for prevention",
        "Low-dose aspirin for primary prevention raises bleeding risk.",
    ),
    ("d4", "Asthma inhalers", "Inhaled corticosteroids reduce asthma exacerbations in children."),
]


def beir_dir(root: Path, docs: list[tuple[str, str, str]] = DOCS) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in docs)
    )
    queries = [("q1", "does metformin cause lactic acidosis"), ("q2", "aspirin bleeding risk")]
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in queries)
    )
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq2\td3\t1\n")
    return root


def test_ndcg_uses_the_grade_as_gain_like_trec_eval() -> None:
    ranked = ["a", "b", "c"]
    rels = {"a": 2, "c": 1, "d": 3, "e": 0}
    # DCG = 2/log2(2) + 0/log2(3) + 1/log2(4); ideal order d(3), a(2), c(1).
    dcg = 2 / 1 + 1 / 2
    idcg = 3 / 1 + 2 / math.log2(3) + 1 / 2
    assert ndcg_at(ranked, rels) == pytest.approx(dcg / idcg)
    assert ndcg_at(ranked, rels) == pytest.approx(0.52500, abs=1e-5)
    # The exponential column: gains 2^grade - 1 (3, 0, 1 against 7, 3, 1).
    exp = (3 / 1 + 1 / 2) / (7 / 1 + 3 / math.log2(3) + 1 / 2)
    assert ndcg_at(ranked, rels, exponential=True) == pytest.approx(exp)
    assert ndcg_at(ranked, rels, exponential=True) == pytest.approx(0.37263, abs=1e-5)
    # Binary qrels: both gains agree.
    assert ndcg_at(["x", "y"], {"y": 1}) == ndcg_at(["x", "y"], {"y": 1}, exponential=True)
    assert ndcg_at(["x"], {}) == 0.0
    scores = score_ranking(ranked, rels)
    assert scores["recall@10"] == pytest.approx(2 / 3) and scores["mrr"] == 1.0


def test_eval_home_is_keyed_by_corpus_content_and_index_settings(tmp_path: Path) -> None:
    rt = open_runtime(Settings(home=tmp_path / "home"))
    try:
        a = beir_dir(tmp_path / "a" / "nfcorpus")
        b = beir_dir(tmp_path / "elsewhere" / "copy")
        c = beir_dir(tmp_path / "c" / "nfcorpus", DOCS[:3])
        assert eval_home(rt, a / "corpus.jsonl") == eval_home(rt, b / "corpus.jsonl")
        assert eval_home(rt, a / "corpus.jsonl") != eval_home(rt, c / "corpus.jsonl")
        other = open_runtime(
            rt.settings.model_copy(
                update={"embedder": rt.settings.embedder.model_copy(update={"max_tokens": 128})}
            )
        )
        try:
            assert eval_home(other, a / "corpus.jsonl") != eval_home(rt, a / "corpus.jsonl")
        finally:
            other.close()
        # Query-time knobs do not shape the index: same cache.
        knob = rt.settings.model_copy(
            update={"retrieval": rt.settings.retrieval.model_copy(update={"candidates": 300})}
        )
        assert knob.fingerprint() == rt.settings.fingerprint()
    finally:
        rt.close()


def test_same_corpus_under_another_path_is_not_ingested_again(tmp_path: Path) -> None:
    rt = open_runtime(Settings(home=tmp_path / "home"))
    try:
        first, _data = open_beir_runtime(rt, beir_dir(tmp_path / "a" / "set"))
        home = first.settings.home
        stats = first.store.stats()
        first.close()
        db = home / "curbside.db"
        before = db.stat().st_mtime_ns
        second, data = open_beir_runtime(rt, beir_dir(tmp_path / "b" / "moved"))
        try:
            assert second.settings.home == home
            assert second.store.stats() == stats  # nothing added, nothing re-versioned
            assert set(data.queries) == {"q1", "q2"}
        finally:
            second.close()
        assert db.stat().st_mtime_ns >= before
        assert len(list((rt.settings.home / "eval").iterdir())) == 1
    finally:
        rt.close()


def test_cli_runs_the_shipped_search_and_writes_a_trec_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURBSIDE_HOME", str(tmp_path / "home"))
    beir = beir_dir(tmp_path / "tiny")
    run = tmp_path / "out" / "learned.run"
    res = CliRunner().invoke(
        app,
        [
            "eval",
            "retrieval",
            "--beir",
            str(beir),
            "--json",
            "--out",
            str(tmp_path / "o"),
            "--run-file",
            str(run),
        ],
    )
    assert res.exit_code == 0, res.output
    metrics = json.loads(res.output)
    assert set(metrics) == {"bm25", "dense", "hybrid", "learned"}  # hybrid: search's order
    assert set(metrics["hybrid"]) >= {"ndcg@10", "ndcg@10 exp", "recall@100", "mrr"}
    assert metrics["hybrid"]["mrr"] == 1.0  # both answers are easy in a four-document corpus
    lines = [ln.split() for ln in run.read_text().splitlines()]
    assert lines and all(len(p) == 6 and p[1] == "Q0" and p[5] == "curbside-hybrid" for p in lines)
    for qid in ("q1", "q2"):
        rows = [p for p in lines if p[0] == qid]
        assert [int(p[3]) for p in rows] == list(range(1, len(rows) + 1))
        scores = [float(p[4]) for p in rows]
        assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
        assert len({p[2] for p in rows}) == len(rows)  # a document once
    assert next(p[2] for p in lines if p[0] == "q1") == "d1"
    bad = CliRunner().invoke(
        app, ["eval", "retrieval", "--beir", str(beir), "--run-file", str(run), "--run-method", "x"]
    )
    assert bad.exit_code == 2 and "--run-method" in bad.output


def test_methods_go_through_the_search_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every search the eval runs is `services.answers.search` with the method's options and
    the settings' candidate count: nothing re-implemented beside it."""
    import curbside.services.answers as answers
    from curbside.retrieve.hybrid import RetrievalOptions
    from curbside.services.evaluation import eval_retrieval

    calls: list[tuple[int, RetrievalOptions | None]] = []
    real = answers.search

    def spy(rt, *, query, k=10, options=None):  # type: ignore[no-untyped-def]
        calls.append((k, options))
        return real(rt, query=query, k=k, options=options)

    monkeypatch.setattr("curbside.services.evaluation.search", spy)
    rt = open_runtime(Settings(home=tmp_path / "home"))
    try:
        out = eval_retrieval(rt, root=beir_dir(tmp_path / "tiny"))
    finally:
        rt.close()
    assert {k for k, _ in calls} == {10, 100}
    assert len(calls) == 2 * 2 * 4  # two queries, four methods, the k=10 and the deep search
    convex = [o for _k, o in calls if o is not None and o.fusion == "convex"]
    assert {o.ranker for o in convex} == {"fusion", "learned"}  # the hand fusion, the default
    assert all(o == RetrievalOptions(ranker=o.ranker) for o in convex)  # otherwise as shipped
    assert out["hybrid"].per_query["q1"] == 1.0
