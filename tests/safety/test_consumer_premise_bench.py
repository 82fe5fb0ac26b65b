"""benchmarks/consumer_premise.py: the hand-written consumer list loads, is balanced, rejects a
bad row by its line, and the table counts a cited finding and a notice apart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

#: The `benchmark_module` fixture (tests/conftest.py): a benchmark script loaded by name.
Load = Callable[[str], ModuleType]


def test_the_list_is_balanced_and_each_question_is_once(benchmark_module: Load) -> None:
    rows = benchmark_module("consumer_premise").load_list()
    groups = {(r["split"], r["false_premise"]) for r in rows}
    assert groups == {(s, f) for s in ("dev", "check", "check2") for f in (True, False)}
    for split, n in (("dev", 20), ("check", 10), ("check2", 10)):
        for false in (True, False):
            assert sum(r["split"] == split and r["false_premise"] is false for r in rows) == n
    assert len({r["question"] for r in rows}) == len(rows)


def test_a_bad_row_is_named_by_its_line(tmp_path: Path, benchmark_module: Load) -> None:
    bad = tmp_path / "list.tsv"
    bad.write_text("# header\nsplit\tpremise\tquestion\twhy\ndev\tmaybe\tIs it?\tx\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="list.tsv line 3"):
        benchmark_module("consumer_premise").load_list(bad)


def test_summary_counts_findings_and_notices_apart(benchmark_module: Load) -> None:
    b = benchmark_module("consumer_premise")
    rows = [{"split": "dev", "false_premise": True, "question": "a"},
            {"split": "dev", "false_premise": True, "question": "b"},
            {"split": "dev", "false_premise": False, "question": "c"}]
    found = {"a": [{"finding": "x", "citations": [1]}], "b": [{"notice": "none says"}],
             "c": []}
    assert b.summarize(rows, found) == {
        "dev: false premise": {"n": 2, "flagged": 1, "noted": 1},
        "dev: true premise": {"n": 1, "flagged": 0, "noted": 0},
    }
