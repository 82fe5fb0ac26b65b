"""The triage benchmark's paired comparison of two cross-validated runs
(benchmarks/triage_differential.py --cv --json A --compare B)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import triage_differential as td  # noqa: E402  (benchmarks/triage_differential.py)


def _row(line: int, rank: int | None, label: str = "routine", fit: str = "routine",
         diff: str = "routine") -> dict[str, Any]:
    return {"line": line, "target": f"c{line}", "label": label, "rules": "routine",
            "cv_rank": rank, "fit": fit, "diff_only": diff}


def test_paired_cv_counts_ranks_and_emergencies_vignette_by_vignette() -> None:
    before = [_row(0, 1), _row(2, 4), _row(4, None, "emergency", "emergency", "routine"),
              _row(6, 12, fit="emergency")]
    after = [_row(0, 1), _row(2, 2), _row(4, 3, "emergency", "emergency", "emergency"),
             _row(6, 20)]
    out = td.paired_cv(before, after, resamples=200)
    # reciprocal ranks (1 + 1/4 + 0 + 1/12) / 4 -> (1 + 1/2 + 1/3 + 1/20) / 4
    assert "MRR 0.333 -> 0.471" in out
    assert "ranked better 2, worse 1" in out
    assert "top-1 1 -> 1 of 4" in out and "top-3 1 -> 3 of 4" in out
    assert "top-10 2 -> 3 of 4" in out
    assert "differential alone: emergencies caught 0 -> 1 of 1, false emergencies 0 -> 0 of 3" \
        in out
    assert "rules + differential: emergencies caught 1 -> 1 of 1, false emergencies 1 -> 0 of 3" \
        in out


def test_paired_cv_refuses_runs_over_other_vignettes() -> None:
    with pytest.raises(ValueError, match="not over the same vignettes"):
        td.paired_cv([_row(0, 1)], [_row(2, 1)])
    other = _row(0, 1)
    other["target"] = "another diagnosis"
    with pytest.raises(ValueError, match="not over the same vignettes"):
        td.paired_cv([_row(0, 1)], [other])


def test_cv_json_keys_are_what_the_comparison_reads() -> None:
    assert set(td.CV_KEYS) == set(_row(0, 1))
