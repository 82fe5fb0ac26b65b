"""Retrieval benchmark: every method through the shipped search, on the development halves.

    python benchmarks/retrieval.py [--home DIR] [--sets nfcorpus,bioasq,medicationqa,medquad]
        [--half heldout|dev|all] [--sample N] [--legacy] [--run-dir DIR]

Sets (`retrieval_sets.py`): NFCorpus test qrels, BioASQ dev, MedicationQA (questions against
the pool of reference answers) and MedQuAD questions (a seeded sample of pages; own answer
grade 2, same-page answers grade 1). Each set is halved by sorted query id: odd positions are
the development half (settings and the learned ranker are chosen there), even positions the
held-out half. By default only the held-out half is run; ``--sample N`` takes a seeded sample
of N queries of the half (said in the table title), to keep a run within an hour on the shared
2-core machine.

Every method is `RetrievalOptions` through `services.answers.search`, as `curbside search` runs
it (100 candidates per retriever, rerank, diversity). ``--legacy`` adds the configuration the
figures before issue 16 were measured with (300 candidates, no rerank, no diversity; compare
its ``ndcg@10 exp`` column with those figures). The last column of the summary is the hybrid
(default) nDCG@10 divided by the best single retriever's (bm25 or dense) on the same queries;
the expansion gain is hybrid minus hybrid (no expansion).
"document (first|mean)" rank sources by their document-level vector alone (`index.documents`);
"hybrid (expansion as before)" searches every expansion at weight 1 (the default before the
per-kind weights of ``knowledge/expansion.yaml``); "hybrid (no gap rule)" uses those weights
without the vocabulary-gap rule (the default before it); "hybrid (document blend)" adds the
source's document cosine to the fusion at weight 0.5 for the questions the learned
question-style gate reads as consumer-phrased (`RetrievalOptions.document_weight` and
``document_when``, opt-in; stop 30), "hybrid (document blend, hand rule)" at weight 1 for
those the hand rule reads so (stop 29's opt-in); "learned ranker" is
`RetrievalOptions(ranker="learned")` (trained by `train_ranker.py` on the
development halves; the default order of `search`), "learned ranker (no expansion)" the same
without query expansion (its expansion gain).
Writes tables and JSON to benchmarks/out/ and, with ``--run-dir``, a TREC run file per method.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from retrieval_sets import SETS, halves, set_root

from curbside.config import Settings
from curbside.eval.retrieval import (
    BeirSet,
    MethodResult,
    load_beir,
    markdown_table,
    write_outputs,
    write_run,
)
from curbside.retrieve.hybrid import RetrievalOptions
from curbside.services import open_runtime
from curbside.services.evaluation import eval_retrieval, open_beir_runtime
from curbside.understand.analysis import EXPANSION_KINDS

OUT = Path(__file__).parent / "out"
SEED = 16
#: Every expansion searched as the user's own word: the default before `knowledge/expansion.yaml`.
EVERY_EXPANSION = dict.fromkeys(EXPANSION_KINDS, 1.0)

METHODS: dict[str, RetrievalOptions] = {
    "bm25": RetrievalOptions(fusion="lexical", expansion=False),
    "bm25 + expansion": RetrievalOptions(fusion="lexical"),
    "dense": RetrievalOptions(fusion="dense"),
    "hybrid (no expansion)": RetrievalOptions(expansion=False),
    "hybrid (expansion as before)": RetrievalOptions(
        expansion_weights=EVERY_EXPANSION, expansion_gap=0.0
    ),
    "hybrid (no gap rule)": RetrievalOptions(expansion_gap=0.0),
    "hybrid (document blend)": RetrievalOptions(document_weight=0.5, document_when="style"),
    "hybrid (document blend, hand rule)": RetrievalOptions(
        document_weight=1.0, document_when="consumer"
    ),
    "hybrid": RetrievalOptions(),
    "document (first)": RetrievalOptions(fusion="document", documents="first"),
    "document (mean)": RetrievalOptions(fusion="document", documents="mean"),
    "learned ranker": RetrievalOptions(ranker="learned"),
    "learned ranker (no expansion)": RetrievalOptions(ranker="learned", expansion=False),
}
_LEGACY = {"candidates": 300, "rerank": False, "diversity": False}
LEGACY = {
    "bm25 (as before)": RetrievalOptions(fusion="lexical", expansion=False, **_LEGACY),
    "dense (as before)": RetrievalOptions(fusion="dense", **_LEGACY),
    "hybrid (as before)": RetrievalOptions(**_LEGACY),
}
SINGLE = ("bm25", "dense")


def chosen_queries(data: BeirSet, half: str, sample: int | None) -> list[str]:
    dev, held = halves(list(data.queries))
    qids = {"dev": dev, "heldout": held, "all": sorted(data.queries)}[half]
    if sample and sample < len(qids):
        qids = sorted(random.Random(SEED).sample(qids, sample))
    return qids


def summary_row(name: str, results: dict[str, MethodResult]) -> str:
    nd = {m: r.metrics["ndcg@10"] for m, r in results.items()}
    cells = " | ".join(f"{v:.3f}" for v in nd.values())
    single = [m for m in SINGLE if m in nd]
    if not single:
        return f"| {name} | {cells} | | | | |"
    best = max(single, key=lambda m: nd[m])
    ratios = [
        f"{nd[m] / nd[best]:.3f}" if m in nd and nd[best] else ""
        for m in ("hybrid", "learned ranker")
    ]
    gain = (
        f"{nd['hybrid'] - nd['hybrid (no expansion)']:+.3f}"
        if "hybrid" in nd and "hybrid (no expansion)" in nd
        else ""
    )
    return f"| {name} | {cells} | {ratios[0]} | {ratios[1]} | {best} | {gain} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--home", type=Path, default=OUT / "home")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--half", choices=("heldout", "dev", "all"), default="heldout")
    ap.add_argument("--sample", type=int, default=None, help="seeded sample of N queries")
    ap.add_argument("--legacy", action="store_true", help="add the pre-issue-16 configuration")
    ap.add_argument(
        "--depth",
        type=int,
        default=100,
        help="documents to rank: the k=10 search, then a deeper one while fewer "
        "(below 100, Recall@100 counts only that many; 10 suffices for nDCG@10)",
    )
    ap.add_argument("--methods", default=None, help="comma-separated subset of the methods")
    ap.add_argument("--run-dir", type=Path, default=None, help="write a TREC run per method")
    args = ap.parse_args()
    if not set_root("nfcorpus").is_dir():
        print("skipped: ../shared/data not found")
        return 0
    methods = {**METHODS, **(LEGACY if args.legacy else {})}
    if args.methods:
        methods = {m: methods[m] for m in args.methods.split(",")}
    rt = open_runtime(Settings(home=args.home))
    load_start = os.getloadavg()
    rows: list[str] = []
    sizes: list[str] = []
    for name in args.sets.split(","):
        split = SETS[name]
        root = set_root(name)
        data = load_beir(root, split)
        qids = chosen_queries(data, args.half, args.sample)
        t0 = time.perf_counter()
        results = eval_retrieval(
            rt, root=root, split=split, methods=methods, queries=qids, depth=args.depth
        )
        title = f"{name} {split}, {args.half} half, {len(qids)} queries, depth {args.depth}"
        title += f" ({time.perf_counter() - t0:.0f} s incl. ingest if not cached)"
        print(markdown_table(title, results))
        rows.append(summary_row(f"{name} ({len(qids)} q)", results))
        ert, _data = open_beir_runtime(rt, root, split=split)
        for mode in ("first", "mean"):
            docs = ert.retriever.documents(mode)  # type: ignore[arg-type]
            if docs is not None:
                sizes.append(
                    f"| {name} | {mode} | {len(docs)} | {docs.bytes_per_source:.0f} | "
                    f"{len(docs) * docs.bytes_per_source / 1e6:.2f} |"
                )
        ert.close()
        write_outputs(OUT, f"retrieval-{name}-{args.half}", results)
        for method, res in results.items() if args.run_dir else ():
            slug = method.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "plus")
            write_run(args.run_dir / f"{name}-{args.half}-{slug}.run", res, slug)
        sys.stdout.flush()
    loads = [f"{a:.1f} / {b:.1f}" for a, b in zip(load_start, os.getloadavg(), strict=True)]
    print(f"### nDCG@10 ({args.half} half), one run\n")
    print(f"load average (1 / 5 / 15 min), at start / at end: {', '.join(loads)}\n")
    print(
        "| set | " + " | ".join(methods) + " | hybrid ÷ best single | learned ÷ best single "
        "| best single | expansion gain (hybrid − no expansion) |"
    )
    print("|---" * (len(methods) + 5) + "|")
    print("\n".join(rows))
    print("\n### Document vectors (float16, one per source)\n")
    print("| set | mode | sources | bytes per source | MB |\n|---|---|---|---|---|")
    print("\n".join(sizes))
    (OUT / f"retrieval-summary-{args.half}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
