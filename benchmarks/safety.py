"""Safety benchmark: premise false-flag rate, triage accuracy, reader-mode readability.

    python benchmarks/safety.py [--home DIR] [--medquad] [--no-evidence] [--skip-modes]

1. **Premise false flags.** 200 questions without false premises (the first 100 BioASQ dev
   questions + the first 100 MedicationQA questions); a question is flagged when the premise
   audit returns anything. Measured with the patterns alone and with retrieved evidence (hybrid
   search over the runtime's library). Target <= 10 %. Flagged questions are printed.
2. **Triage.** 400 Avey vignettes; the correct diagnosis must be among the conditions raised
   (matched against pattern names and aliases). Top-1/3/10 over fired patterns only, and over
   the differential (fired, then partial matches). Also the ceiling: vignettes whose diagnosis
   any pattern names at all.
3. **Reader modes.** 100 MedicationQA questions answered with `services.ask` (+ safety blocks);
   Flesch-Kincaid grade of the clinician and patient renderings (median), and the share of red
   flags, premise findings and citation numbers preserved in patient mode.

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
from pathlib import Path
from typing import Any

from curbside import services
from curbside.article import Article, Claim
from curbside.compose.references import ReferenceList
from curbside.config import Settings
from curbside.domain import Evidence
from curbside.ingest.sentences import split_sentences
from curbside.render.modes import render_for_audience
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
              and triage(q, partial=False).urgency != "routine")
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


def _extractive_fallback(art: Article, evidence: list[Evidence], refs: ReferenceList) -> Article:
    """When `ask` declines (insufficient evidence), an article of the top retrieved sentences,
    verbatim and cited, so that reader modes can still be measured on real source text."""
    lead: list[Claim] = []
    for ev in evidence[:4]:
        n = refs.cite(ev.source, ev.passage.id, ev.passage.text)
        for sent in split_sentences(ev.passage.text)[:2]:
            lead.append(Claim(text=sent, citations=[n]))
    return art.model_copy(update={"lead": lead, "sections": [], "bottom_line": [],
                                  "references": refs.references(), "insufficient": False})


def bench_modes(rt: services.Runtime, questions: list[str] | None = None) -> dict[str, Any]:
    qs = questions or [q for s, q in clean_questions() if s == "medicationqa"][:100]
    fk_c: list[float] = []
    fk_p: list[float] = []
    flags = flags_kept = prem = prem_kept = cites = cites_kept = 0
    answered = fallback = 0
    t = time.time()
    for q in qs:
        try:
            result = services.search(rt, query=q, k=12)
            art = services.ask(rt, question=q, save=False)
        except services.InvalidInput:
            continue
        refs = ReferenceList()
        for ref in art.references:  # keep the composer's numbering
            src = rt.store.get_source(ref.source_id)
            if src is not None:
                refs.cite(src, 0, "")
        used_fallback = art.insufficient or not art.references
        if used_fallback:
            art = _extractive_fallback(art, result.evidence, refs)
        art, _ = services.add_safety(rt, article=art, evidence=result.evidence, refs=refs)
        if not art.all_claims():
            continue
        answered += 1
        fallback += used_fallback
        c = render_for_audience(art, "clinician")
        p = render_for_audience(art, "patient")
        if c.readability is not None and p.readability is not None:
            fk_c.append(c.readability)
            fk_p.append(p.readability)
        flags += len(art.red_flags)
        flags_kept += sum(1 for f in art.red_flags if f in p.red_flags)
        prem += len(art.premise_findings)
        prem_kept += sum(1 for f in art.premise_findings if f in p.premise_findings)
        before = {n for cl in art.all_claims() for n in cl.citations}
        after = {n for cl in p.all_claims() for n in cl.citations}
        cites += len(before)
        cites_kept += len(before & after)
    return {
        "questions": len(qs), "answered": answered, "extractive_fallback": fallback,
        "fk_clinician_median": statistics.median(fk_c) if fk_c else None,
        "fk_patient_median": statistics.median(fk_p) if fk_p else None,
        "red_flags": flags, "red_flags_preserved": flags_kept,
        "premise_findings": prem, "premise_findings_preserved": prem_kept,
        "citations": cites, "citations_preserved": cites_kept,
        "seconds": round(time.time() - t, 1),
    }


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, help="Use this Curbside home as is.")
    ap.add_argument("--medquad", action="store_true", help="Also ingest MedQuAD (temp home).")
    ap.add_argument("--no-evidence", action="store_true", help="Premises from patterns only.")
    ap.add_argument("--skip-modes", action="store_true")
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
    prem = bench_premises(None if args.no_evidence else rt)
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

    if rt is not None and not args.skip_modes:
        modes = bench_modes(rt)
        out["modes"] = modes
        print("\n## Reader modes: 100 MedicationQA questions\n")
        print("| measure | clinician | patient |\n|---|---:|---:|")
        print(f"| median Flesch-Kincaid grade | {modes['fk_clinician_median']} | "
              f"{modes['fk_patient_median']} |")
        print(f"\nAnswered: {modes['answered']} of {modes['questions']} "
              f"({modes['extractive_fallback']} with the benchmark's extractive fallback because "
              f"`ask` declined). Preserved in patient mode: "
              f"red flags {modes['red_flags_preserved']}/{modes['red_flags']}, premise findings "
              f"{modes['premise_findings_preserved']}/{modes['premise_findings']}, "
              f"citation numbers "
              f"{modes['citations_preserved']}/{modes['citations']}.")
    if rt is not None and not args.skip_modes:
        vig = [vignette_text(r)[:1900] for r in _jsonl(BENCH / "triage" / "avey_vignettes.jsonl")]
        urgent = [v for v in vig if triage(v, partial=False).urgency != "routine"][:50]
        vm = bench_modes(rt, urgent)
        out["modes_vignettes"] = vm
        print(f"\nRed-flag preservation on {vm['answered']} Avey vignettes that raise urgent or "
              f"emergency flags: red flags {vm['red_flags_preserved']}/{vm['red_flags']}, premise "
              f"findings {vm['premise_findings_preserved']}/{vm['premise_findings']}, citation "
              f"numbers {vm['citations_preserved']}/{vm['citations']}; median FK clinician "
              f"{vm['fk_clinician_median']}, patient {vm['fk_patient_median']}.")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "safety.json").write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
