"""Calibrate the insufficient-evidence threshold.

    python benchmarks/calibrate_confidence.py [--n N] [--measure retrieval|answer]

``--measure answer`` (issue 15) calibrates ``composer.AnswerSettings.min_answer``: the best
answer score (`ExtractiveComposer.best_answer_score`: the answer scorer's similarity of the
question to the best focus-gated candidate sentence; -1 when no sentence passes the focus gate)
instead of the retrieval confidence, over the same groups and with the same rule.
The default, ``--measure retrieval``, calibrates ``composer.DEFAULT_MIN_CONFIDENCE``, the
refusal used when no answer scorer can be loaded:

Retrieval confidence (retrieve.hybrid.confidence: the best dense cosine among the top 3
passages of the same search `ask` runs, k=12) is measured for answerable and unanswerable
questions, and the threshold that maximises balanced accuracy (mean of: answerable kept,
unanswerable refused) is printed with the distributions. Nothing here touches the PubMedQA
test questions.

* answerable: N PubMedQA calibration-half questions (not in the test set) over ``pqa-free``
  (all 1,000 records: their own abstract is present); the 100 any-type BioASQ questions of
  benchmarks/answers.py over ``bioasq-subset`` (their gold documents are present).
* unanswerable: the same N PubMedQA questions over ``pqa-test500`` (only the 500 test records:
  their own abstract is absent); N BioASQ dev questions outside the samples none of whose gold
  documents is in ``bioasq-subset``; 30 off-topic and non-medical questions written here, asked
  over both homes.

The homes are the cached ones built by benchmarks/answers.py (built here if missing).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import (  # noqa: E402
    BIOASQ,
    DATA,
    OUT,
    SEED,
    bioasq_home,
    bioasq_samples,
    pctl,
    pqa_data,
    pqa_home,
)

from curbside.compose.composer import ExtractiveComposer  # noqa: E402
from curbside.pipeline import AnswerPipeline  # noqa: E402
from curbside.services.answers import search  # noqa: E402
from curbside.services.runtime import Runtime  # noqa: E402

OFF_TOPIC = [
    "How do I change a flat tyre on a bicycle?",
    "What is the capital of Mongolia?",
    "Who won the 1998 football World Cup?",
    "How long should I bake sourdough bread?",
    "What is the best programming language for web development?",
    "How do I file my income tax return?",
    "What is the exchange rate of the euro to the dollar?",
    "How do solar panels generate electricity?",
    "Is it going to rain tomorrow in London?",
    "How do I train my puppy to sit?",
    "What are the rules of chess castling?",
    "How can I improve my credit score?",
    "What is the plot of Hamlet?",
    "How do I install Linux on an old laptop?",
    "Which stocks should I buy this year?",
    "How tall is Mount Kilimanjaro?",
    "What is the recipe for a margherita pizza?",
    "How do I repair a leaking kitchen tap?",
    "When was the Eiffel Tower built?",
    "How do black holes form?",
    "What is the best way to learn Spanish quickly?",
    "How do I reset my wifi router password?",
    "Does listening to classical music make plants grow faster?",
    "Is a hot dog a sandwich?",
    "What oil should I use for my car engine?",
    "How many moons does Jupiter have?",
    "What is the fastest land animal?",
    "How do I write a good cover letter?",
    "Which is better for a beginner, guitar or piano?",
    "How do I get rid of ants in the garden?",
]


MEASURE = "retrieval"


def confidences(rt: Runtime, questions: Sequence[str]) -> list[float]:
    if MEASURE == "retrieval":
        return [search(rt, query=q, k=12).confidence for q in questions]
    out = []
    composer = ExtractiveComposer()
    compose = AnswerPipeline(rt).compose
    for q in questions:
        result = search(rt, query=q, k=12)
        best = composer.best_answer_score(compose.input(q, result)) if result.evidence else None
        out.append(-1.0 if best is None else best)
    return out


def balanced(ans: Sequence[float], una: Sequence[float], t: float) -> tuple[float, float, float]:
    keep = sum(x >= t for x in ans) / max(1, len(ans))
    refuse = sum(x < t for x in una) / max(1, len(una))
    return (keep + refuse) / 2, keep, refuse


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=150, help="questions per PubMedQA/BioASQ group")
    ap.add_argument("--current", type=float, default=None)
    ap.add_argument("--measure", choices=("retrieval", "answer"), default="retrieval")
    args = ap.parse_args()
    global MEASURE
    MEASURE = args.measure
    if args.current is None:
        from curbside.compose.composer import ANSWER, DEFAULT_MIN_CONFIDENCE

        args.current = ANSWER.min_answer if MEASURE == "answer" else DEFAULT_MIN_CONFIDENCE
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0
    records, _gold, calib = pqa_data()
    pqa_q = [records[k]["QUESTION"] for k in random.Random(SEED).sample(calib, args.n)]
    s_yn, s_any = bioasq_samples()
    subset = {json.loads(x)["_id"] for x in (OUT / "data" / "bioasq_subset.jsonl").open()}
    qrels: dict[str, set[str]] = {}
    for line in (BIOASQ / "qrels" / "dev.tsv").open():
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3 and p[2].strip().isdigit():
            qrels.setdefault(p[0], set()).add(p[1])
    taken = {q["id"] for q in s_yn + s_any}
    qs = [json.loads(x) for x in (BIOASQ / "questions_dev.jsonl").open() if x.strip()]
    absent = [
        q["question"]
        for q in qs
        if q["id"] not in taken and q["id"] in qrels and not (qrels[q["id"]] & subset)
    ]
    bio_un = random.Random(SEED).sample(absent, min(args.n, len(absent)))

    groups: dict[str, tuple[bool, list[float]]] = {}
    rt = pqa_home("free")
    groups["PubMedQA calib. questions, own abstract present (pqa-free)"] = (
        True,
        confidences(rt, pqa_q),
    )
    groups["off-topic, over pqa-free"] = (False, confidences(rt, OFF_TOPIC))
    rt.close()
    rt = pqa_home("test500")
    groups["PubMedQA calib. questions, own abstract absent (pqa-test500)"] = (
        False,
        confidences(rt, pqa_q),
    )
    rt.close()
    rt = bioasq_home()
    groups["BioASQ sampled questions, gold docs present (bioasq-subset)"] = (
        True,
        confidences(rt, [q["question"] for q in s_any]),
    )
    groups["BioASQ other questions, no gold doc present (bioasq-subset)"] = (
        False,
        confidences(rt, bio_un),
    )
    groups["off-topic, over bioasq-subset"] = (False, confidences(rt, OFF_TOPIC))
    rt.close()

    print(f"### {'Retrieval confidence' if MEASURE == 'retrieval' else 'Best answer score'} "
          "by group\n")
    print("| group | answerable | n | p5 | p25 | p50 | p75 | p95 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (ok, xs) in groups.items():
        qs_ = " | ".join(f"{pctl(xs, p):.3f}" for p in (5, 25, 50, 75, 95))
        print(f"| {name} | {'yes' if ok else 'no'} | {len(xs)} | {qs_} |")
    fams = {
        "all pooled": list(groups),
        "PubMedQA (+ off-topic)": [g for g in groups if "BioASQ" not in g and "bioasq" not in g],
        "BioASQ (+ off-topic)": [g for g in groups if "PubMedQA" not in g and "pqa" not in g],
    }

    def split(names: Sequence[str]) -> tuple[list[float], list[float]]:
        ans = [x for n in names for x in groups[n][1] if groups[n][0]]
        una = [x for n in names for x in groups[n][1] if not groups[n][0]]
        return ans, una

    def rule(t: float) -> float:
        # The stated rule: mean of the two families' balanced accuracies, so the PubMedQA
        # questions (which repeat their abstract's title verbatim) don't dominate.
        return sum(balanced(*split(fams[f]), t)[0] for f in list(fams)[1:]) / 2

    grid = [round(0.2 + 0.01 * i, 2) for i in range(51)]
    if MEASURE == "answer":
        grid = [round(0.1 + 0.01 * i, 2) for i in range(61)]
    best = max(grid, key=lambda t: (rule(t), -abs(t - args.current)))
    pooled = max(grid, key=lambda t: (balanced(*split(fams["all pooled"]), t)[0], -t))
    print("\n### Threshold sweep: balanced accuracy (answerable kept / unanswerable refused)\n")
    print("| threshold | " + " | ".join(fams) + " | rule: mean of the two families |")
    print("|---|---|---|---|---|")
    shown = {0.3, args.current, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, best, pooled}
    if MEASURE == "answer":
        shown = {0.15, 0.2, 0.25, 0.3, args.current, 0.35, 0.4, 0.45, 0.5, best, pooled}
    for t in sorted(shown):
        cells = []
        for f in fams:
            b, k, r = balanced(*split(fams[f]), t)
            cells.append(f"{b:.3f} ({k:.0%} / {r:.0%})")
        mark = " (current)" if t == args.current else ""
        mark += " (chosen)" if t == best else ""
        mark += " (best pooled)" if t == pooled and t != best else ""
        print(f"| {t:.2f}{mark} | " + " | ".join(cells) + f" | {rule(t):.3f} |")
    print(
        f"\nChosen threshold (max of the mean of the PubMedQA and BioASQ families' balanced "
        f"accuracies, ties to the current value): {best:.2f}; best pooled: {pooled:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
