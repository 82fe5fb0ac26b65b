"""What one version of Curbside's triage says on the development data (dev tool, issue 17).

    PYTHONPATH=<checkout>/src python benchmarks/triage_snapshot.py --out FILE [--data DIR]

Runs the triage of whatever ``curbside`` is importable (so an older checkout's ``src`` can be
measured in the same run as this one: ``benchmarks/triage_differential.py --before-src``) and
writes JSON:

* ``vignettes``: for each of the 400 Avey vignettes (file order), the urgency of the full
  triage (``triage_findings``: patterns, vital-sign rules and the differential), the urgency
  of the rules alone (no differential), and the names of the coded differential, best first;
* ``questions``: for each of the 200 development questions without false premises or
  emergencies (the first 100 BioASQ dev questions and the first 100 MedicationQA questions,
  as in benchmarks/safety.py), whether the premise audit (patterns, no evidence) flags it,
  whether it raises a red flag (a fired pattern of urgency emergency or urgent: what the
  article shows), and the urgency full triage gives it;
* ``latency_ms``: the full triage (``triage(text)``, as ``curbside triage`` runs it) of every
  vignette and question, warm (the index is built by a first call that is not timed).

Only public functions that every version since the differential has are called.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from curbside.safety.patterns import match_patterns
from curbside.safety.premises import audit_premises
from curbside.safety.triage import triage, triage_findings
from curbside.understand.findings import extract_findings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from safety import clean_questions, vignette_text  # noqa: E402  (benchmarks/safety.py)

DATA = Path(
    os.environ.get("CURBSIDE_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def snapshot(data: Path) -> dict[str, Any]:
    path = data / "benchmarks" / "triage" / "avey_vignettes.jsonl"
    texts = [vignette_text(json.loads(line)) for line in path.open(encoding="utf-8")]
    questions = [q for _, q in clean_questions()]
    triage(texts[0])  # builds the differential's index: not timed
    vignettes, latency = [], []
    for text in texts:
        f = extract_findings(text)
        full = triage_findings(f, partial=False)
        rules = triage_findings(f, partial=False, differential=False)
        vignettes.append(
            {
                "urgency": full.urgency,
                "rules": rules.urgency,
                "diagnoses": [d["name"] for d in full.diagnoses],
            }
        )
    rows = []
    for q in questions:
        f = extract_findings(q)
        red = [
            m.pattern.id for m in match_patterns(f) if m.pattern.urgency in ("emergency", "urgent")
        ]
        rows.append(
            {
                "premise": bool(audit_premises(q, [])),
                "red_flag": red,
                "urgency": triage_findings(f, partial=False).urgency,
            }
        )
    for text in texts + questions:
        t0 = time.perf_counter()
        triage(text)
        latency.append(1000 * (time.perf_counter() - t0))
    return {"vignettes": vignettes, "questions": rows, "latency_ms": latency}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    args.out.write_text(json.dumps(snapshot(args.data)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
