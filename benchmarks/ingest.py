"""Ingest benchmark: throughput without embeddings, and peak memory on a 30,000-record PubMed XML.

    python benchmarks/ingest.py [--records 30000] [--corpus]

Prints a table. Throughput is measured on real development files (MEDLINE/Cohen, MedQuAD,
PubMedQA) ingested into a fresh SQLite home with ``--no-embed``; the baseline beside it is the
raw reader speed (parse only, nothing stored) on the same files in the same run. Peak memory is
the child process's max RSS while ingesting a PubMed XML file built by repeating the structure
of ``pubmed_sample.xml`` with generated ids.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = [
    "corpus/medline_cohen2006.jsonl.gz",
    "corpus/medquad_answers.jsonl.gz",
    "corpus/pubmedqa_pqal.json.gz",
    "corpus/medline_sample.txt",
]


def build_pubmed_xml(path: Path, n: int) -> None:
    sample = (DATA / "corpus" / "pubmed_sample.xml").read_text(encoding="utf-8")
    article = re.search(r"<PubmedArticle>.*?</PubmedArticle>", sample, re.S)
    assert article, "pubmed_sample.xml has no PubmedArticle"
    body = article.group(0)
    pmid = re.search(r"<PMID[^>]*>(\d+)</PMID>", body)
    assert pmid
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" ?>\n<PubmedArticleSet>\n')
        for i in range(n):
            # Generated ids (benchmark only, never stored anywhere that matters).
            fh.write(body.replace(pmid.group(0), f'<PMID Version="1">{90_000_000 + i}</PMID>', 1))
            fh.write("\n")
        fh.write("</PubmedArticleSet>\n")


def run_cli(home: Path, *args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "curbside.cli.entry", "--home", str(home), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0, out.stdout


def reader_only(paths: list[Path]) -> tuple[int, float]:
    from curbside.ingest.detect import auto_mapping, detect_format, make_reader

    t0 = time.perf_counter()
    n = 0
    for p in paths:
        for _ in make_reader(detect_format(p), auto_mapping(p)).read(p):
            n += 1
    return n, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=30_000)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0
    import json

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        paths = [DATA / f for f in FILES]
        recs, t_read = reader_only(paths)
        wall, _ = run_cli(home, "ingest", *map(str, paths), "--no-embed", "--quiet")
        _, stats = run_cli(home, "stats", "--json")
        st = json.loads(stats)
        rows.append(
            ("ingest (store + FTS5, no embeddings)", st["passages"], wall, st["passages"] / wall)
        )
        rows.append(("baseline: readers only (parse, nothing stored)", recs, t_read, recs / t_read))
        xml = Path(tmp) / "pubmed30k.xml"
        build_pubmed_xml(xml, args.records)
        home2 = Path(tmp) / "home2"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        wall2, _ = run_cli(home2, "ingest", str(xml), "--no-embed", "--quiet")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        _, stats2 = run_cli(home2, "stats", "--json")
        st2 = json.loads(stats2)
    print("| measurement | items | seconds | items/s |")
    print("|---|---|---|---|")
    for name, n, secs, rate in rows:
        print(f"| {name} | {n:,} | {secs:.1f} | {rate:,.0f} |")
    print(
        f"| PubMed XML {args.records:,} records ({xml.stat().st_size if False else 0 or ''}"
        f"{st2['sources']:,} stored, {st2['passages']:,} passages) | {st2['passages']:,} | "
        f"{wall2:.1f} | {st2['passages'] / wall2:,.0f} |"
    )
    print(
        f"\npeak RSS of the ingest process on the {args.records:,}-record PubMed XML: "
        f"{peak_mb:.0f} MB (target <= 300 MB; earlier child max {before / 1024:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
