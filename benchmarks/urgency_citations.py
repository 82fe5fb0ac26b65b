"""Find the library sources behind each condition of ``knowledge/urgency.yaml`` (dev tool).

    PYTHONPATH=src python benchmarks/urgency_citations.py [--data DIR] [--seed SEED] [--write]

For every condition without citations, looks in the development corpus (``../shared/data``):

1. MedQuAD pages whose ``focus`` is the condition's name or a synonym (information and symptoms
   answers first; id ``medquad:<collection>/<qid>``);
2. NGC guideline summaries whose ``disease_condition`` or title names it (newest first;
   id ``ngc:<ngc_id>``);
3. failing both, MedQuAD answers and NGC recommendations whose text names it (pages that
   discuss the condition; general collections before the rare-disease ones).

Names of four letters or fewer (DVT, PE) are matched case-sensitively and never in step 3.
Nothing is invented: a condition with no hit keeps ``citations: []`` and the loader rejects it,
so it has to be cited by hand or dropped. ``--seed`` reads the pipe-separated first draft
(name|icd10cm|level|synonyms;...|reason) instead of the YAML.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "curbside" / "knowledge" / "urgency.yaml"
DATA = Path(os.environ.get("CURBSIDE_DATA", ROOT.parent / "shared" / "data"))
#: Rare-disease collections, cited last when a page only mentions the condition.
RARE = {"2_GARD_QA", "3_GHR_QA"}
QTYPE_ORDER = {"information": 0, "symptoms": 1, "causes": 2, "exams and tests": 3}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def norm(s: str) -> str:
    s = s.lower().replace("'s ", " ").replace("’s ", " ")
    return " ".join(re.findall(r"[a-z0-9]+", s))


def _names(row: dict[str, Any]) -> list[str]:
    return [row["name"], *row.get("synonyms", [])]


def _rx(name: str) -> re.Pattern[str]:
    flags = 0 if len(name) <= 4 else re.IGNORECASE
    body = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", name.strip()))
    return re.compile(r"(?<![\w-])" + body + r"(?:e?s)?(?![\w-])", flags)


def find(rows: list[dict[str, Any]], data: Path) -> None:
    mq = read_jsonl(data / "corpus" / "medquad_answers.jsonl.gz")
    ngc = read_jsonl(data / "corpus" / "guidelines_ngc.jsonl.gz")
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for d in mq:
        seen[d["collection"], d["qid"]] += 1
    # a few CancerGov qids name several pages; such an id identifies nothing, so never cite it
    mq = [d for d in mq if seen[d["collection"], d["qid"]] == 1]
    by_focus: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in mq:
        by_focus[norm(d.get("focus") or "")].append(d)
    for row in rows:
        if row.get("citations"):
            continue
        cites: list[str] = []
        for name in _names(row):
            hits = sorted(by_focus.get(norm(name), []),
                          key=lambda d: (QTYPE_ORDER.get(d["qtype"], 9), d["collection"]))
            for d in hits:
                if d["qtype"] in ("information", "symptoms"):
                    cid = f"medquad:{d['collection']}/{d['qid']}"
                    if cid not in cites:
                        cites.append(cid)
            if len(cites) >= 2:
                break
        cites = cites[:3]
        rxs = [_rx(n) for n in _names(row)]
        ng = [g for g in ngc
              if any(r.search(g.get("disease_condition") or "") or r.search(g["title"])
                     for r in rxs)]
        ng.sort(key=lambda g: -(g.get("year") or 0))
        cites += [f"ngc:{g['ngc_id']}" for g in ng[:2]]
        if not cites:
            long_rxs = [_rx(n) for n in _names(row) if len(n) > 4]
            pages = sorted((d for d in mq if any(r.search(d["answer"]) for r in long_rxs)),
                           key=lambda d: (d["collection"] in RARE, d["qtype"] != "information",
                                          d["collection"]))
            cites += [f"medquad:{d['collection']}/{d['qid']}" for d in pages[:2]]
            guides = sorted((g for g in ngc if any(r.search(g.get("major_recommendations") or "")
                                                   for r in long_rxs)),
                            key=lambda g: -(g.get("year") or 0))
            cites += [f"ngc:{g['ngc_id']}" for g in guides[:1]]
        row["citations"] = cites


def from_seed(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, icd, level, syn, reason = line.split("|")
        row: dict[str, Any] = {"name": name, "icd10cm": icd, "level": level}
        if syn:
            row["synonyms"] = [s for s in syn.split(";") if s]
        if reason:
            row["reason"] = reason
        row["citations"] = []
        rows.append(row)
    return rows


HEADER = """\
# Urgency of conditions for triage (data, not code; loaded by curbside.safety.urgency).
#
# Levels (what the patient should do now, for this condition when it is the cause):
#   emergency  needs emergency care now (ambulance / emergency department): a delay of hours
#              risks death, a limb, an organ or sight;
#   urgent     needs a clinician the same day;
#   routine    book an appointment;
#   self-care  usually managed at home or with a pharmacist; see a doctor if it worsens.
# The level is Curbside's clinical judgement for the condition as it usually presents (a
# complication or severe form that changes the level has its own row, e.g. ruptured aneurysm,
# acute severe asthma); `reason` says why for emergency and urgent rows.
# Each row: name, icd10cm (an ICD-10-CM code, checked against simple-icd-10-cm in the tests),
# level, synonyms (names used in vignettes and by patients), reason, citations (sources in the
# library that describe the condition: MedQuAD pages `medquad:<collection>/<qid>` and NGC
# guideline summaries `ngc:<ngc_id>`, found by benchmarks/urgency_citations.py in the
# development corpus; a test checks that each id exists and names the condition). The
# citations describe the condition; they do not grade its urgency.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--seed", type=Path)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if args.seed:
        rows = from_seed(args.seed)
    else:
        rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))["conditions"]
    find(rows, args.data)
    missing = [r["name"] for r in rows if not r["citations"]]
    print(f"{len(rows)} conditions, {len(rows) - len(missing)} cited; uncited: {missing}")
    if args.write:
        body = yaml.safe_dump({"version": 1, "conditions": rows}, sort_keys=False,
                              allow_unicode=True, width=100)
        TABLE.write_text(HEADER + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
