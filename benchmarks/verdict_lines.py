"""How many consumer questions get a yes/no verdict line (issue 15, item 4).

    python benchmarks/verdict_lines.py [--ask N] [--examples N] [--label-sample N]

Runs the question classifier and the composer's yes/no decision (`is_yes_no`, the gate of the
consensus meter and of the verdict sentence) over every MedQuAD question and every MedicationQA
question, and prints how many would get a verdict, by source, with examples. With ``--ask N``
it also runs the full ``ask`` on a seeded sample of up to N questions per set, drawn from the
questions at risk (those the old gate read as yes/no: an auxiliary-verb start or a final "?"
without a wh-word; `AT_RISK`), against the library in ``$CURBSIDE_HOME`` (e.g. the starter
library), and counts the articles whose bottom line carries a supports / does-not-support /
mixed verdict sentence. (A random sample is mostly refused by a small library and shows
nothing.)
``--label-sample N`` prints a seeded sample of N questions called yes/no, for hand labelling.

Neither set is a yes/no benchmark: MedQuAD questions are NIH page headings ("What is (are)
X ?", "Is X inherited ?"), MedicationQA are real consumer questions. PubMedQA test questions
are never read here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MEDQUAD = DATA / "corpus" / "medquad_answers.jsonl.gz"
MEDICATIONQA = DATA / "benchmarks" / "medicationqa.jsonl"
LABELS = ROOT / "benchmarks" / "verdict_labels.tsv"
SEED = 13
#: The questions at risk of a verdict line: what the pre-issue-15 gate read as yes/no (the
#: classifier's auxiliary-verb rule, or any question ending in "?" that is not a wh-question).
#: Fixed here so before/after runs sample the same questions.
AT_RISK = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have|may|might|must)\b"
    r"|^(?!\W*(?:what|which|who|whom|whose|when|where|why|how|list|name|describe)\b).*\?\s*$",
    re.IGNORECASE | re.DOTALL,
)


def load_questions() -> dict[str, list[str]]:
    medquad = [
        json.loads(x)["question"] for x in gzip.decompress(MEDQUAD.read_bytes()).splitlines()
    ]
    medqa = [
        json.loads(x)["Question"] for x in MEDICATIONQA.read_text().splitlines() if x.strip()
    ]
    return {
        "MedQuAD": list(dict.fromkeys(q.strip() for q in medquad if q.strip())),
        "MedicationQA": list(dict.fromkeys(q.strip() for q in medqa if q.strip())),
    }


def verdict_lines(article: object) -> list[str]:
    """The bottom-line verdict sentences (ours) of an article: supports / not / mixed."""
    from curbside.compose.composer import VERDICT_KEY

    shown = {VERDICT_KEY[k] for k in ("supports", "contradicts", "mixed")}
    return [c.text for c in article.bottom_line if c.key in shown]  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ask", type=int, default=0, help="also run ask on N sampled questions")
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--label-sample", type=int, default=0)
    args = ap.parse_args()
    if not MEDQUAD.is_file() or not MEDICATIONQA.is_file():
        sys.exit(f"data absent: {MEDQUAD} / {MEDICATIONQA}")
    from curbside.compose.composer import is_yes_no
    from curbside.understand.question import classify_question

    sets = load_questions()
    rng = random.Random(SEED)
    print("| set | questions | primary type yes_no | gate: meter and possible verdict line |")
    print("|---|---|---|---|")
    called: dict[str, list[str]] = {}
    for name, qs in sets.items():
        types = [classify_question(q).value for q in qs]
        yn = [q for q, t in zip(qs, types, strict=True) if is_yes_no(q, t)]
        called[name] = yn
        n_cls = sum(t == "yes_no" for t in types)
        print(f"| {name} | {len(qs)} | {n_cls} | {len(yn)} ({len(yn) / len(qs):.1%}) |")
    for name, yn in called.items():
        print(f"\n{name}, examples called yes/no:")
        for q in rng.sample(yn, min(args.examples, len(yn))):
            print(f"  - {q}")
        heads = Counter(" ".join(q.split()[:2]).lower() for q in yn)
        print(f"  most common openings: {heads.most_common(12)}")
    rows = [r.split("\t") for r in LABELS.read_text().splitlines() if r and r[0] != "#"][1:]
    from curbside.understand.question import asks_for_verdict

    called_now = [(r[0], int(r[1]), asks_for_verdict(r[2])) for r in rows]
    tp = sum(1 for _, lab, now in called_now if lab and now)
    n_now = sum(1 for *_, now in called_now if now)
    print(
        f"\nhand-labelled sample ({LABELS.name}, {len(rows)} questions the old gate called yes/no):"
        f" genuinely yes/no {sum(int(r[1]) for r in rows)}/{len(rows)} (the old precision); "
        f"called yes/no now {n_now}, of which genuinely yes/no {tp}"
    )
    for name in ("MedQuAD", "MedicationQA"):
        sub = [(lab, now) for n, lab, now in called_now if n == name]
        print(
            f"  {name}: old precision {sum(lab for lab, _ in sub)}/{len(sub)}; now "
            f"{sum(1 for lab, now in sub if lab and now)}/{sum(1 for _, now in sub if now)}"
        )
    if args.label_sample:
        print("\nfor hand labelling (seeded):")
        pool = [(n, q) for n, yn in called.items() for q in yn]
        for n, q in rng.sample(pool, min(args.label_sample, len(pool))):
            print(f"  [{n}] {q}")
    if args.ask:
        from curbside.config import Settings
        from curbside.services import open_runtime
        from curbside.services.answers import ask

        rt = open_runtime(Settings())
        sample = []
        for n, qs in sets.items():
            risk = [q for q in qs if AT_RISK.search(q.strip())]
            sample += [(n, q) for q in random.Random(SEED).sample(risk, min(args.ask, len(risk)))]
        counts: Counter[str] = Counter()
        examples: list[str] = []
        for n, q in sample:
            try:
                art = ask(rt, question=q, save=False)
            except Exception as exc:  # a refused question is no verdict
                counts[f"{n}: refused"] += 1
                print(f"  refused ({type(exc).__name__}): {q}", file=sys.stderr)
                continue
            lines = verdict_lines(art)
            counts[f"{n}: asked"] += 1
            if art.consensus is not None:
                counts[f"{n}: meter {art.consensus.verdict}"] += 1
            if lines:
                counts[f"{n}: verdict line"] += 1
                examples.append(f"  - [{n}] {q} -> {lines[0]}")
        rt.close()
        print(f"\nfull ask on {len(sample)} questions at risk (library: {rt.settings.home}):")
        for k in sorted(counts):
            print(f"  {k}: {counts[k]}")
        print("\n".join(examples[: args.examples * 2]))


if __name__ == "__main__":
    main()
