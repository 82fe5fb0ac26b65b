"""Triage differential benchmark (issue 17) on the 400 Avey development vignettes.

    PYTHONPATH=src python benchmarks/triage_differential.py [--data DIR] [--json OUT]

Fits the differential's softmax temperature and probability thresholds on the even half
(0-based lines 0, 2, 4...) and reports, in one run, on the held-out odd half:

* top-1/3/10: the correct diagnosis (mapped to its urgency-table condition by name or synonym)
  among the first 1/3/10 conditions;
* emergency recall and false-emergency rate, against the labels of triage_labels.tsv (the
  urgency table's level of the correct diagnosis);
* for: today's triage (patterns + vital-sign rules, `curbside.safety.triage` without the
  differential), the plain baseline (bm25 over the same condition documents, whole text as the
  query: no negation handling, no absent-finding penalty, no sex filter), and the new triage
  (rules + the negation-aware differential);
* triage p50/p95 latency per vignette (the new triage, whole corpus, warm index).

The fit: a grid over temperature x thresholds; among settings with a false-emergency rate
<= 15 % on the even half, the highest emergency recall, then the most emergencies rated at
least urgent (same day), then the fewest urgent ratings. "em.same-day" is the share of
emergencies rated emergency or urgent; "non-em. urgent+" the share of non-emergencies rated
urgent or emergency (the cost of that).

Run of 2026-12-06 (2-core shared machine, loaded), issue 17 emergency-recall slice: before
= commit d2b834e, after = this commit (new airway / ruptured-AAA / later-pregnancy rules,
lexicon fixes, the grid over top_k and the refit). Counts, emergencies caught / rated routine /
false emergencies / non-emergencies rated urgent or higher (over-triage):

    fitted on the even half: temperature=2.0 emergency_threshold=0.1
      possible_emergency_threshold=0.1 urgent_threshold=0.3 top_k=5
    half system              top1 top3 top10 caught  routine false-em.     over-triage
    odd  before: rules         -    -    -   17/23   0       21/177 12 %   39/177 22 %
    odd  before: re-ranked   18%  32%  48%   17/23   0       24/177 14 %   66/177 37 %
    odd  after: rules          -    -    -   17/23   0       21/177 12 %   39/177 22 %
    odd  after: re-ranked    17%  32%  49%   18/23   0       27/177 15 %   44/177 25 %
    even before: re-ranked   16%  32%  45%   21/25   0       25/175 14 %   62/175 35 %
    even after: rules          -    -    -   22/25   0       23/175 13 %   38/175 22 %
    even after: re-ranked    16%  32%  45%   25/25   0       26/175 15 %   41/175 23 %
    triage latency per vignette (warm, all 400): p50 47.1 ms, p95 83.0 ms

The 5 held-out emergencies still missed are all "undetermined" (never routine) and none is
among the differential's 50 candidates: acute cholangitis, rhabdomyolysis, foreign body
aspiration, epiglottitis, acute angle-closure glaucoma. Nothing is tuned on the odd half.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, replace
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curbside.safety.differential import (  # noqa: E402
    FEATURES,
    DifferentialParams,
    Reranker,
    differential_level,
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


def _stats(rows: list[dict[str, Any]], key: str, rank_key: str | None) -> dict[str, Any]:
    em = [r for r in rows if r["label"] == "emergency"]
    non = [r for r in rows if r["label"] != "emergency"]
    out: dict[str, Any] = {
        "n": len(rows), "n_emergency": len(em),
        "emergency_recall": sum(r[key] == "emergency" for r in em) / max(1, len(em)),
        "false_emergency": sum(r[key] == "emergency" for r in non) / max(1, len(non)),
    }
    if rank_key:
        for k in (1, 3, 10):
            out[f"top{k}"] = sum(r[rank_key] is not None and r[rank_key] <= k
                                 for r in rows) / len(rows)
    return out


def _routine(rows: list[dict[str, Any]], key: str) -> float:
    """Share of emergencies rated routine (must be 0: unknown is "undetermined")."""
    em = [r for r in rows if r["label"] == "emergency"]
    return sum(r[key] == "routine" for r in em) / max(1, len(em))


def _sameday(rows: list[dict[str, Any]], key: str) -> float:
    """Share of emergencies rated emergency or urgent (not sent home)."""
    em = [r for r in rows if r["label"] == "emergency"]
    return sum(r[key] in ("emergency", "urgent") for r in em) / max(1, len(em))


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


def _over(rows: list[dict[str, Any]], key: str) -> float:
    """Share of non-emergencies rated emergency or urgent."""
    non = [r for r in rows if r["label"] != "emergency"]
    return sum(r[key] in ("emergency", "urgent") for r in non) / max(1, len(non))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--write-model", action="store_true",
                    help=f"write the fitted re-ranker to {MODEL.name}")
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
            rules = triage_findings(f, partial=False, differential=False)
            feats: list[tuple[str, tuple[float, ...]]] = []
            bm25 = rank_conditions(f, k=50, rerank=False, features_out=feats)
            plain = rank_conditions(f, k=50, negation=False)
            cases.append({"line": i, "half": "even" if i % 2 == 0 else "odd", "f": f,
                          "target": cond.name, "label": cond.level, "today": rules.urgency,
                          "feats": feats, "bm25": bm25, "plain": plain,
                          "rank_bm25": _rank_of([r.name for r in bm25], cond.name),
                          "rank_plain": _rank_of([r.name for r in plain], cond.name)})
    model = fit_reranker([c for c in cases if c["half"] == "even"])
    print("re-ranker weights:", dict(zip(FEATURES, (round(w, 3) for w in model.weights),
                                         strict=True)))
    if args.write_model:
        MODEL.write_text(json.dumps({"features": list(FEATURES), "weights": model.weights,
                                     "bias": model.bias, "fitted_on": model.fitted_on},
                                    indent=1) + "\n", encoding="utf-8")
    for c in cases:
        c["ranked"] = rank_conditions(c["f"], k=50, reranker=model)
        c["rank_new"] = _rank_of([r.name for r in c["ranked"]], c["target"])
    # today's triage time and the whole new triage, measured on a warm index
    lat = []
    for c in cases:
        t0 = time.perf_counter()
        triage_findings(extract_findings(c["f"].text), partial=False, differential=False)
        rank_conditions(c["f"], k=10, reranker=model)
        lat.append(1000 * (time.perf_counter() - t0))

    def levels(params: DifferentialParams, key: str) -> None:
        for c in cases:
            ranked = c["ranked"] if key == "new" else c[key]
            scores = [r.score for r in ranked]
            if scores:
                top = scores[0]
                w = [math.exp((s - top) / params.temperature) for s in scores]
                z = sum(w)
                ranked = [replace(r, probability=wi / z) for r, wi in zip(ranked, w, strict=True)]
            dl = differential_level(ranked, params=params)
            c[key] = _max(c["today"], dl)

    even = [c for c in cases if c["half"] == "even"]
    best: tuple[Any, ...] | None = None
    for t, k, te, tp, tu in product(TEMPS, TOP_KS, EM_THRESH, POSSIBLE_EM, UR_THRESH):
        p = DifferentialParams(t, k, te, tp, tu, "even half")
        levels(p, "new")  # the re-ranked differential
        s = _stats(even, "new", None)
        sameday = _sameday(even, "new")
        urgent = sum(c["new"] == "urgent" for c in even)
        key = (s["false_emergency"] > MAX_FALSE_EMERGENCY, -s["emergency_recall"],
               round(s["false_emergency"], 4), -round(sameday, 3), urgent)
        if best is None or key < best[0]:
            best = (key, p)
    assert best is not None
    fitted = best[1]
    levels(fitted, "new")
    levels(fitted, "plain")
    levels(fitted, "bm25")
    print(f"fitted on the even half: temperature={fitted.temperature} "
          f"emergency_threshold={fitted.emergency_threshold} "
          f"possible_emergency_threshold={fitted.possible_emergency_threshold} "
          f"urgent_threshold={fitted.urgent_threshold} top_k={fitted.top_k}")
    out: dict[str, Any] = {"params": asdict(fitted)}
    print(f"{'half':<5} {'system':<28} {'n':>4} {'top1':>5} {'top3':>5} {'top10':>6} "
          f"{'em.recall':>10} {'em.routine':>11} {'false em.':>10} {'em.same-day':>12} "
          f"{'non-em. urgent+':>16}")
    for half in ("odd", "even"):
        sub = [c for c in cases if c["half"] == half]
        out[half] = {}
        for name, key, rk in (("today (patterns + vitals)", "today", None),
                              ("plain bm25 + rules", "plain", "rank_plain"),
                              ("negation-aware bm25 + rules", "bm25", "rank_bm25"),
                              ("re-ranked (learned) + rules", "new", "rank_new")):
            s = _stats(sub, key, rk)
            out[half][key] = s
            tops = (f"{100 * s['top1']:>4.0f}% {100 * s['top3']:>4.0f}% {100 * s['top10']:>5.0f}%"
                    if rk else f"{'-':>5} {'-':>5} {'-':>6}")
            print(f"{half:<5} {name:<28} {s['n']:>4} {tops} "
                  f"{100 * s['emergency_recall']:>9.0f}% {100 * _routine(sub, key):>10.0f}% "
                  f"{100 * s['false_emergency']:>9.0f}% "
                  f"{100 * _sameday(sub, key):>11.0f}% {100 * _over(sub, key):>15.0f}%"
                  f"  (emergencies {s['n_emergency']})")
    lat.sort()
    p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
    print(f"triage latency per vignette (findings + rules + differential, warm, all "
          f"{len(lat)}): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    for half in ("even", "odd"):
        print(f"{half}-half emergencies missed (diagnosis, urgency given, its rank and "
              "probability in the differential):")
        for c in cases:
            if c["half"] == half and c["label"] == "emergency" and c["new"] != "emergency":
                rk = c["rank_new"]
                prob = c["ranked"][rk - 1].probability if rk and rk <= len(c["ranked"]) else None
                print(f"  line {c['line']}: {c['target']}: {c['new']}, rank {rk}, "
                      f"p={'-' if prob is None else f'{prob:.3f}'}")
    if args.json:
        out["rows"] = [{"line": c["line"], "target": c["target"], "label": c["label"],
                        "today": c["today"], "plain": c["plain"], "new": c["new"],
                        "rank_new": c["rank_new"], "rank_plain": c["rank_plain"]}
                       for c in cases]
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
