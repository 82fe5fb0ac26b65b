"""LLM writer under citation verification: the small local model on BioASQ dev questions.

    python benchmarks/llm_writer.py [--n 50] [--max-tokens 100] [--base-url URL]

Without --base-url it starts the bundled local llama.cpp server (xllamacpp + Gemma 3 270M base
model, 1 thread). Evidence per question: the question's gold snippets from
``questions_dev.jsonl`` (up to 3, numbered [1]..[k], titles "PMID n"), not Curbside retrieval.
Prints sentences generated, sentences surviving verification, fabricated citation numbers
removed and reaching the output (must be 0), fallbacks, and latency p50/p95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from curbside.config import LLMSettings
from curbside.index.embedder import OnnxMiniLmEmbedder
from curbside.llm.client import OpenAICompatibleLLM
from curbside.llm.local_server import LocalServer
from curbside.llm.writer import LLMWriter
from curbside.verify.citations import CitationVerifier
from curbside.verify.support import SupportScorer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--max-tokens", type=int, default=100)
    ap.add_argument("--snippets", type=int, default=3)
    ap.add_argument("--base-url", default=None)
    ap.add_argument("--data", type=Path, default=DATA)
    args = ap.parse_args()
    path = args.data / "benchmarks" / "bioasq" / "questions_dev.jsonl"
    questions = [json.loads(line) for line in path.open()][: args.n]
    scorer = SupportScorer(OnnxMiniLmEmbedder())
    verifier = CitationVerifier(scorer)
    server = None if args.base_url else LocalServer().start()
    base_url = args.base_url or (server.base_url if server else "")
    rows = []
    try:
        with OpenAICompatibleLLM(LLMSettings.model_validate({"base_url": base_url})) as llm:
            writer = LLMWriter(llm, verifier, max_tokens=args.max_tokens)
            for i, q in enumerate(questions, 1):
                seen: set[str] = set()
                evidence = []
                for s in q["snippets"]:
                    if s["text"] in seen:
                        continue
                    seen.add(s["text"])
                    evidence.append((len(evidence) + 1, f"PMID {s['pmid']}", s["text"]))
                    if len(evidence) == args.snippets:
                        break
                t0 = time.perf_counter()
                r = writer.write(q["question"], evidence)
                dt = time.perf_counter() - t0
                allowed = {n for n, _, _ in evidence}
                leaked = sum(1 for c in r.claims for n in c.citations if n not in allowed)
                rows.append((r, dt, leaked))
                print(f"{i:3d} gen={r.sentences_generated} kept={len(r.claims)} "
                      f"fab={r.fabricated_citations_removed} fallback={r.fallback} {dt:.1f}s",
                      file=sys.stderr, flush=True)
    finally:
        if server:
            server.stop()
    lat = [dt for _, dt, _ in rows]
    gen = sum(r.sentences_generated for r, _, _ in rows)
    kept = sum(len(r.claims) for r, _, _ in rows)
    table = [
        ("questions", str(len(rows))),
        ("model", rows[0][0].model if rows else "-"),
        ("sentences generated", str(gen)),
        ("sentences with a valid citation",
         str(gen - sum(r.uncited_sentences for r, _, _ in rows))),
        ("sentences surviving verification", f"{kept} ({kept / gen:.1%})" if gen else "0"),
        ("fabricated citation numbers removed", str(sum(r.fabricated_citations_removed
                                                        for r, _, _ in rows))),
        ("fabricated citations reaching output", str(sum(leak for _, _, leak in rows))),
        ("fallbacks (< 2 claims survive)", f"{sum(r.fallback for r, _, _ in rows)}/{len(rows)}"),
        ("latency p50 (s)", f"{statistics.median(lat):.1f}" if lat else "-"),
        ("latency p95 (s)", f"{pct(lat, 0.95):.1f}" if lat else "-"),
    ]
    width = max(len(k) for k, _ in table)
    print(f"| {'metric'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for k, v in table:
        print(f"| {k.ljust(width)} | {v} |")


if __name__ == "__main__":
    main()
