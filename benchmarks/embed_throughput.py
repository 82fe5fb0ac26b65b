"""Embedding throughput of the default embedder (int8 MiniLM on onnxruntime).

Embeds N real passages (NFCorpus abstracts, title + text) at a few batch sizes and prints
passages/s, tokens/s and mean tokens per passage.

    python benchmarks/embed_throughput.py [--n 2000] [--threads 2] [--batch-sizes 16 32 64]
    python benchmarks/embed_throughput.py --pipeline [--n 2000]

--pipeline measures the whole build path instead: `ingest` (read, chunk, store, FTS5, embed,
write the vector index) of the first N NFCorpus documents into a fresh home, then the raw model
alone on exactly the passages that ingest stored (the same embedding text), in one run; it
prints both and the pipeline's overhead over the model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = (
    Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "benchmarks"
    / "nfcorpus"
    / "corpus.jsonl"
)


def load_passages(path: Path, n: int) -> list[str]:
    passages: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            text = " ".join(p for p in (doc.get("title", ""), doc.get("text", "")) if p).strip()
            if text:
                passages.append(text)
            if len(passages) >= n:
                break
    return passages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--n", type=int, default=2000, help="passages to embed (default 2000)")
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime intra-op threads")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--pipeline", action="store_true", help="ingest vs the raw model")
    args = ap.parse_args(argv)

    if not args.corpus.is_file():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2

    from curbside.index.embedder import OnnxMiniLmEmbedder

    if args.pipeline:
        return pipeline_vs_model(args.corpus, args.n, args.threads)
    passages = load_passages(args.corpus, args.n)
    warm = OnnxMiniLmEmbedder(threads=args.threads, max_tokens=args.max_tokens)
    tokens = warm.count_tokens(passages)
    total_tokens = sum(tokens)
    warm.embed(passages[:32])  # warm-up: session init, allocator

    print(
        f"{len(passages)} passages from {args.corpus.name}; threads={args.threads}, "
        f"max_tokens={args.max_tokens}; {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load avg {os.getloadavg()[0]:.1f}"
    )
    print(f"mean tokens/passage (after truncation): {total_tokens / len(passages):.1f}")
    print()
    print(f"{'batch':>5}  {'seconds':>8}  {'passages/s':>10}  {'tokens/s':>9}  {'mean tok':>8}")
    for bs in args.batch_sizes:
        emb = OnnxMiniLmEmbedder(threads=args.threads, batch_size=bs, max_tokens=args.max_tokens)
        t0 = time.perf_counter()
        vecs = emb.embed(passages)
        dt = time.perf_counter() - t0
        assert vecs.shape == (len(passages), emb.dim)
        print(
            f"{bs:>5}  {dt:>8.2f}  {len(passages) / dt:>10.1f}  {total_tokens / dt:>9.0f}  "
            f"{total_tokens / len(passages):>8.1f}"
        )
    return 0


def pipeline_vs_model(corpus: Path, n: int, threads: int) -> int:
    import tempfile

    from curbside import services
    from curbside.config import EmbedderSettings, Settings
    from curbside.index.dense import embedding_text

    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with corpus.open(encoding="utf-8") as f, sample.open("w", encoding="utf-8") as out:
            for i, line in enumerate(f):
                if i >= n:
                    break
                out.write(line)
        rt = services.open_runtime(
            Settings(home=Path(tmp) / "home", embedder=EmbedderSettings(threads=threads))
        )
        dense = services.dense_index(rt)
        dense.embedder.embed(["warm-up"] * 32)  # session init, as in the raw run below
        t0 = time.perf_counter()
        report = services.ingest(rt, paths=[sample], fmt="jsonl", mapping="beir")
        t_pipe = time.perf_counter() - t0
        ids = rt.store.current_passage_ids()
        found = rt.store.get_passages(ids)
        texts = [
            embedding_text(found[i][1].title, found[i][0].section, found[i][0].text) for i in ids
        ]
        tokens = sum(dense.embedder.count_tokens(texts))
        t0 = time.perf_counter()
        dense.embedder.embed(texts)
        t_model = time.perf_counter() - t0
        status = services.index_status(rt)
        rt.close()
    print(
        f"{n} NFCorpus documents -> {report.total('passages')} passages, {tokens} tokens; "
        f"threads={threads}; load avg {os.getloadavg()[0]:.1f}\n"
    )
    print("| run | seconds | passages/s | tokens/s |")
    print("|---|---|---|---|")
    for name, t in (("ingest with embedding (whole pipeline)", t_pipe), ("raw model", t_model)):
        print(f"| {name} | {t:.1f} | {len(texts) / t:.1f} | {tokens / t:.0f} |")
    print(
        f"\npipeline overhead over the model: {(t_pipe - t_model) / t_model:+.1%}; "
        f"vectors {status['vectors']}, {status['bytes_per_vector']} bytes each on disk"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
