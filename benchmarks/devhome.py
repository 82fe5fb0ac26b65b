"""The development home: the whole development corpus plus the starter library, one library.

    python benchmarks/devhome.py [--home DIR] [--cache DIR] [--no-embed]

Ingests, with Curbside's own ingest (``services.corpus.ingest``; formats and mapping presets
detected from the file names, as ``curbside ingest ../shared/data/corpus/*`` does), in this
order: MedQuAD answers, the starter library, the NGC guidelines, PubMedQA PQA-L (all 1,000,
``pubmedqa`` preset), the MEDLINE sample, the PubMed XML sample, Cohen 2006. The order only
sets which passages are embedded first (the index build embeds missing passages in id order),
so a partly built index covers the consumer-health answers first.

Then builds the dense index (``DenseIndex.sync``: resumable, saved every 30 s), with passage
embeddings cached by text hash under ``--cache`` in append-only chunk files, so a re-run, a
rebuilt home or a changed chunking re-embeds only new texts. Prints the build time, the counts
and the size on disk, and writes them to ``DIR/devhome-build.json``.

Measured here (2 shared cores, six sessions busy, load average 7-17): the store and keyword
index of the whole corpus took 47 s (``curbside ingest --no-embed``, seven files; 239 MB
database, 122,529 current passages); the dense index is the long part: 10 passages/s at the
start, 1.2-5.5 passages/s under that load with ``nice -n 19`` (2,816 of 122,529 after ~20 min
of running), i.e. several hours here; resumable (re-run the same command). ``--smoke 30``
(the pages of 30 held-out MedQuAD questions: 92 records of 23 pages, 600 other records, the
starter library; 755 sources, 1,708 passages, 9.8 MB) took 317 s, 1,300 passages newly embedded.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answers import CachedEmbedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPUS = DATA / "corpus"
HOME = ROOT / "benchmarks" / "out" / "devhome"
CACHE = ROOT / "benchmarks" / "out" / "embcache-devhome"
#: Ingest order (None = the bundled starter library).
ORDER: tuple[str | None, ...] = (
    "medquad_answers.jsonl.gz",
    None,
    "guidelines_ngc.jsonl.gz",
    "pubmedqa_pqal.json.gz",
    "medline_sample.txt",
    "pubmed_sample.xml",
    "medline_cohen2006.jsonl.gz",
)
CHUNK = 2048  # vectors per cache file


class ChunkCachedEmbedder(CachedEmbedder):
    """``answers.CachedEmbedder`` (vectors looked up by sha1 of the text first) that keeps its
    cache as append-only chunk files ``cache/emb-*.npz`` of `CHUNK` new vectors each, instead
    of rewriting one file of every vector (the whole corpus is 120,000+ of them)."""

    def __init__(self, inner: Any, cache: Path) -> None:
        super().__init__(inner, cache / "no-single-file.npz")
        self.dir = cache
        cache.mkdir(parents=True, exist_ok=True)
        for path in sorted(cache.glob("emb-*.npz")):
            with np.load(path) as z:
                for k, v in zip(z["keys"], z["vecs"], strict=True):
                    self.cache[str(k)] = v
        self.loaded = self._saved = len(self.cache)

    def save(self, force: bool = False) -> None:
        """Write the vectors added since the last chunk, once there are `CHUNK` (or `force`)."""
        if len(self.cache) - self._saved < (1 if force else CHUNK):
            return
        keys = list(itertools.islice(self.cache, self._saved, None))  # insertion order
        tmp = self.dir / f"tmp-{keys[0]}.npz"
        np.savez(tmp, keys=np.asarray(keys), vecs=np.stack([self.cache[k] for k in keys]))
        tmp.replace(self.dir / f"emb-{time.time_ns()}-{keys[0][:8]}.npz")
        self._saved = len(self.cache)
        self._new = 0


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def smoke_subset(home: Path, n: int, distractors: int) -> Path:
    """A MedQuAD subset for a quick run: every record of the pages (URLs) of the first `n`
    held-out (or, with ``--split dev``, dev) MedQuAD questions of ``answer_quality.py``, plus
    `distractors` random other records (seed 15). Written to ``home/data/medquad_smoke.jsonl``."""
    import gzip
    import random

    from answer_quality import question_sets

    urls = {q["url"] for q in question_sets(n)["medquad"]}
    with gzip.open(CORPUS / "medquad_answers.jsonl.gz", "rt") as f:
        rows = [json.loads(x) for x in f if x.strip()]
    mine = [i for i, r in enumerate(rows) if r.get("url") in urls]
    rest = [i for i in range(len(rows)) if rows[i].get("url") not in urls]
    keep = sorted(set(mine) | set(random.Random(15).sample(rest, distractors)))
    path = home / "data" / "medquad_smoke.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(rows[i]) + "\n" for i in keep))
    print(f"[devhome] smoke subset: {len(mine)} records of {len(urls)} pages + "
          f"{distractors} others", file=sys.stderr)
    return path


def build(
    home: Path,
    cache: Path,
    embed: bool = True,
    order: Sequence[tuple[Path | None, str | None]] | None = None,
) -> dict[str, Any]:
    from curbside.config import Settings
    from curbside.services import open_runtime
    from curbside.services.answers import dense_index
    from curbside.services.corpus import index_status, ingest, ingest_starter_library

    rt = open_runtime(Settings(home=home))
    out: dict[str, Any] = {"home": str(home), "steps": {}}
    t_all = time.time()
    if order is None:  # the whole development corpus
        order = [(None if n is None else CORPUS / n, None) for n in ORDER]
    for path, mapping in order:
        t0 = time.time()
        if path is None:
            ingest_starter_library(rt, embed=False)
        else:
            ingest(rt, paths=[path], mapping=mapping, embed=False)
        name = path.name if path else "starter"
        out["steps"][name] = round(time.time() - t0, 1)
        print(f"[devhome] {name}: {time.time() - t0:.0f} s", file=sys.stderr)
    out["store_seconds"] = round(time.time() - t_all, 1)
    if embed:
        dense = dense_index(rt)
        wrapped = ChunkCachedEmbedder(dense.embedder, cache)
        dense._embedder = wrapped  # the cache only changes where vectors come from
        t0 = time.time()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.time() - last[0] > 60:
                last[0] = time.time()
                rate = done / max(time.time() - t0, 1e-9)
                print(
                    f"[devhome] embedded {done}/{total} ({rate:.1f}/s; "
                    f"{len(wrapped.cache) - wrapped.loaded} new vectors)",
                    file=sys.stderr,
                    flush=True,
                )

        from curbside.services.corpus import build_index

        try:
            build_index(rt, progress=progress)
        finally:
            wrapped.save(force=True)
        out["index_seconds"] = round(time.time() - t0, 1)
        out["cached_vectors_at_start"] = wrapped.loaded
        out["newly_embedded"] = len(wrapped.cache) - wrapped.loaded
        out["index"] = index_status(rt)
    out["total_seconds"] = round(time.time() - t_all, 1)
    out["home_bytes"] = _dir_bytes(home)
    out["stats"] = {k: v for k, v in rt.store.stats().items() if isinstance(v, int | dict)}
    rt.close()
    (home / "devhome-build.json").write_text(json.dumps(out, indent=1, default=str) + "\n")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, default=HOME)
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--no-embed", action="store_true", help="store and keyword index only")
    ap.add_argument(
        "--smoke", type=int, default=0, metavar="N",
        help="instead: a small home (pages of the first N held-out MedQuAD questions, "
        "--distractors other MedQuAD records, the starter library) for a quick run",
    )
    ap.add_argument("--distractors", type=int, default=600)
    ap.add_argument("--split", choices=("heldout", "dev"), default="heldout",
                    help="with --smoke: the pages of that split's MedQuAD questions")
    args = ap.parse_args(argv)
    import answer_quality

    answer_quality.SPLIT_NAME = args.split
    if not CORPUS.is_dir():
        print(f"skipped: {CORPUS} not found (needs ../shared/data)")
        return 0
    order = None
    if args.smoke:
        sub = smoke_subset(args.home, args.smoke, args.distractors)
        order = ((sub, "medquad"), (None, None))
    res = build(args.home, args.cache, not args.no_embed, *([order] if order else []))
    print(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
