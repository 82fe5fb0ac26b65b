"""Train the answer-kind classifier from MedQuAD's typed answers (issue 15).

    python benchmarks/train_answer_kinds.py [--write] [--cache FILE] [--out FILE]

"How do you treat X?" should lead with a sentence that gives a treatment, "what causes X?"
with a cause. The composer knew such sentences by hand patterns (`plan.SECTION_CUES`: a
treatment sentence is one that says "treat", "therapy", ...), which a sentence *about* a
treatment trial matches as well as one that gives the treatment. This learns what kind of
answer a sentence gives from the answers whose question type is known:

1. **Data**: MedQuAD (``../shared/data/corpus/medquad_answers.jsonl.gz``, CC BY 4.0): each
   answer's first `PER_ANSWER` sentences (the project's splitter, >= `MIN_WORDS` words) take
   the kind of its question (`LABELS`: treatment, cause -- causes and genetic changes --,
   diagnosis -- exams and tests --, prognosis -- outlook --, frequency, symptoms, prevention,
   definition -- information -- and other), at most `PER_KIND` answers per MedQuAD question
   type (seeded). Documents in the dev or held-out part of the answer split
   (`answer_split.py`) are left out, and so is any sentence that also occurs in one of their
   answers, so the lead measurement (`answer_quality.py`) never reads a sentence the model
   was trained on; so is a sentence whose opening words open sentences of `MAX_SHARED` or
   more answers (boilerplate such as GARD's "The Human Phenotype Ontology provides the
   following list of signs and symptoms for <condition>", once per page: learned as a
   kind, it inflated that kind's dev precision and could lead a question).
2. **Split by document** (seeded): 80 % train, 20 % dev (C and the thresholds).
3. **Model**: multinomial logistic regression (scikit-learn, L2, C chosen on dev accuracy) on
   the bundled MiniLM vectors -- the vectors the composer already scores answers with, so
   applying it costs one (384 x kinds) product per candidate.
4. **Thresholds**: per kind, the lowest probability at which dev precision reaches
   `MIN_PRECISION` (a sentence wrongly taken as giving the answer asked for moves ahead of
   one that does). Dev precision / recall of the hand pattern on the same sentences is printed
   beside the model's.

``--write`` refits on train + dev and writes ``src/curbside/compose/answer_kinds.json``
(coefficients rounded to 5 places, biases, thresholds and the model card). ``--cache``
keeps the sentence vectors between runs (an ``.npz``; embedding takes ~4 minutes on 2 cores).

Measured: see the model card and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import answer_split  # noqa: E402

WEIGHTS = ROOT / "src" / "curbside" / "compose" / "answer_kinds.json"
SEED = 29
PER_KIND = 900
PER_ANSWER = 6
MIN_WORDS = 4
MIN_PRECISION = 0.75
#: A sentence whose first `OPENING_WORDS` words open a sentence in this many answers or more
#: is boilerplate, not an example of its kind (the page's condition name follows them).
MAX_SHARED = 20
OPENING_WORDS = 8
C_GRID = (0.3, 1.0, 3.0)
#: MedQuAD question type -> the kind of answer its sentences give.
LABELS = {
    "treatment": "treatment", "causes": "cause", "genetic changes": "cause",
    "exams and tests": "diagnosis", "outlook": "prognosis", "frequency": "frequency",
    "symptoms": "symptoms", "prevention": "prevention", "information": "definition",
    "inheritance": "other", "susceptibility": "other", "research": "other",
    "considerations": "other", "stages": "other", "complications": "other",
}
#: The hand pattern (`plan.SECTION_CUES`) each kind is compared with.
PATTERNS = {
    "treatment": ("treatment", "recommendations"), "cause": ("etiology",),
    "diagnosis": ("diagnosis",), "prognosis": ("prognosis",), "frequency": ("prevalence",),
}


def _opening(sentence: str) -> str:
    return " ".join(sentence.lower().split()[:OPENING_WORDS])


def examples() -> list[tuple[str, str, str]]:
    """(document, kind, sentence) rows; deterministic."""
    from curbside.text.sentences import split_sentences

    items = answer_split.load_items()
    answer_split.assign_split(items)
    kept_out = [it for it in items if it.source == "medquad" and it.split != "train"]
    banned_docs = {it.group[2:] for it in kept_out}
    banned_sentences = {" ".join(s.split()) for it in kept_out for s in it.sentences}
    per_type: dict[str, list[tuple[str, str]]] = {}
    with gzip.open(answer_split.MEDQUAD, "rt") as f:
        for line in f:
            r = json.loads(line)
            doc = str(r.get("doc_id") or r["qid"])
            if doc in banned_docs or r["qtype"] not in LABELS:
                continue
            per_type.setdefault(r["qtype"], []).append((doc, r["answer"]))
    # Boilerplate: a sentence whose opening words open sentences of many answers ("The Human
    # Phenotype Ontology provides the following list of signs and symptoms for <condition>",
    # once per GARD page) says nothing of its own kind; learned as "symptoms" it led symptoms
    # questions, and it inflated the kinds' dev precision.
    seen: dict[str, int] = {}
    for answers in per_type.values():
        for _, text in answers:
            for s in {_opening(x) for x in split_sentences(text)}:
                seen[s] = seen.get(s, 0) + 1
    rng = random.Random(SEED)
    rows: list[tuple[str, str, str]] = []
    for qtype in sorted(per_type):
        answers = per_type[qtype]
        rng.shuffle(answers)
        for doc, text in answers[:PER_KIND]:
            n = 0
            for s in split_sentences(text):
                s = " ".join(s.split())
                if len(s.split()) < MIN_WORDS or s in banned_sentences or (
                    seen.get(_opening(s), 0) >= MAX_SHARED
                ):
                    continue
                rows.append((doc, LABELS[qtype], s))
                n += 1
                if n >= PER_ANSWER:
                    break
    return rows


def vectors(texts: list[str], cache: Path | None) -> np.ndarray:
    """MiniLM vectors of `texts`, read from `cache` (an ``.npz`` of texts and vectors) for
    the texts it holds; the others are embedded and the cache rewritten."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        z = np.load(cache, allow_pickle=False)
        known = dict(zip((str(t) for t in z["texts"]), np.asarray(z["X"], np.float32),
                         strict=True))
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        from curbside.index.embedder import OnnxMiniLmEmbedder

        new = np.asarray(OnnxMiniLmEmbedder(threads=2).embed(missing), dtype=np.float32)
        known.update(zip(missing, new, strict=True))
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(cache, X=np.stack(list(known.values())),
                                texts=np.array(list(known)))
    return np.stack([known[t] for t in texts]).astype(np.float32)


def prec_rec(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = float((pred & y).sum())
    return tp / max(1.0, float(pred.sum())), tp / max(1.0, float(y.sum()))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write the shipped weights")
    ap.add_argument("--cache", type=Path, default=BENCH / "out" / "answer_kinds_vectors.npz")
    ap.add_argument("--out", type=Path, default=BENCH / "out" / "answer_kinds.json")
    args = ap.parse_args(argv)
    if not answer_split.MEDQUAD.exists():
        print(f"skipped: {answer_split.MEDQUAD} not found (needs ../shared/data)")
        return 0
    from sklearn.linear_model import LogisticRegression

    from curbside.compose.plan import matches

    rows = examples()
    texts = [s for _, _, s in rows]
    X = vectors(texts, args.cache)
    y = np.array([k for _, k, _ in rows])
    docs = sorted({d for d, _, _ in rows})
    random.Random(SEED).shuffle(docs)
    dev_docs = set(docs[: len(docs) // 5])
    dev = np.array([d in dev_docs for d, _, _ in rows])
    print({"train": int((~dev).sum()), "dev": int(dev.sum())}, file=sys.stderr)

    def fit(c: float, rows_: np.ndarray) -> Any:
        return LogisticRegression(C=c, max_iter=3000).fit(X[rows_], y[rows_])

    models = {c: fit(c, ~dev) for c in C_GRID}
    acc = {c: float((m.predict(X[dev]) == y[dev]).mean()) for c, m in models.items()}
    best_c = max(C_GRID, key=lambda c: acc[c])
    model = models[best_c]
    kinds = [str(k) for k in model.classes_]
    P = model.predict_proba(X[dev])
    dev_texts = [t for t, k in zip(texts, dev, strict=True) if k]
    thresholds: dict[str, float] = {}
    per_kind: dict[str, Any] = {}
    for i, kind in enumerate(kinds):
        truth = y[dev] == kind
        thr = 1.0
        for t in sorted(set(np.round(P[:, i], 3)), reverse=True):
            if prec_rec(P[:, i] >= t, truth)[0] >= MIN_PRECISION:
                thr = float(t)
        thresholds[kind] = thr
        entry: dict[str, Any] = {
            "model": dict(zip(("precision", "recall"), prec_rec(P[:, i] >= thr, truth),
                              strict=True))}
        if kind in PATTERNS:
            pat = np.array([any(matches(p, t) for p in PATTERNS[kind]) for t in dev_texts])
            entry["pattern"] = dict(zip(("precision", "recall"), prec_rec(pat, truth),
                                        strict=True))
        per_kind[kind] = entry
    report = {"n": {"train": int((~dev).sum()), "dev": int(dev.sum())}, "dev_accuracy": acc,
              "C": best_c, "thresholds": thresholds, "dev": per_kind}
    print(json.dumps(report, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    if args.write:
        final = fit(best_c, np.ones(len(rows), dtype=bool))
        WEIGHTS.write_text(json.dumps({
            "model": "multinomial logistic regression on bundled MiniLM vectors: P(the kind "
                     "of answer a sentence gives)",
            "data": "MedQuAD answers (CC BY 4.0), sentences labelled by their question's type; "
                    "documents of the answer split's dev and held-out parts left out",
            "script": "benchmarks/train_answer_kinds.py --write",
            "seed": SEED,
            "C": best_c,
            "min_precision": MIN_PRECISION,
            "n": report["n"],
            "dev": per_kind,
            "kinds": kinds,
            "thresholds": [thresholds[k] for k in kinds],
            "bias": [round(float(b), 5) for b in final.intercept_],
            "coef": [[round(float(v), 5) for v in row] for row in final.coef_],
        }) + "\n")
        print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
