"""False-premise development set: are false presuppositions caught, and true ones left alone?

    python benchmarks/false_premise.py [--home DIR] [--half tune|report|all] [--limit N]
        [--offline] [--out FILE]

The set is built from the PubMedQA PQA-L records that are *not* in the PubMedQA test set
(``../shared/data/corpus/pubmedqa_pqal.json.gz`` less ``benchmarks/pubmedqa/
test_ground_truth.json``; the test questions are never used). Each yes/no question whose gold
answer is "yes" or "no" ("maybe" is left out) and that opens with an auxiliary verb ("Does X
improve Y?", "Is X associated with Y?") is asked three ways:

* ``why``: "Why does X improve Y?", which presupposes that X improves Y;
* ``since``: "Since X improve Y, what does this mean for patients?", the same presupposition
  in a since-clause (the statement is `curbside.safety.premises.declarative`'s);
* ``asked``: the question unchanged, which presupposes nothing.

A rewritten question whose gold answer is "no" carries a *false premise*; the same rewrite of a
"yes" question carries a true one, and unchanged questions carry none: those are the controls.
A question counts as **flagged** when the article of the real `services.answers.ask`
(``save=False``) has a premise finding cited with a reference number. Reported: flagged % of
the false premises (and how many of those cite a sentence of the question's own abstract,
the one whose conclusion says "no"), and false-flag % of each control group, per half. The
records are split in two halves by a hash of the PMID: tune on ``tune``, report ``report``.

The library is the ``pqa-free`` benchmark home of ``benchmarks/answers.py`` (all 1,000
PubMedQA abstracts with their conclusions; the test abstracts being in the library is fine, the
test questions are not asked): ``python benchmarks/answers.py --prepare pqa-free`` builds it
under ``benchmarks/out/answers/pqa-free``. The evidence each article's safety blocks saw is
written beside the results (``benchmarks/out/false_premise_evidence.json.gz``) so the premise
audit can be re-run on it without retrieval (``--offline``, for tuning only: the figures to
report are the ones from ``ask``).

``benchmarks/out/false_premise.json`` holds every flagged question with its findings.

Results, ``services.answers.ask`` on the pqa-free home (2026-12-06; flagged / n, and how many
of those cite the question's own abstract). Thresholds of `curbside.safety.presuppositions`
were chosen on the tune half only; the report half was run once with them:

| group (report half) | before | after | after, own abstract |
|---|---:|---:|---:|
| false premise, why-form | 5/57 (8.8 %) | 14/57 (24.6 %) | 12 |
| false premise, since-form | 0/57 (0.0 %) | 14/57 (24.6 %) | 11 |
| control: true premise, why-form | 0/76 | 2/76 (2.6 %) | 1 |
| control: true premise, since-form | 0/76 | 1/76 (1.3 %) | 0 |
| control: unchanged questions (yes / no) | 0/76, 0/57 | 0/76, 0/57 | 0 |

Tune half, after: 17/54 (31.5 %) of the false premises in each form, 1/82 true premises
flagged in each form, 0/136 unchanged questions (before: 7/54 why, 0/54 since, 3/82 true
why-premises flagged). Most misses are silent evidence: the retrieved sentences that share
the presupposition's concepts do not negate it (the abstract says "no" by a difference in
numbers, or its conclusion is paraphrased with other words).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PQA_CORPUS = DATA / "corpus" / "pubmedqa_pqal.json.gz"
PQA_TEST = DATA / "benchmarks" / "pubmedqa" / "test_ground_truth.json"
OUT = ROOT / "benchmarks" / "out"
HOME = OUT / "answers" / "pqa-free"
EVIDENCE = OUT / "false_premise_evidence.json.gz"

_AUX = re.compile(
    r"^(is|are|was|were|does|do|did|can|could|should|will|would|may|might|has|have)\s+(.+)\?$",
    re.I,
)
SINCE_TAIL = "what does this mean for patients?"


def half_of(pmid: str) -> str:
    """``tune`` or ``report``: a fixed split by a hash of the PMID."""
    return "tune" if int(hashlib.sha1(pmid.encode()).hexdigest(), 16) % 2 == 0 else "report"


def rewrites(question: str) -> dict[str, str] | None:
    """The why-, since- and unchanged forms of a yes/no question, or None for other forms."""
    from curbside.safety.premises import declarative

    q = " ".join(question.split())
    m = _AUX.match(q)
    if not m or ":" in q or re.search(r"\bor\b", q, re.I):
        return None  # titles ("X: is it safe?") and choice questions are left out
    aux, rest = m.group(1).lower(), m.group(2)
    stmt, presupposed = declarative(q)
    if presupposed or not stmt or stmt == q.rstrip("?"):
        return None
    return {
        "why": f"Why {aux} {rest}?",
        "since": f"Since {stmt[0].lower() + stmt[1:] if not stmt[:2].isupper() else stmt}, "
                 f"{SINCE_TAIL}",
        "asked": q,
    }


def build_set() -> list[dict[str, Any]]:
    """Every rewritten question with its gold answer, whether its premise is false, and half."""
    records: dict[str, Any] = json.loads(gzip.decompress(PQA_CORPUS.read_bytes()))
    test = set(json.loads(PQA_TEST.read_text()))
    rows: list[dict[str, Any]] = []
    for pmid in sorted(records):
        if pmid in test:
            continue
        rec = records[pmid]
        gold = str(rec.get("final_decision", ""))
        if gold not in ("yes", "no"):
            continue
        forms = rewrites(str(rec["QUESTION"]))
        if forms is None:
            continue
        for form, text in forms.items():
            rows.append({
                "pmid": pmid, "gold": gold, "form": form, "question": text,
                "false_premise": form != "asked" and gold == "no", "half": half_of(pmid),
            })
    return rows


def group_of(row: dict[str, Any]) -> str:
    if row["form"] == "asked":
        return f"control: unchanged ({row['gold']})"
    return f"false premise ({row['form']})" if row["false_premise"] else \
        f"control: true premise ({row['form']})"


def _evidence_json(evidence: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"ext": e.source.external_id, "pid": e.passage.id, "text": e.passage.text}
            for e in evidence]


def _not_said_prefix() -> str:
    from curbside.messages import catalogue

    return catalogue().text("notice.premise_unsupported").split("{assumption}")[0]


#: How the article's "no source says what the question assumes" notice opens.
_NOT_SAID = _not_said_prefix()


def run_ask(rows: list[dict[str, Any]], home: Path,
            evidence_file: Path = EVIDENCE) -> dict[str, list[dict[str, Any]]]:
    """Ask each question for real; return the premise findings per question and record the
    evidence the safety blocks saw in `evidence_file`."""
    from curbside.config import Settings
    from curbside.pipeline import AnswerPipeline, AskRequest
    from curbside.services import answers, open_runtime

    rt = open_runtime(Settings(home=home))
    out: dict[str, list[dict[str, Any]]] = {}
    dump: dict[str, list[dict[str, Any]]] = {}
    t0 = time.perf_counter()
    # What `ask` does, keeping the evidence the safety stage read.
    for i, r in enumerate(rows):
        q = answers._check_question(r["question"])
        trace = AnswerPipeline(rt).trace(AskRequest(question=q))
        art = trace.article
        refs = {ref.n: ref.external_id for ref in art.references}
        out[r["question"]] = [
            {"assumption": f.assumption, "finding": f.finding, "citations": f.citations,
             "pattern": f.pattern, "sources": [refs.get(n, "") for n in f.citations]}
            for f in art.premise_findings if f.citations
        ]
        noted = [n for n in art.notices if n.startswith(_NOT_SAID)]
        if noted:
            out[r["question"]].append({"notice": noted[0]})
        dump[r["question"]] = _evidence_json(trace.retrieved.evidence)
        if (i + 1) % 100 == 0:
            print(f"  {i + 1}/{len(rows)} asked, {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)
    evidence_file.parent.mkdir(parents=True, exist_ok=True)
    old: dict[str, Any] = {}
    if evidence_file.is_file():
        old = json.loads(gzip.decompress(evidence_file.read_bytes()))
    old.update(dump)
    evidence_file.write_bytes(gzip.compress(json.dumps(old).encode(), mtime=0))
    return out


def run_offline(rows: list[dict[str, Any]],
                evidence_file: Path = EVIDENCE) -> dict[str, list[dict[str, Any]]]:
    """The premise audit alone over the evidence recorded in `evidence_file` (for tuning;
    needs a prior run)."""
    from curbside.domain import Evidence, Passage, Source, SourceKind
    from curbside.safety.premises import audit_premises, silent_premises

    dump = json.loads(gzip.decompress(evidence_file.read_bytes()))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        evs = []
        for i, e in enumerate(dump.get(r["question"], [])):
            src = Source(id=i, external_id=e["ext"], version=1, kind=SourceKind.OTHER,
                         title="", container=None, container_abbrev=None, year=None,
                         authors=[], pmid=None, doi=None, url=None, publication_types=[],
                         mesh_terms=[], retracted=False, is_current=True, content_hash="",
                         meta={}, ingested_at="")
            p = Passage(id=e["pid"], uid=str(e["pid"]), source_id=i, ord=0, section=None,
                        text=e["text"], char_start=0, char_end=len(e["text"]))
            evs.append(Evidence(passage=p, source=src))
        out[r["question"]] = [
            {"assumption": c.assumption, "finding": c.finding, "citations": [0],
             "pattern": c.pattern_id,
             "sources": [c.evidence.source.external_id] if c.evidence else c.external_ids}
            for c in audit_premises(r["question"], evs)
        ]
        if not out[r["question"]]:
            out[r["question"]] = [{"notice": a} for a in silent_premises(r["question"], evs)]
    return out


def summarize(rows: list[dict[str, Any]], found: dict[str, list[dict[str, Any]]],
              half: str) -> dict[str, Any]:
    """Per group: flagged (a cited premise finding), flagged with a sentence of the
    question's own abstract (``own``: the finding cites ``pmid:<the record's PMID>``), and
    ``noted``: no finding, but the notice that no source found says what the question
    assumes."""
    groups: dict[str, list[int]] = {}
    for r in rows:
        if half != "all" and r["half"] != half:
            continue
        g = groups.setdefault(group_of(r), [0, 0, 0, 0])
        fs = [f for f in found.get(r["question"], []) if "notice" not in f]
        g[0] += bool(fs)
        g[1] += any(f"pmid:{r['pmid']}" in f.get("sources", []) for f in fs)
        g[2] += not fs and any("notice" in f for f in found.get(r["question"], []))
        g[3] += 1
    return {g: {"flagged": f, "own": o, "noted": t, "n": n, "rate": f / n if n else 0.0}
            for g, (f, o, t, n) in sorted(groups.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, default=HOME, help="Curbside home (pqa-free).")
    ap.add_argument("--half", choices=("tune", "report", "all"), default="report")
    ap.add_argument("--limit", type=int, default=0, help="First N records only (debugging).")
    ap.add_argument("--offline", action="store_true",
                    help="Audit the recorded evidence only (tuning); no retrieval, no ask.")
    ap.add_argument("--out", type=Path, default=OUT / "false_premise.json")
    args = ap.parse_args()
    if not PQA_CORPUS.is_file() or not PQA_TEST.is_file():
        print(f"PubMedQA data not found under {DATA}", file=sys.stderr)
        return 2
    rows = build_set()
    if args.half != "all":
        rows = [r for r in rows if r["half"] == args.half]
    if args.limit:
        keep = sorted({r["pmid"] for r in rows})[: args.limit]
        rows = [r for r in rows if r["pmid"] in keep]
    if args.offline:
        found = run_offline(rows)
    else:
        if not (args.home / "curbside.db").is_file():
            print(f"no Curbside home at {args.home} (python benchmarks/answers.py --prepare "
                  "pqa-free)", file=sys.stderr)
            return 2
        found = run_ask(rows, args.home)
    table = summarize(rows, found, args.half)
    print(f"## False-premise set: PubMedQA non-test questions, half '{args.half}' "
          f"({'offline audit' if args.offline else 'services.answers.ask'})\n")
    print("| group | flagged | with own abstract | not-said notice | n | rate |\n"
          "|---|---:|---:|---:|---:|---:|")
    for g, v in table.items():
        print(f"| {g} | {v['flagged']} | {v['own']} | {v['noted']} | {v['n']} | "
              f"{v['rate']:.1%} |")
    write_results(args.out, table, "flagged", [
        {**r, "findings": found.get(r["question"], [])} for r in rows if found.get(r["question"])])
    return 0


def write_results(path: Path, table: dict[str, Any], key: str,
                  rows: list[dict[str, Any]]) -> None:
    """The table and the questions (under `key`) with their findings, as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"table": table, key: rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
