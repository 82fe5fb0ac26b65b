"""Answer snapshot: what `ask` says to a fixed set of questions, kept to diff after a refactor.

    python benchmarks/answer_snapshot.py --out FILE [--home DIR] [--n N]
    python benchmarks/answer_snapshot.py --compare OLD NEW

A refactor that should not change behaviour (issue 14) is checked by taking a snapshot before
and after and comparing them. The snapshot is every article field that a reader sees (lead,
sections, bottom line, references, red flags, urgency, premise findings, notices, consensus,
the rendered Markdown), for each question in the clinician and the patient mode.

Questions: a fixed list in this file (consumer, clinician, emergency, drug, false-premise and
definition questions), then, when ``../shared/data`` is present, the first ``--n`` MedicationQA
questions, the first ``--n`` BioASQ dev questions and the first ``--n`` triage vignettes.

Home: ``--home DIR`` (an existing library), else a fresh temporary home holding the bundled
starter library. Volatile fields (ids, timestamps, settings fingerprint) are left out; in
``--compare`` a field present on one side only (a field a refactor adds, such as a message key)
is reported once and not counted as a difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from curbside import services
from curbside.config import Settings
from curbside.render.formats import render_markdown

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "data" / "benchmarks"
VOLATILE = frozenset({"id", "created_at", "settings_fingerprint", "thread_id", "version"})
AUDIENCES = ("clinician", "patient")

#: Hand-written questions covering each ask kind and the safety paths.
FIXED = (
    "Is SI joint imbalance a common cause of low back pain and stiffness that improves with "
    "movement and exercise?",
    "Any thoughts on a mild muscle relaxant?",
    "What is the dose of ibuprofen for a child with fever?",
    "Can I take ibuprofen with warfarin?",
    "Why does vitamin C cure the common cold?",
    "Since antibiotics treat viral infections, should I take them for my cold?",
    "What is sacroiliitis?",
    "What are the side effects of metformin?",
    "Crushing chest pain spreading to my left arm and I am sweating, what should I do?",
    "My 2 year old has a fever of 40 and a stiff neck and a rash that does not fade",
    "How often should I get a colonoscopy?",
    "Does physical therapy help chronic low back pain?",
    "What causes plantar fasciitis?",
    "How is Lyme disease diagnosed?",
    "What is the prognosis of pancreatic cancer?",
    "Is it safe to exercise during pregnancy?",
    "sudden worst headache of my life and vomiting",
    "Should I stop taking statins if my muscles ache?",
    "What is the best treatment for a sprained ankle?",
    "Is a radiofrequency ablation better than steroid injection for sacroiliac joint pain?",
)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def questions(n: int) -> list[str]:
    out = list(FIXED)
    if n and BENCH.is_dir():
        med = [str(r.get("Question") or "") for r in _jsonl(BENCH / "medicationqa.jsonl")]
        out += [q for q in med if q.strip()][:n]
        out += [str(r["question"]) for r in
                _jsonl(BENCH / "bioasq" / "questions_dev.jsonl")][:n]
        vig = _jsonl(BENCH / "triage" / "avey_vignettes.jsonl")[:n]
        out += [f"{v.get('demographics', '')}. {v.get('presentation', '')}" for v in vig]
    return out


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def snapshot(home: Path | None, n: int, out: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="curbside-snapshot-") as tmp:
        settings = Settings(home=home or Path(tmp))
        rt = services.open_runtime(settings)
        if home is None:
            services.ingest_starter_library(rt)
        count = 0
        with out.open("w", encoding="utf-8") as fh:
            for q in questions(n):
                for audience in AUDIENCES:
                    try:
                        art = services.ask(rt, question=q, audience=audience, save=False)
                    except services.InvalidInput as exc:
                        row: dict[str, Any] = {"error": f"{exc.field}: {exc.message}"}
                    else:
                        row = _strip(art.model_dump(mode="json"))
                        row["markdown"] = render_markdown(art)
                    row = {"question": q, "audience": audience, **row}
                    fh.write(json.dumps(row, sort_keys=True) + "\n")
                    count += 1
    print(f"{count} articles written to {out}")
    return 0


def _diff(a: Any, b: Any, path: str, only: set[str], diffs: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                only.add(f"{path}.{k}".lstrip(".") if not path else f"{path.split('[')[0]}.{k}")
                continue
            _diff(a[k], b[k], f"{path}.{k}", only, diffs)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", only, diffs)
    elif a != b:
        diffs.append(f"{path}: {json.dumps(a)[:200]} -> {json.dumps(b)[:200]}")


def compare(old: Path, new: Path) -> int:
    a, b = _jsonl(old), _jsonl(new)
    if len(a) != len(b):
        print(f"different lengths: {len(a)} vs {len(b)}")
        return 1
    only: set[str] = set()
    changed = 0
    for x, y in zip(a, b, strict=True):
        diffs: list[str] = []
        _diff(x, y, "", only, diffs)
        if diffs:
            changed += 1
            print(f"- {x['audience']}: {x['question'][:90]!r}")
            for d in diffs[:6]:
                print(f"    {d}")
    for field in sorted(only):
        print(f"field on one side only (not counted): {field}")
    print(f"{len(a) - changed} of {len(a)} articles identical, {changed} changed")
    return 1 if changed else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path)
    p.add_argument("--home", type=Path)
    p.add_argument("--n", type=int, default=40, help="questions per data set (0: fixed only)")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"))
    args = p.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if not args.out:
        p.error("--out or --compare is needed")
    return snapshot(args.home, args.n, args.out)


if __name__ == "__main__":
    sys.exit(main())
