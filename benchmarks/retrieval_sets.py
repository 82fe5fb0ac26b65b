"""Development retrieval sets in BEIR layout, built from ../shared/data (imported by
``benchmarks/retrieval.py`` and ``benchmarks/train_ranker.py``).

- NFCorpus (``qrels/test.tsv``) and BioASQ (``qrels/dev.tsv``) are BEIR already.
- MedicationQA: each consumer medication question against the pool of all reference answers;
  its own answer is the one relevant document (grade 1).
- MedQuAD questions: a seeded sample of MedQuAD pages (``doc_id``); each question against all
  the sampled answers; its own answer is grade 2, the other answers of the same page grade 1
  (the page is about the same focus). Answer documents carry no title (the page title repeats
  the question's focus and would leak it). A sample, not all 16,407 pairs: embedding the whole
  set takes hours on the 2 shared cores here.

Every set is split into halves by query id (sorted; `halves`): the odd positions are the
development half (rankers are trained and settings chosen there), the even positions the
held-out half, reported and never used for a choice.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).parent / "out" / "data"

#: name -> (split); built sets use "test" for their one qrels file.
SETS = {"nfcorpus": "test", "bioasq": "dev", "medicationqa": "test", "medquad": "test"}
MEDQUAD_PAGES = 500
MEDQUAD_SEED = 16


def _write(
    dest: Path, docs: dict[str, str], queries: list[dict[str, str]], qrels: list[str]
) -> Path:
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    with (dest / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc, text in docs.items():
            fh.write(json.dumps({"_id": doc, "title": "", "text": text}) + "\n")
    with (dest / "queries.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(q) + "\n" for q in queries)
    (dest / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "\n".join(qrels))
    return dest


def medicationqa_beir(src: Path, dest: Path) -> Path:
    """MedicationQA as a BEIR-layout set: questions against the pool of reference answers."""
    if (dest / "qrels" / "test.tsv").is_file():
        return dest
    answers: dict[str, str] = {}
    queries, qrels = [], []
    for i, line in enumerate(src.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        answer = (row.get("Answer") or "").strip()
        if not answer or not (row.get("Question") or "").strip():
            continue
        doc = answers.setdefault(answer, f"a{len(answers)}")
        queries.append({"_id": f"q{i}", "text": row["Question"]})
        qrels.append(f"q{i}\t{doc}\t1")
    return _write(dest, {d: a for a, d in answers.items()}, queries, qrels)


def medquad_beir(
    src: Path, dest: Path, *, pages: int = MEDQUAD_PAGES, seed: int = MEDQUAD_SEED
) -> Path:
    """A seeded sample of MedQuAD pages as a graded BEIR-layout set (see the module doc)."""
    if (dest / "qrels" / "test.tsv").is_file():
        return dest
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    by_page: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if (row.get("answer") or "").strip() and (row.get("question") or "").strip():
            by_page.setdefault(str(row["doc_id"]), []).append(row)
    chosen = sorted(random.Random(seed).sample(sorted(by_page), min(pages, len(by_page))))
    answers: dict[str, str] = {}
    queries, qrels = [], []
    for page in chosen:
        docs = [answers.setdefault(r["answer"].strip(), f"a{len(answers)}") for r in by_page[page]]
        for row, own in zip(by_page[page], docs, strict=True):
            queries.append({"_id": str(row["qid"]), "text": row["question"]})
            qrels.append(f"{row['qid']}\t{own}\t2")
            qrels.extend(f"{row['qid']}\t{d}\t1" for d in sorted(set(docs) - {own}))
    return _write(dest, {d: a for a, d in answers.items()}, queries, qrels)


def set_root(name: str) -> Path:
    """The BEIR directory of a development set (building it under benchmarks/out/data)."""
    bench = DATA / "benchmarks"
    if name == "medicationqa":
        return medicationqa_beir(bench / "medicationqa.jsonl", OUT / name)
    if name == "medquad":
        return medquad_beir(DATA / "corpus" / "medquad_answers.jsonl.gz", OUT / name)
    return bench / name


def halves(qids: Sequence[str]) -> tuple[list[str], list[str]]:
    """(development, held-out): odd and even positions of the sorted query ids."""
    s = sorted(qids)
    return s[0::2], s[1::2]
