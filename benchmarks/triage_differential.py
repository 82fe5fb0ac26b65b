"""Triage differential benchmark (issue 17) on the 400 Avey development vignettes.

    PYTHONPATH=src python benchmarks/triage_differential.py [--data DIR] [--json OUT]
        [--before-src OTHER/src] [--write-model] [--explain even] [--fit-only] [--even-only]
        [--cv]
        [--cv --json OUT [--compare OTHER.json]]

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

The fit: the re-ranker by listwise softmax regression (L2 0.3, chosen by `--cv`); the
temperature (2) and depth (top 10) fixed, chosen by `--cv`; the emergency and possible-
emergency thresholds are the quantiles of the emergency probability that the even half's
non-emergencies get out of fold (`crossfit_arrays`: each ranked by a re-ranker fitted on the
other even vignettes), so that the differential alone calls 5 % of them an emergency and 10 %
a possible emergency. (Until 2026-12-07 a grid over temperature x top k x thresholds
maximised rules + differential recall under the 15 % false-emergency cap; the rules were
written on the even half and catch 24/25 of its emergencies, so that fit learned to add
almost nothing, and inside the even half it did not hold its cap in cross-validation.)
`--cv` runs the whole fit 2-fold inside the even half (the odd half is not read) and reports
the measured folds, the differential alone among them; with `--json` it writes each even
vignette's out-of-fold rank and urgency, and `--compare OTHER.json` (the same from another
checkout or another knowledge file) prints the paired difference (`paired_cv`: MRR with a
bootstrap 95 % CI of the gain, vignettes ranked better and worse, top-k, emergencies caught and
false emergencies of the differential alone and of rules + differential). `--explain even`
lists the even half's missed and false emergencies with their reasons.

Run of 2026-12-07 01:54-02:01 UTC (2-core shared machine, load average 9-11), issue 17
fourth slice: before = ed45c35 (main at clone time, its own src in the same run), after =
this branch (MiniLM similarity as a second retriever and three re-ranker features, L2 0.3,
out-of-fold quantile thresholds, unprofiled emergency conditions plausible). Counts:
emergencies caught / rated routine / false emergencies / over-triage:

    fitted on the even half: temperature=2.0 top_k=10 emergency_threshold=0.1134
      possible_emergency_threshold=0.0703 urgent_threshold=0.3 (bundled = this fit)
    half system               top1 top3 top10 caught      routine false em.    over-triage
    odd  before: rules          -    -    -   17/23 74 %  0       21/177 12 %  39/177 22 %
    odd  before: triage       20%  36%  52%   17/23 74 %  0       21/177 12 %  39/177 22 %
    odd  plain bm25 + rules   10%  18%  32%   18/23 78 %  0       69/177 39 % 113/177 64 %
    odd  RRF bm25 + MiniLM    19%  29%  46%   -
    odd  after: rules           -    -    -   17/23 74 %  0       21/177 12 %  39/177 22 %
    odd  after: triage        29%  48%  70%   18/23 78 %  0       22/177 12 %  50/177 28 %
    even before: triage       20%  32%  50%   25/25 100 % 0       24/175 14 %  39/175 22 %
    even RRF bm25 + MiniLM    15%  28%  46%   -
    even after: rules           -    -    -   24/25 96 %  0       23/175 13 %  38/175 22 %
    even after: triage        29%  47%  70%   25/25 100 % 0       25/175 14 %  46/175 26 %
    200 questions: premise 0/200, red flag 0/200 (before and after); full triage urgent or
      emergency 0/200 before, 6/200 (3.0 %) after
    triage latency, warm, 600 texts: before p50 33.9 ms / p95 55.2 ms; after 107.7 / 167.7 ms

`--cv` (2-fold inside the even half, same code): top-1/3/10 26/46/70 %; the differential
alone catches 11/25 emergencies at 8/175 false emergencies; rules + differential 25/25 at
24/175. The held-out misses were not looked at (five emergencies, none rated routine).
Nothing is tuned on the odd half.

Run of 2026-12-07 11:40-11:49 UTC (load average 1-6), before = a91f7e4, after = d3b32a0 (the
MiniLM cosine also read against a reference of the even half's case texts, `DenseReference`):
odd half top-1/3/10 30/48/69 -> 31/52/71 %, emergencies caught 19/23 -> 19/23, false
emergencies 24/177 -> 28/177; `--cv` top-1/3/10 26/47/70 -> 30/50/72 %, rules + differential
25/25 at 24 -> 25/175. The table and what was tried are in docs/benchmarks.md ("Triage: MiniLM
read against a reference of case texts").

Run of 2026-12-07 13:56-14:04 UTC (load average 5.6-8.1, `--no-baseline`), before = main at
fbf5d81, after = the seizure and low-glucose rules (no even-half vignette or development
question fires them): odd half unchanged, top-1/3/10 31/52/71 %, emergencies caught 19/23,
false emergencies 28/177. What was tried on the even half and not kept (a learned calibration
of the differential's urgency, rank-based escalation, k-fold thresholds, ICD-10-CM context in
the documents, 150 candidates) is in docs/benchmarks.md ("Triage: seizure and low-glucose
rules; what did not separate emergencies better").

Run of 2026-12-07 16:26-16:32 UTC (load average 4.1 -> 2.8, `--no-baseline`), before = main
at a1b9c11, after = the rigid-abdomen, bowel-obstruction, hernia and head-injury rules, the
self-negating-term scope fix and the hyperosmolar profile without its "HHS" sentences: odd half
top-1/3/10 31/52/71 -> 32/52/71 %, emergencies caught 19/23 -> 19/23, false emergencies
28/177 -> 29/177 (rules alone 23 -> 24); `--cv` unchanged (MRR 0.438 -> 0.437). See
docs/benchmarks.md ("Triage: abdominal and head-injury rules").

Run of 2026-12-07 18:42-18:53 UTC (load average 10.0 -> 14.3, `--no-baseline`), before = main
at 11b5310, after = cited presentations for 11 unprofiled emergency conditions, generic local
signs, the "number" fix, the stated-condition rule and the stop-28 defects: odd half
top-1/3/10 32/52/71 -> 30/52/72 %, emergencies caught 19/23 -> 19/23, false emergencies 29/177
-> 28/177 (rules alone 24 -> 23); `--cv` MRR 0.437 -> 0.442, top-10 145 -> 141, rules +
differential 25/25 -> 24/25. See docs/benchmarks.md ("Triage: cited presentations").
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
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from curbside.safety.differential import (  # noqa: E402
    DEFAULT_PARAMS,
    FEATURES,
    REFERENCE_FEATURES,
    DenseReference,
    DifferentialParams,
    RankedCondition,
    Reranker,
    condition_documents,
    dense_scores,
    load_reranker,
    rank_conditions,
    reranker_json,
    states_complaint,
    unprofiled_conditions,
)
from curbside.safety.triage import triage_findings  # noqa: E402
from curbside.safety.urgency import load_urgency_table  # noqa: E402
from curbside.understand.findings import extract_findings  # noqa: E402
from safety import vignette_text  # noqa: E402  (benchmarks/safety.py)

DATA = Path(os.environ.get("CURBSIDE_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))
RANK = {"emergency": 3, "urgent": 2, "routine": 1, "undetermined": 0}
#: Softmax temperature and depth of the differential's urgency: chosen by 2-fold
#: cross-validation inside the even half (`--cv`), among 0.5 / 1 / 2 and 5 / 10.
TEMPERATURE, TOP_K = 2.0, 10
#: The share of the fitting half's non-emergencies the differential alone may call an
#: emergency (its threshold is that quantile of their out-of-fold emergency probability), and
#: may call urgent as a possible emergency.
EMERGENCY_ALARM, POSSIBLE_EMERGENCY_ALARM = 0.05, 0.10
#: Emergency + urgent probability that makes a case urgent (the earlier grid's choice).
URGENT_THRESHOLD = 0.3


#: Each condition's urgency level (filled from the urgency table in `main`).
LEVELS: dict[str, str] = {}
#: Conditions whose sources name no finding (`unprofiled_conditions`, filled in `main`).
UNPROFILED: set[str] = set()


def _max(*levels: str | None) -> str:
    return max((lv for lv in levels if lv), key=lambda lv: RANK[lv], default="undetermined")


def _rank_of(names: list[str], target: str) -> int | None:
    return names.index(target) + 1 if target in names else None


MODEL = Path(__file__).resolve().parents[1] / "src" / "curbside" / "knowledge" / \
    "differential_model.json"
#: L2 strength, learning rate and steps of the listwise logistic (softmax) re-ranker.
L2, LR, STEPS = 0.3, 0.05, 3000


#: Row of each condition in the urgency table (filled in `main`).
ROWS: dict[str, int] = {}


def _matrix(c: dict[str, Any], ref: DenseReference | None) -> np.ndarray:
    """The case's candidate features, the `REFERENCE_FEATURES` computed against `ref` (what
    rank_conditions computes with a re-ranker carrying that reference)."""
    x = np.array([v for _, v in c["feats"]], dtype=float)
    if ref is not None and c["cos"] is not None and len(x):
        rows = [ROWS[n] for n, _ in c["feats"]]
        x[:, -len(REFERENCE_FEATURES):] = ref.table(c["cos"])[rows]
    return x


def fit_reranker(cases: list[dict[str, Any]], fitted_on: str = "") -> Reranker:
    """Listwise softmax regression: per case, the correct condition against the other
    candidates; features standardised, then folded back into the weights. Full-batch
    gradient descent over the cases padded to one array (candidates masked). The dense
    reference is built from the same cases' texts (`DenseReference`; no label read)."""
    cos = [c["cos"] for c in cases if c["cos"] is not None]
    ref = DenseReference.of(np.array(cos)) if len(cos) > 1 else None
    groups = []
    for c in cases:
        names = [n for n, _ in c["feats"]]
        if c["target"] in names:
            groups.append((_matrix(c, ref), names.index(c["target"])))
    allx = np.vstack([g for g, _ in groups])
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    width = max(len(g) for g, _ in groups)
    xs = np.zeros((len(groups), width, len(FEATURES)))
    mask = np.zeros((len(groups), width), dtype=bool)
    onehot = np.zeros((len(groups), width))
    for i, (g, y) in enumerate(groups):
        xs[i, :len(g)] = (g - mu) / sd
        mask[i, :len(g)] = True
        onehot[i, y] = 1.0
    w = np.zeros(len(FEATURES))
    for _ in range(STEPS):
        z = np.where(mask, xs @ w, -np.inf)
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        w -= LR * (L2 * w + np.einsum("gm,gmf->f", p - onehot, xs) / len(groups))
    weights = w / sd
    return Reranker(tuple(float(v) for v in weights), float(-(weights * mu).sum()),
                    fitted_on or f"even half of the Avey development vignettes ({len(groups)} "
                    f"cases whose diagnosis was a candidate)", ref)


def _ranked_arrays(c: dict[str, Any], model: Reranker) -> tuple[list[str], tuple[np.ndarray,
                                                                             ...]]:
    """The case's candidates ordered by `model` and their `_arrays` (what rank_conditions with
    that re-ranker returns, from the features it collected: no second pass)."""
    names = [n for n, _ in c["feats"]]
    if not names:
        return [], (np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), np.zeros(0, bool))
    x = _matrix(c, model.reference)
    s = x @ np.array(model.weights) + model.bias
    order = np.argsort(-s, kind="stable")
    levels = [LEVELS[names[i]] for i in order]
    return [names[i] for i in order], (
        s[order], np.array([lv == "emergency" for lv in levels]),
        np.array([lv == "urgent" for lv in levels]),
        (x[order, FEATURES.index("terms_matched")] > 0)
        | (np.array([names[i] in UNPROFILED for i in order], dtype=bool)
           & states_complaint(c["f"])))


def _arrays(ranked: list[RankedCondition]) -> tuple[np.ndarray, ...]:
    """Scores, emergency / urgent flags and plausibility (`RankedCondition.plausible`) of a
    ranked list, for the fast threshold grid."""
    return (np.array([r.score for r in ranked], dtype=float),
            np.array([r.level == "emergency" for r in ranked]),
            np.array([r.level == "urgent" for r in ranked]),
            np.array([r.plausible for r in ranked], dtype=bool))


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


def _p_emergency(arrs: tuple[np.ndarray, ...], temperature: float, top_k: int) -> float:
    """Probability of the plausible emergency conditions among the top k (as `_diff_level`)."""
    s, em, _ur, sup = arrs
    if not len(s):
        return 0.0
    w = np.exp((s - s.max()) / temperature)
    prob = (w / w.sum())[:top_k]
    return float(prob[em[:top_k] & sup[:top_k]].sum())


def fit_params(cases: list[dict[str, Any]]) -> DifferentialParams:
    """The thresholds of the module doc, on `cases` (the even half) only: quantiles of the
    emergency probability the non-emergencies get (out of fold: `crossfit_arrays` first)."""
    p = [_p_emergency(c["arrs"], TEMPERATURE, TOP_K) for c in cases
         if c["label"] != "emergency"]
    return DifferentialParams(
        TEMPERATURE, TOP_K, round(float(np.quantile(p, 1 - EMERGENCY_ALARM)), 4),
        round(float(np.quantile(p, 1 - POSSIBLE_EMERGENCY_ALARM)), 4), URGENT_THRESHOLD,
        "even half of the Avey development vignettes")


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
    ap.add_argument("--even-only", action="store_true",
                    help="read the even half only (the odd half is not read): fit, explain and "
                         "--write-model, no table (implies --fit-only)")
    ap.add_argument("--compare", type=Path, default=None,
                    help="with --cv: the --json of another --cv run, compared vignette by "
                         "vignette with this one")
    ap.add_argument("--cv", action="store_true",
                    help="2-fold cross-validation inside the even half only (folds: even lines "
                         "0, 4, 8... and 2, 6, 10...): re-ranker and thresholds fitted on one "
                         "fold, measured on the other; the odd half is not read")
    args = ap.parse_args(argv)
    args.fit_only = args.fit_only or args.even_only
    table = load_urgency_table()
    LEVELS.update({c.name: c.level for c in table.conditions})
    UNPROFILED.update(unprofiled_conditions())
    ROWS.update({n: i for i, n in enumerate(condition_documents()[0])})
    path = args.data / "benchmarks" / "triage" / "avey_vignettes.jsonl"
    cases = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if (args.cv or args.even_only) and i % 2:
                continue  # the held-out half is never read for cross-validation or --even-only
            v = json.loads(line)
            cond = table.lookup(v["correct_diagnosis"])
            assert cond is not None, v["correct_diagnosis"]
            f = extract_findings(vignette_text(v))
            feats: list[tuple[str, tuple[float, ...]]] = []
            rank_conditions(f, k=50, rerank=False, features_out=feats)
            plain = rank_conditions(f, k=50, negation=False)
            cases.append({"line": i, "half": "even" if i % 2 == 0 else "odd", "f": f,
                          "cos": dense_scores(f),
                          "text": f.text, "target": cond.name, "label": cond.level,
                          "rules": triage_findings(f, partial=False,
                                                   differential=False).urgency,
                          "feats": feats, "plain_ranked": plain,
                          "rank_plain": _rank_of([r.name for r in plain], cond.name)})
    even = [c for c in cases if c["half"] == "even"]
    if args.cv:
        _cross_validate(even)
        rows = [{k: c.get(k) for k in CV_KEYS} for c in even]
        if args.json:  # per vignette, for paired comparisons of two checkouts
            args.json.write_text(json.dumps(rows, indent=1))
        if args.compare:
            print(f"paired, {args.compare.name} -> this run:")
            print(paired_cv(json.loads(args.compare.read_text(encoding="utf-8")), rows))
        return 0
    model = fit_reranker(even)
    print("re-ranker weights:", dict(zip(FEATURES, (round(w, 3) for w in model.weights),
                                         strict=True)))
    if args.write_model:
        MODEL.write_text(json.dumps(reranker_json(model), indent=1) + "\n", encoding="utf-8")
    for c in cases:
        c["plain_arrs"] = _arrays(c["plain_ranked"])
    crossfit_arrays(even, depth=1)  # the thresholds see out-of-fold probabilities
    fitted = fit_params(even)
    for c in cases:
        names, c["arrs"] = _ranked_arrays(c, model)
        c["rank_fit"] = _rank_of(names, c["target"])
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


def crossfit_arrays(cases: list[dict[str, Any]], depth: int) -> None:
    """Out-of-fold `_arrays` for fitting the thresholds: each case ranked by a re-ranker fitted
    on the other half of `cases` (split by vignette, ``(line // 2**depth) % 2``), so the
    probabilities the thresholds see are as sharp as on unseen cases, not in-sample."""
    halves = [[c for c in cases if (c["line"] // 2 ** depth) % 2 == k] for k in (0, 1)]
    for fit_on, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        model = fit_reranker(fit_on, "out-of-fold")
        for c in test:
            c["arrs"] = _ranked_arrays(c, model)[1]


def _cross_validate(even: list[dict[str, Any]]) -> None:
    """Two folds of the even half by vignette: fit the re-ranker and the thresholds on one,
    measure top-k and urgency on the other, and pool the two measured folds."""
    folds = [[c for c in even if (c["line"] // 2) % 2 == k] for k in (0, 1)]
    for fit_on, test in ((folds[0], folds[1]), (folds[1], folds[0])):
        crossfit_arrays(fit_on, depth=2)
        p = fit_params(fit_on)
        model = fit_reranker(fit_on, "one fold of the even half")
        for c in test:
            names, c["arrs"] = _ranked_arrays(c, model)
            c["rank_fit"] = _rank_of(names, c["target"])
        print(f"fold fitted on {len(fit_on)}: {asdict(p)}")
        for c in test:
            c["fit"] = _max(c["rules"], _diff_level(c["arrs"], p))
            c["diff_only"] = _max(_diff_level(c["arrs"], p))
            c["cv_rank"] = c["rank_fit"]
    print(f"{'system':<34} {'top1':>5} {'top3':>5} {'top10':>5} {'caught':>12} {'routine':>5} "
          f"{'false em.':>12} {'over-triage':>12}")
    print(_row("even half, 2-fold CV: rules", even, "rules", None))
    print(_row("even half, 2-fold CV: differential", even, "diff_only", "cv_rank"))
    print(_row("even half, 2-fold CV: rules + diff.", even, "fit", "cv_rank"))
    n50 = sum(c["target"] in [n for n, _ in c["feats"]] for c in even)
    print(f"diagnosis among the candidates: {n50}/{len(even)}")


#: What `--cv --json` writes per even vignette (`paired_cv` reads it).
CV_KEYS = ("line", "target", "label", "rules", "cv_rank", "fit", "diff_only")


def paired_cv(before: list[dict[str, Any]], after: list[dict[str, Any]], *,
              resamples: int = 5000, seed: int = 0) -> str:
    """Two `--cv --json` runs over the same vignettes compared pairwise: MRR (reciprocal rank
    of the diagnosis, 0 when not listed) with a bootstrap 95 % CI of the mean gain, how many
    vignettes ranked better and worse, top-1/3/10, and emergencies caught / false emergencies
    of the differential alone and of rules + differential. ValueError when the runs are not
    over the same vignettes."""
    a = {r["line"]: r for r in before}
    b = {r["line"]: r for r in after}
    if set(a) != set(b) or any(a[k]["target"] != b[k]["target"] for k in a):
        raise ValueError("paired_cv: the two runs are not over the same vignettes")
    lines = sorted(a)

    def rr(r: dict[str, Any]) -> float:
        return 0.0 if r["cv_rank"] is None else 1.0 / r["cv_rank"]

    ra = np.array([rr(a[k]) for k in lines])
    rb = np.array([rr(b[k]) for k in lines])
    gain = rb - ra
    rng = np.random.default_rng(seed)
    boot = gain[rng.integers(0, len(gain), (resamples, len(gain)))].mean(1)
    out = [f"  MRR {ra.mean():.3f} -> {rb.mean():.3f}, gain 95 % CI [{np.quantile(boot, 0.025):.3f}"
           f", {np.quantile(boot, 0.975):.3f}]; ranked better {int((gain > 0).sum())}, worse "
           f"{int((gain < 0).sum())}"]
    for k in (1, 3, 10):
        hit = [sum(x[n]["cv_rank"] is not None and x[n]["cv_rank"] <= k for n in lines)
               for x in (a, b)]
        out.append(f"  top-{k} {hit[0]} -> {hit[1]} of {len(lines)}")
    em = [n for n in lines if a[n]["label"] == "emergency"]
    non = [n for n in lines if a[n]["label"] != "emergency"]
    for key, name in (("diff_only", "differential alone"), ("fit", "rules + differential")):
        caught = [sum(x[n][key] == "emergency" for n in em) for x in (a, b)]
        false = [sum(x[n][key] == "emergency" for n in non) for x in (a, b)]
        out.append(f"  {name}: emergencies caught {caught[0]} -> {caught[1]} of {len(em)}, "
                   f"false emergencies {false[0]} -> {false[1]} of {len(non)}")
    return "\n".join(out)


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
