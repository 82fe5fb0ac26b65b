"""Build ``knowledge/condition_profiles.jsonl`` from the urgency table's cited sources (dev tool).

    PYTHONPATH=src python benchmarks/condition_profiles.py [--data DIR]

For each condition of ``knowledge/urgency.yaml``, the sentences of its cited MedQuAD pages
(symptoms and information answers; on a page that is not about the condition, only the
sentences that name it) and the titles of its cited NGC guidelines (NGC summaries carry an
internal-use copyright statement, so their text is not shipped), each with the id it is quoted
from. These are the documents the triage differential (`curbside.safety.differential`) ranks,
so triage needs no database. Short attributed quotes (MedQuAD is CC BY 4.0): at most
MAX_SENTENCES sentences and MAX_CHARS characters per condition.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

from curbside.safety.urgency import load_urgency_table, name_key

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "curbside" / "knowledge" / "condition_profiles.jsonl"
DATA = Path(os.environ.get("CURBSIDE_DATA", ROOT.parent / "shared" / "data"))
#: Enough for a presentation (the symptom list of a page), short of copying the page.
MAX_SENTENCES = 12
MAX_CHARS = 1500
#: Sentences naming signs and symptoms come first.
SYMPTOM_CUE = re.compile(r"\b(symptom|sign|pain|fever|swell|rash|cough|bleed|vomit|short"
                         r"ness|tired|fatigue|headache|itch|loss|weak|numb)", re.IGNORECASE)
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
#: A bulleted list (" - A sudden fever - A stiff neck") stays in its sentence, as "; " items.
_BULLET = re.compile(r"\s+-\s+")


def sentences(text: str) -> list[str]:
    out = []
    for s in _SPLIT.split(" ".join(text.split())):
        s = _BULLET.sub("; ", s).strip(" ;-")
        if 25 <= len(s) <= 600:
            out.append(s)
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def build(data: Path) -> list[dict[str, Any]]:
    table = load_urgency_table()
    mq = {f"medquad:{d['collection']}/{d['qid']}": d
          for d in read_jsonl(data / "corpus" / "medquad_answers.jsonl.gz")}
    ngc = {f"ngc:{g['ngc_id']}": g
           for g in read_jsonl(data / "corpus" / "guidelines_ngc.jsonl.gz")}
    rows = []
    for c in table.conditions:
        keys = {name_key(n) for n in c.names}
        names_rx = re.compile("|".join(re.escape(n) for n in c.names), re.IGNORECASE)
        picked: list[dict[str, str]] = []
        for cid in c.citations:
            if cid in mq:
                d = mq[cid]
                about = name_key(d.get("focus") or "") in keys
                sents = sentences(d["answer"])
                if not about:
                    sents = [s for s in sents if names_rx.search(s)]
                sents.sort(key=lambda s: not SYMPTOM_CUE.search(s))
                picked += [{"cite": cid, "text": s} for s in sents]
            elif cid in ngc:
                # the title only: NGC summaries carry an internal-use copyright statement, so
                # their text is not shipped
                picked.append({"cite": cid, "text": " ".join(ngc[cid]["title"].split())})
        kept, size = [], 0
        for p in picked:
            if len(kept) >= MAX_SENTENCES or size + len(p["text"]) > MAX_CHARS:
                continue
            kept.append(p)
            size += len(p["text"])
        rows.append({"name": c.name, "sentences": kept})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args(argv)
    rows = build(args.data)
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} profiles, {sum(bool(r['sentences']) for r in rows)} with sentences, "
          f"{OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
