"""Retrieval evaluation on BEIR-layout data sets: nDCG@10, Recall@10/100, MRR per method.

The corpus is ingested through the normal pipeline into an evaluation home (cached by data set
and settings fingerprint), so what is measured is exactly what `curbside search` runs.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from curbside.retrieve.hybrid import HybridRetriever, RetrievalOptions

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr")

#: The three methods every run reports, plus ablations the benchmark may add.
METHODS: dict[str, RetrievalOptions] = {
    "bm25": RetrievalOptions(fusion="lexical", expansion=False, rerank=False, diversity=False),
    "dense": RetrievalOptions(fusion="dense", rerank=False, diversity=False),
    "hybrid": RetrievalOptions(fusion="convex", rerank=False, diversity=False),
}


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


def ndcg_at(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    dcg = sum((2 ** rels.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
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
    per_query: dict[str, float] = field(default_factory=dict)


def passage_docs(external_ids: Mapping[int, str]) -> dict[int, str]:
    """Passage id -> BEIR document id, from each passage's source external id (``beir:ID``).

    `external_ids` is `SourceStore.current_passage_sources()`: every current passage."""
    return {pid: ext.split(":", 1)[1] for pid, ext in external_ids.items()}


def evaluate(
    r: HybridRetriever,
    docs_of: Mapping[int, str],
    data: BeirSet,
    methods: Mapping[str, RetrievalOptions] | None = None,
    *,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, MethodResult]:
    """Run each method over the queries; doc score = best passage score.

    Each retriever runs once per query (lexical with and without expansion, dense); every
    method is then a fusion of those same lists, so all methods see identical candidates.
    A method's latency is the time of the retrievers it uses plus its fusion (and, with
    pseudo-relevance feedback, its second dense search). `r` is the runtime's retriever and
    `docs_of` maps its passage ids to BEIR document ids (`passage_docs`).
    """
    methods = methods or METHODS
    qids = sorted(data.queries)[: limit or None]
    n = max((opt.candidates or 300) for opt in methods.values())
    need_plain = any(not o.expansion and o.fusion != "dense" for o in methods.values())
    need_x = any(o.expansion and o.fusion != "dense" for o in methods.values())
    out = {name: MethodResult(metrics=dict.fromkeys(METRICS, 0.0)) for name in methods}
    for i, qid in enumerate(qids):
        text = data.queries[qid]
        try:
            _a, lists_x, t_x = r.raw_lists(text, n, expansion=True, lexical=need_x)
            lists_plain: dict[str, list[tuple[int, float]]] = {}
            t_plain: dict[str, float] = {}
            if need_plain:
                _a, lists_plain, t_plain = r.raw_lists(text, n, expansion=False, dense=False)
        except ValueError:
            lists_x, t_x, lists_plain, t_plain = {}, {}, {}, {}
        rels = data.qrels[qid]
        for name, opt in methods.items():
            t0 = time.perf_counter()
            lists: dict[str, list[tuple[int, float]]] = {}
            cost = 0.0
            if opt.fusion != "dense":
                src, tm = (lists_x, t_x) if opt.expansion else (lists_plain, t_plain)
                lists["lexical"] = src.get("lexical", [])
                cost += tm.get("lexical", 0.0)
            if opt.fusion != "lexical" and "dense" in lists_x:
                lists["dense"] = lists_x["dense"]
                cost += t_x.get("dense", 0.0)
            if opt.fusion == "convex":  # pseudo-relevance feedback re-searches the dense index
                lists = r.refine(text, lists, opt)
            scores = r.fuse(lists, opt)
            best: dict[str, float] = {}
            for pid, s in scores.items():
                d = docs_of.get(pid)
                if d is not None and s["fused"] > best.get(d, -1e9):
                    best[d] = s["fused"]
            ranked = [d for d, _ in sorted(best.items(), key=lambda x: -x[1])][:100]
            res = out[name]
            res.latency_ms.append(cost + (time.perf_counter() - t0) * 1000)
            nd = ndcg_at(ranked, rels)
            res.metrics["ndcg@10"] += nd
            res.metrics["recall@10"] += recall_at(ranked, rels, 10)
            res.metrics["recall@100"] += recall_at(ranked, rels, 100)
            res.metrics["mrr"] += mrr(ranked, rels)
            res.per_query[qid] = nd
        if progress and i % 25 == 0:
            progress("queries", i, len(qids))
    for res in out.values():
        res.metrics = {m: v / max(1, len(qids)) for m, v in res.metrics.items()}
    return out


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
        "| method | " + " | ".join(METRICS) + " | × bm25 nDCG@10 | p50 ms | p95 ms |",
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
