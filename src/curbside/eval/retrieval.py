"""Retrieval evaluation on BEIR-layout data sets: nDCG@10, Recall@10/100, MRR per method.

Each method is a `RetrievalOptions` run through the search function the caller passes, which
is `services.answers.search` (what `curbside search` and the API call): same candidate counts,
rerank and diversity, unless a method's options say otherwise. A query's ranked documents are
the sources of the passages that search shows at k=10, in order, then, while fewer than
`depth` (default 100, for Recall@100), those of a deeper search not already listed; a document
appears once, at its first passage. A smaller `depth` (10: enough for nDCG@10, Recall@10 and
MRR@10) saves the deeper search whenever the first ten passages already name ten documents.

nDCG uses the relevance grade as the gain, as trec_eval (``ndcg_cut``) and BEIR do;
``ndcg@10 exp`` is the same with gain 2^grade - 1 (what this module reported before issue 16;
identical on binary qrels).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from curbside.domain import Evidence
from curbside.retrieve.hybrid import RetrievalOptions

METRICS = ("ndcg@10", "ndcg@10 exp", "recall@10", "recall@100", "mrr")

#: The methods every run reports, as `curbside search` runs them (rerank, diversity): each
#: retriever alone, the hand fusion of both ("hybrid", the default order of `search`), and the
#: learned ranker over both (``settings.retrieval.ranker = learned``).
METHODS: dict[str, RetrievalOptions] = {
    "bm25": RetrievalOptions(fusion="lexical", expansion=False),
    "dense": RetrievalOptions(fusion="dense"),
    "hybrid": RetrievalOptions(),
    "learned": RetrievalOptions(ranker="learned"),
}

#: The search a method runs: (query, k, options) -> evidence passages in the order shown.
SearchFn = Callable[[str, int, RetrievalOptions], Sequence[Evidence]]


class BeirError(ValueError):
    """The directory is not a usable BEIR data set; the message says what is missing."""


@dataclass
class BeirSet:
    root: Path
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def load_beir(root: Path, split: str = "test") -> BeirSet:
    corpus = root / "corpus.jsonl"
    qfile = root / "queries.jsonl"
    qrels_file = root / "qrels" / f"{split}.tsv"
    for p in (corpus, qfile, qrels_file):
        if not p.is_file():
            avail = (
                sorted(x.stem for x in (root / "qrels").glob("*.tsv"))
                if (root / "qrels").is_dir()
                else []
            )
            hint = f" (splits here: {', '.join(avail)})" if avail and p == qrels_file else ""
            raise BeirError(f"{root}: missing {p.relative_to(root)}{hint}")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qid, did, score = parts[0], parts[1], int(parts[2])
            qrels.setdefault(qid, {})[did] = score
    queries: dict[str, str] = {}
    with qfile.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                if str(obj["_id"]) in qrels:
                    queries[str(obj["_id"])] = str(obj.get("text", ""))
    return BeirSet(root=root, corpus=corpus, queries=queries, qrels=qrels)


def ndcg_at(
    ranked: Sequence[str], rels: Mapping[str, int], k: int = 10, *, exponential: bool = False
) -> float:
    """nDCG@k with the grade as gain (trec_eval, BEIR) or, with `exponential`, 2^grade - 1.

    Grades of 0 or below gain nothing; the ideal ranking is the judged documents by grade."""

    def gain(r: int) -> float:
        if r <= 0:
            return 0.0
        return float(2**r - 1) if exponential else float(r)

    dcg = sum(gain(rels.get(d, 0)) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(gain(r) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], rels: Mapping[str, int], k: int) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr(ranked: Sequence[str], rels: Mapping[str, int]) -> float:
    for i, d in enumerate(ranked):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass
class MethodResult:
    metrics: dict[str, float]
    latency_ms: list[float] = field(default_factory=list)
    #: nDCG@10 (grade gain) per query id.
    per_query: dict[str, float] = field(default_factory=dict)
    #: The ranked document ids per query id (for `write_run`).
    ranked: dict[str, list[str]] = field(default_factory=dict)


def passage_docs(external_ids: Mapping[int, str]) -> dict[int, str]:
    """Passage id -> BEIR document id, from each passage's source external id (``beir:ID``).

    `external_ids` is `SourceStore.current_passage_sources()`: every current passage."""
    return {pid: ext.split(":", 1)[1] for pid, ext in external_ids.items()}


def evidence_docs(evidence: Sequence[Evidence], seen: Sequence[str] = ()) -> list[str]:
    """BEIR document ids of the passages' sources in order, each once, after `seen`."""
    out = list(seen)
    have = set(out)
    for ev in evidence:
        doc = ev.source.external_id.split(":", 1)[-1]
        if doc not in have:
            have.add(doc)
            out.append(doc)
    return out


def score_ranking(ranked: Sequence[str], rels: Mapping[str, int]) -> dict[str, float]:
    """Every metric of `METRICS` for one query's ranked documents."""
    return {
        "ndcg@10": ndcg_at(ranked, rels),
        "ndcg@10 exp": ndcg_at(ranked, rels, exponential=True),
        "recall@10": recall_at(ranked, rels, 10),
        "recall@100": recall_at(ranked, rels, 100),
        "mrr": mrr(ranked, rels),
    }


def evaluate(
    search: SearchFn,
    data: BeirSet,
    methods: Mapping[str, RetrievalOptions] | None = None,
    *,
    limit: int | None = None,
    queries: Sequence[str] | None = None,
    depth: int = 100,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, MethodResult]:
    """Run each method's search over the queries (see the module doc for the ranking).

    A method's latency is its k=10 search, as `curbside search` runs it. A query the search
    refuses (no words to search for) ranks nothing and scores 0. `queries` picks query ids
    (default: all, sorted); `limit` keeps the first N.
    """
    methods = methods or METHODS
    unknown = sorted(set(queries or ()) - set(data.queries))
    if unknown:
        raise BeirError(f"{data.root}: no judged query {unknown[0]!r}")
    qids = (list(queries) if queries is not None else sorted(data.queries))[: limit or None]
    out = {name: MethodResult(metrics=dict.fromkeys(METRICS, 0.0)) for name in methods}
    for i, qid in enumerate(qids):
        text = data.queries[qid]
        rels = data.qrels[qid]
        for name, opt in methods.items():
            res = out[name]
            t0 = time.perf_counter()
            try:
                shown = search(text, 10, opt)
                res.latency_ms.append((time.perf_counter() - t0) * 1000)
                ranked = evidence_docs(shown)
                if len(ranked) < depth:
                    deep = depth if depth >= 100 else 2 * depth  # <= 2 passages per source
                    ranked = evidence_docs(search(text, deep, opt), ranked)[:100]
            except ValueError:
                ranked = []
            for m, v in score_ranking(ranked, rels).items():
                res.metrics[m] += v
            res.per_query[qid] = ndcg_at(ranked, rels)
            res.ranked[qid] = ranked
        if progress and i % 25 == 0:
            progress("queries", i, len(qids))
    for res in out.values():
        res.metrics = {m: v / max(1, len(qids)) for m, v in res.metrics.items()}
    return out


def write_run(path: Path, result: MethodResult, tag: str) -> Path:
    """The ranking as a TREC run file: ``qid Q0 docid rank score tag``, rank from 1.

    trec_eval orders by score, so the score is made strictly decreasing with rank."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for qid in sorted(result.ranked):
            ranked = result.ranked[qid]
            for rank, doc in enumerate(ranked, start=1):
                fh.write(f"{qid} Q0 {doc} {rank} {len(ranked) - rank + 1} {tag}\n")
    return path


def percentile(xs: Sequence[float], p: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    i = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[i]


def markdown_table(title: str, results: Mapping[str, MethodResult], baseline: str = "bm25") -> str:
    base = results.get(baseline)
    lines = [
        f"### {title}",
        "",
        "| method | " + " | ".join(METRICS) + " | × bm25 nDCG@10 | search p50 ms | p95 ms |",
        "|---" * (len(METRICS) + 4) + "|",
    ]
    for name, r in results.items():
        ratio = (
            (r.metrics["ndcg@10"] / base.metrics["ndcg@10"])
            if base and base.metrics["ndcg@10"]
            else 0
        )
        lines.append(
            f"| {name} | "
            + " | ".join(f"{r.metrics[m]:.3f}" for m in METRICS)
            + f" | {ratio:.2f} | {percentile(r.latency_ms, 50):.1f} | "
            f"{percentile(r.latency_ms, 95):.1f} |"
        )
    return "\n".join(lines) + "\n"


def write_outputs(out_dir: Path, name: str, results: Mapping[str, MethodResult]) -> dict[str, Path]:
    """Markdown table, JSON and a PNG bar chart of the metrics."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{name}.md"
    md.write_text(markdown_table(name, results))
    js = out_dir / f"{name}.json"
    js.write_text(json.dumps({k: v.metrics for k, v in results.items()}, indent=2))
    png = out_dir / f"{name}.png"
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        width = 0.8 / max(1, len(results))
        for i, (method, r) in enumerate(results.items()):
            ax.bar(
                [j + i * width for j in range(len(METRICS))],
                [r.metrics[m] for m in METRICS],
                width,
                label=method,
            )
        ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(METRICS))], METRICS)
        ax.set_ylim(0, 1)
        ax.set_title(name)
        ax.legend()
        fig.tight_layout()
        fig.savefig(png, dpi=100)
        plt.close(fig)
    except ImportError:  # matplotlib is a dev extra
        png.with_suffix(".png.txt").write_text("install matplotlib for the chart\n")
    return {"markdown": md, "json": js, "png": png}


def iter_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as fh:
        yield from fh
