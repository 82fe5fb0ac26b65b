"""Build ``knowledge/condition_profiles.jsonl`` from the urgency table's cited sources (dev tool).

    PYTHONPATH=src python benchmarks/condition_profiles.py [--data DIR]

For each condition of ``knowledge/urgency.yaml``, the sentences of its cited MedQuAD pages
(symptoms and information answers; on a page that is not about the condition, only the
sentences that name it) and the titles of its cited NGC guidelines (NGC summaries carry an
internal-use copyright statement, so their text is not shipped), each with the id it is quoted
from. These are the documents the triage differential (`curbside.safety.differential`) ranks,
so triage needs no database. Short attributed quotes (MedQuAD is CC BY 4.0): at most
MAX_SENTENCES sentences and MAX_CHARS characters per condition.

A condition whose cited MedQuAD pages give fewer than MIN_SENTENCES sentences (70 of the
vignette conditions have none: MedQuAD has no page about stye, epiglottitis, testicular
torsion...) also gets the sentences of other MedQuAD pages that name it (a page about scrotal
pain that says what testicular torsion does), symptom sentences first, each cited to the page
it is quoted from. NGC text is never shipped (see above); MedQuAD ids that name several pages
are never cited.

``--vectors`` writes ``knowledge/condition_vectors.npz``: the bundled MiniLM's vectors of each
condition's document (names and these sentences), which the differential's dense features
read; rerun it whenever the profiles or the urgency table change (a stale file is detected by
its hash and the vectors are then recomputed at first use, slowly).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from pathlib import Path
from typing import Any

from curbside.safety.differential import VECTORS_FILE, write_condition_vectors
from curbside.safety.urgency import load_urgency_table, name_key

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "curbside" / "knowledge" / "condition_profiles.jsonl"
VECTORS = OUT.with_name(VECTORS_FILE)
DATA = Path(os.environ.get("CURBSIDE_DATA", ROOT.parent / "shared" / "data"))
#: Enough for a presentation (the symptom list of a page), short of copying the page.
MAX_SENTENCES = 12
MAX_CHARS = 1500
#: Below this many MedQuAD sentences a condition also gets sentences naming it from other pages.
MIN_SENTENCES = 4
#: A name this short or shorter is matched case-sensitively ("AAA", "UTI"), as in
#: benchmarks/urgency_citations.py.
SHORT_NAME = 4
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


def name_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `names` as whole words (plural allowed); short names case-sensitive."""
    parts = []
    for n in names:
        body = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", n.strip()))
        parts.append(("" if len(n) <= SHORT_NAME else "(?i:") + body
                     + ("" if len(n) <= SHORT_NAME else ")"))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?:e?s)?(?![\w-])")


#: Short names that NIH pages mostly use for something else, so that a page naming only
#: them is not about the condition: "HHS" is the U.S. Department of Health and Human Services
#: in NIDDK, NHLBI and CDC pages, never the hyperosmolar hyperglycaemic state.
OTHER_MEANING = frozenset({"HHS"})

#: Collections about rare genetic syndromes: a common condition named there is mostly one
#: feature of a syndrome, so their sentences come after the other pages'.
SYNDROME_COLLECTIONS = ("2_GARD_QA", "3_GHR_QA")
#: A syndrome's list of features (GARD's Human Phenotype Ontology tables: "Testicular torsion
#: 90% Thin skin 90% ..."): naming a condition there says nothing about how it presents.
FEATURE_LIST = re.compile(r"Human Phenotype Ontology|Approximate number of patients|"
                          r"(?:\d%.*){3}")


def naming_sentences(names: tuple[str, ...], pages: list[tuple[str, list[str]]],
                     skip: set[str]) -> list[dict[str, str]]:
    """Sentences of `pages` ((cite, sentences)) that name the condition: symptom sentences
    first, then those outside the syndrome collections, then those naming it early."""
    # a short name NIH pages mostly use for something else does not make a page about it
    rx = name_pattern(tuple(n for n in names if n not in OTHER_MEANING) or names)
    lowered = [n.lower() for n in names]
    found: dict[str, tuple[tuple[bool, bool, int], str]] = {}
    for cid, sents in pages:
        if cid in skip:
            continue
        syndrome = cid.split(":", 1)[1].split("/", 1)[0] in SYNDROME_COLLECTIONS
        for s in sents:
            low = s.lower()
            if not any(n in low for n in lowered) or FEATURE_LIST.search(s):
                continue
            m = rx.search(s)
            if m and s not in found:
                found[s] = ((not SYMPTOM_CUE.search(s), syndrome, m.start()), cid)
    return [{"cite": cid, "text": s}
            for s, (_, cid) in sorted(found.items(), key=lambda kv: kv[1][0])]


def build(data: Path) -> list[dict[str, Any]]:
    table = load_urgency_table()
    docs = read_jsonl(data / "corpus" / "medquad_answers.jsonl.gz")
    count: dict[str, int] = {}
    for d in docs:
        key = f"medquad:{d['collection']}/{d['qid']}"
        count[key] = count.get(key, 0) + 1
    # an id that names several pages identifies nothing: never cite it
    mq = {f"medquad:{d['collection']}/{d['qid']}": d for d in docs
          if count[f"medquad:{d['collection']}/{d['qid']}"] == 1}
    pages = [(cid, sentences(d["answer"])) for cid, d in mq.items()]
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
        if sum(p["cite"].startswith("medquad:") for p in picked) < MIN_SENTENCES:
            have = {p["text"] for p in picked}
            picked += [p for p in naming_sentences(c.names, pages, set(c.citations))
                       if p["text"] not in have]
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
    ap.add_argument("--vectors", action="store_true",
                    help=f"only (re)write {VECTORS.name}: the MiniLM vectors of the bundled "
                         "profiles (run after the profiles or the urgency table change)")
    args = ap.parse_args(argv)
    if args.vectors:
        write_condition_vectors(VECTORS)
        print(f"{VECTORS.name}: {VECTORS.stat().st_size} bytes")
        return 0
    rows = build(args.data)
    with OUT.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} profiles, {sum(bool(r['sentences']) for r in rows)} with sentences, "
          f"{OUT.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
