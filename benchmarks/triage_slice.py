"""Triage slice (issue 17): urgency before and after the vital-sign rules and the
"undetermined" level, on the 400 Avey development vignettes.

    PYTHONPATH=src python benchmarks/triage_slice.py [--data DIR] [--json OUT]

The vignettes carry no urgency label. A *provisional* emergency label is derived from the
correct diagnosis only, through the explicit list EMERGENCY_DIAGNOSES below (each with its
reason); every other vignette counts as non-emergency. That list is a Curbside judgement, not
a physician label, and is conservative (conditions that are usually urgent rather than
emergency, such as pre-eclampsia without severe features or infective endocarditis, are not on
it).

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
from curbside.understand.findings import extract_findings  # noqa: E402
from safety import vignette_text  # noqa: E402  (benchmarks/safety.py)

DATA = Path(os.environ.get("CURBSIDE_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))

#: Diagnoses labelled emergency (provisional), with why. Names as spelled in the vignettes.
EMERGENCY_DIAGNOSES: dict[str, str] = {
    "Abruptio Placenta": "placental abruption: maternal haemorrhage and fetal compromise",
    "Acute Angle Closure Glaucoma": "sight lost within hours without pressure-lowering treatment",
    "Acute Appendicitis": "perforation risk; needs same-day surgical assessment in hospital",
    "Acute Cholangitis": "ascending biliary sepsis",
    "Acute Liver Failure": "encephalopathy and coagulopathy; needs hospital care now",
    "Acute Pancreatitis": "can progress to organ failure; needs hospital assessment",
    "Aortic Dissection": "mortality rises by the hour untreated",
    "Brain Abscess": "raised intracranial pressure, sepsis",
    "Cardiac Tamponade": "obstructive shock",
    "Cerebral Stroke": "time-critical thrombolysis / thrombectomy",
    "Diabetic Ketoacidosis": "metabolic emergency",
    "Diabetic ketoacidosis": "metabolic emergency (second spelling in the data)",
    "Ectopic Pregnancy": "risk of rupture and haemorrhage",
    "Epiglottitis": "airway obstruction",
    "Foreign Body Aspiration": "airway obstruction",
    "Infantile Meningitis": "bacterial meningitis in an infant",
    "Meningitis": "bacterial meningitis until proven otherwise",
    "Myocardial Infarction": "time-critical reperfusion",
    "Peritonitis": "surgical abdomen, sepsis",
    "Preterm Labor": "needs obstetric emergency care",
    "Primary Spontaneous Pneumothorax": "needs emergency chest imaging and possibly drainage",
    "Secondary Spontaneous Pneumothorax": "lung disease with pneumothorax: respiratory failure",
    "Pulmonary Embolism": "sudden death risk; needs emergency anticoagulation",
    "Ruptured Abdominal Aortic Aneurysm": "exsanguination",
    "Ruptured Ectopic Pregnancy": "intra-abdominal haemorrhage",
    "Testicular Torsion": "testis lost within about 6 hours",
    "Unstable Angina": "acute coronary syndrome",
    "Upper Gastrointestinal Bleeding": "haemorrhage",
    "Rhabdomyolysis": "acute kidney injury and hyperkalaemia",
}

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
    args = ap.parse_args(argv)
    path = args.data / "benchmarks" / "triage" / "avey_vignettes.jsonl"
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            v = json.loads(line)
            f = extract_findings(vignette_text(v))
            after = triage_findings(f, partial=False)
            rows.append({
                "line": i, "half": "even" if i % 2 == 0 else "odd",
                "diagnosis": v["correct_diagnosis"],
                "label": "emergency" if v["correct_diagnosis"] in EMERGENCY_DIAGNOSES else "other",
                "before": _before(f), "after": after.urgency,
                "rules": [r["id"] for r in after.rules],
            })
    out: dict[str, Any] = {}
    for half in ("even", "odd", "all"):
        sub = [r for r in rows if half == "all" or r["half"] == half]
        out[half] = {"before": _stats(sub, "before"), "after": _stats(sub, "after")}
    print("Triage slice on the Avey development vignettes (provisional emergency label from "
          "the diagnosis)")
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
    if args.json:
        args.json.write_text(json.dumps({"summary": out, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
