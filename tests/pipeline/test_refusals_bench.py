"""benchmarks/refusals.py: the same question asked with and without the dense index (issue 15,
item 6) over the starter library, and the agreement table it prints."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
SI_QUESTION = "Is SI joint imbalance a common cause of low back pain?"
OFF_TOPIC = "How do I change a flat tyre on a bicycle?"


def _bench() -> ModuleType:
    """The benchmark script as a module (benchmarks/ is not a package)."""
    if str(REPO / "benchmarks") not in sys.path:
        sys.path.insert(0, str(REPO / "benchmarks"))
    return importlib.import_module("refusals")


def test_both_paths_answer_and_refuse_from_the_answer_score(starter_home: Path) -> None:
    bench = _bench()
    dense_rt = bench.runtime(starter_home, dense=True)
    keyword_rt = bench.runtime(starter_home, dense=False)
    assert dense_rt.retriever.dense is not None and keyword_rt.retriever.dense is None
    ask_dense, ask_keyword = bench.asker(dense_rt), bench.asker(keyword_rt)
    rows = [{"id": q, "dense": ask_dense(q), "lexical": ask_keyword(q)}
            for q in (SI_QUESTION, OFF_TOPIC)]
    for side in ("dense", "lexical"):
        answered, refused = rows[0][side], rows[1][side]
        assert not answered["insufficient"] and answered["scored"]
        assert answered["best_answer"] >= dense_rt.settings.answers.min_answer
        assert refused["insufficient"]
        assert refused["best_answer"] is None or (
            refused["best_answer"] < dense_rt.settings.answers.min_answer)
    # the keyword-only article's confidence is a cosine too (no "weak match" from the scale)
    assert not rows[0]["lexical"]["weak_match_notice"] or rows[0]["dense"]["weak_match_notice"]
    s = bench.summarise(rows)
    assert (s["questions"], s["refused_dense"], s["refused_lexical"], s["refused_both"]) == (
        2, 1, 1, 1)
    assert s["agree"] == 1.0 and s["only_dense"] == s["only_lexical"] == 0
    dense_rt.close()
    keyword_rt.close()


def test_summary_counts_disagreements() -> None:
    bench = _bench()

    def side(refused: bool) -> dict[str, object]:
        return {"insufficient": refused, "best_answer": 0.5, "confidence": 0.6, "scored": True,
                "weak_match_notice": False}

    rows = [{"id": "a", "dense": side(True), "lexical": side(False)},
            {"id": "b", "dense": side(False), "lexical": side(True)},
            {"id": "c", "dense": side(True), "lexical": side(True)},
            {"id": "d", "dense": side(False), "lexical": side(False)}]
    s = bench.summarise(rows)
    assert (s["refused_dense"], s["refused_lexical"], s["refused_both"]) == (2, 2, 1)
    assert (s["only_dense"], s["only_lexical"], s["agree"]) == (1, 1, 0.5)
