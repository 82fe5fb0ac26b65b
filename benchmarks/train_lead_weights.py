"""Fit the lead's ranking weights from the development answers (issue 15, selection that learns).

    python benchmarks/train_lead_weights.py [--collect] [--home DIR] [--bioasq-home DIR]
        [--out DIR]

The lead of an article is the candidate sentence with the highest ranking key, a weighted sum
of what the composer reads of it (`composer.LEAD_FEATURES`: the dense answer score, the
question's similarity to the source title, the passage's retrieval share, the evidence level,
a conclusion section, whether it gives the kind of answer asked, focus-concept coverage, a
methods sentence, word overlap). The weights were set by hand and by one-at-a-time dev sweeps.
This script learns them jointly from what the lead should have been:

1. **Collect** (``--collect``): ask every *dev-split* question of `answer_quality.py`
   (MedQuAD and MedicationQA over the whole development corpus, BioASQ over its subset home;
   never a held-out or test question) and keep every scored candidate's features and text.
2. **Gains**: MedQuAD, 1 when the candidate comes from the question's own answer, 0.5 from
   the same page; MedicationQA, ROUGE-L against the reference answer; BioASQ, ROUGE-L against
   the ideal answers. Per question the gains are divided by the best one (a question whose
   candidates all gain 0 teaches nothing and is left out).
3. **Model**: ``p = softmax(w . x / T)`` over a question's candidates; the loss is minus the
   expected normalised gain, each set weighted equally, plus ``l2 * |w - w_hand|^2``. The
   `FIXED` weights are policy and keep their settings' values: the answer score's 1 (the
   margins and `min_answer` are read in its units), the evidence levels' and a conclusion's
   (guideline first) and word overlap's (a tie-breaker).
4. **Choice by 5-fold cross-validation by question inside the dev split** over ``GRID``
   (T, l2); the score is the top-1 gain (the gain of the candidate the key ranks first), the
   hand weights measured on the same folds. The chosen setting is refit on all dev questions
   and printed as `AnswerSettings` values; ``answer_quality.py --split dev --answer-setting``
   then checks them through the whole composer, and the held-out split is read once after.

Outputs ``OUT/candidates-<set>.json.gz`` (collected), ``OUT/lead_weights.json`` (the CV table
and the fitted weights). Seeded; no randomness beyond the fold assignment.

Measured (stop 27; whole-corpus home, BioASQ subset home; 357 MedQuAD, 96 MedicationQA and 82
BioASQ dev questions with a positive gain; collection 12 min at load ~9). CV top-1 gain, hand
-> fitted [95 % CI of the difference]:

- as above (chosen T 0.1, l2 0.001): MedQuAD 0.815 -> 0.846 [+0.014, +0.049], MedicationQA
  0.647 -> 0.646 [-0.020, +0.018], BioASQ 0.743 -> 0.746 [-0.004, +0.015]; the fit sets the
  source title's weight 0.25 -> 1.82, the passage share's 1.5 -> 2.53, a fitting answer's
  0.04 -> 0.75, focus coverage 0.10 -> 0.42, a methods sentence -0.05 -> -0.28.
- every weight free: the guideline bonus goes to -0.87 and word overlap to 1.0 (mean 0.735
  -> 0.753).
- fitted on the two sentence-level sets only (MedicationQA, BioASQ): +0.008 and +0.007.
- a fitting answer's weight fixed too: the title and passage weights run to 75 and 51 (the
  answer score no longer counts); MedQuAD +0.046, the others -0.006 / +0.004.

**Not shipped.** The gain is on MedQuAD's page-level measure (the lead comes from the right
page), which rewards following the retrieval order; on the two sets that measure which
sentence leads, the fit gains nothing, and it turns the answer score into a minor term and a
regex (`fits_ask`) into a main one. Within the candidate pool the hand weights already beat
plain cosine (top-1 gain MedQuAD 0.815 / 0.602, MedicationQA 0.647 / 0.620, BioASQ 0.743 /
0.710).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out" / "lead_weights"
SEED = 15
FOLDS = 5
#: (temperature in answer-score units, pull towards the hand weights).
GRID = [(t, l2) for t in (0.02, 0.05, 0.1, 0.2) for l2 in (0.0, 0.001, 0.01, 0.1)]
SETS = ("medquad", "medicationqa", "bioasq")
#: The weights that are policy, not fitted: the answer score's (the unit of every margin), the
#: evidence levels' and a conclusion's (guideline first, the product's order: none of the dev
#: sets has a guideline among its gold answers, and a free fit turns them negative) and word
#: overlap's (a tie-breaker only: a free fit makes it a main term, the stray-word matching the
#: answers issue set out to end).
FIXED = ("answer", "guideline", "review", "trial", "observational", "conclusion", "overlap")


def collect(home: Path, bioasq_home: Path, out: Path) -> None:
    sys.path.insert(0, str(BENCH))
    import answer_quality as aq

    from curbside.compose import composer as C
    from curbside.config import Settings
    from curbside.services import answers as svc
    from curbside.services import open_runtime

    aq.SPLIT_NAME = "dev"
    sets = aq.question_sets(None)
    seen: list[Any] = []
    orig = C.ExtractiveComposer.candidates

    def candidates(self: Any, inp: Any) -> Any:
        pool = orig(self, inp)
        seen.append(pool)
        return pool

    C.ExtractiveComposer.candidates = candidates  # type: ignore[method-assign]
    for name in SETS:
        path = out / f"candidates-{name}.json.gz"
        if path.exists():
            print(f"{name}: {path} exists, kept", file=sys.stderr)
            continue
        rt = open_runtime(Settings(home=bioasq_home if name == "bioasq" else home), migrate=False)
        gold = aq.Gold(home) if name == "medquad" else None
        rows = []
        for i, q in enumerate(sets[name]):
            seen.clear()
            svc.ask(rt, question=q["question"], save=False)
            pool = seen[0] if seen else None
            cands = []
            if pool is not None and pool.scored:
                for c in pool.candidates:
                    if c.features.get("answer", -1.0) <= -1.0:
                        continue  # not embedded (beyond max_scored): ranks below anyway
                    ext = c.evidence.source.external_id
                    if gold is not None:
                        own, page = gold.own(q, ext)
                        gain = 1.0 if own else 0.5 if page else 0.0
                    elif name == "medicationqa":
                        gain = aq.rouge_f([q["answer"]], c.text)
                    else:
                        gain = aq.rouge_f(q["ideal"], c.text)
                    cands.append(
                        {"x": list(C.lead_features(c, pool.focus)), "gain": gain,
                         "text": c.text, "source": ext}
                    )
            rows.append({"id": q["id"], "cands": cands})
            if i % 50 == 0:
                print(f"{name} {i}/{len(sets[name])}", file=sys.stderr, flush=True)
        rt.close()
        with gzip.open(path, "wt") as f:
            json.dump({"features": list(C.LEAD_FEATURES), "rows": rows}, f)


def load(out: Path) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Per set: (X, normalised gains) per question that has a positive gain."""
    data: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for name in SETS:
        with gzip.open(out / f"candidates-{name}.json.gz", "rt") as f:
            rows = json.load(f)["rows"]
        qs = []
        for r in rows:
            if len(r["cands"]) < 2:
                continue
            g = np.array([c["gain"] for c in r["cands"]], dtype=np.float64)
            if g.max() <= 0:
                continue
            qs.append((np.array([c["x"] for c in r["cands"]], dtype=np.float64), g / g.max()))
        data[name] = qs
    return data


def loss_grad(
    w: np.ndarray, data: dict[str, list[tuple[np.ndarray, np.ndarray]]], temp: float,
    l2: float, w0: np.ndarray,
) -> tuple[float, np.ndarray]:
    """Minus the per-set mean expected gain under ``softmax(Xw / T)``, plus the pull; the
    answer weight (index 0) is fixed, so its gradient is 0."""
    total, grad = 0.0, np.zeros_like(w)
    sets = [qs for qs in data.values() if qs]
    for qs in sets:
        s_loss, s_grad = 0.0, np.zeros_like(w)
        for X, g in qs:
            z = X @ w / temp
            p = np.exp(z - z.max())
            p /= p.sum()
            eg = float(p @ g)
            s_loss -= eg
            # d(p.g)/dw = X^T (p * (g - eg)) / T
            s_grad -= X.T @ (p * (g - eg)) / temp
        total += s_loss / len(qs) / len(sets)
        grad += s_grad / len(qs) / len(sets)
    d = w - w0
    total += l2 * float(d @ d)
    grad += 2 * l2 * d
    grad[_fixed()] = 0.0
    return total, grad


def _fixed() -> np.ndarray:
    from curbside.compose.composer import LEAD_FEATURES

    return np.array([f in FIXED for f in LEAD_FEATURES])


def fit(
    data: dict[str, list[tuple[np.ndarray, np.ndarray]]], temp: float, l2: float,
    w0: np.ndarray,
) -> np.ndarray:
    from scipy.optimize import minimize

    res = minimize(
        loss_grad, w0.copy(), args=(data, temp, l2, w0), jac=True, method="L-BFGS-B",
        options={"maxiter": 300},
    )
    w: np.ndarray = res.x
    w[_fixed()] = w0[_fixed()]
    return w


def top1(w: np.ndarray, qs: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    return [float(g[int(np.argmax(X @ w))]) for X, g in qs]


def folds_of(data: dict[str, list[Any]]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {k: rng.permutation(len(v)) % FOLDS for k, v in data.items()}


def cross_validate(
    data: dict[str, list[tuple[np.ndarray, np.ndarray]]], w0: np.ndarray
) -> dict[str, Any]:
    folds = folds_of(data)
    table: dict[str, Any] = {}
    for temp, l2 in [(None, None), *GRID]:
        per: dict[str, list[float]] = {k: [] for k in data}
        for f in range(FOLDS):
            train = {k: [q for q, i in zip(v, folds[k], strict=True) if i != f]
                     for k, v in data.items()}
            w = w0 if temp is None else fit(train, temp, l2 or 0.0, w0)
            for k, v in data.items():
                per[k] += top1(w, [q for q, i in zip(v, folds[k], strict=True) if i == f])
        key = "hand" if temp is None else f"T={temp} l2={l2}"
        table[key] = {k: float(np.mean(v)) for k, v in per.items()}
        table[key]["mean"] = float(np.mean([table[key][k] for k in data]))
        table[key]["_per"] = per
        print(key, {k: round(v, 4) for k, v in table[key].items() if k != "_per"},
              file=sys.stderr, flush=True)
    return table


def paired(a: list[float], b: list[float], n: int = 2000) -> tuple[float, float, float]:
    rng = np.random.default_rng(SEED)
    d = np.asarray(b) - np.asarray(a)
    boots = [float(d[rng.integers(0, len(d), len(d))].mean()) for _ in range(n)]
    return float(d.mean()), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collect", action="store_true", help="ask the dev questions first")
    ap.add_argument("--home", type=Path, default=BENCH / "out" / "devhome")
    ap.add_argument("--bioasq-home", type=Path,
                    default=BENCH / "out" / "answers" / "bioasq-subset")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.collect:
        collect(args.home, args.bioasq_home, args.out)

    from curbside.compose.composer import LEAD_FEATURES, lead_weights
    from curbside.config import AnswerSettings

    w0 = np.array(lead_weights(AnswerSettings()), dtype=np.float64)
    data = load(args.out)
    print({k: len(v) for k, v in data.items()}, file=sys.stderr)
    table = cross_validate(data, w0)
    best = max((k for k in table if k != "hand"), key=lambda k: table[k]["mean"])
    temp, l2 = next((t, r) for t, r in GRID if f"T={t} l2={r}" == best)
    w = fit(data, temp, l2, w0)
    ci = {k: paired(table["hand"]["_per"][k], table[best]["_per"][k]) for k in data}
    report = {
        "n": {k: len(v) for k, v in data.items()},
        "cv": {k: {s: v for s, v in row.items() if s != "_per"} for k, row in table.items()},
        "chosen": best,
        "chosen_minus_hand": ci,
        "features": list(LEAD_FEATURES),
        "hand": w0.tolist(),
        "fitted": w.tolist(),
    }
    (args.out / "lead_weights.json").write_text(json.dumps(report, indent=1))
    print(f"chosen {best}; CV top-1 gain, hand -> fitted [95% CI of the difference]:")
    for k in data:
        d, lo, hi = ci[k]
        print(f"  {k}: {table['hand'][k]:.4f} -> {table[best][k]:.4f} "
              f"({d:+.4f} [{lo:+.4f}, {hi:+.4f}])")
    for name, a, b in zip(LEAD_FEATURES, w0, w, strict=True):
        print(f"  {name:14s} {a:+.4f} -> {b:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
