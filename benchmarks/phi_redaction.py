"""PHI redaction benchmark: how often real clinical questions are touched by the redactor.

    python benchmarks/phi_redaction.py [--show N]

The benchmark questions hold no personal data, so every redaction in them is a false one (or a
public identifier such as a URL). Measured on the development questions of
../shared/data/benchmarks: the 200 used by the safety benchmark (the first 100 BioASQ dev and the
first 100 MedicationQA questions), then every MedicationQA (690), BioASQ dev (1,983) and
NFCorpus (325) question and the 400 Avey vignettes (demographics, history and presentation
joined: ages, durations and doses in free text). Prints each changed text with what was
replaced, and the counts by placeholder; results also go to benchmarks/out/phi_redaction.json.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from curbside.privacy import redact

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "data" / "benchmarks"
OUT = ROOT / "benchmarks" / "out"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.open(encoding="utf-8") if x.strip()]


def _vignette(v: dict[str, Any]) -> str:
    keys = ("demographics", "chief_complaints", "presentation", "absent_findings",
            "physical_history", "family_history", "social_history")
    return ". ".join(str(v.get(k) or "") for k in keys if v.get(k) and v.get(k) != "-")


def sets() -> dict[str, list[str]]:
    medqa = [str(r["Question"]) for r in _jsonl(BENCH / "medicationqa.jsonl")]
    bio = [str(r["question"]) for r in _jsonl(BENCH / "bioasq" / "questions_dev.jsonl")]
    nf = [str(r["text"]) for r in _jsonl(BENCH / "nfcorpus" / "queries.jsonl")]
    avey = [_vignette(v) for v in _jsonl(BENCH / "triage" / "avey_vignettes.jsonl")]
    return {
        "dev200 (BioASQ 100 + MedicationQA 100)": bio[:100] + medqa[:100],
        "MedicationQA (all)": medqa,
        "BioASQ dev (all)": bio,
        "NFCorpus queries": nf,
        "Avey vignettes (full text)": avey,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=50, help="Changed texts to print per set.")
    args = ap.parse_args()
    if not BENCH.is_dir():
        print(f"skipped: {BENCH} not found (needs ../shared/data)")
        return 0
    results: dict[str, Any] = {}
    print("| set | texts | changed | share | by placeholder |\n|---|---:|---:|---:|---|")
    shown: list[str] = []
    for name, texts in sets().items():
        labels: Counter[str] = Counter()
        changed = []
        for t in texts:
            r = redact(t)
            if r.changed:
                labels.update(r.counts())
                changed.append({"text": t, "found": [(f.label, f.value) for f in r.found]})
        share = len(changed) / max(1, len(texts))
        results[name] = {"texts": len(texts), "changed": len(changed), "labels": dict(labels),
                         "examples": changed}
        by = ", ".join(f"{k} {v}" for k, v in labels.most_common()) or "-"
        print(f"| {name} | {len(texts)} | {len(changed)} | {share:.1%} | {by} |")
        for c in changed[: args.show]:
            shown.append(f"- [{name}] {c['found']}: {c['text'][:160]}")
    if shown:
        print("\nChanged texts:")
        print("\n".join(shown))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "phi_redaction.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
