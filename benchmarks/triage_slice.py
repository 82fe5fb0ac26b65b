"""Triage slice (issue 17): urgency before and after the vital-sign rules and the
"undetermined" level, on the 400 Avey development vignettes.

    PYTHONPATH=src python benchmarks/triage_slice.py [--data DIR] [--json OUT]

The vignettes carry no urgency label. The label is derived from the correct diagnosis only:
the level the cited urgency table (knowledge/urgency.yaml) gives it (`vignette_label`);
"emergency" counts as emergency, every other level as non-emergency. That table is a Curbside
judgement, not a physician label. The labels are committed in triage_labels.tsv.

*Before* is the pattern-only rule that shipped until this change: the most urgent fired
pattern, ``routine`` when none fired. *After* is `curbside.safety.triage`: the highest of the
patterns and the vital-sign / age rules, ``undetermined`` when nothing fired. Both are computed
from the same findings extraction (this change also taught it "saturating 88%", "pulse ox",
GCS), so the difference is the rule change alone.

Anything tuned is tuned on the even half (0-based line numbers 0, 2, 4...); the odd half is
reported alongside. Nothing here was fitted; the thresholds are the published ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curbside.safety.patterns import URGENCY_RANK, match_patterns  # noqa: E402
from curbside.safety.triage import triage_findings  # noqa: E402
from curbside.safety.urgency import load_urgency_table  # noqa: E402
from curbside.understand.findings import extract_findings  # noqa: E402
from safety import vignette_text  # noqa: E402  (benchmarks/safety.py)

DATA = Path(os.environ.get("CURBSIDE_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))

#: The labelling rule: a vignette's urgency label is the level that knowledge/urgency.yaml gives
#: its correct diagnosis (looked up by name or synonym); "emergency" vs everything else is
#: what emergency recall and the false-emergency rate count. The derived labels are committed
#: in benchmarks/triage_labels.tsv (`--write-labels` rewrites it).
LABELS_TSV = Path(__file__).resolve().parent / "triage_labels.tsv"


def vignette_label(diagnosis: str) -> str:
    cond = load_urgency_table().lookup(diagnosis)
    if cond is None:
        raise KeyError(f"diagnosis {diagnosis!r} is not in knowledge/urgency.yaml")
    return cond.level


LEVELS = ("emergency", "urgent", "routine", "undetermined")


def _before(f: Any) -> str:
    """The shipped rule until this change: most urgent fired pattern, else routine."""
    best = max((URGENCY_RANK[m.pattern.urgency] for m in match_patterns(f)), default=0)
    return {3: "emergency", 2: "urgent"}.get(best, "routine")


def _stats(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    em = [r for r in rows if r["label"] == "emergency"]
    non = [r for r in rows if r["label"] != "emergency"]
    return {
        "n": len(rows), "n_emergency": len(em),
        "levels": {lv: sum(r[key] == lv for r in rows) for lv in LEVELS},
        "emergency_recall": sum(r[key] == "emergency" for r in em),
        "emergency_rated_routine": sum(r[key] == "routine" for r in em),
        "emergency_undetermined": sum(r[key] == "undetermined" for r in em),
        "false_emergency": sum(r[key] == "emergency" for r in non),
        "n_non_emergency": len(non),
    }


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f} %)" if b else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--write-labels", action="store_true",
                    help=f"rewrite {LABELS_TSV.name} from the urgency table")
    args = ap.parse_args(argv)
    path = args.data / "benchmarks" / "triage" / "avey_vignettes.jsonl"
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            v = json.loads(line)
            f = extract_findings(vignette_text(v))
            after = triage_findings(f, partial=False, differential=False)
            rows.append({
                "line": i, "half": "even" if i % 2 == 0 else "odd",
                "diagnosis": v["correct_diagnosis"],
                "level": vignette_label(v["correct_diagnosis"]),
                "label": ("emergency" if vignette_label(v["correct_diagnosis"]) == "emergency"
                          else "other"),
                "before": _before(f), "after": after.urgency,
                "rules": [r["id"] for r in after.rules],
            })
    out: dict[str, Any] = {}
    for half in ("even", "odd", "all"):
        sub = [r for r in rows if half == "all" or r["half"] == half]
        out[half] = {"before": _stats(sub, "before"), "after": _stats(sub, "after")}
    print("Triage slice on the Avey development vignettes (emergency label: the urgency "
          "table's level of the correct diagnosis)")
    head = (f"{'half':<5} {'':<7} {'emerg':>5} {'urgent':>6} {'routine':>7} {'undet':>5}  "
            f"{'emergency recall':<17} {'emerg->routine':<14} {'false emergency':<16}")
    print(head)
    for half in ("even", "odd", "all"):
        for when in ("before", "after"):
            s = out[half][when]
            lv = s["levels"]
            print(f"{half:<5} {when:<7} {lv['emergency']:>5} {lv['urgent']:>6} "
                  f"{lv['routine']:>7} {lv['undetermined']:>5}  "
                  f"{_pct(s['emergency_recall'], s['n_emergency']):<17} "
                  f"{s['emergency_rated_routine']:<14} "
                  f"{_pct(s['false_emergency'], s['n_non_emergency']):<16}")
    fired: dict[str, int] = {}
    for r in rows:
        for rid in r["rules"]:
            fired[rid] = fired.get(rid, 0) + 1
    print("vital-sign / age rules fired (all 400):", fired or "none")
    if args.write_labels:
        table = load_urgency_table()
        with LABELS_TSV.open("w", encoding="utf-8") as fh:
            fh.write("line\tcorrect_diagnosis\tcondition\ticd10cm\tlevel\n")
            for r in rows:
                c = table.lookup(r["diagnosis"])
                assert c is not None
                fh.write(f"{r['line']}\t{r['diagnosis']}\t{c.name}\t{c.icd10cm}\t{c.level}\n")
    if args.json:
        args.json.write_text(json.dumps({"summary": out, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
