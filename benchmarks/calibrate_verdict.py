"""Calibrate the stance confidence a verdict line needs (issue 15, item 4).

    python benchmarks/calibrate_verdict.py

Only the 500 PubMedQA PQA-L questions that are NOT in the test set (``answers.pqa_data``'s
calibration PMIDs) are read; the test gold is loaded only to leave its questions out.

For each question the consensus basis is built as the answer pipeline builds it when the
question's own abstract is the top-ranked source (the usual case: see the README), in both
benchmark settings: reasoning-free, the abstract's conclusions (``LONG_ANSWER``); reasoning-
required, its results sections, last sentence first (``consensus_basis_of``'s order). The
stance model is refitted with the shipped recipe (``answers._fit``, the shipped L2 strength)
in 5 folds by question, so every probability is out-of-fold: the shipped weights were fitted on
these very questions and their own probabilities would flatter the threshold. The table is the
accuracy of the verdicts that would be shown (top probability >= threshold) and how many are
shown; the shipped model's in-sample figures are printed beside them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import _design, _fit, pqa_data  # noqa: E402

from curbside.compose.consensus import (  # noqa: E402
    CLASSES,
    default_model,
    pair_features,
    question_negated,
)
from curbside.text.sentences import split_sentences  # noqa: E402

THRESHOLDS = (0.0, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
_RESULT = re.compile(r"RESULT|FINDING|OUTCOME", re.I)


def _sents(texts: Sequence[str]) -> list[str]:
    out = [s.strip() for t in texts for s in split_sentences(t) if len(s.split()) >= 3]
    return list(dict.fromkeys(out))


def examples() -> list[dict[str, Any]]:
    records, gold, calib = pqa_data()
    assert not set(calib) & set(gold)
    out = []
    for k in calib:
        r = records[k]
        q = r["QUESTION"]
        g = str(r["final_decision"])
        if question_negated(q) and g != "maybe":  # the meter flips these back
            g = "no" if g == "yes" else "yes"
        free = _sents([r["LONG_ANSWER"]])[:6]
        res = [c for c, lab in zip(r["CONTEXTS"], r["LABELS"], strict=False) if _RESULT.search(lab)]
        if res:
            req, kind = _sents(res)[::-1][:6], "results"
        else:
            req, kind = _sents(r["CONTEXTS"][-1:])[:6], "other"
        out.append({"pmid": k, "setting": "free", "q": q, "basis": free, "kind": "conclusions",
                    "y": CLASSES.index(g)})
        out.append({"pmid": k, "setting": "req", "q": q, "basis": req, "kind": kind,
                    "y": CLASSES.index(g)})
    return out


def main() -> None:
    ex = examples()
    feats = [pair_features(e["q"], e["basis"], e["kind"]) for e in ex]
    ys = [e["y"] for e in ex]
    pmids = sorted({e["pmid"] for e in ex})
    fold = {k: i % 5 for i, k in enumerate(pmids)}
    oof = np.zeros((len(ex), 3))
    for f in range(5):
        tr = [i for i, e in enumerate(ex) if fold[e["pmid"]] != f]
        te = [i for i, e in enumerate(ex) if fold[e["pmid"]] == f]
        df: dict[str, int] = {}
        for i in tr:
            for k in feats[i]:
                df[k] = df.get(k, 0) + 1
        vocab = sorted(k for k, n in df.items() if n >= 3)
        w, b = _fit([feats[i] for i in tr], [ys[i] for i in tr], vocab, 0.01)
        z = _design(feats, te, vocab) @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        oof[te] = p / p.sum(1, keepdims=True)
    model = default_model()
    assert model is not None
    ins = np.array([[model.probabilities(e["q"], e["basis"], e["kind"])[c] for c in CLASSES]
                    for e in ex])
    y = np.array(ys)
    print("| top stance probability >= | out-of-fold: accuracy of shown verdicts | shown | "
          "free / req shown accuracy | in-sample (shipped weights): accuracy | shown |")
    print("|---|---|---|---|---|---|")
    setting = np.array([e["setting"] for e in ex])
    for t in THRESHOLDS:
        row = []
        for probs in (oof, ins):
            top = probs.argmax(1)
            shown = probs.max(1) >= t
            acc = float((top[shown] == y[shown]).mean()) if shown.any() else float("nan")
            row.append((acc, int(shown.sum())))
        top = oof.argmax(1)
        per = []
        for s in ("free", "req"):
            m = (oof.max(1) >= t) & (setting == s)
            per.append(f"{(top[m] == y[m]).mean():.1%} ({int(m.sum())})" if m.any() else "-")
        print(f"| {t:.2f} | {row[0][0]:.1%} | {row[0][1]}/{len(ex)} | {' / '.join(per)} | "
              f"{row[1][0]:.1%} | {row[1][1]}/{len(ex)} |")
    acc_all = float((oof.argmax(1) == y).mean())
    print(f"\nout-of-fold 3-class accuracy, every verdict shown: {acc_all:.1%} "
          f"(majority class: {max(np.bincount(y)) / len(y):.1%})")


if __name__ == "__main__":
    main()
