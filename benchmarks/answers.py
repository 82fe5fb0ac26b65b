"""Answer benchmarks (issue 4): PubMedQA, BioASQ yes/no and ROUGE-L, citation integrity, latency.

    python benchmarks/answers.py [--only pubmedqa,bioasq,integrity] [--prepare-only]
                                 [--limit N] [--out DIR]

Every figure is printed beside a baseline measured in the same run (majority class for
PubMedQA and BioASQ yes/no, the top-ranked passage for ROUGE-L) and the published figures.

Corpus homes are built once under ``benchmarks/out/answers/`` (gitignored) and reused. Passage
embeddings are cached by text hash while ingesting (``embcache.npz``) so the PubMedQA homes,
which share most passages, embed each passage once; questions are always embedded live, so the
latencies are real.

Corpora (exact definitions, also printed with the tables):

* ``pqa-free``: all 1,000 PubMedQA PQA-L records, ``pubmedqa`` preset (conclusions included).
* ``pqa-req``: the same 1,000 records, ``pubmedqa-noconclusion`` preset (no LONG_ANSWER).
* ``pqa-test500``: only the 500 test records, ``pubmedqa`` preset; used by
  ``calibrate_confidence.py`` to ask the 500 calibration questions with their abstract absent.
* ``bioasq-subset``: the BioASQ gold documents (qrels/dev.tsv) of the sampled questions plus
  ``DISTRACTORS`` random other documents of the BioASQ dev corpus (seed 13), ``beir`` preset.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from curbside.config import Settings
from curbside.services import open_runtime
from curbside.services.answers import ask, dense_index, search
from curbside.services.corpus import ingest
from curbside.services.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PQA_CORPUS = DATA / "corpus" / "pubmedqa_pqal.json.gz"
PQA_TEST = DATA / "benchmarks" / "pubmedqa" / "test_ground_truth.json"
BIOASQ = DATA / "benchmarks" / "bioasq"
MEDQA = DATA / "benchmarks" / "medicationqa.jsonl"
OUT = ROOT / "benchmarks" / "out" / "answers"
SEED = 13
DISTRACTORS = 1000
SUPPORT_OK = 0.55

VERDICT_LABEL = {"supports": "yes", "contradicts": "no", "mixed": "maybe", "insufficient": "maybe"}

FloatMatrix = npt.NDArray[np.float32]


# --------------------------------------------------------------------------- embedding cache
class CachedEmbedder:
    """Wraps an embedder; while `enabled`, embeddings are looked up by text hash first."""

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner = inner
        self.path = path
        self.enabled = True
        self.cache: dict[str, FloatMatrix] = {}
        self._new = 0
        if path.is_file():
            with np.load(path) as z:
                keys = [str(k) for k in z["keys"]]
                vecs = z["vecs"]
                self.cache = {k: vecs[i] for i, k in enumerate(keys)}

    @property
    def name(self) -> str:
        return str(self.inner.name)

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    @property
    def fingerprint(self) -> str:
        return str(self.inner.fingerprint)

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if not self.enabled:
            return np.asarray(self.inner.embed(texts), dtype=np.float32)
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.cache]
        if todo:
            vecs = np.asarray(self.inner.embed([texts[i] for i in todo]), dtype=np.float32)
            for j, i in enumerate(todo):
                self.cache[keys[i]] = vecs[j]
            self._new += len(todo)
            if self._new >= 256:
                self.save()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self.cache[k]
        return out

    def embed_query(self, text: str) -> FloatMatrix:
        return np.asarray(self.inner.embed_query(text), dtype=np.float32)

    def save(self) -> None:
        if not self._new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.asarray(keys), vecs=np.stack([self.cache[k] for k in keys]))
        tmp.replace(self.path)
        self._new = 0


_CACHES: dict[str, CachedEmbedder] = {}


def open_home(name: str) -> Runtime:
    """A runtime on a benchmark home, with the passage-embedding cache of its group (the
    part of the name before the first "-") installed."""
    rt = open_runtime(Settings(home=OUT / name))
    dense = dense_index(rt)
    group = name.split("-")[0]
    if group not in _CACHES:
        _CACHES[group] = CachedEmbedder(dense.embedder, OUT / f"embcache-{group}.npz")
    dense._embedder = _CACHES[group]
    return rt


def build_home(name: str, path: Path, fmt: str, mapping: str) -> Runtime:
    """Ingest `path` into the home `name` once (a marker file records completion)."""
    rt = open_home(name)
    cache = _CACHES[name.split("-")[0]]
    marker = OUT / name / "benchmark-ingested.json"
    key = hashlib.sha1(path.read_bytes()).hexdigest()
    if not (marker.is_file() and json.loads(marker.read_text()).get("key") == key):
        t0 = time.perf_counter()
        cache.enabled = True
        rep = ingest(rt, paths=[path], fmt=fmt, mapping=mapping)
        cache.save()
        marker.write_text(json.dumps({"key": key, "report": str(rep)}))
        print(f"[{name}] ingested in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    cache.enabled = False  # questions and sentences are embedded live from here on
    return rt


def write_json_gz(path: Path, obj: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(obj, sort_keys=True).encode()
    if not (path.is_file() and gzip.decompress(path.read_bytes()) == data):
        path.write_bytes(gzip.compress(data, mtime=0))
    return path


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    if not (path.is_file() and path.read_text() == text):
        path.write_text(text)
    return path


# --------------------------------------------------------------------------------- PubMedQA
def pqa_data() -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(all records, test gold, calibration PMIDs = the 500 non-test records)."""
    records: dict[str, Any] = json.loads(gzip.decompress(PQA_CORPUS.read_bytes()))
    gold: dict[str, str] = json.loads(PQA_TEST.read_text())
    calib = sorted(k for k in records if k not in gold)
    return records, gold, calib


def pqa_home(setting: str) -> Runtime:
    records, gold, _ = pqa_data()
    if setting == "test500":
        sub = {k: v for k, v in records.items() if k in gold}
        path = write_json_gz(OUT / "data" / "pqa_test500.json.gz", sub)
        return build_home("pqa-test500", path, "json", "pubmedqa")
    path = write_json_gz(OUT / "data" / "pqa_all.json.gz", records)
    mapping = "pubmedqa" if setting == "free" else "pubmedqa-noconclusion"
    return build_home(f"pqa-{setting}", path, "json", mapping)


# ----------------------------------------------------------------------------------- BioASQ
def bioasq_samples() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(100 yes/no questions, 100 questions of any type, disjoint), seeded."""
    qs = [json.loads(x) for x in (BIOASQ / "questions_dev.jsonl").open() if x.strip()]
    rng = random.Random(SEED)
    yesno = [q for q in qs if q["type"] == "yesno"]
    s_yn = rng.sample(yesno, 100)
    taken = {q["id"] for q in s_yn}
    s_any = rng.sample([q for q in qs if q["id"] not in taken], 100)
    return s_yn, s_any


def bioasq_home() -> Runtime:
    s_yn, s_any = bioasq_samples()
    qrels: dict[str, set[str]] = {}
    for line in (BIOASQ / "qrels" / "dev.tsv").open():
        p = line.rstrip("\n").split("\t")
        if len(p) >= 3 and p[2].strip().isdigit() and int(p[2]) > 0:
            qrels.setdefault(p[0], set()).add(p[1])
    want = {d for q in s_yn + s_any for d in qrels.get(q["id"], set())}
    docs = [json.loads(x) for x in (BIOASQ / "corpus.jsonl").open() if x.strip()]
    rest = sorted(d["_id"] for d in docs if d["_id"] not in want)
    want |= set(random.Random(SEED).sample(rest, DISTRACTORS))
    rows = [d for d in docs if d["_id"] in want]
    path = write_jsonl(OUT / "data" / "bioasq_subset.jsonl", rows)
    print(f"[bioasq-subset] {len(rows)} documents", file=sys.stderr)
    return build_home("bioasq-subset", path, "jsonl", "beir")


def main_prepare(which: Sequence[str]) -> None:
    for w in which:
        rt = pqa_home(w[4:]) if w.startswith("pqa-") else bioasq_home()
        rt.close()


# ----------------------------------------------------------------------- stance model training
def stance_examples(pmids: Sequence[str]) -> list[dict[str, Any]]:
    """The consensus basis the answer pipeline itself builds for each calibration question,
    in both settings: retrieval over that setting's home, then the composer's
    `consensus_basis_of` over the top source's passages from the store. Only the 500 non-test
    questions are ever passed here. Cached under OUT (keyed by the PMIDs and the homes)."""
    from curbside.compose.composer import consensus_basis_of

    records, gold, _ = pqa_data()
    assert not set(pmids) & set(gold), "test questions must never reach the stance training"
    key = hashlib.sha1(" ".join(pmids).encode()).hexdigest()[:12]
    cache = OUT / f"stance-examples-{key}.json"
    if cache.is_file():
        cached: list[dict[str, Any]] = json.loads(cache.read_text())
        return cached
    out: list[dict[str, Any]] = []
    for setting in ("free", "req"):
        rt = pqa_home(setting)
        for k in pmids:
            q = records[k]["QUESTION"]
            res = search(rt, query=q, k=12)
            ev = res.evidence
            passages = rt.store.passages_of(ev[0].source.id) if ev else None
            basis, kind = consensus_basis_of(ev, passages)
            out.append(
                {
                    "pmid": k,
                    "setting": setting,
                    "question": q,
                    "confidence": res.confidence,
                    "basis": basis,
                    "kind": kind,
                    "own": bool(ev) and ev[0].source.pmid == k,
                    "gold": records[k]["final_decision"],
                }
            )
        rt.close()
    cache.write_text(json.dumps(out))
    return out


def _fit(
    xs: list[dict[str, float]], ys: list[int], vocab: list[str], lam: float, iters: int = 400
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    idx = {f: i for i, f in enumerate(vocab)}
    x = np.zeros((len(xs), len(vocab)))
    for r, feats in enumerate(xs):
        for f, v in feats.items():
            if f in idx:
                x[r, idx[f]] = v
    y = np.zeros((len(ys), 3))
    y[np.arange(len(ys)), ys] = 1.0
    w = np.zeros((len(vocab), 3))
    b = np.log(y.mean(0) + 1e-6)
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    for t in range(1, iters + 1):  # Adam on the L2-regularised cross-entropy
        z = x @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - y) / len(ys)
        gw = x.T @ g + lam * w
        gb = g.sum(0)
        m_w = 0.9 * m_w + 0.1 * gw
        v_w = 0.999 * v_w + 0.001 * gw**2
        m_b = 0.9 * m_b + 0.1 * gb
        v_b = 0.999 * v_b + 0.001 * gb**2
        lr = 0.05
        w -= lr * (m_w / (1 - 0.9**t)) / (np.sqrt(v_w / (1 - 0.999**t)) + 1e-8)
        b -= lr * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
    return w, b


def _design(
    feats: Sequence[dict[str, float]], rows: Sequence[int], vocab: list[str]
) -> npt.NDArray[np.float64]:
    idx = {f: i for i, f in enumerate(vocab)}
    x = np.zeros((len(rows), len(vocab)))
    for r, i in enumerate(rows):
        for f, v in feats[i].items():
            j = idx.get(f)
            if j is not None:
                x[r, j] = v
    return x


def train_stance(out_path: Path) -> None:
    """Fit the stance model on the 500 calibration questions (never the test 500), on the
    bases the pipeline produced for them in both settings. 5-fold CV (folds by question, so a
    question's two settings share a fold) picks the L2 strength and the cue-less abstention
    threshold; prints CV accuracy and macro-F1 beside the cue vote; writes the weights JSON."""
    from curbside.compose.consensus import (
        CLASSES,
        consensus,
        pair_features,
        question_negated,
    )

    _, _, calib = pqa_data()
    ex = stance_examples(calib)
    feats = [pair_features(e["question"], e["basis"], e["kind"]) for e in ex]

    def label(e: dict[str, Any]) -> int:
        g = str(e["gold"])
        if question_negated(e["question"]) and g != "maybe":  # the meter flips these back
            g = "no" if g == "yes" else "yes"
        return CLASSES.index(g)

    ys = [label(e) for e in ex]
    fold_of = {k: i % 5 for i, k in enumerate(calib)}

    def vocab_of(rows: Sequence[int]) -> list[str]:
        df: Counter[str] = Counter()
        for r in rows:
            df.update(feats[r])
        return sorted(f for f, n in df.items() if n >= 3)

    def oof(lam: float) -> npt.NDArray[np.float64]:
        probs = np.zeros((len(ex), 3))
        for f in range(5):
            tr = [i for i, e in enumerate(ex) if fold_of[e["pmid"]] != f]
            te = [i for i, e in enumerate(ex) if fold_of[e["pmid"]] == f]
            vocab = vocab_of(tr)
            w, b = _fit([feats[i] for i in tr], [ys[i] for i in tr], vocab, lam)
            z = _design(feats, te, vocab) @ w + b
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            probs[te] = p / p.sum(1, keepdims=True)
        return probs

    def scores(pred: Sequence[str]) -> dict[str, tuple[float, float]]:
        out = {}
        for style in ("free", "req"):
            rows = [i for i, e in enumerate(ex) if e["setting"] == style]
            g = [CLASSES[ys[i]] for i in rows]
            p = [pred[i] for i in rows]
            out[style] = (accuracy(g, p), macro_f1(g, p, CLASSES))
        return out

    print(
        "| model (5-fold CV on the 500 calibration questions) | free acc / macro-F1 | "
        "req acc / macro-F1 |\n|---|---|---|"
    )
    cue = [VERDICT_LABEL[consensus("", e["basis"], use_model=False).verdict] for e in ex]
    sc = scores(cue)
    print(
        f"| cue vote (no model) | {sc['free'][0]:.3f} / {sc['free'][1]:.3f} | "
        f"{sc['req'][0]:.3f} / {sc['req'][1]:.3f} |"
    )
    best: tuple[float, float, npt.NDArray[np.float64]] = (-1.0, 0.0, np.zeros(0))
    for lam in (0.003, 0.01, 0.03, 0.1):
        probs = oof(lam)
        sc = scores([CLASSES[int(j)] for j in probs.argmax(1)])
        print(
            f"| logistic regression, L2 {lam} | {sc['free'][0]:.3f} / {sc['free'][1]:.3f} | "
            f"{sc['req'][0]:.3f} / {sc['req'][1]:.3f} |"
        )
        mean = (sc["free"][0] + sc["req"][0]) / 2
        if mean > best[0]:
            best = (mean, lam, probs)
    _, lam, probs = best
    # Cue-less abstention: "insufficient" (scored as maybe) when no cue fires and the model's
    # top probability is below the threshold; chosen on the out-of-fold probabilities.
    cueless = [consensus("", e["basis"], use_model=False).verdict == "insufficient" for e in ex]
    print("\n| cue-less abstention below p | free acc | req acc | abstained |\n|---|---|---|---|")
    chosen = (-1.0, 0.0)
    for thr in (0.0, 0.4, 0.5, 0.6):
        pred = []
        for i in range(len(ex)):
            top = int(probs[i].argmax())
            pred.append("maybe" if cueless[i] and probs[i, top] < thr else CLASSES[top])
        sc = scores(pred)
        n_abs = sum(1 for i in range(len(ex)) if cueless[i] and probs[i].max() < thr)
        print(f"| {thr} | {sc['free'][0]:.3f} | {sc['req'][0]:.3f} | {n_abs}/{len(ex)} |")
        mean = (sc["free"][0] + sc["req"][0]) / 2
        if mean > chosen[0] + 1e-9:
            chosen = (mean, thr)
    vocab = vocab_of(range(len(ex)))
    w, b = _fit(feats, ys, vocab, lam)
    keep = [j for j in range(len(vocab)) if np.abs(w[j]).max() >= 0.01]
    obj = {
        "about": "Curbside stance model: 3-class logistic regression (yes, no, maybe) over "
        "consensus.pair_features, fitted on the 500 PubMedQA PQA-L questions outside the test "
        "set, on the consensus bases the answer pipeline built for them in both settings "
        f"(conclusions; results when the corpus has no conclusions); L2 {lam}; "
        "benchmarks/answers.py --train-stance",
        "classes": list(CLASSES),
        "bias": [round(float(x), 4) for x in b],
        "min_prob_without_cues": chosen[1],
        "min_prob_weak_match": 0.5,
        "weights": {vocab[j]: [round(float(x), 4) for x in w[j]] for j in keep},
    }
    out_path.write_text(json.dumps(obj, indent=0, sort_keys=True) + "\n")
    print(
        f"\nwrote {out_path} ({len(keep)} features, L2 {lam}, "
        f"cue-less abstention below {chosen[1]})"
    )


# ------------------------------------------------------------------------------ measurement
@dataclass
class Run:
    """What one `ask` produced, plus the compose input it saw (for the basis comparison)."""

    question: str
    article: Any
    seconds: float
    evidence: list[Any] = field(default_factory=list)


_LAST_INPUT: list[Any] = []


def _record_compose_input() -> None:
    """Keep the last ComposeInput (evidence) so alternative consensus bases can be compared."""
    from curbside.compose import composer

    orig = composer.ExtractiveComposer.compose
    if getattr(orig, "_recording", False):
        return

    def compose(self: Any, inp: Any) -> Any:
        _LAST_INPUT[:] = [inp]
        return orig(self, inp)

    compose._recording = True  # type: ignore[attr-defined]
    composer.ExtractiveComposer.compose = compose  # type: ignore[method-assign]


def run_ask(rt: Runtime, question: str) -> Run:
    _record_compose_input()
    _LAST_INPUT.clear()
    t0 = time.perf_counter()
    art = ask(rt, question=question, save=False)
    dt = time.perf_counter() - t0
    ev = list(_LAST_INPUT[0].evidence) if _LAST_INPUT else []
    return Run(question, art, dt, ev)


def run_verdict(rt: Runtime, question: str) -> Run:
    """The consensus verdict by the answer pipeline's own code, without the stages that never
    change it: `ask`'s retrieval (k=12) and `compose_input`, then the composer, but no dense
    lead re-ordering, safety, verification or rendering. Agreement with `ask` is measured on
    the first --agree questions of each run."""
    from curbside.compose.composer import ExtractiveComposer
    from curbside.pipeline import AnswerPipeline
    from curbside.services.answers import _check_question, retriever

    q = _check_question(question)
    t0 = time.perf_counter()
    result = retriever(rt).search(q, k=12)
    compose = AnswerPipeline(rt).compose
    art, _ = ExtractiveComposer().compose(compose.input(q, result, with_similarity=False))
    return Run(question, art, time.perf_counter() - t0, list(result.evidence))


def verdict_of(art: Any) -> str:
    """The meter's reading scored against PubMedQA's forced yes / no / maybe: its verdict, or
    when the stance model was below the confidence a shown verdict needs
    (`consensus.MIN_VERDICT_PROBABILITY`), the model's leaning, so the figure stays the stance
    model's accuracy; `shown_verdicts` counts what a reader would see."""
    if art.consensus is None:
        return "insufficient"
    return str(art.consensus.leaning or art.consensus.verdict)


def shown_verdict(art: Any) -> str:
    """The verdict the reader sees ("insufficient" below the stance confidence threshold)."""
    return str(art.consensus.verdict) if art.consensus is not None else "insufficient"


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(f1s)


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / max(1, len(gold))


def pctl(xs: Sequence[float], p: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))]


LATENCY: dict[str, list[float]] = {}
WEAK: list[tuple[str, Run, str]] = []


DEADLINE = float("inf")
FAST = False
AGREE = 0
YESNO_ONLY = False


def late() -> bool:
    """True once the run's --minutes budget is spent (the loops then report what they did)."""
    return time.time() > DEADLINE


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[str]:
    """A Markdown confusion matrix: rows gold, columns predicted."""
    c = Counter(zip(gold, pred, strict=True))
    out = [
        "| gold \\ predicted | " + " | ".join(labels) + " | n |",
        "|---" * (len(labels) + 2) + "|",
    ]
    for g in labels:
        row = [str(c[(g, p)]) for p in labels]
        out.append(f"| {g} | " + " | ".join(row) + f" | {sum(c[(g, p)] for p in labels)} |")
    return out


def bench_pubmedqa(limit: int | None, settings: Sequence[str] = ("req", "free")) -> str:
    from curbside.compose.consensus import MIN_VERDICT_PROBABILITY, consensus

    records, gold, _ = pqa_data()
    pmids = sorted(gold)[: limit or None]
    lines = [
        "### PubMedQA PQA-L test (yes/no/maybe)",
        "",
        f"Up to {len(pmids)} test questions (test_ground_truth.json, sorted by PMID: n per row "
        "below), each asked through the answer pipeline (`services.answers.ask`: retrieval → "
        "composition → consensus; with --fast-verdict its retrieval and composer only, checked "
        "against `ask` on the first questions); corpus: all 1,000 PQA-L records in one home "
        "per setting "
        "(reasoning-required: `pubmedqa-noconclusion` preset, no LONG_ANSWER; reasoning-free: "
        "`pubmedqa` preset). Mapping: supports→yes, contradicts→no, mixed/insufficient→maybe. "
        'Majority baseline = always "yes" on the same questions. Stance model fitted on the '
        "500 non-test questions only.",
        "",
        "| setting | method | accuracy | macro-F1 |",
        "|---|---|---|---|",
    ]
    labels = ("yes", "no", "maybe")
    published = {
        "req": "human 78.0% / BioBERT 68.1% (acc); human macro-F1 72.2",
        "free": "human 90.4% (acc)",
    }
    matrices: list[str] = []
    for setting in settings:
        rt = pqa_home(setting)
        g: list[str] = []
        engine = "engine (ask → consensus meter, learned stance)"
        cue_name = "same basis, cue vote only (no model)"
        preds: dict[str, list[str]] = {engine: [], cue_name: []}
        verdicts: Counter[str] = Counter()
        shown: list[tuple[str, str]] = []  # (gold, shown verdict label) where one was shown
        agree = [0, 0]
        top_own = 0
        for i, p in enumerate(pmids):
            if late():
                break
            g.append(gold[p])
            if FAST:
                run = run_verdict(rt, records[p]["QUESTION"])
                LATENCY.setdefault("retrieval + composer", []).append(run.seconds)
                if i < AGREE:
                    full = run_ask(rt, records[p]["QUESTION"])
                    LATENCY.setdefault("ask", []).append(full.seconds)
                    agree[0] += int(verdict_of(full.article) == verdict_of(run.article))
                    agree[1] += 1
            else:
                run = run_ask(rt, records[p]["QUESTION"])
                LATENCY.setdefault("ask", []).append(run.seconds)
            basis = run.article.consensus.basis if run.article.consensus else []
            v = verdict_of(run.article)
            verdicts[v] += 1
            preds[engine].append(VERDICT_LABEL[v])
            if shown_verdict(run.article) != "insufficient":
                shown.append((gold[p], VERDICT_LABEL[shown_verdict(run.article)]))
            cue = consensus(run.question, basis, use_model=False).verdict if basis else v
            preds[cue_name].append(VERDICT_LABEL[cue])
            top_own += int(bool(run.evidence) and run.evidence[0].source.pmid == p)
            if VERDICT_LABEL[v] != gold[p] and len(WEAK) < 6 and i % 7 == 0:
                WEAK.append((f"PubMedQA-{setting} {p} gold={gold[p]} got={v}", run, setting))
            if i % 50 == 0:
                print(f"[pubmedqa-{setting}] {i}/{len(pmids)}", file=sys.stderr, flush=True)
        name = "reasoning-required" if setting == "req" else "reasoning-free"
        name += f" (n={len(g)})"
        for method, pr in preds.items():
            lines.append(
                f"| {name} | {method} | {accuracy(g, pr):.1%} | {macro_f1(g, pr, labels):.3f} |"
            )
        maj = ["yes"] * len(g)
        lines.append(
            f"| {name} | majority class (yes) | {accuracy(g, maj):.1%} | "
            f"{macro_f1(g, maj, labels):.3f} |"
        )
        lines.append(f"| {name} | published | {published[setting]} | |")
        lines.append(
            f"| {name} | verdicts shown to the reader (stance probability >= "
            f"{MIN_VERDICT_PROBABILITY}): {len(shown)}/{len(g)} | "
            f"{accuracy([a for a, _ in shown], [b for _, b in shown]) if shown else 0:.1%} "
            "of those | |"
        )
        lines.append(
            f"| {name} | (meter verdicts: {dict(verdicts)}; own abstract ranked first "
            f"{top_own / max(1, len(g)):.0%}) | | |"
        )
        if FAST:
            lines.append(
                f"| {name} | (verdicts by retrieval + composer; identical to the full `ask` "
                f"verdict on {agree[0]}/{agree[1]} questions checked) | | |"
            )
        matrices += [
            "",
            f"Confusion matrix, {name}, engine:",
            "",
            *confusion(g, preds[engine], labels),
        ]
        rt.close()
    return "\n".join(lines + matrices) + "\n"


def _rouge() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def _lead_text(art: Any) -> str:
    return " ".join(c.text for c in art.lead if not c.ours) or " ".join(c.text for c in art.lead)


def bench_bioasq(limit: int | None) -> tuple[str, list[Run]]:
    s_yn, s_any = bioasq_samples()
    s_yn, s_any = s_yn[: limit or None], s_any[: limit or None]
    rt = bioasq_home()
    n_docs = sum(1 for _ in (OUT / "data" / "bioasq_subset.jsonl").open())
    head = [
        "### BioASQ dev",
        "",
        f"Corpus: a subset of the BioASQ dev corpus ({n_docs} documents): the gold documents "
        f"(qrels/dev.tsv) of the sampled questions plus {DISTRACTORS} random other documents "
        f"(seed {SEED}); `beir` preset, embedded. Samples (seed {SEED}): {len(s_yn)} yes/no "
        f"questions; {len(s_any)} questions of any type, disjoint from the first.",
        "",
    ]
    gold, pred = [], []
    for q in s_yn:
        if late():
            break
        run = run_verdict(rt, q["question"]) if FAST else run_ask(rt, q["question"])
        LATENCY.setdefault("ask" if not FAST else "retrieval + composer", []).append(run.seconds)
        v = verdict_of(run.article)
        gold.append(str(q["exact_answer"]).strip().lower())
        pred.append(VERDICT_LABEL[v])
        if VERDICT_LABEL[v] != gold[-1] and len([w for w in WEAK if "BioASQ" in w[0]]) < 3:
            WEAK.append((f"BioASQ yes/no gold={gold[-1]} got={v}", run, "bioasq"))
    n = len(gold)
    answered = [i for i in range(n) if pred[i] in ("yes", "no")]
    maj = Counter(gold).most_common(1)[0][0] if gold else "yes"
    head += [
        "| yes/no | accuracy (all; maybe counts wrong) | accuracy where answered | "
        "answered | gold distribution |",
        "|---|---|---|---|---|",
        f"| engine (consensus meter) | {accuracy(gold, pred):.1%} | "
        f"{accuracy([gold[i] for i in answered], [pred[i] for i in answered]):.1%} | "
        f"{len(answered)}/{n} | {dict(Counter(gold))} |",
        f"| majority class ({maj}) | {accuracy(gold, [maj] * n):.1%} | "
        f"{accuracy(gold, [maj] * n):.1%} | {n}/{n} | |",
        "",
    ]
    if YESNO_ONLY:
        rt.close()
        return "\n".join(head) + "\n", []
    scorer = _rouge()
    ours, base = [], []
    runs: list[Run] = []
    by_type: dict[str, list[tuple[float, float]]] = {}
    for q in s_any:
        if late():
            break
        run = run_ask(rt, q["question"])
        runs.append(run)
        LATENCY.setdefault("ask", []).append(run.seconds)
        t0 = time.perf_counter()
        res = search(rt, query=q["question"], k=10)
        LATENCY.setdefault("search", []).append(time.perf_counter() - t0)
        refs = q["ideal_answer"] if isinstance(q["ideal_answer"], list) else [q["ideal_answer"]]
        top = res.evidence[0].passage.text if res.evidence else ""
        lead = _lead_text(run.article)
        o = max(scorer.score(r, lead)["rougeL"].fmeasure for r in refs)
        b = max(scorer.score(r, top)["rougeL"].fmeasure for r in refs)
        ours.append(o)
        base.append(b)
        by_type.setdefault(q["type"], []).append((o, b))
        if o < 0.08 and len([w for w in WEAK if "ROUGE" in w[0]]) < 2:
            WEAK.append((f"BioASQ ROUGE-L {o:.2f} ({q['type']}) ideal: {refs[0][:300]}", run, ""))
    ours, base = ours or [0.0], base or [0.0]
    head += [
        "| ROUGE-L F1 vs ideal answer (max over listed ideal answers) | mean | median | n |",
        "|---|---|---|---|",
        f"| engine lead (joined lead claims) | {statistics.mean(ours):.3f} | "
        f"{statistics.median(ours):.3f} | {len(ours)} |",
        f"| top-ranked passage (services.search, first evidence) | {statistics.mean(base):.3f} | "
        f"{statistics.median(base):.3f} | {len(base)} |",
    ]
    for t, xs in sorted(by_type.items()):
        head.append(
            f"| — {t}: lead / top passage | {statistics.mean(x for x, _ in xs):.3f} / "
            f"{statistics.mean(y for _, y in xs):.3f} | | {len(xs)} |"
        )
    rt.close()
    return "\n".join(head) + "\n", runs


def integrity_rows(arts: Sequence[Any]) -> dict[str, float]:
    sent = cited = strong = dangling = 0
    for a in arts:
        nums = {r.n for r in a.references}
        for c in a.all_claims():
            if c.ours:
                continue
            sent += 1
            cited += int(bool(c.citations))
            strong += int(c.support >= SUPPORT_OK)
            dangling += sum(1 for n in c.citations if n not in nums)
        for x in list(a.premise_findings) + list(a.red_flags):
            dangling += sum(1 for n in getattr(x, "citations", []) if n not in nums)
    return {
        "articles": len(arts),
        "sentences": sent,
        "cited": cited / max(1, sent),
        "dangling": dangling,
        "support": strong / max(1, sent),
        "insufficient": sum(bool(a.insufficient) for a in arts) / max(1, len(arts)),
    }


def bench_integrity(bioasq_runs: Sequence[Run], limit: int | None) -> str:
    qs = [json.loads(x) for x in MEDQA.open() if x.strip()]
    sample = random.Random(SEED).sample(qs, 100)[: limit or None]
    rt = bioasq_home()
    med = []
    for q in sample:
        if late():
            break
        run = run_ask(rt, q["Question"])
        LATENCY.setdefault("ask", []).append(run.seconds)
        med.append(run.article)
    rt.close()
    return integrity_table(
        "### Citation integrity",
        "Corpus: the bioasq-subset home above for both question sets (the integrator's "
        "/work/devcorpus dense index was empty when this ran). BioASQ = the "
        f"{len(bioasq_runs)} any-type questions above; MedicationQA = {len(sample)} random "
        f"questions (seed {SEED}) of "
        "medicationqa.jsonl. Sentences = non-ours claims of lead, sections and bottom line.",
        {"BioASQ dev": [r.article for r in bioasq_runs], "MedicationQA": med},
    )


def integrity_table(title: str, note: str, sets: dict[str, list[Any]]) -> str:
    """A Markdown table of `integrity_rows` per set of articles, plus a row for all of them."""
    lines = [
        title,
        "",
        note,
        "",
        "| set | articles | sentences | cite ≥ 1 ref | dangling citations | "
        f"support ≥ {SUPPORT_OK} | insufficient |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, arts in (*sets.items(), ("all", [a for v in sets.values() for a in v])):
        r = integrity_rows(arts)
        lines.append(
            f"| {name} | {r['articles']:.0f} | {r['sentences']:.0f} | {r['cited']:.1%} | "
            f"{r['dangling']:.0f} | {r['support']:.1%} | {r['insufficient']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def bench_integrity_home(home: Path, n: int) -> str:
    """Citation integrity of `n` BioASQ dev + `n` MedicationQA questions asked over `home`."""
    from curbside.config import Settings
    from curbside.services import open_runtime

    rng = random.Random(SEED)
    bio = [json.loads(x)["question"] for x in (BIOASQ / "questions_dev.jsonl").open() if x.strip()]
    med = [json.loads(x)["Question"] for x in MEDQA.open() if x.strip()]
    rt = open_runtime(Settings(home=home))
    for q in med[-3:]:  # warm-up (model load), not among the sampled questions' timings
        run_ask(rt, q)
    sets: dict[str, list[Any]] = {}
    secs: list[float] = []
    for name, qs in (("BioASQ dev", rng.sample(bio, n)), ("MedicationQA", rng.sample(med, n))):
        sets[name] = []
        for q in qs:
            run = run_ask(rt, q)
            secs.append(run.seconds)
            sets[name].append(run.article)
    rt.close()
    return integrity_table(
        f"### Citation integrity over {home}",
        f"{n} random BioASQ dev and {n} random MedicationQA questions (seed {SEED}); warm "
        f"process, load average {os.getloadavg()[0]:.1f}; ask p50 "
        f"{pctl(secs, 50) * 1000:.0f} ms, p95 {pctl(secs, 95) * 1000:.0f} ms.",
        sets,
    )


def latency_table() -> str:
    lines = [
        "### Latency (warm process, this machine: 2 shared cores, under load)",
        "",
        "| call | n | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for k, xs in LATENCY.items():
        lines.append(f"| {k} | {len(xs)} | {pctl(xs, 50) * 1000:.0f} | {pctl(xs, 95) * 1000:.0f} |")
    return "\n".join(lines) + "\n"


def show(run: Run) -> str:
    a = run.article
    out = [f"Q: {run.question}", f"  confidence {a.retrieval_confidence:.2f}"]
    out += [f"  lead: {c.text} {c.citations}" for c in a.lead]
    if a.consensus is not None:
        out.append(f"  consensus: {a.consensus.verdict} basis:")
        out += [f"    - {s}" for s in a.consensus.basis]
    out += [f"  bottom line: {c.text}" for c in a.bottom_line]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default="pubmedqa,bioasq,integrity")
    ap.add_argument("--limit", type=int, default=None, help="first N questions per sample")
    ap.add_argument("--pqa-limit", type=int, default=None, help="first N PubMedQA questions")
    ap.add_argument("--settings", default="req,free", help="PubMedQA settings to run")
    ap.add_argument("--minutes", type=float, default=None, help="stop asking after this long")
    ap.add_argument("--tag", default="", help="suffix of the report file name")
    ap.add_argument("--prepare", default="", help="only build homes: pqa-free,pqa-req,...")
    ap.add_argument(
        "--fast-verdict",
        action="store_true",
        help="PubMedQA/BioASQ yes/no: verdict by retrieval + composer (see run_verdict)",
    )
    ap.add_argument("--agree", type=int, default=20, help="with --fast-verdict: check N by ask")
    ap.add_argument("--yesno-only", action="store_true", help="BioASQ: only the yes/no part")
    ap.add_argument("--train-stance", action="store_true", help="refit stance_weights.json")
    ap.add_argument(
        "--integrity-home",
        type=Path,
        default=None,
        help="only: citation integrity of N BioASQ + N MedicationQA questions over this home",
    )
    ap.add_argument("--n", type=int, default=100, help="with --integrity-home: N per set")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found (needs ../shared/data)")
        return 0
    if args.integrity_home:
        print(bench_integrity_home(args.integrity_home, args.n))
        return 0
    if args.prepare:
        main_prepare(args.prepare.split(","))
        return 0
    if args.train_stance:
        train_stance(ROOT / "src" / "curbside" / "compose" / "stance_weights.json")
        return 0
    global DEADLINE, YESNO_ONLY, FAST, AGREE
    FAST, AGREE = args.fast_verdict, args.agree
    YESNO_ONLY = args.yesno_only
    if args.minutes:
        DEADLINE = time.time() + 60 * args.minutes
    only = args.only.split(",")
    report = []
    if "pubmedqa" in only:
        report.append(bench_pubmedqa(args.pqa_limit or args.limit, args.settings.split(",")))
        print(report[-1], flush=True)
    runs: list[Run] = []
    if "bioasq" in only or "integrity" in only:
        table, runs = bench_bioasq(args.limit)
        report.append(table)
        print(table, flush=True)
    if "integrity" in only:
        report.append(bench_integrity(runs, args.limit))
        print(report[-1], flush=True)
    report.append(latency_table())
    print(report[-1])
    weak = "\n\n".join(f"#### {label}\n```\n{show(run)}\n```" for label, run, _ in WEAK)
    print("### Weak answers (printed for review)\n\n" + weak)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"answers{args.tag}.md").write_text(
        "\n".join(report) + "\n### Weak answers\n\n" + weak + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
