"""The fixed question split of the answer-selection work (issue 15), shared by
``train_answer_scorer.py`` (training, dev choices, the prototype protocol) and
``answer_quality.py`` (the closing measurement), so both report on the same held-out questions.

MedicationQA (all 690) and a seeded sample of MedQuAD (``MEDQUAD_QUESTIONS`` questions, whole
documents) are split by question group -- the union of the MedQuAD document and the answer
text, so a document or a repeated answer never straddles two parts -- 60/20/20 into train / dev
/ held-out with ``SEED``. A seeded sample of BioASQ dev and the PubMedQA PQA-L questions outside
the 500-question test set are training data only. Moved here unchanged from
``train_answer_scorer.py``: the same seed and code give the same ``split.json``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from curbside.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MEDQA = DATA / "benchmarks" / "medicationqa.jsonl"
MEDQUAD = DATA / "corpus" / "medquad_answers.jsonl.gz"
BIOASQ = DATA / "benchmarks" / "bioasq" / "questions_dev.jsonl"
PQA = DATA / "corpus" / "pubmedqa_pqal.json.gz"
PQA_TEST = DATA / "benchmarks" / "pubmedqa" / "test_ground_truth.json"

SEED = 15
MAX_SENTENCES = 8
MIN_WORDS = 3
MEDQUAD_QUESTIONS = 2000
BIOASQ_QUESTIONS = 1000
BIOASQ_IDEAL = 2  # ideal-answer sentences kept per BioASQ question (the rest: snippets)
BIOASQ_MAX = 4
SPLIT = (0.6, 0.2, 0.2)
EVAL_SOURCES = ("medicationqa", "medquad")

Vec = npt.NDArray[np.float32]


@dataclass
class Item:
    source: str
    qid: str
    group: str
    question: str
    sentences: list[str]
    split: str = "train"
    qvec: Vec = field(default_factory=lambda: np.zeros(0, np.float32))
    svecs: Vec = field(default_factory=lambda: np.zeros((0, 0), np.float32))


def _sentences(text: str, limit: int = MAX_SENTENCES) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for s in split_sentences(text):
        s = " ".join(s.split())
        if len(s.split()) < MIN_WORDS or s in seen:
            continue
        seen.add(s)
        out.append(s)
        if len(out) >= limit:
            break
    return out


def _key(text: str) -> str:
    return hashlib.sha1(" ".join(text.lower().split()).encode()).hexdigest()[:16]


def load_items() -> list[Item]:
    """Every question with its answer sentences; deterministic (seeded samples)."""
    items: list[Item] = []
    for i, line in enumerate(x for x in MEDQA.read_text().split("\n") if x.strip()):
        r = json.loads(line)
        q, a = (r.get("Question") or "").strip(), r.get("Answer") or ""
        sents = _sentences(a)
        if q and sents:
            items.append(Item("medicationqa", f"mqa-{i}", "a:" + _key(a), q, sents))

    docs: dict[str, list[dict[str, Any]]] = {}
    with gzip.open(MEDQUAD, "rt") as f:
        for line in f:
            r = json.loads(line)
            docs.setdefault(str(r.get("doc_id") or r["qid"]), []).append(r)
    order = sorted(docs)
    random.Random(SEED).shuffle(order)
    taken = 0
    for doc in order:
        if taken >= MEDQUAD_QUESTIONS:
            break
        for r in docs[doc]:
            sents = _sentences(r["answer"])
            q = (r.get("question") or "").strip()
            if q and sents:
                items.append(Item("medquad", f"mq-{r['qid']}", "d:" + doc, q, sents))
                taken += 1

    rows = [json.loads(x) for x in BIOASQ.read_text().split("\n") if x.strip()]
    rows.sort(key=lambda r: r["id"])
    random.Random(SEED).shuffle(rows)
    for r in rows[:BIOASQ_QUESTIONS]:
        ideal = r.get("ideal_answer") or []
        ideal_text = ideal[0] if isinstance(ideal, list) and ideal else str(ideal or "")
        sents = _sentences(ideal_text, BIOASQ_IDEAL)
        for sn in r.get("snippets") or []:
            for s in _sentences(sn.get("text") or "", BIOASQ_MAX):
                if len(sents) < BIOASQ_MAX and s not in sents:
                    sents.append(s)
        if r.get("question") and sents:
            items.append(Item("bioasq", f"bq-{r['id']}", "b:" + r["id"], r["question"], sents))

    test_ids = set(json.loads(PQA_TEST.read_text()))
    with gzip.open(PQA, "rt") as f:
        pqa = json.load(f)
    for pmid in sorted(pqa):
        if pmid in test_ids:
            continue
        r = pqa[pmid]
        sents = _sentences(r.get("LONG_ANSWER") or "")
        if sents:
            items.append(Item("pubmedqa", f"pq-{pmid}", "p:" + pmid, r["QUESTION"], sents))
    return items


def assign_split(items: list[Item], seed: int = SEED) -> dict[str, dict[str, list[str]]]:
    """Split MedicationQA and MedQuAD by question group (union of document and answer text),
    60/20/20, seeded; BioASQ and PubMedQA are all train. Returns the id lists."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for it in items:
        for other in ("t:" + _key(" ".join(it.sentences)),):
            ra, rb = find(it.group), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    lists: dict[str, dict[str, list[str]]] = {}
    for source in sorted({it.source for it in items}):
        mine = [it for it in items if it.source == source]
        if source not in EVAL_SOURCES:
            for it in mine:
                it.split = "train"
            lists[source] = {"train": sorted(it.qid for it in mine), "dev": [], "heldout": []}
            continue
        groups = sorted({find(it.group) for it in mine})
        random.Random(f"{seed}:{source}").shuffle(groups)
        n = len(groups)
        cut1, cut2 = round(n * SPLIT[0]), round(n * (SPLIT[0] + SPLIT[1]))
        which = {
            g: ("train" if k < cut1 else "dev" if k < cut2 else "heldout")
            for k, g in enumerate(groups)
        }
        for it in mine:
            it.split = which[find(it.group)]
        lists[source] = {
            s: sorted(it.qid for it in mine if it.split == s) for s in ("train", "dev", "heldout")
        }
    return lists
