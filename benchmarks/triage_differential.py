"""Triage differential benchmark (issue 17) on the 400 Avey development vignettes.

    PYTHONPATH=src python benchmarks/triage_differential.py [--data DIR] [--json OUT]
        [--before-src OTHER/src] [--write-model] [--explain even] [--fit-only]

Fits the differential's re-ranker (`fit_reranker`, `--write-model` writes it) and its softmax
temperature and probability thresholds (`fit_params`) on the even half (0-based lines 0, 2,
4...) only, and reports, in one run, on both halves (the odd half is held out):

* top-1/3/10: the correct diagnosis (mapped to its urgency-table condition by name or synonym)
  among the first 1/3/10 conditions;
* emergencies caught, emergencies rated routine, false emergencies and over-triage
  (non-emergencies rated urgent or higher), against the labels of triage_labels.tsv (the
  urgency table's level of the correct diagnosis);
* for: the triage of another checkout (`--before-src`, e.g. main before a change; run through
  benchmarks/triage_snapshot.py in a subprocess), the plain bm25 baseline (bm25 over the same
  condition documents, whole text as the query, with this run's thresholds), the plain
  retrieval baseline of the issue (`rrf_baseline`: RRF of bm25 and MiniLM over one document per
  condition; top-k only), the rules alone, and this checkout's triage as bundled
  (triage_snapshot.py again, so before and after are measured the same way);
* on the 200 development questions without false premises or emergencies (benchmarks/safety.py
  `clean_questions`): the premise audit's and the red flags' false-flag rate, and how many the
  full triage rates urgent or emergency;
* triage p50/p95 (``triage(text)``, warm) over the 400 vignettes and the 200 questions.

The fit: a grid over temperature x top k x thresholds; among settings with a false-emergency
rate <= 15 % on the even half, the highest emergency recall, then the fewest false
emergencies, then the most emergencies rated at least urgent, then the fewest urgent ratings.
`--explain even` lists the even half's missed and false emergencies with their reasons.

Run of 2026-12-06 23:00-23:17 UTC (2-core shared machine, load average 24-30), issue 17
third slice: before = ce9ea51 (main at clone time), after = this branch (profiles from other
MedQuAD pages, the 23-feature re-ranker, the appendicitis rule, the anticancer-treatment and
meningitis fixes). Counts: emergencies caught / rated routine / false emergencies /
over-triage:

    fitted on the even half: temperature=3.0 top_k=5 emergency_threshold=0.1
      possible_emergency_threshold=0.1 urgent_threshold=0.3 (bundled = this fit)
    half system               top1 top3 top10 caught      routine false em.    over-triage
    odd  before: rules          -    -    -   17/23 74 %  0       21/177 12 %  39/177 22 %
    odd  before: triage       17%  32%  49%   18/23 78 %  0       27/177 15 %  44/177 25 %
    odd  plain bm25 + rules   10%  18%  32%   19/23 83 %  0       72/177 41 % 104/177 59 %
    odd  RRF bm25 + MiniLM    19%  29%  46%   -
    odd  after: rules           -    -    -   17/23 74 %  0       20/177 11 %  39/177 22 %
    odd  after: triage        20%  36%  52%   17/23 74 %  0       20/177 11 %  39/177 22 %
    even before: triage       16%  32%  45%   25/25 100 % 0       26/175 15 %  41/175 23 %
    even RRF bm25 + MiniLM    15%  28%  46%   -
    even after: rules           -    -    -   24/25 96 %  0       22/175 13 %  38/175 22 %
    even after: triage        20%  32%  50%   25/25 100 % 0       23/175 13 %  39/175 22 %
    200 questions: premise 0/200, red flag 0/200, full triage urgent+ 0/200 (before and after)
    triage latency, warm, 600 texts: before p50 49.0 ms / p95 96.4 ms; after 60.8 / 114.9 ms

Held-out emergencies missed after: acute cholangitis, rhabdomyolysis, foreign body
aspiration, epiglottitis, acute angle-closure glaucoma (as before) and a bacterial meningitis
that before was caught by fever + headache + vomiting (the meningitis change, chosen on the
even half's brucellosis false emergency); all "undetermined", never routine. Nothing is tuned
on the odd half.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curbside.safety.differential import (  # noqa: E402
    DEFAULT_PARAMS,
    FEATURES,
    DifferentialParams,
    RankedCondition,
    Reranker,
    load_reranker,
    rank_conditions,
)
from curbside.safety.triage import triage_findings  # noqa: E402
from curbside.safety.urgency import load_urgency_table  # noqa: E402
from curbside.understand.findings import extract_findings  # noqa: E402
from safety import vignette_text  # noqa: E402  (benchmarks/safety.py)

DATA = Path(os.environ.get("CURBSIDE_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
RANK = {"emergency": 3, "urgent": 2, "routine": 1, "undetermined": 0}
TEMPS = (0.5, 1.0, 2.0, 3.0)
EM_THRESH = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
POSSIBLE_EM = (0.01, 0.02, 0.05, 0.1)
UR_THRESH = (0.3, 0.5)
#: How deep in the differential a plausible emergency condition still counts.
TOP_KS = (5, 10)
#: The false-emergency ceiling the fit respects (issue 17's aim).
MAX_FALSE_EMERGENCY = 0.15


def _max(*levels: str | None) -> str:
    return max((lv for lv in levels if lv), key=lambda lv: RANK[lv], default="undetermined")


def _rank_of(names: list[str], target: str) -> int | None:
    return names.index(target) + 1 if target in names else None


MODEL = Path(__file__).resolve().parents[1] / "src" / "curbside" / "knowledge" / \
    "differential_model.json"
#: L2 strength, learning rate and steps of the listwise logistic (softmax) re-ranker.
L2, LR, STEPS = 0.01, 0.05, 3000


def fit_reranker(cases: list[dict[str, Any]]) -> Reranker:
    """Listwise softmax regression: per case, the correct condition against the other
    candidates; features standardised, then folded back into the weights."""
    groups = []
    for c in cases:
        names = [n for n, _ in c["feats"]]
        if c["target"] in names:
            groups.append((np.array([x for _, x in c["feats"]], dtype=float),
                           names.index(c["target"])))
    allx = np.vstack([g for g, _ in groups])
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    w = np.zeros(len(FEATURES))
    for _ in range(STEPS):
        grad = L2 * w
        for x, y in groups:
            z = ((x - mu) / sd) @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            p[y] -= 1.0
            grad += ((x - mu) / sd).T @ p / len(groups)
        w -= LR * grad
    weights = w / sd
    return Reranker(tuple(float(v) for v in weights), float(-(weights * mu).sum()),
                    f"even half of the Avey development vignettes ({len(groups)} cases whose "
                    f"diagnosis was a candidate)")


def _arrays(ranked: list[RankedCondition]) -> tuple[np.ndarray, ...]:
    """Scores, emergency / urgent flags and plausibility (a stated finding its sources name)
    of a ranked list, for the fast threshold grid."""
    return (np.array([r.score for r in ranked], dtype=float),
            np.array([r.level == "emergency" for r in ranked]),
            np.array([r.level == "urgent" for r in ranked]),
            np.array([bool(r.supported_by) for r in ranked]))


def _diff_level(arrs: tuple[np.ndarray, ...], p: DifferentialParams) -> str | None:
    """`differential_level` over the arrays of `_arrays`, probabilities a softmax at p's
    temperature (the same arithmetic as rank_conditions, vectorised for the grid)."""
    s, em, ur, sup = arrs
    if not len(s):
        return None
    w = np.exp((s - s.max()) / p.temperature)
    prob = (w / w.sum())[:p.top_k] * sup[:p.top_k]
    p_em = float(prob[em[:p.top_k]].sum())
    p_ur = p_em + float(prob[ur[:p.top_k]].sum())
    if p_em >= p.emergency_threshold:
        return "emergency"
    if p_em >= p.possible_emergency_threshold or p_ur >= p.urgent_threshold:
        return "urgent"
    return None


def fit_params(cases: list[dict[str, Any]]) -> DifferentialParams:
    """The grid of the module doc, on `cases` (the even half) only."""
    best: tuple[Any, ...] | None = None
    for t, k, te, tp, tu in product(TEMPS, TOP_KS, EM_THRESH, POSSIBLE_EM, UR_THRESH):
        if tp > te:
            continue
        p = DifferentialParams(t, k, te, tp, tu, "even half of the Avey development vignettes")
        got = [_max(c["rules"], _diff_level(c["arrs"], p)) for c in cases]
        em = [g for g, c in zip(got, cases, strict=True) if c["label"] == "emergency"]
        non = [g for g, c in zip(got, cases, strict=True) if c["label"] != "emergency"]
        recall = sum(g == "emergency" for g in em) / max(1, len(em))
        false = sum(g == "emergency" for g in non) / max(1, len(non))
        sameday = sum(g in ("emergency", "urgent") for g in em) / max(1, len(em))
        over = sum(g in ("emergency", "urgent") for g in non)
        key = (false > MAX_FALSE_EMERGENCY, -recall, round(false, 4), -round(sameday, 3), over)
        if best is None or key < best[0]:
            best = (key, p)
    assert best is not None
    return best[1]


def rrf_baseline(texts: list[str]) -> list[list[str]]:
    """The plain retrieval baseline of issue 17: one document per condition (its names and
    quoted sentences), the whole case text as the query, BM25 (FTS5, as above, no negation
    handling) and MiniLM cosine (the bundled int8 model, first 256 tokens), fused by RRF
    (k = 60). Returns each case's condition names, best first (top 50)."""
    from curbside.index.embedder import OnnxMiniLmEmbedder
    from curbside.retrieve.fusion import rrf
    from curbside.safety.differential import condition_documents

    names, docs = condition_documents()
    emb = OnnxMiniLmEmbedder(threads=1)
    dv = emb.embed(docs)
    qv = emb.embed(texts)
    out = []
    for text, q in zip(texts, qv, strict=True):
        bm = rank_conditions(extract_findings(text), k=50, negation=False)
        cos = dv @ q
        dense = [(int(i), float(cos[i])) for i in np.argsort(-cos)[:50]]
        fused = rrf({"bm25": [(names.index(r.name), r.score) for r in bm], "dense": dense})
        out.append([names[i] for i, _ in sorted(fused.items(), key=lambda kv: -kv[1])[:50]])
    return out


def _snapshot(src: Path | None, data: Path) -> dict[str, Any]:
    """benchmarks/triage_snapshot.py run on the checkout `src` (None: this one)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src if src else Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "snapshot.json"
        subprocess.run([sys.executable, str(Path(__file__).with_name("triage_snapshot.py")),
                        "--data", str(data), "--out", str(out)], check=True, env=env)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return result


def _row(name: str, sub: list[dict[str, Any]], key: str | None, rank_key: str | None) -> str:
    em = [c for c in sub if c["label"] == "emergency"]
    non = [c for c in sub if c["label"] != "emergency"]
    cells = [f"{name:<34}"]
    for k in (1, 3, 10):
        hits = sum(c[rank_key] is not None and c[rank_key] <= k for c in sub) if rank_key else 0
        cells.append(f"{100 * hits / len(sub):>4.0f}%" if rank_key else f"{'-':>5}")
    if key:
        caught = sum(c[key] == "emergency" for c in em)
        false = sum(c[key] == "emergency" for c in non)
        over = sum(c[key] in ("emergency", "urgent") for c in non)
        routine = sum(c[key] == "routine" for c in em)
        ne = max(1, len(non))
        cells.append(f"{caught:>3}/{len(em):<3} {100 * caught / max(1, len(em)):>3.0f}%  "
                     f"{routine:>3}  {false:>3}/{len(non):<3} {100 * false / ne:>3.0f}%"
                     f"  {over:>3}/{len(non):<3} {100 * over / ne:>3.0f}%")
    else:
        cells.append("-")
    return " ".join(cells)


def _flags(snap: dict[str, Any]) -> str:
    q = snap["questions"]
    n = len(q)
    prem = sum(r["premise"] for r in q)
    red = sum(bool(r["red_flag"]) for r in q)
    either = sum(r["premise"] or bool(r["red_flag"]) for r in q)
    tri = sum(r["urgency"] in ("emergency", "urgent") for r in q)
    return (f"premise {prem}/{n} ({100 * prem / n:.1f}%), red flag {red}/{n}, premise or red "
            f"flag {either}/{n} ({100 * either / n:.1f}%); full triage urgent or emergency "
            f"{tri}/{n} ({100 * tri / n:.1f}%)")


def _latency(snap: dict[str, Any]) -> str:
    lat = sorted(snap["latency_ms"])
    return (f"p50 {statistics.median(lat):.1f} ms, p95 {lat[int(0.95 * (len(lat) - 1))]:.1f} ms"
            f" (n = {len(lat)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--write-model", action="store_true",
                    help=f"write the fitted re-ranker to {MODEL.name}")
    ap.add_argument("--before-src", type=Path, default=None,
                    help="the src/ of another checkout (e.g. main before this work), measured "
                         "in the same run")
    ap.add_argument("--explain", choices=("even",), default=None,
                    help="list the even half's missed emergencies and false emergencies with "
                         "their reasons (the odd half is never listed)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the MiniLM baseline")
    ap.add_argument("--fit-only", action="store_true",
                    help="fit and explain only: no baseline, no snapshots, no table")
    args = ap.parse_args(argv)
    table = load_urgency_table()
    path = args.data / "benchmarks" / "triage" / "avey_vignettes.jsonl"
    cases = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            v = json.loads(line)
            cond = table.lookup(v["correct_diagnosis"])
            assert cond is not None, v["correct_diagnosis"]
            f = extract_findings(vignette_text(v))
            feats: list[tuple[str, tuple[float, ...]]] = []
            rank_conditions(f, k=50, rerank=False, features_out=feats)
            plain = rank_conditions(f, k=50, negation=False)
            cases.append({"line": i, "half": "even" if i % 2 == 0 else "odd", "f": f,
                          "text": f.text, "target": cond.name, "label": cond.level,
                          "rules": triage_findings(f, partial=False,
                                                   differential=False).urgency,
                          "feats": feats, "plain_ranked": plain,
                          "rank_plain": _rank_of([r.name for r in plain], cond.name)})
    even = [c for c in cases if c["half"] == "even"]
    model = fit_reranker(even)
    print("re-ranker weights:", dict(zip(FEATURES, (round(w, 3) for w in model.weights),
                                         strict=True)))
    if args.write_model:
        MODEL.write_text(json.dumps({"features": list(FEATURES), "weights": model.weights,
                                     "bias": model.bias, "fitted_on": model.fitted_on},
                                    indent=1) + "\n", encoding="utf-8")
    for c in cases:
        c["ranked"] = rank_conditions(c["f"], k=50, reranker=model)
        c["arrs"] = _arrays(c["ranked"])
        c["rank_fit"] = _rank_of([r.name for r in c["ranked"]], c["target"])
        c["plain_arrs"] = _arrays(c["plain_ranked"])
    fitted = fit_params(even)
    print(f"fitted on the even half: {asdict(fitted)}")
    try:
        bundled = load_reranker()
    except ValueError:  # a model of other features: this run's fit is not written yet
        bundled = None
    print("bundled model and DEFAULT_PARAMS are this fit:",
          bundled is not None and np.allclose(bundled.weights, model.weights)
          and (fitted.temperature, fitted.top_k, fitted.emergency_threshold,
               fitted.possible_emergency_threshold, fitted.urgent_threshold)
          == (DEFAULT_PARAMS.temperature, DEFAULT_PARAMS.top_k,
              DEFAULT_PARAMS.emergency_threshold, DEFAULT_PARAMS.possible_emergency_threshold,
              DEFAULT_PARAMS.urgent_threshold))
    for c in cases:
        c["fit"] = _max(c["rules"], _diff_level(c["arrs"], fitted))
        c["plain"] = _max(c["rules"], _diff_level(c["plain_arrs"], fitted))
    if args.explain == "even":
        _explain([c for c in cases if c["half"] == "even"], fitted, model)
    if args.fit_only:
        return 0
    if not args.no_baseline:
        for c, names in zip(cases, rrf_baseline([c["text"] for c in cases]), strict=True):
            c["rank_rrf"] = _rank_of(names, c["target"])
    after = _snapshot(None, args.data)
    before = _snapshot(args.before_src, args.data) if args.before_src else None
    for c in cases:
        for tag, snap in (("after", after), ("before", before)):
            if snap:
                v = snap["vignettes"][c["line"]]
                c[tag] = v["urgency"]
                c[f"rank_{tag}"] = _rank_of(v["diagnoses"], c["target"])
                c[f"{tag}_rules"] = v["rules"]
    _report(cases, before, after, baseline=not args.no_baseline)
    if args.json:
        out: dict[str, Any] = {"params": asdict(fitted)}
        out["rows"] = [{k: c.get(k) for k in ("line", "half", "target", "label", "rules",
                                               "before", "after", "fit", "rank_before",
                                               "rank_after", "rank_fit", "rank_rrf",
                                               "rank_plain")} for c in cases]
        args.json.write_text(json.dumps(out, indent=1))
    return 0


def _report(cases: list[dict[str, Any]], before: dict[str, Any] | None,
            after: dict[str, Any], *, baseline: bool) -> None:
    print(f"{'system':<34} {'top1':>5} {'top3':>5} {'top10':>5} {'caught':>12} {'routine':>5} "
          f"{'false em.':>12} {'over-triage':>12}")
    for half in ("odd", "even"):
        sub = [c for c in cases if c["half"] == half]
        print(f"-- {half} half ({'held out' if half == 'odd' else 'fitting'}), n = {len(sub)}")
        rows = []
        if before:
            rows += [("before: rules only", "before_rules", None),
                     ("before: triage (main)", "before", "rank_before")]
        rows += [("plain bm25 + rules (fitted thr.)", "plain", "rank_plain")]
        if baseline:
            rows += [("RRF bm25 + MiniLM (top-k only)", None, "rank_rrf")]
        rows += [("after: rules only", "after_rules", None),
                 ("after: triage (bundled)", "after", "rank_after")]
        if half == "even":
            rows += [("after: this run's fit", "fit", "rank_fit")]
        for name, key, rk in rows:
            print(_row(name, sub, key, rk))
    print("200 development questions without false premises or emergencies:")
    for tag, snap in (("before", before), ("after", after)):
        if snap:
            print(f"  {tag}: {_flags(snap)}")
            print(f"  {tag}: triage latency, warm, 400 vignettes + 200 questions: "
                  f"{_latency(snap)}")


def _explain(sub: list[dict[str, Any]], p: DifferentialParams, model: Reranker) -> None:
    """Why each missed emergency and false emergency of the even half came out as it did."""
    for c in sub:
        missed = c["label"] == "emergency" and c["fit"] != "emergency"
        false = c["label"] != "emergency" and c["fit"] == "emergency"
        if not (missed or false):
            continue
        r = triage_findings(c["f"], partial=False, differential=False)
        top = [(x.name, x.level, round(x.probability, 2)) for x in
               rank_conditions(c["f"], k=5, params=p, reranker=model)]
        print(f"{'MISSED' if missed else 'FALSE'} line {c['line']}: {c['target']} "
              f"({c['label']}) -> {c['fit']}, rank {c['rank_fit']}; rules: {r.reasons}; "
              f"top5: {top}")


if __name__ == "__main__":
    raise SystemExit(main())
