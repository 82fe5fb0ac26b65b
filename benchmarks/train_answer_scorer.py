"""Train and measure the learned answer-sentence scorer (issue 15, step two).

    python benchmarks/train_answer_scorer.py [--stage embed|all] [--write-weights]
                                             [--cache DIR] [--out DIR]

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
4. **Embeddings**: the project's int8 MiniLM (``OnnxMiniLmEmbedder``), cached by text hash.
5. **Model**: ``score = (1 - alpha) * cos(W q, s) + alpha * cos(q, s)``, W 384x384 initialised
   to the identity, trained with multi-positive InfoNCE over in-batch negatives plus hard
   negatives (the sentences of each question's ``NEIGHBOURS`` nearest other training answers),
   L2 pull towards the identity, Adam, fixed seed. Temperature, pull, epochs and alpha are
   chosen on dev only.
6. **Evaluation** (the issue's protocol): for each question, its own answer's sentences among
   those of its ``NEIGHBOURS`` nearest other answers of the same split (nearest by the mean
   embedding of the answer's sentences), <= ``MAX_SENTENCES`` each. P@1 = the top sentence is
   from the question's own answer; MRR of the first own sentence. Baselines: word overlap and
   plain MiniLM cosine. Held-out figures are computed once, after every choice is made, with a
   paired bootstrap 95 % interval of (adapter - cosine).

``--write-weights`` writes ``src/curbside/compose/answer_scorer.npz`` and its model card only
when the adapter beats cosine on the held-out split of both sets with the interval above 0.

Measured (seed 15, 2 cores; embedding 20,249 texts took 336 s cold, training + dev grid 19 s):
dev chose tau 0.05, pull 0.01, 3 epochs, alpha 0 (dev P@1 0.812 vs cosine 0.730). Held-out P@1
(overlap / cosine / adapter, adapter - cosine with 95 % CI): MedicationQA (131) 0.611 / 0.832 /
0.855, +0.023 [-0.031, +0.076]; MedQuAD (315) 0.632 / 0.771 / 0.857, +0.086 [+0.048, +0.124].
MedicationQA's interval includes 0, so no weights are shipped.
"""

from __future__ import annotations

import os

# One BLAS thread: the same floating-point reductions on every run and machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
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
    assign_split,
    load_items,
)

OUT = ROOT / "benchmarks" / "out" / "answer_scorer"
CACHE = Path("/tmp/h_ADAPT_cache")
WEIGHTS = ROOT / "src" / "curbside" / "compose" / "answer_scorer.npz"

NEIGHBOURS = 4
BOOTSTRAP = 2000
# Choices tried on dev (and only on dev).
GRID_TAU = (0.05, 0.1)
GRID_PULL = (1e-3, 1e-2)
GRID_ALPHA = (0.0, 0.25, 0.5)
EPOCHS = 6
BATCH = 64
LR = 2e-3

Vec = npt.NDArray[np.float32]


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
    tasks: list[Task] = []
    for i, it in enumerate(items):
        own = set(it.sentences)
        cand: list[tuple[str, Vec]] = [(s, v) for s, v in zip(it.sentences, it.svecs, strict=True)]
        seen = set(own)
        for j in nbrs[i]:
            for s, v in zip(pool[j].sentences, pool[j].svecs, strict=True):
                if s not in seen:
                    seen.add(s)
                    cand.append((s, v))
        rng.shuffle(cand)  # no method may profit from the candidates' order
        tasks.append(
            Task(
                it.question,
                it.qvec,
                [s for s, _ in cand],
                np.stack([v for _, v in cand]),
                np.array([s in own for s, _ in cand]),
            )
        )
    return tasks


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = (
    "a an the of to in on for and or is are was were be been it its this that what which who"
    " how why when where do does did can could should would will i my me you your with by as"
    " at from about there their they if not no any some have has had take taking"
)
STOP = frozenset(_STOPWORDS.split())


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


def adapter_scorer(W: Vec, alpha: float) -> Any:
    return lambda t: scores_with(W, alpha, t.qvec, t.svecs)


def cosine_scorer(t: Task) -> Vec:
    out: Vec = t.svecs @ t.qvec
    return out


# ---------------------------------------------------------------- main


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stage", choices=("embed", "all"), default="all")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--write-weights", action="store_true")
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
    texts = [t for it in items for t in (it.question, *it.sentences)]
    table = embed_cached(texts, args.cache)
    attach_vectors(items, table)
    timings["embed"] = time.time() - t0
    print(f"embedded in {timings['embed']:.0f}s")
    if args.stage == "embed":
        return 0

    def subset(source: str, split: str) -> list[Item]:
        return [it for it in items if it.source == source and it.split == split]

    dev_tasks = {s: build_tasks(subset(s, "dev")) for s in EVAL_SOURCES}
    train_items = [it for it in items if it.split == "train"]

    def dev_p1(W: Vec, alpha: float) -> float:
        vals = [
            ranks_metrics(dev_tasks[s], adapter_scorer(W, alpha))[0].mean() for s in EVAL_SOURCES
        ]
        return float(np.mean(vals))

    t0 = time.time()
    base_dev = float(
        np.mean([ranks_metrics(dev_tasks[s], cosine_scorer)[0].mean() for s in EVAL_SOURCES])
    )
    print(f"dev cosine P@1 (mean of sets) {base_dev:.3f}")
    best: tuple[float, dict[str, Any], Vec] = (-1.0, {}, np.eye(384, dtype=np.float32))
    for tau in GRID_TAU:
        for pull in GRID_PULL:

            def on_epoch(epoch: int, W: Vec, tau: float = tau, pull: float = pull) -> None:
                nonlocal best
                for alpha in GRID_ALPHA:
                    p = dev_p1(W, alpha)
                    print(f"  tau {tau} pull {pull} epoch {epoch} alpha {alpha}: dev {p:.3f}")
                    if p > best[0] + 1e-9:
                        cfg = {"tau": tau, "pull": pull, "epochs": epoch, "alpha": alpha}
                        best = (p, cfg, W.copy())

            train(train_items, tau, pull, EPOCHS, on_epoch=on_epoch)
    timings["train+dev"] = time.time() - t0
    dev_best, cfg, W = best
    print(f"chosen on dev: {cfg} (dev P@1 {dev_best:.3f} vs cosine {base_dev:.3f})")

    # Held-out: once, after every choice.
    t0 = time.time()
    results: dict[str, Any] = {}
    print(
        "\nheld-out | n | overlap P@1 | cosine P@1 | adapter P@1 | adapter-cosine 95% CI |"
        " MRR overlap / cosine / adapter"
    )
    for s in EVAL_SOURCES:
        tasks = build_tasks(subset(s, "heldout"))
        ov, ov_rr = ranks_metrics(tasks, overlap_scores)
        co, co_rr = ranks_metrics(tasks, cosine_scorer)
        ad, ad_rr = ranks_metrics(tasks, adapter_scorer(W, cfg["alpha"]))
        lo, hi = bootstrap_ci(ad - co)
        results[s] = {
            "n": len(tasks),
            "candidates_mean": float(np.mean([len(t.sentences) for t in tasks])),
            "p1": {"overlap": ov.mean(), "cosine": co.mean(), "adapter": ad.mean()},
            "mrr": {"overlap": ov_rr.mean(), "cosine": co_rr.mean(), "adapter": ad_rr.mean()},
            "adapter_minus_cosine_p1": float(ad.mean() - co.mean()),
            "ci95": [lo, hi],
        }
        print(
            f"{s} | {len(tasks)} | {ov.mean():.3f} | {co.mean():.3f} | {ad.mean():.3f} | "
            f"{ad.mean() - co.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] | "
            f"{ov_rr.mean():.3f} / {co_rr.mean():.3f} / {ad_rr.mean():.3f}"
        )
    # Secondary, harder pool (no choice made on it): distractors from every answer of the
    # source, any split, so same-topic answers are nearer. Decided after the first held-out
    # run; reported beside the pre-registered within-split figures, never used for shipping.
    print("\nheld-out, distractors from all answers of the source (secondary)")
    for s in EVAL_SOURCES:
        pool = [it for it in items if it.source == s]
        tasks = build_tasks(subset(s, "heldout"), pool=pool)
        ov, ov_rr = ranks_metrics(tasks, overlap_scores)
        co, co_rr = ranks_metrics(tasks, cosine_scorer)
        ad, ad_rr = ranks_metrics(tasks, adapter_scorer(W, cfg["alpha"]))
        lo, hi = bootstrap_ci(ad - co)
        results[s]["all_answers_pool"] = {
            "p1": {"overlap": ov.mean(), "cosine": co.mean(), "adapter": ad.mean()},
            "mrr": {"overlap": ov_rr.mean(), "cosine": co_rr.mean(), "adapter": ad_rr.mean()},
            "ci95": [lo, hi],
        }
        print(
            f"{s} | {len(tasks)} | {ov.mean():.3f} | {co.mean():.3f} | {ad.mean():.3f} | "
            f"{ad.mean() - co.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] | "
            f"{ov_rr.mean():.3f} / {co_rr.mean():.3f} / {ad_rr.mean():.3f}"
        )
    timings["heldout"] = time.time() - t0
    wins = all(results[s]["ci95"][0] > 0 for s in EVAL_SOURCES)
    card = {
        "model": "answer-sentence scorer: (1-alpha)*cos(W q, s) + alpha*cos(q, s)",
        "features": "all-MiniLM-L6-v2 int8 (OnnxMiniLmEmbedder), 384-d, L2-normalised; "
        "question vector q, sentence vectors s",
        "embedder": "onnx-minilm:all-MiniLM-L6-v2-int8",
        "dim": 384,
        "alpha": cfg["alpha"],
        "chosen_on_dev": cfg,
        "dev_p1_mean": {"adapter": dev_best, "cosine": base_dev},
        "training": {
            "loss": "multi-positive InfoNCE, in-batch + hard negatives "
            f"({NEIGHBOURS} nearest other answers), L2 pull to identity, Adam lr {LR}, "
            f"batch {BATCH}",
            "seed": SEED,
            "train_questions": {src: len(d["train"]) for src, d in lists.items()},
        },
        "data": {
            "medicationqa": "all 690 (benchmarks/medicationqa.jsonl)",
            "medquad": f"{MEDQUAD_QUESTIONS} questions, whole documents, seeded sample",
            "bioasq": f"{BIOASQ_QUESTIONS} dev questions, seeded sample; ideal answer + snippets",
            "pubmedqa": "PQA-L questions not in the 500-question test set; conclusions",
            "split": "by question group (document / answer text), 60/20/20, seed "
            f"{SEED}; BioASQ and PubMedQA train only",
            "max_sentences_per_answer": MAX_SENTENCES,
        },
        "heldout": results,
        "beats_cosine_heldout": wins,
        "timings_s": timings,
    }
    (args.out / "model_card.json").write_text(json.dumps(card, indent=1, default=float) + "\n")
    print(f"\ntimings {json.dumps({k: round(v) for k, v in timings.items()})}")
    print(f"adapter beats cosine on every held-out set (CI above 0): {wins}")
    if args.write_weights:
        if not wins:
            print("not writing weights: the adapter does not beat cosine on held-out")
        else:
            np.savez_compressed(WEIGHTS, W=W.astype(np.float16))
            WEIGHTS.with_suffix(".json").write_text(
                json.dumps(card, indent=1, default=float) + "\n"
            )
            print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
