"""Safety benchmark: premise false-flag rate, triage accuracy, reader-mode readability.

    python benchmarks/safety.py [--home DIR] [--medquad] [--no-evidence] [--skip-modes]
        [--modes-only] [--questions N] [--offset K] [--no-vignettes]

1. **Premise false flags.** 200 questions without false premises (the first 100 BioASQ dev
   questions + the first 100 MedicationQA questions); a question is flagged when the premise
   audit returns anything. Measured with the patterns alone and with retrieved evidence (hybrid
   search over the runtime's library). Target <= 10 %. Flagged questions are printed.
2. **Triage.** 400 Avey vignettes; the correct diagnosis must be among the conditions raised
   (matched against pattern names and aliases). Top-1/3/10 over fired patterns only, and over
   the differential (fired, then partial matches). Also the ceiling: vignettes whose diagnosis
   any pattern names at all.
3. **Reader modes.** The first 100 MedicationQA questions (``--offset``/``--questions``), each
   answered for real by the answer pipeline (`pipeline.AnswerPipeline`: search, compose, safety
   blocks, citation verification), exactly what `services.ask` does, with no stand-in text when
   the composer declines. The clinician and patient renderings of that one article are compared:
   Flesch-Kincaid grade (`render.modes.readability`: over the article body's claims, one unit
   per claim, not the reference list) as a median over all articles, over the answered ones
   (not the "insufficient evidence" notice) and over the cited sentences only (no text of
   ours); the share at grade <= 8; red flags preserved (every red flag of the clinician article
   in the patient article), premise findings, citation numbers and numbers preserved; and the
   citation verifier run again on the patient text against the same passages. Then the same
   on 50 Avey vignettes that raise urgent or emergency flags (red-flag preservation).
   The patient mode's rules were tuned on questions 101-200 (``--offset 100``), not on 1-100.

With ``--home`` the runtime there is used as is (e.g. one with MedQuAD ingested); otherwise a
temporary home gets the starter library (and MedQuAD with ``--medquad``, ~3 minutes).
Results go to stdout (Markdown) and benchmarks/out/safety.json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from curbside import services
from curbside.article import Article
from curbside.config import Settings
from curbside.domain import Evidence
from curbside.render.modes import flesch_kincaid_grade, render_for_audience
from curbside.safety.patterns import load_patterns
from curbside.safety.premises import audit_premises
from curbside.safety.triage import triage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BENCH = DATA / "benchmarks"
OUT = ROOT / "benchmarks" / "out"


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def clean_questions() -> list[tuple[str, str]]:
    bio = [("bioasq",
            r["question"]) for r in _jsonl(BENCH / "bioasq" / "questions_dev.jsonl")][:100]
    med = [("medicationqa", r["Question"]) for r in _jsonl(BENCH / "medicationqa.jsonl")
           if str(r.get("Question") or "").strip()][:100]
    return bio + med


# --------------------------------------------------------------------------------------------


def bench_premises(rt: services.Runtime | None) -> dict[str, Any]:
    qs = clean_questions()
    rows: dict[str, Any] = {}
    modes = [("patterns only", False)] + ([("patterns + evidence", True)] if rt else [])
    for label, with_ev in modes:
        flagged: list[dict[str, str]] = []
        t = time.time()
        for src, q in qs:
            evidence = services.search(rt, query=q, k=8).evidence if (with_ev and rt) else []
            cands = audit_premises(q, evidence)
            if cands:
                flagged.append({"set": src, "question": q, "by": cands[0].pattern_id or "evidence",
                                "finding": cands[0].finding[:160]})
        rows[label] = {"questions": len(qs), "flagged": len(flagged),
                       "rate": len(flagged) / len(qs), "examples": flagged,
                       "seconds": round(time.time() - t, 1)}
    red = sum(1 for _, q in qs if triage(q, partial=False).conditions
              and triage(q, partial=False).urgency in ("emergency", "urgent"))
    rows["red_flag_questions"] = red
    return rows


# --------------------------------------------------------------------------------------------


def _norm(s: str) -> str:
    s = s.lower().replace("haem", "hem").replace("oedema", "edema").replace("ischaem", "ischem")
    return " ".join(re.findall(r"[a-z0-9]+", s))


def _matches(diagnosis: str, names: list[str]) -> bool:
    d = _norm(diagnosis)
    return any(_norm(n) == d for n in names)


def vignette_text(r: dict[str, Any]) -> str:
    parts = [r.get("demographics", ""), "Chief complaints: " + str(r.get("chief_complaints", "")),
             r.get("presentation", ""), r.get("absent_findings", ""),
             "History: " + str(r.get("physical_history", "")),
             "Family history: " + str(r.get("family_history", "")),
             "Social history: " + str(r.get("social_history", ""))]
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip() not in ("-", ""))


def bench_triage() -> dict[str, Any]:
    rows = _jsonl(BENCH / "triage" / "avey_vignettes.jsonl")
    names = {p.id: [p.name, *p.aliases] for p in load_patterns().patterns if p.triggers}
    covered = 0
    hits = {"fired@1": 0, "fired@3": 0, "fired@10": 0, "diff@1": 0, "diff@3": 0, "diff@10": 0}
    levels: dict[str, int] = {}
    per_dx: list[dict[str, Any]] = []
    t = time.time()
    for r in rows:
        dx = r["correct_diagnosis"]
        res = triage(vignette_text(r))
        levels[res.urgency] = levels.get(res.urgency, 0) + 1
        if any(_matches(dx, n) for n in names.values()):
            covered += 1
        fired = [c.pattern for c in res.conditions]
        diff = [c.pattern for c in res.differential(10)]
        for k in (1, 3, 10):
            hits[f"fired@{k}"] += any(_matches(dx, names[p]) for p in fired[:k])
            hits[f"diff@{k}"] += any(_matches(dx, names[p]) for p in diff[:k])
        per_dx.append({"dx": dx, "urgency": res.urgency, "fired": fired[:5], "diff": diff[:10]})
    n = len(rows)
    return {"vignettes": n, "covered_by_a_pattern": covered,
            **{k: v / n for k, v in hits.items()},
            **{f"{k} (covered)": v / max(1, covered) for k, v in hits.items()},
            "urgency_levels": levels, "seconds": round(time.time() - t, 1), "rows": per_dx}


# --------------------------------------------------------------------------------------------


_NUM = re.compile(r"\d+(?:[.,]\d+)*")


def _passages_by_ref(art: Article, evidence: list[Evidence]) -> dict[int, list[str]]:
    """For each reference, the retrieved passages of its source (what the composer cited)."""
    return {r.n: list(dict.fromkeys(e.passage.text for e in evidence if e.source.id == r.source_id))
            for r in art.references}


def _median(xs: list[float]) -> float | None:
    return round(statistics.median(xs), 1) if xs else None


def _share_le(xs: list[float], grade: float = 8.0) -> float | None:
    return sum(1 for x in xs if x <= grade) / len(xs) if xs else None


def bench_modes(rt: services.Runtime, questions: list[str]) -> dict[str, Any]:
    """Real answers: each question through search + compose (+ safety + verification) exactly as
    `services.ask` does, then the clinician and patient renderings of that one article."""
    from curbside.pipeline import AnswerPipeline, AskRequest
    from curbside.retrieve.hybrid import QueryError

    verifier = rt.verifier
    fk: dict[str, list[float]] = {k: [] for k in (
        "clinician", "patient", "clinician_answered", "patient_answered",
        "clinician_cited", "patient_cited")}
    flags = flags_kept = flag_articles = flag_articles_kept = 0
    prem = prem_kept = cites = cites_kept = nums_lost = 0
    verified = {"clinician": [0, 0], "patient": [0, 0]}
    answered = 0
    examples: list[dict[str, Any]] = []
    t = time.time()
    for q in questions:
        q = " ".join(q.split())
        try:  # what `ask` returns (clinician), with the evidence it was composed from
            trace = AnswerPipeline(rt).trace(AskRequest(question=q))
        except QueryError:
            continue
        art, result = trace.article, trace.retrieved.result
        c = render_for_audience(art, "clinician")
        p = render_for_audience(art, "patient")
        if c.readability is None or p.readability is None:
            continue
        fk["clinician"].append(c.readability)
        fk["patient"].append(p.readability)
        flags += len(c.red_flags)
        flags_kept += sum(1 for f in c.red_flags if f in p.red_flags)
        if c.red_flags:
            flag_articles += 1
            flag_articles_kept += all(f in p.red_flags for f in c.red_flags)
        prem += len(c.premise_findings)
        prem_kept += sum(1 for f in c.premise_findings if f in p.premise_findings)
        before = {n for cl in c.all_claims() for n in cl.citations}
        after = {n for cl in p.all_claims() for n in cl.citations}
        cites += len(before)
        cites_kept += len(before & after)
        nums_c = Counter(_NUM.findall(" ".join(cl.text for cl in c.all_claims())))
        nums_p = Counter(_NUM.findall(" ".join(cl.text for cl in p.all_claims())))
        nums_lost += sum((nums_c - nums_p).values())
        if art.insufficient:
            continue
        answered += 1
        fk["clinician_answered"].append(c.readability)
        fk["patient_answered"].append(p.readability)
        for mode, a in (("clinician", c), ("patient", p)):
            cited = [cl.text for cl in a.all_claims() if cl.citations and not cl.ours]
            if cited:
                fk[f"{mode}_cited"].append(round(flesch_kincaid_grade(cited), 1))
        if verifier is not None and art.references:
            pbr = _passages_by_ref(art, list(result.evidence))
            for mode, a in (("clinician", c), ("patient", p)):
                _, rep = verifier.verify(a, pbr, drop_unsupported=False, renumber=False)
                verified[mode][0] += rep.supported
                verified[mode][1] += rep.sentences
        if len(examples) < 3:
            examples.append({"question": q, "clinician": [cl.text for cl in c.all_claims()][:6],
                             "patient": [cl.text for cl in p.all_claims()][:10],
                             "fk": [c.readability, p.readability]})
    return {
        "questions": len(questions), "articles": len(fk["clinician"]), "answered": answered,
        **{f"fk_{k}_median": _median(v) for k, v in fk.items()},
        **{f"share_le_8_{k}": _share_le(v) for k, v in fk.items()},
        "red_flags": flags, "red_flags_preserved": flags_kept,
        "articles_with_red_flags": flag_articles,
        "articles_with_all_red_flags_preserved": flag_articles_kept,
        "premise_findings": prem, "premise_findings_preserved": prem_kept,
        "citations": cites, "citations_preserved": cites_kept, "numbers_lost": nums_lost,
        "verifier_supported": verified, "examples": examples,
        "seconds": round(time.time() - t, 1),
    }


def _print_modes(m: dict[str, Any]) -> None:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    print("| measure | clinician | patient |\n|---|---:|---:|")
    print(f"| median FK grade, all {m['articles']} articles | {m['fk_clinician_median']} | "
          f"{m['fk_patient_median']} |")
    print(f"| share of articles at grade <= 8, all | {pct(m['share_le_8_clinician'])} | "
          f"{pct(m['share_le_8_patient'])} |")
    print(f"| median FK grade, {m['answered']} answered articles | "
          f"{m['fk_clinician_answered_median']} | {m['fk_patient_answered_median']} |")
    print(f"| share at grade <= 8, answered | {pct(m['share_le_8_clinician_answered'])} | "
          f"{pct(m['share_le_8_patient_answered'])} |")
    print(f"| median FK grade, answered, cited sentences only | "
          f"{m['fk_clinician_cited_median']} | {m['fk_patient_cited_median']} |")
    v = m["verifier_supported"]
    print(f"| sentences the verifier supports (answered) | {v['clinician'][0]}/{v['clinician'][1]}"
          f" | {v['patient'][0]}/{v['patient'][1]} |")
    print(f"\nRed flags preserved in patient mode: {m['red_flags_preserved']}/{m['red_flags']} "
          f"(articles with red flags: {m['articles_with_all_red_flags_preserved']}/"
          f"{m['articles_with_red_flags']} keep all of them); premise findings "
          f"{m['premise_findings_preserved']}/{m['premise_findings']}; citation numbers "
          f"{m['citations_preserved']}/{m['citations']}; numbers lost: {m['numbers_lost']}. "
          f"{m['articles'] - m['answered']} of {m['articles']} articles are the composer's "
          f"'insufficient evidence' notice. {m['seconds']} s.")


# --------------------------------------------------------------------------------------------


def _premises_and_triage(rt: services.Runtime | None, out: dict[str, Any]) -> None:
    prem = bench_premises(rt)
    out["premises"] = prem
    print("## Premise audit: false flags on 200 questions without false premises\n")
    print("| mode | questions | flagged | rate | seconds |\n|---|---:|---:|---:|---:|")
    for label in ("patterns only", "patterns + evidence"):
        if label in prem:
            r = prem[label]
            print(f"| {label} | {r['questions']} | {r['flagged']} | {r['rate']:.1%} | "
                  f"{r['seconds']} |")
    print(f"\nQuestions raising an urgent/emergency red flag: {prem['red_flag_questions']}\n")
    for label in ("patterns only", "patterns + evidence"):
        for ex in prem.get(label, {}).get("examples", []):
            print(f"- [{label}; {ex['set']}; {ex['by']}] {ex['question']}\n  -> {ex['finding']}")

    tri = bench_triage()
    out["triage"] = {k: v for k, v in tri.items() if k != "rows"}
    print("\n## Triage: Avey vignettes (correct diagnosis among conditions raised)\n")
    print("| list | top-1 | top-3 | top-10 |\n|---|---:|---:|---:|")
    for kind, label in (("fired", "fired patterns"), ("diff", "differential (fired + partial)")):
        print(f"| {label} | {tri[f'{kind}@1']:.1%} | {tri[f'{kind}@3']:.1%} | "
              f"{tri[f'{kind}@10']:.1%} |")
    for kind, label in (("fired", "fired, covered only"), ("diff", "differential, covered only")):
        print(f"| {label} | {tri[f'{kind}@1 (covered)']:.1%} | {tri[f'{kind}@3 (covered)']:.1%} | "
              f"{tri[f'{kind}@10 (covered)']:.1%} |")
    print(f"\nVignettes whose diagnosis any pattern names: {tri['covered_by_a_pattern']} of "
          f"{tri['vignettes']}. Urgency levels: {tri['urgency_levels']}.")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="Use this Curbside home as is.")
    ap.add_argument("--medquad", action="store_true", help="Also ingest MedQuAD (temp home).")
    ap.add_argument("--no-evidence", action="store_true", help="Premises from patterns only.")
    ap.add_argument("--skip-modes", action="store_true")
    ap.add_argument("--modes-only", action="store_true",
                    help="Only the reader-mode measurements (no premise audit, no triage).")
    ap.add_argument("--questions", type=int, default=100,
                    help="MedicationQA questions for the reader modes (default 100).")
    ap.add_argument("--offset", type=int, default=0,
                    help="Skip this many MedicationQA questions first (the patient mode was "
                         "tuned on --offset 100; the reported set is --offset 0).")
    ap.add_argument("--no-vignettes", action="store_true",
                    help="Skip red-flag preservation on the 50 urgent Avey vignettes.")
    args = ap.parse_args()
    if not BENCH.is_dir():
        print(f"benchmark data not found at {BENCH}", file=sys.stderr)
        return 2

    rt = None
    if not (args.no_evidence and args.skip_modes):
        home = args.home or Path(tempfile.mkdtemp(prefix="curbside-safety-"))
        rt = services.open_runtime(Settings(home=home))
        if args.home is None:
            services.ingest_starter_library(rt, embed=False)
            if args.medquad:
                services.ingest(rt, paths=[DATA / "corpus" / "medquad_answers.jsonl.gz"],
                                fmt="jsonl", embed=False)

    out: dict[str, Any] = {}
    if not args.modes_only:
        _premises_and_triage(None if args.no_evidence else rt, out)
    if rt is not None and not args.skip_modes:
        med = [r["Question"] for r in _jsonl(BENCH / "medicationqa.jsonl")
               if str(r.get("Question") or "").strip()]
        qs = med[args.offset:args.offset + args.questions]
        modes = bench_modes(rt, qs)
        out["modes"] = modes
        print(f"\n## Reader modes: MedicationQA questions {args.offset + 1}-"
              f"{args.offset + len(qs)}, real answers (search + compose + verify)\n")
        _print_modes(modes)
        if not args.no_vignettes:
            vig = [vignette_text(r)[:1900]
                   for r in _jsonl(BENCH / "triage" / "avey_vignettes.jsonl")]
            urgent = [v for v in vig if triage(v, partial=False).urgency
                      in ("emergency", "urgent")][:50]
            vm = bench_modes(rt, urgent)
            out["modes_vignettes"] = vm
            print(f"\n## Reader modes: {len(urgent)} Avey vignettes raising urgent or emergency "
                  f"flags\n")
            _print_modes(vm)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "safety_modes.json" if args.modes_only else "safety.json"
    (OUT / name).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
