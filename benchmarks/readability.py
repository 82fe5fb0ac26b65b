"""Patient-mode readability over the MedicationQA questions, with every fact kept.

    python benchmarks/readability.py --home DIR [--build] [--medquad-sample N] [--seed S]
        [--ngc-sample N] [--limit N] [--offset K] [--split all|dev|heldout] [--examples N]

Each MedicationQA question (690; ``--limit``/``--offset`` take a slice) is asked for real through
`services.answers.ask(save=False, audience=...)`, once for the patient and once for the
clinician. Printed: n, median, p25 and p75 of the Flesch-Kincaid grade of the articles
(`Article.readability`: over the article body's claims, one unit per claim; not the title,
notices or reference list), over all articles and over the answered ones (not the
"insufficient evidence" notice), for both audiences, and the share at grade <= 8.

Facts kept: the patient article is compared with the *clinician rendering of the very article
it was rendered from* (the article just before `render_for_audience`: the answer pipeline's
Verify stage output, `AnswerPipeline.trace`; with an audience-aware composer the patient and
clinician articles may hold different sentences, so comparing two separate asks would not test
the renderer).
One violation per article and kind when the patient article lost any of: a red flag, a
premise finding, a citation number, a number of the claims' text (counted with
multiplicity), or a negation or hedge word of the cited claims (counted with multiplicity).
And, across the two asks (the composer may pick plainer sentences for the patient, so their
sentences, numbers and reference numbers differ by design): a red flag or premise finding of
the clinician's article (by pattern id) missing from the patient's (``red_flags_vs_clinician``,
``premise_vs_clinician``). Every kind must be 0 (`tests/safety/test_readability_bench.py`
checks that each kind is caught).

Split (for evaluation discipline): questions 1-500 are the development part (the patient
rules were looked at and tuned on these only); 501-690 are held out and reported separately.

``--build`` first ingests (idempotently: a later ``--build`` adds to the home) the bundled
starter library, a seeded random sample of ``--medquad-sample`` MedQuAD answer pages
(``../shared/data/corpus/medquad_answers.jsonl.gz``, ``random.Random(seed).sample`` over the
file's lines; 3,000 by default) and of ``--ngc-sample`` NGC guideline summaries
(``guidelines_ngc.jsonl.gz``; none by default, -1 for all 1,416); everything embedded (dense
index); what the home holds is written to ``DIR/readability_build.json``. Results go to stdout
(Markdown) and ``--out`` (default ``benchmarks/out/readability.json``), with the patient
articles' grade by part (lead, sections, bottom line).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from curbside import services
from curbside.article import Article
from curbside.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MEDQA = DATA / "benchmarks" / "medicationqa.jsonl"
OUT = ROOT / "benchmarks" / "out"
#: Questions 1..DEV_END are the development part; the rest are held out.
DEV_END = 500

_NUM = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z']+")
#: Words whose count in the cited claims must not change (the verifier and the reader read them).
NEGATIONS = frozenset({"no", "not", "never", "without", "neither", "nor", "none", "cannot"})
HEDGES = frozenset({"may", "might", "could", "can", "possibly", "likely", "unlikely",
                    "suggest", "suggests", "suggested", "probably", "uncertain", "unclear"})


#: What a patient article must not lose (see the module doc).
VIOLATION_KINDS = ("red_flags", "premise_findings", "citations", "numbers", "negations",
                   "hedges", "red_flags_vs_clinician", "premise_vs_clinician")


def _sample_lines(src: Path, n: int, seed: int) -> tuple[list[str], int]:
    """A seeded random sample of `n` of the file's non-empty lines (all when n < 0), in order."""
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip()]
    if n < 0 or n >= len(lines):
        return lines, len(lines)
    picked = sorted(random.Random(seed).sample(range(len(lines)), n))
    return [lines[i] for i in picked], len(lines)


def build_home(home: Path, medquad_sample: int, ngc_sample: int, seed: int) -> dict[str, Any]:
    """Ingest (idempotently, so a later call can add to a home) the starter library, the MedQuAD
    sample and the NGC sample, embedded; what is in the home goes to readability_build.json."""
    home.mkdir(parents=True, exist_ok=True)
    rt = services.open_runtime(Settings(home=home))
    t = time.time()
    built: dict[str, Any] = {"seed": seed}
    rep = services.ingest_starter_library(rt)
    built["starter_new_sources"] = len(rep.new_source_ids)
    for name, mapping, n in (("medquad_answers", "medquad", medquad_sample),
                             ("guidelines_ngc", "ngc", ngc_sample)):
        if n == 0:
            continue
        lines, total = _sample_lines(DATA / "corpus" / f"{name}.jsonl.gz", n, seed)
        sample = home / f"{name}_sample{len(lines)}_seed{seed}.jsonl"
        sample.write_text("".join(lines), encoding="utf-8")
        rep = services.ingest(rt, paths=[sample], fmt="jsonl", mapping=mapping)
        built[name] = {"file_lines": total, "sampled": len(lines),
                       "new_sources": len(rep.new_source_ids)}
    built["stats"] = services.stats(rt)
    built["seconds"] = round(time.time() - t)
    (home / "readability_build.json").write_text(json.dumps(built, indent=2, default=str),
                                                 encoding="utf-8")
    return built


def _words(text: str, vocab: frozenset[str]) -> Counter[str]:
    return Counter(w for w in (x.lower() for x in _WORD.findall(text)) if w in vocab)


def violations(before: Article, patient: Article) -> dict[str, int]:
    """Facts of the clinician rendering `before` missing from `patient` (0 or 1 per kind)."""
    out: dict[str, int] = {}
    out["red_flags"] = int(any(f not in patient.red_flags for f in before.red_flags))
    out["premise_findings"] = int(any(f not in patient.premise_findings
                                      for f in before.premise_findings))
    cites_b = {n for c in before.all_claims() for n in c.citations}
    cites_p = {n for c in patient.all_claims() for n in c.citations}
    out["citations"] = int(bool(cites_b - cites_p))
    nums_b = Counter(_NUM.findall(" ".join(c.text for c in before.all_claims())))
    nums_p = Counter(_NUM.findall(" ".join(c.text for c in patient.all_claims())))
    out["numbers"] = int(bool(nums_b - nums_p))
    cited_b = " ".join(c.text for c in before.all_claims() if c.citations and not c.ours)
    cited_p = " ".join(c.text for c in patient.all_claims() if c.citations and not c.ours)
    out["negations"] = int(_words(cited_b, NEGATIONS) != _words(cited_p, NEGATIONS))
    out["hedges"] = int(_words(cited_b, HEDGES) != _words(cited_p, HEDGES))
    return out


def across_asks(clinician: Article, patient: Article) -> dict[str, int]:
    """Safety blocks of the clinician's ask missing from the patient's (0 or 1 per kind), by
    pattern id: the two articles may cite different sentences, so their numbers differ."""
    flags_p = {f.pattern for f in patient.red_flags}
    premises_p = {(f.pattern, f.assumption) for f in patient.premise_findings}
    return {
        "red_flags_vs_clinician": int(any(f.pattern not in flags_p for f in clinician.red_flags)),
        "premise_vs_clinician": int(any((f.pattern, f.assumption) not in premises_p
                                        for f in clinician.premise_findings)),
    }


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens (longest common subsequence)."""
    a = [w.lower() for w in _WORD.findall(candidate)]
    b = [w.lower() for w in _WORD.findall(reference)]
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    lcs = prev[-1]
    if not lcs:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


def part_grades(article: Article) -> dict[str, float | None]:
    """The Flesch-Kincaid grade of each part of `article` (lead, sections, bottom line; one
    unit per claim, as `Article.readability`), to show which part an article's grade comes
    from."""
    from curbside.text.readability import flesch_kincaid_grade

    parts = {"lead": article.lead, "sections": [c for s in article.sections
                                                for c in ([s.intro] if s.intro else []) + s.claims],
             "bottom_line": article.bottom_line}
    out: dict[str, float | None] = {}
    for name, claims in parts.items():
        units = [c.text for c in claims if c.text.strip()]
        out[name] = round(flesch_kincaid_grade(units), 1) if units else None
    return out


def _lead(article: Article) -> str:
    """The article's first cited lead sentence (as composed, before any reader rendering)."""
    return next((c.text for c in article.lead if c.citations and not c.ours), "")


def _quartiles(xs: list[float]) -> dict[str, Any]:
    if not xs:
        return {"n": 0, "median": None, "p25": None, "p75": None, "share_le_8": None}
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"n": len(xs), "median": round(statistics.median(xs), 1), "p25": round(q[0], 1),
            "p75": round(q[2], 1), "share_le_8": round(sum(x <= 8 for x in xs) / len(xs), 3)}


def run(rt: services.Runtime, questions: list[tuple[int, str, str]], n_examples: int
        ) -> dict[str, Any]:
    import curbside.services.answers as answers
    from curbside.pipeline import AnswerPipeline, AskRequest
    from curbside.render.modes import render_for_audience as real_render
    from curbside.retrieve.hybrid import QueryError

    fk: dict[str, list[float]] = {k: [] for k in (
        "patient", "clinician", "patient_answered", "clinician_answered")}
    per_q: list[dict[str, Any]] = []
    bad: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    t = time.time()
    for i, q, ref in questions:
        try:  # what `ask` returns, and the article before rendering (the Verify stage's)
            req = AskRequest(question=answers._check_question(q), audience="patient")
            trace = AnswerPipeline(rt).trace(req)
        except (services.InvalidInput, QueryError):
            continue
        p = trace.article
        composed = trace.verified.article  # the patient article as composed, not rendered
        before = real_render(composed, "clinician")
        c = answers.ask(rt, question=q, save=False, audience="clinician")
        v = violations(before, p)
        v.update(across_asks(c, p))
        bad.update({k: n for k, n in v.items() if n})
        lead_p, lead_c = _lead(composed), _lead(c)
        row = {"i": i, "patient": p.readability, "clinician": c.readability,
               "insufficient": p.insufficient, "violations": [k for k, n in v.items() if n],
               "patient_parts": part_grades(p),
               "section_claims": [sum(len(x.claims) for x in c.sections),
                                  sum(len(x.claims) for x in p.sections)],
               "same_lead": lead_p == lead_c,
               "rouge_patient": round(rouge_l(lead_p, ref), 4) if lead_p and ref else None,
               "rouge_clinician": round(rouge_l(lead_c, ref), 4) if lead_c and ref else None}
        per_q.append(row)
        if p.readability is not None:
            fk["patient"].append(p.readability)
            if not p.insufficient:
                fk["patient_answered"].append(p.readability)
        if c.readability is not None:
            fk["clinician"].append(c.readability)
            if not c.insufficient:
                fk["clinician_answered"].append(c.readability)
        if len(examples) < n_examples and not p.insufficient:
            examples.append({"i": i, "question": q, "fk": [c.readability, p.readability],
                             "clinician": [x.text for x in before.all_claims()],
                             "patient": [x.text for x in p.all_claims()]})
    rp = [r["rouge_patient"] for r in per_q if r["rouge_patient"] is not None]
    rc = [r["rouge_clinician"] for r in per_q if r["rouge_clinician"] is not None]
    answered = [r for r in per_q if not r["insufficient"]]
    parts = {k: _quartiles([r["patient_parts"][k] for r in answered
                            if r["patient_parts"][k] is not None])
             for k in ("lead", "sections", "bottom_line")}
    sec = [r["section_claims"] for r in answered]
    return {"questions": len(questions), "articles": len(per_q), "patient_parts": parts,
            "section_claims": {"clinician": sum(x[0] for x in sec),
                               "patient": sum(x[1] for x in sec)},
            "lead_rouge_l": {"patient": _mean(rp), "clinician": _mean(rc), "n": [len(rp), len(rc)],
                             "same_lead": sum(1 for r in per_q if r["same_lead"])},
            **{k: _quartiles(v) for k, v in fk.items()},
            "violations": {k: bad.get(k, 0) for k in VIOLATION_KINDS},
            "violating_articles": sum(1 for r in per_q if r["violations"]),
            "seconds": round(time.time() - t, 1), "rows": per_q, "examples": examples}


def _mean(xs: list[float]) -> float | None:
    return round(statistics.fmean(xs), 4) if xs else None


def _print(label: str, m: dict[str, Any]) -> None:
    print(f"\n## {label}: {m['articles']} of {m['questions']} questions asked "
          f"({m['seconds']} s)\n")
    print("| articles | audience | n | median FK | p25 | p75 | share <= 8 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for scope in ("", "_answered"):
        for aud in ("clinician", "patient"):
            s = m[aud + scope]
            print(f"| {'answered' if scope else 'all'} | {aud} | {s['n']} | {s['median']} | "
                  f"{s['p25']} | {s['p75']} | {s['share_le_8']} |")
    print("\nViolations (articles whose patient text lost a fact of the clinician text): "
          + ", ".join(f"{k} {n}" for k, n in m["violations"].items()))
    r = m["lead_rouge_l"]
    print(f"\nLead ROUGE-L F1 against the reference answer (as composed, before rendering): "
          f"patient ask {r['patient']} (n={r['n'][0]}), clinician ask {r['clinician']} "
          f"(n={r['n'][1]}); same lead sentence in {r['same_lead']} of {m['articles']}")
    print("\nPatient articles answered, grade by part: " + "; ".join(
        f"{k} median {v['median']} (n={v['n']}, share <= 8 {v['share_le_8']})"
        for k, v in m["patient_parts"].items()))
    sc = m["section_claims"]
    print(f"Section sentences of the answered articles: clinician ask {sc['clinician']}, "
          f"patient ask {sc['patient']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--build", action="store_true", help="Fill an empty home first.")
    ap.add_argument("--medquad-sample", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ngc-sample", type=int, default=0,
                    help="With --build: this many NGC guidelines too (-1: all 1,416).")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--limit", type=int, default=None, help="At most this many questions.")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--split", choices=("all", "dev", "heldout"), default="all",
                    help=f"dev: questions 1-{DEV_END}; heldout: the rest.")
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--out", type=Path, default=OUT / "readability.json",
                    help="Where every figure and per-question row goes.")
    args = ap.parse_args()
    if not MEDQA.is_file():
        print(f"benchmark data not found at {MEDQA}", file=sys.stderr)
        return 2
    if args.build:
        print(json.dumps(build_home(args.home, args.medquad_sample, args.ngc_sample, args.seed),
                         default=str)[:2000])
        if args.build_only:
            return 0
    rows = [json.loads(x) for x in MEDQA.read_text(encoding="utf-8").splitlines() if x.strip()]
    qs = [(i, " ".join(str(r.get("Question") or "").split()), str(r.get("Answer") or ""))
          for i, r in enumerate(rows, 1)]
    qs = [x for x in qs if x[1]]
    if args.split == "dev":
        qs = [x for x in qs if x[0] <= DEV_END]
    elif args.split == "heldout":
        qs = [x for x in qs if x[0] > DEV_END]
    qs = qs[args.offset:]
    if args.limit is not None:
        qs = qs[: args.limit]
    rt = services.open_runtime(Settings(home=args.home))
    res = run(rt, qs, args.examples)
    label = f"MedicationQA ({args.split}, {qs[0][0]}-{qs[-1][0]})" if qs else "MedicationQA"
    _print(label, res)
    if args.split == "all" and any(r["i"] > DEV_END for r in res["rows"]):
        for name, held in (("dev", False), ("heldout", True)):
            sub = [r for r in res["rows"] if (r["i"] > DEV_END) == held]
            ans = [r for r in sub if not r["insufficient"]]
            ps = [r["patient"] for r in ans if r["patient"] is not None]
            cs = [r["clinician"] for r in ans if r["clinician"] is not None]
            print(f"\n{name} ({len(sub)} questions), answered: clinician {_quartiles(cs)}; "
                  f"patient {_quartiles(ps)}; violating articles "
                  f"{sum(1 for r in sub if r['violations'])}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, default=str),
                                          encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
