"""Development retrieval sets in BEIR layout, built from ../shared/data (imported by
``benchmarks/retrieval.py`` and ``benchmarks/train_ranker.py``).

- NFCorpus (``qrels/test.tsv``) is BEIR already (all 3,161 documents, 323 judged queries).
- BioASQ dev: a seeded sample of 600 of the 1,983 questions, against the documents relevant
  to any of them plus a seeded sample of 1,700 of the other documents (every BioASQ document is
  some question's gold snippet, so the others are natural distractors): about 5,000 of the
  13,449 documents. A subset because embedding all of them takes over an hour on the 2 shared
  cores here; a smaller pool makes the set easier, so compare methods within it, not with
  figures on the whole corpus.
- MedicationQA: each consumer medication question against the pool of all reference answers;
  its own answer is the one relevant document (grade 1).
- MedQuAD questions: a seeded sample of 500 MedQuAD ``doc_id`` values (2,410 answers, 2,465
  distinct questions); each question against all the sampled answers; its own answer is grade 2, the
  other answers of the same page (same collection and ``doc_id``: the page is about the same
  focus) grade 1. A question whose answer text is also another question's counts that shared
  answer document as its own. Answer documents carry no title (the page title repeats
  the question's focus and would leak it). A sample, not all 16,407 pairs: embedding the whole
  set takes hours on the 2 shared cores here.

Every set is split into halves by query id (sorted; `halves`): the odd positions are the
development half (rankers are trained and settings chosen there), the even positions the
held-out half, reported and never used for a choice.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curbside.eval.retrieval import BeirSet

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).parent / "out" / "data"

#: name -> qrels split; built sets (BioASQ's subset of dev too) use "test" for their one file.
SETS = {"nfcorpus": "test", "bioasq": "test", "medicationqa": "test", "medquad": "test"}
MEDQUAD_PAGES = 500
MEDQUAD_SEED = 16
BIOASQ_QUESTIONS = 600
BIOASQ_DISTRACTORS = 1700
BIOASQ_SEED = 16


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
    # The sampling unit is a doc_id, which several collections reuse for different pages;
    # a page (for grade 1) and a question id are therefore (collection, doc_id / qid).
    chosen = sorted(random.Random(seed).sample(sorted(by_page), min(pages, len(by_page))))
    answers: dict[str, str] = {}
    queries, qrels = [], []
    seen: set[str] = set()
    for unit in chosen:
        docs = [answers.setdefault(r["answer"].strip(), f"a{len(answers)}") for r in by_page[unit]]
        page_docs: dict[str, set[str]] = {}
        for row, doc in zip(by_page[unit], docs, strict=True):
            page_docs.setdefault(str(row.get("collection", "")), set()).add(doc)
        for row, own in zip(by_page[unit], docs, strict=True):
            coll = str(row.get("collection", ""))
            qid = f"{coll}:{row['qid']}"
            if qid in seen:  # a few rows repeat; their answers stay in the pool
                continue
            seen.add(qid)
            queries.append({"_id": qid, "text": row["question"]})
            qrels.append(f"{qid}\t{own}\t2")
            qrels.extend(f"{qid}\t{d}\t1" for d in sorted(page_docs[coll] - {own}))
    return _write(dest, {d: a for a, d in answers.items()}, queries, qrels)


def bioasq_subset(
    src: Path,
    dest: Path,
    *,
    questions: int = BIOASQ_QUESTIONS,
    distractors: int = BIOASQ_DISTRACTORS,
    seed: int = BIOASQ_SEED,
) -> Path:
    """BioASQ dev on a seeded sample of questions and a smaller pool (see the module doc)."""
    if (dest / "qrels" / "test.tsv").is_file():
        return dest
    qrels: dict[str, list[str]] = {}
    lines = (src / "qrels" / "dev.tsv").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        parts = line.split("\t")
        if len(parts) < 3 or (i == 0 and not parts[2].strip().isdigit()):
            continue
        qrels.setdefault(parts[0], []).append(line)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(qrels), min(questions, len(qrels))))
    relevant = {ln.split("\t")[1] for q in chosen for ln in qrels[q]}
    corpus = [json.loads(ln) for ln in (src / "corpus.jsonl").read_text("utf-8").splitlines() if ln]
    others = sorted(str(d["_id"]) for d in corpus if str(d["_id"]) not in relevant)
    keep = relevant | set(rng.sample(others, min(distractors, len(others))))
    (dest / "qrels").mkdir(parents=True, exist_ok=True)
    with (dest / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d) + "\n" for d in corpus if str(d["_id"]) in keep)
    wanted = set(chosen)
    with (dest / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for ln in (src / "queries.jsonl").read_text("utf-8").splitlines():
            if ln.strip() and str(json.loads(ln)["_id"]) in wanted:
                fh.write(ln + "\n")
    body = "\n".join(ln for q in chosen for ln in qrels[q])
    (dest / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + body + "\n")
    return dest


def set_root(name: str) -> Path:
    """The BEIR directory of a development set (building it under benchmarks/out/data)."""
    bench = DATA / "benchmarks"
    if name == "medicationqa":
        return medicationqa_beir(bench / "medicationqa.jsonl", OUT / name)
    if name == "bioasq":
        return bioasq_subset(bench / name, OUT / name)
    if name == "medquad":
        return medquad_beir(DATA / "corpus" / "medquad_answers.jsonl.gz", OUT / name)
    return bench / name


def halves(qids: Sequence[str]) -> tuple[list[str], list[str]]:
    """(development, held-out): odd and even positions of the sorted query ids."""
    s = sorted(qids)
    return s[0::2], s[1::2]


def dev_parser(doc: str | None, home: Path, per_set: int = 300) -> argparse.ArgumentParser:
    """The arguments every development-half script takes: ``--home``, ``--sets``, ``--per-set``
    (a seeded sample of at most that many development-half queries of each set)."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--home", type=Path, default=home)
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--per-set", type=int, default=per_set)
    return ap


def dev_sample(name: str, per_set: int, seed: int = 16) -> tuple[Path, BeirSet, list[str]]:
    """(BEIR root, the set, a seeded sample of at most `per_set` development-half query ids)."""
    from curbside.eval.retrieval import load_beir

    root = set_root(name)
    data = load_beir(root, SETS[name])
    dev, _held_out = halves(list(data.queries))
    return root, data, sorted(random.Random(seed).sample(dev, min(per_set, len(dev))))
