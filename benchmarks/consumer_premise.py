"""Consumer false-premise list: patient-style questions with a false or a true presupposition.

    python benchmarks/consumer_premise.py [--home DIR] [--split dev|check|check2|all]
        [--offline] [--out FILE]

The PubMedQA set of ``benchmarks/false_premise.py`` rewrites research questions; patients ask
in other forms ("How much garlic should I eat to cure high blood pressure?", "Since vaccines
weaken the immune system, ..."), with myths a research abstract rarely addresses. This list
(``benchmarks/consumer_premises.tsv``, written by hand; see its header) holds 40 questions
with a false presupposition and 40 controls with a true one, split ``dev`` (used while
building the audit) and ``check`` (written at the same time, read only at the end); a second
check part, ``check2`` (20 more, stop 30), was written before that stop's changes and read
only at its end.

Each question is asked for real (`pipeline.AnswerPipeline`, what ``services.answers.ask``
does, ``save=False``) over a Curbside home, by default the whole development corpus
(``benchmarks/devhome.py``; read only). Reported per split and label:

* **flagged**: the article has a premise finding cited with a reference number;
* **noted**: no finding, but the notice that none of the sources found says what the
  question assumes (uncited; a statement about the search);
* for false premises, **caught** = flagged or noted; for true ones, flagged and noted are
  both false alarms (a true premise called unsupported is an error too).

The evidence each article's safety blocks saw is written to
``benchmarks/out/consumer_premise_evidence.json.gz`` so that ``--offline`` can re-run the
premise audit alone on it (tuning; the figures to report come from a run without it).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from false_premise import OUT, run_ask, run_offline, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "benchmarks" / "consumer_premises.tsv"
#: The parts of the list: ``dev`` for choices; the check parts are read once each.
SPLITS = ("dev", "check", "check2")
HOME = ROOT / "benchmarks" / "out" / "devhome"
EVIDENCE = OUT / "consumer_premise_evidence.json.gz"


def load_list(path: Path = LIST) -> list[dict[str, Any]]:
    """The rows of the list; a bad row is named by its line."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        lines = [(i, ln) for i, ln in enumerate(fh, start=1) if not ln.startswith("#")]
    reader = csv.DictReader((ln for _, ln in lines), delimiter="\t")
    for (lineno, _), rec in zip(lines[1:], reader, strict=True):
        if rec.get("split") not in SPLITS or rec.get("premise") not in ("true", "false"):
            raise ValueError(f"{path.name} line {lineno}: split must be {'|'.join(SPLITS)} "
                             "and premise true|false")
        if not (rec.get("question") or "").strip():
            raise ValueError(f"{path.name} line {lineno}: empty question")
        rows.append({"split": rec["split"], "false_premise": rec["premise"] == "false",
                     "question": rec["question"].strip()})
    return rows


def summarize(rows: list[dict[str, Any]],
              found: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, int]]:
    """Per split and label: n, flagged (cited finding), noted (notice only)."""
    table: dict[str, dict[str, int]] = {}
    for r in rows:
        g = table.setdefault(f"{r['split']}: {'false' if r['false_premise'] else 'true'} "
                             "premise", {"n": 0, "flagged": 0, "noted": 0})
        fs = found.get(r["question"], [])
        cited = [f for f in fs if "notice" not in f]
        g["n"] += 1
        g["flagged"] += bool(cited)
        g["noted"] += not cited and any("notice" in f for f in fs)
    return dict(sorted(table.items()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, default=HOME, help="Curbside home (read only).")
    ap.add_argument("--split", choices=(*SPLITS, "all"), default="dev")
    ap.add_argument("--offline", action="store_true",
                    help="Audit the recorded evidence only (tuning); no retrieval, no ask.")
    ap.add_argument("--out", type=Path, default=OUT / "consumer_premise.json")
    args = ap.parse_args()
    rows = [r for r in load_list() if args.split in ("all", r["split"])]
    if args.offline:
        found = run_offline(rows, EVIDENCE)
    else:
        if not (args.home / "curbside.db").is_file():
            print(f"no Curbside home at {args.home} (python benchmarks/devhome.py)",
                  file=sys.stderr)
            return 2
        found = run_ask(rows, args.home, EVIDENCE)
    table = summarize(rows, found)
    print(f"## Consumer premise list, split '{args.split}' "
          f"({'offline audit' if args.offline else 'ask'})\n")
    print("| group | n | flagged (cited) | noted (notice only) | caught or false alarm |\n"
          "|---|---:|---:|---:|---:|")
    for g, v in table.items():
        hit = v["flagged"] + v["noted"]
        print(f"| {g} | {v['n']} | {v['flagged']} | {v['noted']} | {hit}/{v['n']} "
              f"({hit / v['n']:.0%}) |")
    write_results(args.out, table, "questions",
                  [{**r, "findings": found.get(r["question"], [])} for r in rows])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
