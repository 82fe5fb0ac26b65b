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
import os
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


def run_cli(home: Path, *args: str) -> tuple[float, float, str]:
    """Run the CLI in a child process: (wall seconds, the child's CPU seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "curbside.cli.entry", "--home", str(home), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - t0, cpu, out.stdout


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
        wall, cpu, _ = run_cli(home, "ingest", *map(str, paths), "--no-embed", "--quiet")
        st = json.loads(run_cli(home, "stats", "--json")[2])
        n = st["passages"]
        rows.append(("ingest (store + FTS5, no embeddings), wall clock", n, wall, n / wall))
        rows.append(("same ingest, per CPU-second of the ingest process", n, cpu, n / cpu))
        rows.append(
            ("baseline: readers only (records parsed, nothing stored)", recs, t_read, recs / t_read)
        )
        xml = Path(tmp) / "pubmed30k.xml"
        build_pubmed_xml(xml, args.records)
        # A fresh child: RUSAGE_CHILDREN's max RSS is the largest child so far, and this one
        # is launched from a process whose earlier children were no bigger (printed below).
        earlier = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        wall2, cpu2, _ = run_cli(Path(tmp) / "home2", "ingest", str(xml), "--no-embed", "--quiet")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        st2 = json.loads(run_cli(Path(tmp) / "home2", "stats", "--json")[2])
        n2 = st2["passages"]
        rows.append(
            (
                f"PubMed XML, {args.records:,} records ({st2['sources']:,} stored), wall",
                n2,
                wall2,
                n2 / wall2,
            )
        )
        rows.append(("same, per CPU-second", n2, cpu2, n2 / cpu2))
    print("| measurement | items | seconds | items/s |")
    print("|---|---|---|---|")
    for name, count, secs, rate in rows:
        print(f"| {name} | {count:,} | {secs:.1f} | {rate:,.0f} |")
    print(
        f"\npeak RSS while ingesting the {args.records:,}-record PubMed XML: <= {peak_mb:.0f} MB "
        f"(target <= 300 MB; largest earlier child {earlier:.0f} MB)"
    )
    print(
        f"load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(wall-clock rates shrink when other work shares the cores)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
