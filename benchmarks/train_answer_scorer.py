"""Train and measure the learned answer-sentence scorer (issue 15, step two).

    python benchmarks/train_answer_scorer.py [--stage embed|dev|all] [--write-weights]
        [--extra-medquad N] [--licence-clean] [--cache DIR] [--out DIR]

The whole pipeline, reproducible on 2 CPU cores with a fixed seed:

1. **Data** (``../shared/data``, never copied into the repo): MedicationQA (690 question ->
   reference answer), a seeded sample of MedQuAD (``MEDQUAD_QUESTIONS`` questions, whole
   documents), a seeded sample of BioASQ dev (``BIOASQ_QUESTIONS`` questions; ideal answer and
   gold snippets as the answer) and the PubMedQA PQA-L questions *not* in the 500-question test
   set (conclusions as the answer). No PubMedQA test id is read beyond excluding it.
2. **Units** are questions; an answer is its first ``MAX_SENTENCES`` sentences (the project's
   splitter, at least ``MIN_WORDS`` words each).
3. **Split by question**, never by sentence: MedicationQA and MedQuAD questions are grouped
   (same MedQuAD document, or the same answer text) and the groups are shuffled with ``SEED``
   into train / dev / held-out (60/20/20). BioASQ and PubMedQA are never evaluated here, so all
   of their sampled questions are training data. The id lists are written to ``split.json``.
   **Extra MedQuAD** (``extra_medquad``): every MedQuAD question outside the sample is added
   *after* the split, as training only (the split of the sampled questions is unchanged), minus
   any whose answer text, any sentence, or focus (topic) matches a dev/held-out answer; they
   keep ``EXTRA_SENTENCES`` sentences (embedding time).
4. **Embeddings**: the project's int8 MiniLM (``OnnxMiniLmEmbedder``), cached by text hash.
5. **Training data**: ``TRAIN_SOURCES`` = MedQuAD (CC BY 4.0), PubMedQA non-test (MIT) and
   MedicationQA train (no licence stated; see ``LICENCES``). BioASQ is loaded (so the split is
   the one measured before) but never trained on: its research licence does not cover
   redistributing derived weights, and on dev it added nothing. ``--licence-clean`` also leaves
   MedicationQA out.
6. **Model**: sentence score ``m(s) = (1 - alpha) * cos(W q, s) + alpha * cos(q, s)``, and
   with the question-source term ``(1 - beta) * m(s) + beta * m(source)`` (source: the mean
   vector of the sentence's answer, as the composer has a passage vector). W 384x384 starts at
   the identity and is trained with multi-positive InfoNCE over in-batch negatives plus hard
   negatives (the sentences of each question's ``NEIGHBOURS`` nearest other training answers),
   L2 pull towards the identity, Adam, fixed seed.
7. **Choices on dev only**: the grid ``GRID_*`` (with/without extra MedQuAD, MedicationQA
   repeat weight, epochs, alpha, beta) is fit on train and scored on dev (mean of the two sets'
   P@1); the chosen configuration is then refit on train + dev and evaluated on held-out once.
8. **Evaluation** (the issue's protocol): for each question, its own answer's sentences among
   those of its ``NEIGHBOURS`` nearest other answers of the same split (nearest by the mean
   embedding of the answer's sentences), <= ``MAX_SENTENCES`` each. P@1 = the top sentence is
   from the question's own answer; MRR of the first own sentence. Baselines: word overlap and
   plain MiniLM cosine. Paired bootstrap 95 % interval of (adapter - cosine) P@1.

``--write-weights`` writes ``src/curbside/compose/answer_scorer.npz`` (float16 W) and its
model card ``answer_scorer.json`` only when the adapter beats cosine on the held-out split of
both sets with the interval above 0 (decided before the held-out run).

Earlier run (2,000 MedQuAD questions, BioASQ in, no refit): dev chose tau 0.05, pull 0.01,
3 epochs, alpha 0; held-out MedicationQA (131) cosine 0.832 / adapter 0.855, +0.023
[-0.031, +0.076]; MedQuAD (315) 0.771 / 0.857, +0.086 [+0.048, +0.124]; not shipped.

Measured (seed 15, 2 shared cores, nice 19, load 8-17; ``--write-weights``, run once):
embedding 64,776 texts took 660 s (the sample) + 1,833 s (extra MedQuAD, 44,527 texts); the
dev grid 718 s wall, the final fit 2 s. Dev chose no extra MedQuAD, MedicationQA weight 1,
3 epochs, alpha 0, beta 0 (mean dev P@1 0.809; the extra MedQuAD runs reached 0.806, the
source term 0.800). Tables: n | overlap / cosine / adapter P@1 | adapter - cosine [95 % CI] |
wins-losses against cosine | MRR overlap / cosine / adapter.

- dev (fit on train): MedicationQA 133 | 0.617 / 0.767 / 0.820 | +0.053 [-0.000, +0.105] |
  11-4 | 0.740 / 0.858 / 0.884; MedQuAD 371 | 0.598 / 0.693 / 0.798 | +0.105 [+0.067,
  +0.143] | 46-7 | 0.723 / 0.795 / 0.866.
- held-out (refit on train + dev): MedicationQA 131 | 0.611 / 0.832 / 0.832 | +0.000
  [-0.061, +0.061] | 8-8 | 0.723 / 0.893 / 0.894; MedQuAD 315 | 0.632 / 0.771 / 0.857 |
  +0.086 [+0.044, +0.127] | 37-10 | 0.747 / 0.852 / 0.911.
- held-out, distractors from all answers of the source (secondary, no choice made on it):
  MedicationQA 0.550 / 0.679 / 0.740, +0.061 [+0.000, +0.122], 12-4; MedQuAD 0.670 / 0.810 /
  0.844, +0.035 [+0.000, +0.073], 21-10.

MedicationQA's interval includes 0 again, so no weights are shipped: the adapter learns
MedQuAD's question -> answer map (dev and held-out agree, +0.09-0.11) but not a MedicationQA
one that carries over from 400-535 training questions, and the licence-clean data (MedQuAD,
PubMedQA) gives no MedicationQA gain on dev at all.

Dev exploration before this grid (fit on train, dev P@1 MedicationQA / MedQuAD, cosine 0.767 /
0.693): with BioASQ 0.820 / 0.795 (2 epochs); MedQuAD + PubMedQA only (licence-clean)
0.767-0.789 / 0.79-0.80, i.e. no MedicationQA gain without MedicationQA training questions;
+ MedicationQA 0.812-0.827 / 0.78-0.80; the source term (beta) alone on cosine 0.767 / 0.698.
"""

from __future__ import annotations

import os

# One BLAS thread: the same floating-point reductions on every run and machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterable, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from curbside.compose.answer_scorer import infonce_loss_and_grad, scores_with  # noqa: E402
from curbside.text.stopwords import OVERLAP_STOPWORDS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The data and the fixed split live in answer_split.py (shared with answer_quality.py).
from answer_split import (  # noqa: E402, F401
    BIOASQ,
    BIOASQ_QUESTIONS,
    DATA,
    EVAL_SOURCES,
    MAX_SENTENCES,
    MEDQA,
    MEDQUAD,
    MEDQUAD_QUESTIONS,
    PQA,
    PQA_TEST,
    ROOT,
    SEED,
    SPLIT,
    Item,
    _key,
    _sentences,
    assign_split,
    load_items,
)

OUT = ROOT / "benchmarks" / "out" / "answer_scorer"
CACHE = Path("/tmp/h_ADAPT_cache")
WEIGHTS = ROOT / "src" / "curbside" / "compose" / "answer_scorer.npz"

NEIGHBOURS = 4
EXTRA_MEDQUAD = -1  # all of them
EXTRA_SENTENCES = 4  # sentences kept per extra (non-sampled) MedQuAD training answer
BOOTSTRAP = 2000
# Choices tried on dev (and only on dev).
GRID_EXTRA = (False, True)  # without / with the extra MedQuAD training questions
GRID_TAU = (0.05,)
GRID_PULL = (1e-2,)
GRID_MQA_WEIGHT = (1, 4)
GRID_EPOCHS = (1, 2, 3, 4)
GRID_ALPHA = (0.0, 0.25)
GRID_BETA = (0.0, 0.5)
# Training sources: BioASQ is left out (research licence, no redistribution of derived work);
# CLEAN_SOURCES (--licence-clean) also leaves out MedicationQA, which states no licence.
TRAIN_SOURCES = ("medquad", "pubmedqa", "medicationqa")
CLEAN_SOURCES = ("medquad", "pubmedqa")
CLEAN_LICENCES = {
    "medquad": "CC BY 4.0. Ben Abacha A, Demner-Fushman D. A question-entailment approach to "
    "question answering. BMC Bioinformatics 2019;20:511. github.com/abachaa/MedQuAD",
    "pubmedqa": "MIT. Jin Q et al. PubMedQA: a dataset for biomedical research question "
    "answering. EMNLP 2019. github.com/pubmedqa/pubmedqa",
}
LICENCES = {
    **CLEAN_LICENCES,
    "medicationqa": "no licence stated by the authors (questions and annotations by U.S. "
    "National Library of Medicine staff; answers quoted from MedlinePlus, DailyMed and other "
    "sites). Ben Abacha A et al. Bridging the gap between consumers' medication questions and "
    "trusted answers. MEDINFO 2019. github.com/abachaa/Medication_QA_MedInfo2019. The weights "
    "are a 384x384 map; no text is recoverable from them. Retrain with --licence-clean to "
    "leave it out.",
}
BATCH = 64
LR = 2e-3

Vec = npt.NDArray[np.float32]


def extra_medquad(
    items: Sequence[Item], max_sentences: int = EXTRA_SENTENCES, limit: int | None = None
) -> list[Item]:
    """MedQuAD questions outside the seeded sample, as training data only.

    `assign_split` is run on `load_items()` alone, so the split of every sampled question is
    unchanged; these come after it and are all train. A question is left out when its answer
    could leak into dev or held-out: the same answer text as a dev/held-out answer (either
    evaluated set), any sentence shared with one, or the same focus (topic, case-folded) as a
    dev/held-out MedQuAD document. Answers keep their first `max_sentences` sentences (embedding
    time); `limit` caps the count (seeded document order, like the sample)."""
    evaluated = [it for it in items if it.source in EVAL_SOURCES and it.split != "train"]
    bad_keys = {_key(" ".join(it.sentences)) for it in evaluated}
    bad_sentences = {s for it in evaluated for s in it.sentences}
    sampled = {it.qid for it in items}
    rows: dict[str, list[dict[str, Any]]] = {}
    focus: dict[str, str] = {}
    with gzip.open(MEDQUAD, "rt") as f:
        for line in f:
            r = json.loads(line)
            rows.setdefault(str(r.get("doc_id") or r["qid"]), []).append(r)
            focus[f"mq-{r['qid']}"] = " ".join(str(r.get("focus") or "").lower().split())
    bad_focus = {focus[it.qid] for it in evaluated if it.source == "medquad"} - {""}
    order = sorted(rows)
    random.Random(SEED).shuffle(order)
    out: list[Item] = []
    for doc in order:
        for r in rows[doc]:
            qid = f"mq-{r['qid']}"
            q = (r.get("question") or "").strip()
            sents = _sentences(r["answer"], max_sentences)
            if qid in sampled or not q or not sents or focus[qid] in bad_focus:
                continue
            if _key(" ".join(_sentences(r["answer"]))) in bad_keys or bad_sentences & set(sents):
                continue
            if bad_sentences & set(_sentences(r["answer"])):
                continue
            out.append(Item("medquad", qid, "d:" + doc, q, sents, split="train"))
            if limit is not None and len(out) >= limit:
                return out
    return out


# ---------------------------------------------------------------- embeddings (cached)


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def embed_cached(texts: Sequence[str], cache: Path, chunk: int = 1000) -> dict[str, Vec]:
    """Vectors of `texts` keyed by text hash; new ones are embedded and saved chunk by chunk
    (``cache/emb-*.npz``), so an interrupted run keeps what it did."""
    cache.mkdir(parents=True, exist_ok=True)
    table: dict[str, Vec] = {}
    for path in sorted(cache.glob("emb-*.npz")):
        with np.load(path) as z:
            for k, v in zip(z["keys"], z["vecs"], strict=True):
                table[str(k)] = v
    todo = sorted({_text_hash(t): t for t in texts if _text_hash(t) not in table}.items())
    if todo:
        from curbside.index.embedder import OnnxMiniLmEmbedder

        emb = OnnxMiniLmEmbedder(threads=2)
        t0 = time.time()
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            vecs = emb.embed([t for _, t in part])
            keys = np.array([k for k, _ in part])
            np.savez(cache / f"emb-{keys[0]}-{len(table)}.npz", keys=keys, vecs=vecs)
            for k, v in zip(keys, vecs, strict=True):
                table[str(k)] = v
            done = start + len(part)
            rate = done / max(time.time() - t0, 1e-9)
            print(f"  embedded {done}/{len(todo)} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    return table


def attach_vectors(items: list[Item], table: dict[str, Vec]) -> None:
    for it in items:
        it.qvec = table[_text_hash(it.question)]
        it.svecs = np.stack([table[_text_hash(s)] for s in it.sentences])


# ---------------------------------------------------------------- tasks and metrics


@dataclass
class Task:
    question: str
    qvec: Vec
    sentences: list[str]
    svecs: Vec
    positive: npt.NDArray[np.bool_]
    srcvecs: Vec  # per candidate: its answer's (source's) mean sentence vector, unit length


def _answer_vecs(items: Sequence[Item]) -> Vec:
    a = np.stack([it.svecs.mean(axis=0) for it in items])
    out: Vec = (a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return out


def neighbours(
    items: Sequence[Item], k: int = NEIGHBOURS, pool: Sequence[Item] | None = None
) -> list[list[int]]:
    """For each item, the `k` nearest other answers of `pool` (default: `items` themselves;
    indices into the pool) by answer embedding, skipping the item itself and answers with the
    same sentences (duplicates are not distractors)."""
    pool = items if pool is None else pool
    sims = _answer_vecs(items) @ _answer_vecs(pool).T
    keys = [tuple(it.sentences) for it in pool]
    out: list[list[int]] = []
    for i, it in enumerate(items):
        order = np.argsort(-sims[i], kind="stable")
        mine = tuple(it.sentences)
        picked = [int(j) for j in order if pool[j].qid != it.qid and keys[j] != mine][:k]
        out.append(picked)
    return out


def build_tasks(
    items: Sequence[Item], seed: int = SEED, pool: Sequence[Item] | None = None
) -> list[Task]:
    """The issue's protocol: each item's own sentences among those of its nearest other
    answers in `pool` (default: the same items, i.e. the same split)."""
    rng = random.Random(seed)
    pool = items if pool is None else pool
    nbrs = neighbours(items, pool=pool)
    own_src, pool_src = _answer_vecs(items), _answer_vecs(pool)
    tasks: list[Task] = []
    for i, it in enumerate(items):
        own = set(it.sentences)
        cand: list[tuple[str, Vec, Vec]] = [
            (s, v, own_src[i]) for s, v in zip(it.sentences, it.svecs, strict=True)
        ]
        seen = set(own)
        for j in nbrs[i]:
            for s, v in zip(pool[j].sentences, pool[j].svecs, strict=True):
                if s not in seen:
                    seen.add(s)
                    cand.append((s, v, pool_src[j]))
        rng.shuffle(cand)  # no method may profit from the candidates' order
        tasks.append(
            Task(
                it.question,
                it.qvec,
                [s for s, _, _ in cand],
                np.stack([v for _, v, _ in cand]),
                np.array([s in own for s, _, _ in cand]),
                np.stack([src for _, _, src in cand]),
            )
        )
    return tasks


_WORD = re.compile(r"[a-z0-9]+")
STOP = OVERLAP_STOPWORDS


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP}


def overlap_scores(t: Task) -> npt.NDArray[np.float64]:
    q = _words(t.question)
    return np.array([float(len(q & _words(s))) for s in t.sentences])


def ranks_metrics(tasks: Sequence[Task], scorer: Any) -> tuple[npt.NDArray[np.float64], ...]:
    """Per task: hit@1 (0/1) and reciprocal rank of the first own sentence. Ties keep the
    (shuffled) candidate order."""
    p1, rr = [], []
    for t in tasks:
        s = np.asarray(scorer(t), dtype=np.float64)
        order = np.argsort(-s, kind="stable")
        pos = t.positive[order]
        first = int(np.argmax(pos))
        p1.append(float(pos[0]))
        rr.append(1.0 / (first + 1))
    return np.array(p1), np.array(rr)


def bootstrap_ci(
    diff: npt.NDArray[np.float64], n: int = BOOTSTRAP, seed: int = SEED
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(diff), size=(n, len(diff)))
    means = diff[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


# ---------------------------------------------------------------- training


def train(
    items: Sequence[Item],
    tau: float,
    pull: float,
    epochs: int,
    seed: int = SEED,
    on_epoch: Any = None,
    lr: float = LR,
) -> Vec:
    """W (d x d, identity start) by multi-positive InfoNCE with Adam; `on_epoch(epoch, W)` is
    called after each epoch (for dev evaluation)."""
    d = items[0].qvec.shape[0]
    # Global sentence table: unique texts -> rows.
    text_row: dict[str, int] = {}
    vecs: list[Vec] = []
    own_rows: list[list[int]] = []
    for it in items:
        rows = []
        for s, v in zip(it.sentences, it.svecs, strict=True):
            if s not in text_row:
                text_row[s] = len(vecs)
                vecs.append(v)
            rows.append(text_row[s])
        own_rows.append(rows)
    S_all = np.stack(vecs).astype(np.float64)
    Q_all = np.stack([it.qvec for it in items]).astype(np.float64)
    # Hard negatives: nearest other training answers of the same source.
    hard: list[list[int]] = [[] for _ in items]
    for source in sorted({it.source for it in items}):
        idx = [i for i, it in enumerate(items) if it.source == source]
        nb = neighbours([items[i] for i in idx])
        for local, i in enumerate(idx):
            hard[i] = [idx[j] for j in nb[local]]
    rng = np.random.default_rng(seed)
    W = np.eye(d)
    m = np.zeros_like(W)
    v = np.zeros_like(W)
    b1, b2, eps, step = 0.9, 0.999, 1e-8, 0
    for epoch in range(1, epochs + 1):
        perm = rng.permutation(len(items))
        for start in range(0, len(perm), BATCH):
            batch = perm[start : start + BATCH]
            rows: dict[int, int] = {}
            for i in batch:
                for j in [int(i), *hard[int(i)]]:
                    for r in own_rows[j]:
                        rows.setdefault(r, len(rows))
            cand = np.fromiter(rows, dtype=np.int64, count=len(rows))
            pos = np.zeros((len(batch), len(cand)), dtype=bool)
            for b, i in enumerate(batch):
                for r in own_rows[int(i)]:
                    pos[b, rows[r]] = True
            _, g = infonce_loss_and_grad(W, Q_all[batch], S_all[cand], pos, tau)
            g = g + 2.0 * pull * (W - np.eye(d))
            step += 1
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            W = W - lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + eps)
        if on_epoch is not None:
            on_epoch(epoch, W.astype(np.float32))
    out: Vec = W.astype(np.float32)
    return out


def adapter_scorer(W: Vec | None, alpha: float, beta: float = 0.0) -> Any:
    """Scores of the adapter (``W=None``: plain cosine), with the question-source term
    weighted `beta`."""
    return lambda t: scores_with(W, alpha, t.qvec, t.svecs, t.srcvecs, beta)


def cosine_scorer(t: Task) -> Vec:
    out: Vec = t.svecs @ t.qvec
    return out


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stage", choices=("embed", "dev", "all"), default="all")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--write-weights", action="store_true")
    ap.add_argument(
        "--extra-medquad",
        type=int,
        default=EXTRA_MEDQUAD,
        help="extra MedQuAD training questions outside the sample (-1: all, 0: none)",
    )
    ap.add_argument(
        "--licence-clean",
        action="store_true",
        help="train only on data whose licence allows redistributing derived weights",
    )
    args = ap.parse_args(list(argv) if argv is not None else None)
    if not DATA.is_dir():
        print(f"no development data at {DATA}", file=sys.stderr)
        return 2
    timings: dict[str, float] = {}
    t0 = time.time()
    items = load_items()
    lists = assign_split(items)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "split.json").write_text(json.dumps(lists, indent=1) + "\n")
    timings["data"] = time.time() - t0
    counts = {s: {k: len(v) for k, v in d.items()} for s, d in lists.items()}
    n_sent = sum(len(it.sentences) for it in items)
    print(f"items {len(items)}, sentences {n_sent}; split {json.dumps(counts)}")

    t0 = time.time()
    limit = None if args.extra_medquad < 0 else args.extra_medquad
    extra = extra_medquad(items, limit=limit) if limit != 0 else []
    print(f"extra MedQuAD training questions: {len(extra)}")
    texts = [t for it in (*items, *extra) for t in (it.question, *it.sentences)]
    table = embed_cached(texts, args.cache)
    attach_vectors(items, table)
    attach_vectors(extra, table)
    timings["embed"] = time.time() - t0
    print(f"embedded in {timings['embed']:.0f}s")
    if args.stage == "embed":
        return 0

    def subset(source: str, split: str) -> list[Item]:
        return [it for it in items if it.source == source and it.split == split]

    sources = CLEAN_SOURCES if args.licence_clean else TRAIN_SOURCES

    def training(split_names: tuple[str, ...], mqa_weight: int, more: bool) -> list[Item]:
        """Training items of `sources` from the named splits (`more`: with the extra MedQuAD
        questions); MedicationQA questions repeated `mqa_weight` times (few, unlike MedQuAD)."""
        out: list[Item] = []
        for it in (*items, *(extra if more else ())):
            if it.source in sources and it.split in split_names:
                out.extend([it] * (mqa_weight if it.source == "medicationqa" else 1))
        return out

    dev_tasks = {s: build_tasks(subset(s, "dev")) for s in EVAL_SOURCES}

    def dev_p1(W: Vec | None, alpha: float, beta: float) -> dict[str, float]:
        return {
            s: float(ranks_metrics(dev_tasks[s], adapter_scorer(W, alpha, beta))[0].mean())
            for s in EVAL_SOURCES
        }

    t0 = time.time()
    base = dev_p1(None, 1.0, 0.0)
    base_dev = float(np.mean(list(base.values())))
    print(f"dev cosine P@1 {json.dumps(base)} (mean {base_dev:.3f})")
    best: tuple[float, dict[str, Any], dict[str, float], Vec] = (
        -1.0,
        {},
        {},
        np.eye(1, dtype=np.float32),
    )
    grid: list[dict[str, Any]] = [
        {"extra_medquad": more, "tau": tau, "pull": pull, "mqa_weight": weight}
        for more in (GRID_EXTRA if extra else (False,))
        for tau in GRID_TAU
        for pull in GRID_PULL
        for weight in GRID_MQA_WEIGHT
    ]
    for run in grid:
        train_items = training(("train",), run["mqa_weight"], run["extra_medquad"])

        def on_epoch(epoch: int, W: Vec, run: dict[str, Any] = run) -> None:
            nonlocal best
            for alpha in GRID_ALPHA:
                for beta in GRID_BETA:
                    p = dev_p1(W, alpha, beta)
                    mean = float(np.mean(list(p.values())))
                    cfg = {**run, "epochs": epoch, "alpha": alpha, "beta": beta}
                    print(f"  {json.dumps(cfg)}: dev {json.dumps(p)} mean {mean:.3f}", flush=True)
                    if mean > best[0] + 1e-9:
                        best = (mean, cfg, p, W.copy())

        train(train_items, run["tau"], run["pull"], max(GRID_EPOCHS), on_epoch=on_epoch)
    timings["train+dev"] = time.time() - t0
    dev_best, cfg, dev_sets, W_dev = best
    print(f"chosen on dev: {cfg} (dev P@1 {json.dumps(dev_sets)} vs cosine {json.dumps(base)})")
    header = (
        "| n | overlap P@1 | cosine P@1 | adapter P@1 | adapter-cosine 95% CI |"
        " MRR overlap / cosine / adapter"
    )
    print("\ndev (fit on train only) " + header)
    dev_table = {
        s: _evaluate(dev_tasks[s], W_dev, cfg["alpha"], cfg["beta"], s) for s in EVAL_SOURCES
    }
    if args.stage == "dev":
        return 0

    # Final fit: the chosen configuration on train + dev (held-out never seen).
    t0 = time.time()
    final_items = training(("train", "dev"), cfg["mqa_weight"], cfg["extra_medquad"])
    W = train(final_items, cfg["tau"], cfg["pull"], cfg["epochs"])
    timings["final_fit"] = time.time() - t0
    alpha, beta = cfg["alpha"], cfg["beta"]

    # Held-out: once, after every choice.
    t0 = time.time()
    results: dict[str, Any] = {}
    print("\nheld-out " + header)
    for s in EVAL_SOURCES:
        results[s] = _evaluate(build_tasks(subset(s, "heldout")), W, alpha, beta, s)
    # Secondary, harder pool (no choice made on it): distractors from every answer of the
    # source, any split, so same-topic answers are nearer. Never used for shipping.
    print("\nheld-out, distractors from all answers of the source (secondary) " + header)
    for s in EVAL_SOURCES:
        pool = [it for it in items if it.source == s]
        tasks = build_tasks(subset(s, "heldout"), pool=pool)
        results[s]["all_answers_pool"] = _evaluate(tasks, W, alpha, beta, s)
    timings["heldout"] = time.time() - t0
    wins = all(results[s]["ci95"][0] > 0 for s in EVAL_SOURCES)
    train_counts: dict[str, int] = {}
    for it in final_items:
        train_counts[it.source] = train_counts.get(it.source, 0) + 1
    card = _model_card(cfg, dev_table, results, wins, timings, train_counts, sources)
    (args.out / "model_card.json").write_text(json.dumps(card, indent=1, default=float) + "\n")
    print(f"\ntimings {json.dumps({k: round(v) for k, v in timings.items()})}")
    print(f"adapter beats cosine on every held-out set (CI above 0): {wins}")
    if args.write_weights:
        if not wins:
            print("not writing weights: the adapter does not beat cosine on held-out")
        else:
            np.savez_compressed(WEIGHTS, W=W.astype(np.float16))
            card["size_bytes"] = WEIGHTS.stat().st_size
            WEIGHTS.with_suffix(".json").write_text(
                json.dumps(card, indent=1, default=float) + "\n"
            )
            print(f"wrote {WEIGHTS} ({card['size_bytes']} bytes)")
    return 0


def _evaluate(tasks: list[Task], W: Vec, alpha: float, beta: float, name: str) -> dict[str, Any]:
    """Overlap, cosine and adapter P@1 / MRR on `tasks`, with the paired bootstrap interval
    of (adapter - cosine) P@1; printed as one table row."""
    ov, ov_rr = ranks_metrics(tasks, overlap_scores)
    co, co_rr = ranks_metrics(tasks, cosine_scorer)
    ad, ad_rr = ranks_metrics(tasks, adapter_scorer(W, alpha, beta))
    lo, hi = bootstrap_ci(ad - co)
    print(
        f"{name} | {len(tasks)} | {ov.mean():.3f} | {co.mean():.3f} | {ad.mean():.3f} | "
        f"{ad.mean() - co.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] | "
        f"{ov_rr.mean():.3f} / {co_rr.mean():.3f} / {ad_rr.mean():.3f}"
    )
    return {
        "n": len(tasks),
        "candidates_mean": float(np.mean([len(t.sentences) for t in tasks])),
        "p1": {"overlap": ov.mean(), "cosine": co.mean(), "adapter": ad.mean()},
        "mrr": {"overlap": ov_rr.mean(), "cosine": co_rr.mean(), "adapter": ad_rr.mean()},
        "adapter_minus_cosine_p1": float(ad.mean() - co.mean()),
        "wins_losses": [int((ad > co).sum()), int((ad < co).sum())],
        "ci95": [lo, hi],
    }


def _model_card(
    cfg: dict[str, Any],
    dev_table: dict[str, Any],
    results: dict[str, Any],
    wins: bool,
    timings: dict[str, float],
    train_counts: dict[str, int],
    sources: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "model": "answer-sentence scorer: sentence score m(s) = (1-alpha)*cos(W q, s) + "
        "alpha*cos(q, s); with a source vector: (1-beta)*m(s) + beta*m(source)",
        "features": "all-MiniLM-L6-v2 int8 (OnnxMiniLmEmbedder), 384-d, L2-normalised; "
        "question vector q, sentence vectors s, source = the sentence's passage/document vector",
        "embedder": "onnx-minilm:all-MiniLM-L6-v2-int8",
        "dim": 384,
        "dtype": "float16",
        "alpha": cfg["alpha"],
        "beta": cfg["beta"],
        "seed": SEED,
        "chosen_on_dev": cfg,
        "dev": {"fit": "train only", **dev_table},
        "training": {
            "loss": "multi-positive InfoNCE, in-batch + hard negatives "
            f"({NEIGHBOURS} nearest other answers), L2 pull to identity, Adam lr {LR}, "
            f"batch {BATCH}, full-batch float64 numpy, one BLAS thread",
            "final_fit": "chosen configuration refit on train + dev questions",
            "questions": train_counts,
        },
        "data": {
            "medquad": f"{MEDQUAD_QUESTIONS}-question seeded sample (split 60/20/20 by document) "
            "plus every other MedQuAD question as training only, minus any whose answer text, "
            "any sentence or focus (topic) matches a dev/held-out answer; "
            f"extra answers keep {EXTRA_SENTENCES} sentences",
            "pubmedqa": "PQA-L questions not in the 500-question test set; conclusions",
            "medicationqa": "train (+ dev in the final fit) questions of the 690"
            if "medicationqa" in sources
            else "not used for training (evaluation only)",
            "bioasq": "not used for training (research licence); loaded only so the split is "
            "the same as before",
            "split": "by question group (document / answer text), 60/20/20, seed "
            f"{SEED}; PubMedQA and extra MedQuAD train only",
            "max_sentences_per_answer": MAX_SENTENCES,
        },
        "licence": LICENCES if "medicationqa" in sources else CLEAN_LICENCES,
        "heldout": results,
        "beats_cosine_heldout": wins,
        "timings_s": timings,
        "retrain": "python benchmarks/train_answer_scorer.py --write-weights "
        "(development data in ../shared/data; embeddings cached under --cache)",
    }


if __name__ == "__main__":
    raise SystemExit(main())
