"""Answer quality, before and after (issue 15's closing note): one run, one table.

    python benchmarks/answer_quality.py [--home DIR] [--bioasq-home DIR] [--before COMMIT]
                                        [--skip-before] [--limit N] [--bioasq-limit N]
                                        [--no-dense-pass] [--prototype] [--sets a,b]
                                        [--out DIR]

Protocol (nothing here is tuned or chosen on these questions):

* **Questions.** The held-out split of ``benchmarks/answer_split.py`` (the split that
  ``train_answer_scorer.py`` trains and chooses on: by question group, 60/20/20, seed 15):
  the MedQuAD held-out questions (315) and the MedicationQA held-out questions (131). Train and
  dev questions are never asked here. BioASQ: the 200 questions that ``answers.py`` samples
  (seed 13; their gold documents are in the ``bioasq-subset`` home) minus the 1,000 BioASQ
  questions ``train_answer_scorer.py`` trains on. ``--limit N`` keeps the first N of each set
  in a seeded order (a random sample), the same questions for every method.
* **Libraries.** MedQuAD and MedicationQA are asked over ``--home`` (default
  ``benchmarks/out/devhome``: the whole development corpus plus the starter library, built by
  ``benchmarks/devhome.py``; the MedQuAD answers are in it, the MedicationQA answers are not).
  BioASQ is asked over ``--bioasq-home`` (``answers.py``'s ``bioasq-subset``: the sampled
  questions' gold documents plus 1,000 random other BioASQ documents).
* **Methods**, each on the same questions in the same run:
  ``before`` = ``services.answers.ask`` (save=False, clinician) of the code at ``--before``
  (default d1b07fd), run from a ``git worktree`` in a subprocess whose PYTHONPATH is that
  worktree's ``src``; ``after`` = the same with this checkout's ``src``;
  ``cosine`` = from ``after``'s own retrieval result (the 12 passages ``ask`` retrieved): the
  sentence (``split_sentences``, >= 3 words) with the highest plain MiniLM cosine to the
  question; ``top passage`` = the first retrieved passage (its text for ROUGE, its source for
  "lead from gold").
  The **lead** of an article is its first claim that is not ours (a frame of ours does not
  count) for "lead from gold"; for ROUGE it is all non-ours lead claims joined (as
  ``answers.py``).
* **Metrics.**
  MedQuAD: the share of questions whose lead sentence cites the question's own answer (the
  MedQuAD record with the same collection, qid and focus, or a record with the identical answer
  text) and, looser, any answer of the same page (same URL).
  The same, not counting as gold a lead that is a collection template (a sentence that 20 or
  more MedQuAD answers repeat with their own focus, ``TEMPLATE_ANSWERS``: GARD's "The Human
  Phenotype Ontology provides the following list of signs and symptoms for X."), which is
  part of the question's own answer but answers nothing (a lower bound: formulaic sentences
  that do answer, "The cause of X is unknown", are not counted either).
  MedicationQA: ROUGE-L F1 (``rouge_score``, Porter stemmer) of the lead against the reference
  answer. BioASQ: ROUGE-L and ROUGE-2 F1 against the ideal answers (max over the listed ones).
  A question without a lead (refused) scores 0 / not from gold; a second table gives the
  same metrics on the questions ``after`` answers, for after, cosine and top passage (the
  baselines always quote something, so the first table mixes answer quality with refusals).
  Paired bootstrap 95 % intervals (2,000 resamples, seed 15) of after - before and
  after - cosine on each lead metric.
  Verdict lines (a sentence of ours saying what "the evidence in this library" supports, does
  not support, is mixed on, or says yes/no to, anywhere in the article) on the held-out MedQuAD
  and MedicationQA questions, split by a fixed rule: questions that do not open with an
  auxiliary verb (wh-questions, requests, statements) are not yes/no questions and should get
  none; those that do are counted apart (some are genuine yes/no questions).
  Refusals (``article.insufficient``) on the same MedQuAD + MedicationQA questions with the
  dense index and without it (a runtime whose dense index reports absent, as in a home that
  never built one: keyword retrieval only, no dense re-ordering).
  ``ask`` latency p50/p95 (``after``, over ``--home``, warm process: one warm-up question
  first, not counted).
* ``--prototype``: the issue's prototype protocol P@1 (each held-out question's own answer
  sentences among those of its 4 nearest other held-out answers; overlap / plain cosine / the
  shipped scorer ``curbside.compose.answer_scorer`` when it has learned weights), by
  ``train_answer_scorer``'s own functions on the same held-out split. It embeds the held-out
  texts (cached by text hash under ``benchmarks/out/answer_quality/embcache-proto``).

Smoke run (2026-12-06, before = after = d1b07fd's composer code, so every after - before is 0
by construction; load average 11-17)::

    python benchmarks/devhome.py --smoke 30 --home benchmarks/out/devhome-smoke30
    python benchmarks/answer_quality.py --limit 30 --bioasq-limit 0 --prototype \
        --home benchmarks/out/devhome-smoke30 --out benchmarks/out/answer_quality/smoke \
        --bioasq-home benchmarks/out/answer_quality/bioasq-subset  # a copy of answers.py's

on the smoke home (not the whole corpus), before / after / cosine / top passage: MedQuAD (30)
lead from own answer 0.533 / 0.533 / 0.500 / 0.833, same page 0.967 / 0.967 / 0.967 / 1.000;
MedicationQA (30) lead ROUGE-L 0.020 / 0.020 / 0.082 / 0.087 (7 of 30 answered: the smoke home
has no drug sources); BioASQ (104: 65 yes/no, 16 factoid, 14 summary, 9 list) ROUGE-L
0.421 / 0.421 / 0.426 / 0.380, ROUGE-2 0.324 / 0.324 / 0.317 / 0.301 (101 answered);
verdict lines 0 of 53 non-yes/no questions (1 of 7 auxiliary-verb questions); refused 23 of 60
with the dense index, 29 without; ask p50 / p95 491 / 2,602 ms (smoke home, loaded machine).
Prototype P@1 overlap / cosine / shipped scorer (no weights: cosine): MedicationQA (131)
0.611 / 0.832 / 0.832, MedQuAD (315) 0.632 / 0.771 / 0.771 -- the trainer's own held-out
figures, so the split and protocol are the same. The run took 15 min (the cosine baseline's
sentence embeddings are most of the measuring step).

Output: ``OUT/answer_quality.md`` (the table), ``OUT/answer_quality.json`` (every figure and
per-question row), ``OUT/runs/*.json`` (each worker's raw answers). A worker is this script
with ``--worker``; it only uses ``open_runtime``, ``Settings`` and ``services.answers`` so it runs
on older checkouts. Both versions open the home without migrating it: a schema change between
``--before`` and this checkout needs a home per version. The dense index directory is named by
the settings fingerprint, so a version with other chunking/embedder settings sees no dense index
(the run prints each worker's dense vector count).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
OUT = BENCH / "out" / "answer_quality"
HOME = BENCH / "out" / "devhome"
#: answers.py's home (``python benchmarks/answers.py --prepare bioasq-subset`` builds it).
BIOASQ_HOME = BENCH / "out" / "answers" / "bioasq-subset"
WORKTREES = OUT  # git worktrees of --before commits (whatever --out is)
PROTO_CACHE = OUT / "embcache-proto"  # held-out texts of the prototype protocol, by text hash
BEFORE = "d1b07fd"
SEED = 15
BOOTSTRAP = 2000
#: A verdict sentence of ours, in any version's wording ("On balance, the evidence in this
#: library supports this.", "Overall, the evidence in this library says no.", "... is mixed").
VERDICT_RE = re.compile(
    r"evidence in this library (?:supports|does not support|is mixed|says (?:yes|no))"
    r"|^overall, the evidence (?:supports|says|is)",
    re.IGNORECASE,
)
#: Opens with an auxiliary verb: the only questions that can be yes/no questions (the first
#: alternative of verdict_lines.AT_RISK). Everything else must never get a verdict line.
AUXILIARY_START = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did|can|could|should|would|will|has|have|may|might|must"
    r"|isn't|aren't|doesn't|don't|can't|shouldn't|won't)\b",
    re.IGNORECASE,
)
WARMUP = "What is the first-line treatment for high blood pressure?"


# ------------------------------------------------------------------------------ pure helpers
def rouge_f(refs: Sequence[str], text: str, kind: str = "rougeL") -> float:
    """ROUGE F1 of `text` against the best of `refs` (rouge_score, Porter stemmer); 0 for an
    empty text or no reference."""
    if not text.strip() or not refs:
        return 0.0
    scorer = _scorer(kind)
    return float(max(scorer.score(r, text)[kind].fmeasure for r in refs))


_SCORERS: dict[str, Any] = {}


def _scorer(kind: str) -> Any:
    if kind not in _SCORERS:
        from rouge_score import rouge_scorer

        _SCORERS[kind] = rouge_scorer.RougeScorer([kind], use_stemmer=True)
    return _SCORERS[kind]


def paired_ci(a: Any, b: Any, n: int = BOOTSTRAP, seed: int = SEED) -> tuple[float, float, float]:
    """Mean of a - b and its paired bootstrap 95 % interval."""
    import numpy as np

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if len(diff) == 0:
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(axis=1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def pctl(xs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (as answers.py)."""
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))]


def norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


#: A sentence that this many MedQuAD answers or more repeat, each answer's focus written as
#: "X", is a collection's template, not an answer: GARD's "The Human Phenotype Ontology
#: provides the following list of signs and symptoms for X." and its notes on how to read
#: frequencies, NCI's clinical-trial paragraphs. The template is part of the question's own
#: answer, so "lead from the question's own answer" counts such a lead as gold; the
#: ``own_content`` column does not. A sentence of one condition's page recurs on a few pages
#: at most (MedQuAD repeats some pages across collections): 20 keeps those. It also catches
#: formulaic sentences that do answer ("The cause of X is unknown", "X is a rare disorder"):
#: the column is a lower bound beside "own", not a replacement.
TEMPLATE_ANSWERS = 20
_TEMPLATES: frozenset[str] | None = None


def _masked(sentence: str, focus: str) -> str:
    t, f = norm(sentence), norm(focus)
    return t.replace(f, "x") if f else t


def template_sentences() -> frozenset[str]:
    """The masked sentences that `TEMPLATE_ANSWERS` or more MedQuAD answers repeat (cached)."""
    global _TEMPLATES
    if _TEMPLATES is None:
        import answer_split as sp

        from curbside.text.sentences import split_sentences

        count: dict[str, int] = {}
        with gzip.open(sp.MEDQUAD, "rt") as f:
            for line in f:
                r = json.loads(line)
                focus = r.get("focus") or ""
                for m in {_masked(x, focus) for x in split_sentences(r.get("answer") or "")}:
                    count[m] = count.get(m, 0) + 1
        _TEMPLATES = frozenset(m for m, n in count.items() if n >= TEMPLATE_ANSWERS)
    return _TEMPLATES


def is_template(sentence: str, focus: str) -> bool:
    """Whether `sentence` (a lead) is a MedQuAD collection template for a page on `focus`."""
    return bool(sentence) and _masked(sentence, focus) in template_sentences()


def candidate_sentences(texts: Sequence[str], min_words: int = 3) -> list[tuple[int, str]]:
    """(passage index, sentence) for every distinct sentence of at least `min_words` words."""
    from curbside.text.sentences import split_sentences

    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, t in enumerate(texts):
        for s in split_sentences(t):
            s = " ".join(s.split())
            if len(s.split()) >= min_words and s not in seen:
                seen.add(s)
                out.append((i, s))
    return out


def is_auxiliary_question(q: str) -> bool:
    return bool(AUXILIARY_START.search(q.strip()))


# ------------------------------------------------------------------------------------ worker
def worker(home: Path, questions: Path, out: Path, dense: bool) -> None:
    """Ask every question of `questions` ([{id, question}]) over `home` with whatever
    `curbside` is on the path; write the leads, verdict lines, refusals, timings and the
    retrieval result each `ask` saw."""
    import curbside
    from curbside.config import Settings
    from curbside.services import answers as svc
    from curbside.services import open_runtime

    try:
        rt = open_runtime(Settings(home=home), migrate=False)
    except TypeError:  # an older open_runtime without `migrate`
        rt = open_runtime(Settings(home=home))
    dense_ix = svc.dense_index(rt)
    if not dense:
        dense_ix.exists = lambda: False  # type: ignore[method-assign]
    vectors = len(dense_ix.index().ids()) if dense and dense_ix.exists() else 0
    r = svc.retriever(rt)
    seen: list[Any] = []
    orig = r.search

    def recording(*args: Any, **kwargs: Any) -> Any:
        res = orig(*args, **kwargs)
        seen.append(res)
        return res

    r.search = recording  # type: ignore[method-assign]
    svc.ask(rt, question=WARMUP, save=False)  # model load, caches: not timed
    rows = []
    for q in json.loads(questions.read_text()):
        seen.clear()
        t0 = time.perf_counter()
        try:
            art = svc.ask(rt, question=q["question"], save=False)
        except Exception as exc:  # reported, never hidden: a failed ask is a row with error
            rows.append({"id": q["id"], "error": f"{type(exc).__name__}: {exc}"})
            continue
        dt = time.perf_counter() - t0
        refs = {ref.n: ref for ref in art.references}

        def claim(c: Any, refs: dict[int, Any] = refs) -> dict[str, Any]:
            return {
                "text": c.text,
                "ours": bool(c.ours),
                "sources": [refs[n].external_id for n in c.citations if n in refs],
            }

        ours_texts = [c.text for c in art.all_claims() if c.ours] if hasattr(
            art, "all_claims"
        ) else [c.text for c in [*art.lead, *art.bottom_line] if c.ours]
        if not seen:  # this version's ask did not go through retriever(rt): search apart
            seen.append(svc.search(rt, query=q["question"], k=12))
        ev = seen[0].evidence
        rows.append(
            {
                "id": q["id"],
                "seconds": dt,
                "insufficient": bool(getattr(art, "insufficient", False)),
                "question_type": str(getattr(art, "question_type", "")),
                "lead": [claim(c) for c in art.lead],
                "bottom_line": [claim(c) for c in art.bottom_line],
                "article": [c.text for c in art.all_claims() if not c.ours] if hasattr(
                    art, "all_claims") else [],
                "verdict_lines": [t for t in ours_texts if VERDICT_RE.search(t)],
                "consensus": art.consensus.verdict if art.consensus is not None else None,
                "evidence": [
                    {"text": e.passage.text, "source": e.source.external_id} for e in ev
                ],
            }
        )
    rt.close()
    out.write_text(
        json.dumps(
            {
                "curbside": str(Path(curbside.__file__).parent),
                "home": str(home),
                "dense": dense,
                "dense_vectors": vectors,
                "rows": rows,
            }
        )
    )


# ------------------------------------------------------------------------------- question sets
#: Which split is asked: "heldout" (reported) or "dev" (for choices; ``--split dev``). For
#: BioASQ, "dev" is the complement: the sampled questions the answer scorer trains on.
SPLIT_NAME = "heldout"
#: ``--no-cosine``: skip the cosine baseline (its column reads 0), for quick dev sweeps.
NO_COSINE = False
#: ``--answer-setting NAME=VALUE`` overrides for the ``after`` worker (dev-split choices).
ANSWER_SETTINGS: list[str] = []


def apply_answer_settings(pairs: Sequence[str]) -> None:
    """Set the named `Settings.answers` fields for this worker (``CURBSIDE_ANSWERS__NAME``, read
    by the `Settings` it builds); an unknown name is an error."""
    from curbside.config import AnswerSettings

    for kv in pairs:
        name, _, raw = kv.partition("=")
        if name not in AnswerSettings.model_fields:
            raise SystemExit(f"--answer-setting {kv}: no answer setting {name!r}")
        os.environ[f"CURBSIDE_ANSWERS__{name.upper()}"] = raw


def question_sets(limit: int | None) -> dict[str, list[dict[str, Any]]]:
    """Held-out (or dev) MedQuAD and MedicationQA questions (with their gold), and the BioASQ
    set."""
    sys.path.insert(0, str(BENCH))
    import answer_split as sp
    from answers import bioasq_samples

    items = sp.load_items()
    lists = sp.assign_split(items)
    held = {s: set(lists[s][SPLIT_NAME]) for s in sp.EVAL_SOURCES}
    bioasq_train = {x.removeprefix("bq-") for x in lists["bioasq"]["train"]}

    medquad: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with gzip.open(sp.MEDQUAD, "rt") as f:
        for line in f:
            rec = json.loads(line)
            medquad.setdefault((rec["qid"], (rec.get("question") or "").strip()), []).append(rec)
    mq: list[dict[str, Any]] = []
    for it in items:
        if it.source != "medquad" or it.qid not in held["medquad"]:
            continue
        recs = medquad[(it.qid.removeprefix("mq-"), it.question)]
        rec = next(r for r in recs if sp._sentences(r["answer"]) == it.sentences)
        mq.append(
            {
                "id": f"{it.qid}@{rec['collection']}/{rec.get('focus', '')}",
                "question": it.question,
                "collection": rec["collection"],
                "qid": rec["qid"],
                "focus": rec.get("focus") or "",
                "url": rec.get("url") or "",
                "answer": rec["answer"],
            }
        )
    medqa_rows = [json.loads(x) for x in sp.MEDQA.read_text().split("\n") if x.strip()]
    mqa = []
    for it in items:
        if it.source == "medicationqa" and it.qid in held["medicationqa"]:
            rec = medqa_rows[int(it.qid.removeprefix("mqa-"))]
            mqa.append({"id": it.qid, "question": it.question, "answer": rec["Answer"]})
    s_yn, s_any = bioasq_samples()
    bq = [
        {
            "id": q["id"],
            "question": q["question"],
            "type": q["type"],
            "ideal": q["ideal_answer"] if isinstance(q["ideal_answer"], list)
            else [q["ideal_answer"]],
        }
        for q in sorted(s_yn + s_any, key=lambda q: q["id"])
        if (q["id"] in bioasq_train) == (SPLIT_NAME == "dev")
    ]
    sets = {
        "medquad": sorted(mq, key=lambda r: r["id"]),
        "medicationqa": sorted(mqa, key=lambda r: int(r["id"].removeprefix("mqa-"))),
        "bioasq": bq,
    }
    # A seeded order, so that --limit N is a random sample (ids cluster by document).
    for k, v in sets.items():
        random.Random(f"{SEED}:{k}").shuffle(v)
    return {k: v[: limit or None] for k, v in sets.items()}


# ------------------------------------------------------------------------------- running
def ensure_worktree(commit: str) -> Path:
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{commit}^{{commit}}"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    path = WORKTREES / f"before-{sha[:10]}"
    if not (path / "src" / "curbside").is_dir():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), sha],
            check=True, capture_output=True,
        )
    return path


def run_worker(
    label: str, src: Path, home: Path, qs: list[dict[str, Any]], tag: str, dense: bool = True
) -> dict[str, Any]:
    runs = OUT / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    qfile = runs / f"questions-{tag}.json"
    qfile.write_text(json.dumps([{"id": q["id"], "question": q["question"]} for q in qs]))
    out = runs / f"{label}-{tag}{'' if dense else '-nodense'}.json"
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [
        sys.executable, str(Path(__file__).resolve()), "--worker", "--home", str(home),
        "--questions", str(qfile), "--worker-out", str(out),
    ]
    if not dense:
        cmd.append("--no-dense")
    if label == "after":
        for kv in ANSWER_SETTINGS:
            cmd += ["--answer-setting", kv]
    t0 = time.time()
    subprocess.run(cmd, check=True, env=env)
    data: dict[str, Any] = json.loads(out.read_text())
    print(
        f"[{label} {tag}{'' if dense else ' no-dense'}] {len(qs)} questions in "
        f"{time.time() - t0:.0f} s; curbside from {data['curbside']}; dense vectors "
        f"{data['dense_vectors']}",
        file=sys.stderr, flush=True,
    )
    return data


def lead_text(row: dict[str, Any]) -> str:
    own = [c["text"] for c in row.get("lead", []) if not c["ours"]]
    return " ".join(own)


def lead_claim(row: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in row.get("lead", []) if not c["ours"]), None)


class Gold:
    """MedQuAD source identity, looked up once in the home's store by external id."""

    def __init__(self, home: Path) -> None:
        import sqlite3

        self.db = sqlite3.connect(f"file:{home / 'curbside.db'}?mode=ro", uri=True)
        self.memo: dict[str, dict[str, Any]] = {}

    def meta(self, external_id: str) -> dict[str, Any]:
        if external_id not in self.memo:
            row = self.db.execute(
                "select meta, url, text from sources where external_id = ? and is_current = 1",
                (external_id,),
            ).fetchone()
            m = json.loads(row[0]) if row and row[0] else {}
            m["_url"] = row[1] if row else None
            m["_text"] = norm(row[2]) if row else ""
            self.memo[external_id] = m
        return self.memo[external_id]

    def own(self, q: dict[str, Any], external_id: str | None) -> tuple[bool, bool]:
        """(the question's own answer, an answer of the same page)."""
        if not external_id:
            return False, False
        m = self.meta(external_id)
        own = (
            m.get("collection") == q["collection"]
            and m.get("qid") == q["qid"]
            and (m.get("focus") or "") == q["focus"]
        ) or (bool(m["_text"]) and m["_text"] == norm(q["answer"]))
        page = own or (bool(q["url"]) and m.get("_url") == q["url"])
        return own, page


#: A reference answer's sentences read for `coverage` (its first ones: MedicationQA answers
#: run to pages) and the fewest words one needs (headings and list stubs are not statements).
COVERAGE_SENTENCES, COVERAGE_MIN_WORDS = 12, 4


def coverage(reference: str, claims: Sequence[str], embed: Any) -> float | None:
    """How much of a reference answer an article holds: the mean, over the reference's
    sentences, of the highest MiniLM cosine with any of the article's quoted sentences (0 for
    an article with none). A stand-in for "the share of a physician's must-have statements the
    article contains" (issue 15), which needs a judge; None when the reference has no
    sentence to read."""
    import numpy as np

    from curbside.text.sentences import sentence_spans

    refs = [
        reference[a:b].strip() for a, b in sentence_spans(reference)
        if len(reference[a:b].split()) >= COVERAGE_MIN_WORDS
    ][:COVERAGE_SENTENCES]
    if not refs:
        return None
    if not claims:
        return 0.0
    vecs = np.asarray(embed([*refs, *claims]), dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    sims = vecs[: len(refs)] @ vecs[len(refs):].T
    return float(sims.max(axis=1).mean())


def cosine_pick(question: str, evidence: list[dict[str, Any]], embed: Any) -> tuple[str, str]:
    """(sentence, its source) with the highest plain cosine to the question."""
    import numpy as np

    cands = candidate_sentences([e["text"] for e in evidence])
    if not cands:
        return "", ""
    vecs = np.asarray(embed([question, *[s for _, s in cands]]), dtype=np.float32)
    best = int(np.argmax(vecs[1:] @ vecs[0]))
    i, s = cands[best]
    return s, evidence[i]["source"]


# ------------------------------------------------------------------------------ measurement
def measure(
    sets: dict[str, list[dict[str, Any]]],
    results: dict[str, dict[str, dict[str, Any]]],
    home: Path,
    embed: Any,
) -> dict[str, Any]:
    """Per-question lead metrics for every method present, per set."""
    gold = Gold(home)
    per: dict[str, dict[str, dict[str, list[float]]]] = {}
    examples: dict[str, list[dict[str, Any]]] = {}
    for name, qs in sets.items():
        tag = "bioasq" if name == "bioasq" else "dev"
        by_method: dict[str, dict[str, list[float]]] = {}
        for label, data in results.items():
            if tag not in data:
                continue
            rows = {r["id"]: r for r in data[tag]["rows"]}
            m: dict[str, list[float]] = {}
            for q in qs:
                row = rows.get(q["id"], {})
                lc = lead_claim(row)
                lt = lead_text(row)
                m.setdefault("has_lead", []).append(float(lc is not None))
                if name == "medquad":
                    src = lc["sources"][0] if lc and lc["sources"] else None
                    own, page = gold.own(q, src)
                    m.setdefault("own", []).append(float(own))
                    m.setdefault("own_content", []).append(
                        float(own and not is_template(lc["text"] if lc else "", q["focus"])))
                    m.setdefault("page", []).append(float(page))
                elif name == "medicationqa":
                    m.setdefault("rougeL", []).append(rouge_f([q["answer"]], lt))
                    if "article" in row:
                        cov = coverage(q["answer"], row["article"], embed)
                        m.setdefault("coverage", []).append(cov or 0.0)
                else:
                    m.setdefault("rougeL", []).append(rouge_f(q["ideal"], lt))
                    m.setdefault("rouge2", []).append(rouge_f(q["ideal"], lt, "rouge2"))
            by_method[label] = m
            if label != "after":
                continue
            # The two baselines come from after's own retrieval result.
            cos: dict[str, list[float]] = {}
            top: dict[str, list[float]] = {}
            for q in qs:
                ev = rows.get(q["id"], {}).get("evidence", [])
                sent, ssrc = (
                    cosine_pick(q["question"], ev, embed) if ev and not NO_COSINE else ("", "")
                )
                ptext, psrc = (ev[0]["text"], ev[0]["source"]) if ev else ("", "")
                if name == "medquad":
                    for d, s, t in ((cos, ssrc, sent), (top, psrc, "")):
                        own, page = gold.own(q, s or None)
                        d.setdefault("own", []).append(float(own))
                        # a passage is not one sentence: the top passage is never a template
                        d.setdefault("own_content", []).append(
                            float(own and not is_template(t, q["focus"])))
                        d.setdefault("page", []).append(float(page))
                elif name == "medicationqa":
                    cos.setdefault("rougeL", []).append(rouge_f([q["answer"]], sent))
                    top.setdefault("rougeL", []).append(rouge_f([q["answer"]], ptext))
                    if not NO_COSINE:
                        for d, texts in ((cos, [sent] if sent else []), (top, [
                            s for _, s in candidate_sentences([ptext])] if ptext else [])):
                            d.setdefault("coverage", []).append(
                                coverage(q["answer"], texts, embed) or 0.0)
                else:
                    for d, t in ((cos, sent), (top, ptext)):
                        d.setdefault("rougeL", []).append(rouge_f(q["ideal"], t))
                        d.setdefault("rouge2", []).append(rouge_f(q["ideal"], t, "rouge2"))
                if len(examples.setdefault(name, [])) < 3:
                    examples[name].append(
                        {
                            "question": q["question"],
                            "after_lead": lead_text(rows.get(q["id"], {})),
                            "cosine": sent,
                            "top_passage": ptext[:300],
                        }
                    )
            by_method["cosine"] = cos
            by_method["top passage"] = top
        per[name] = by_method
    return {"per_question": per, "examples": examples}


def other_metrics(
    sets: dict[str, list[dict[str, Any]]], results: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, Any]:
    """Verdict lines, refusals with and without the dense index, latency."""
    qtext = {q["id"]: q["question"] for n in ("medquad", "medicationqa") for q in sets[n]}
    out: dict[str, Any] = {}
    for label, data in results.items():
        if "dev" not in data:
            continue
        rows = [r for r in data["dev"]["rows"] if r["id"] in qtext]
        asked = [r for r in rows if "error" not in r]
        aux = [r for r in asked if is_auxiliary_question(qtext[r["id"]])]
        other = [r for r in asked if not is_auxiliary_question(qtext[r["id"]])]
        secs = [r["seconds"] for r in asked]
        o: dict[str, Any] = {
            "asked": len(asked),
            "errors": len(rows) - len(asked),
            "verdict_lines_not_yes_no": sum(bool(r["verdict_lines"]) for r in other),
            "not_yes_no_questions": len(other),
            "verdict_lines_auxiliary": sum(bool(r["verdict_lines"]) for r in aux),
            "auxiliary_questions": len(aux),
            "verdict_examples": [
                (qtext[r["id"]], r["verdict_lines"][0]) for r in other if r["verdict_lines"]
            ][:5],
            "refused_dense": sum(r["insufficient"] for r in asked),
            "p50_ms": pctl(secs, 50) * 1000,
            "p95_ms": pctl(secs, 95) * 1000,
            "dense_vectors": data["dev"]["dense_vectors"],
        }
        if "dev-nodense" in data:
            nd = [r for r in data["dev-nodense"]["rows"] if r["id"] in qtext and "error" not in r]
            o["refused_nodense"] = sum(r["insufficient"] for r in nd)
            o["asked_nodense"] = len(nd)
        out[label] = o
    return out


def prototype_p1() -> dict[str, Any]:
    """The issue's prototype protocol on the whole held-out split (train_answer_scorer's code;
    --limit does not apply: once the texts are cached it takes seconds)."""
    sys.path.insert(0, str(BENCH))
    import answer_split as sp
    import train_answer_scorer as tr

    from curbside.compose.answer_scorer import AnswerScorer

    items = sp.load_items()
    sp.assign_split(items)
    held = [it for it in items if it.split == "heldout"]
    texts = [t for it in held for t in (it.question, *it.sentences)]
    tr.attach_vectors(held, tr.embed_cached(texts, PROTO_CACHE))
    scorer = AnswerScorer()
    out: dict[str, Any] = {"scorer_learned": scorer.learned}
    for s in sp.EVAL_SOURCES:
        tasks = tr.build_tasks([it for it in held if it.source == s])
        ov = tr.ranks_metrics(tasks, tr.overlap_scores)[0]
        co = tr.ranks_metrics(tasks, tr.cosine_scorer)[0]
        sc = tr.ranks_metrics(tasks, lambda t: scorer.score(t.qvec, t.svecs))[0]
        d, lo, hi = paired_ci(sc, co)
        out[s] = {
            "n": len(tasks), "overlap": ov.mean(), "cosine": co.mean(), "scorer": sc.mean(),
            "scorer_minus_cosine": [d, lo, hi],
        }
    return out


# ---------------------------------------------------------------------------------- report
METRICS = {
    "medquad": (("own", "lead from the question's own answer"),
                ("own_content", "... not counting a collection template as gold"),
                ("page", "lead from the same page")),
    "medicationqa": (("rougeL", "lead ROUGE-L F1 vs reference answer"),
                     ("coverage", "article covers the reference (mean best cosine per sentence)")),
    "bioasq": (("rougeL", "lead ROUGE-L F1 vs ideal answer"),
               ("rouge2", "lead ROUGE-2 F1 vs ideal answer")),
}
METHODS = ("before", "after", "cosine", "top passage")


def answered_table(per: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """The lead metrics on the questions ``after`` answers (``has_lead``), for after, cosine
    and top passage: a refusal scores 0 in the main table while the baselines always quote
    something, so that table mixes how well the lead answers with how often it refuses."""
    lines = [
        "",
        "On the questions `after` answers (the baselines on the same questions):",
        "",
        "| set (answered / n) | metric | after | cosine | top passage | after - cosine [95% CI] |",
        "|---|---|---|---|---|---|",
    ]
    for name, metrics in METRICS.items():
        has = per.get(name, {}).get("after", {}).get("has_lead")
        if not has:
            continue
        keep = [i for i, h in enumerate(has) if h]
        for key, title in metrics:
            vals = {m: per[name].get(m, {}).get(key) for m in ("after", "cosine", "top passage")}
            sub = {m: [v[i] for i in keep] if v and len(v) == len(has) else None
                   for m, v in vals.items()}
            cells = [f"{statistics.mean(v):.3f}" if v else "-" for v in sub.values()]
            diff = "-"
            a, b = sub["after"], sub["cosine"]
            if a and b:
                d, lo, hi = paired_ci(a, b)
                diff = f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                summary[f"{name}.{key}.answered.after-cosine"] = [d, lo, hi]
            lines.append(f"| {name} ({len(keep)} / {len(has)}) | {title} | " + " | ".join(cells)
                         + f" | {diff} |")
    return lines


def report(
    sets: dict[str, list[dict[str, Any]]],
    lead: dict[str, Any],
    other: dict[str, Any],
    meta: dict[str, Any],
    proto: dict[str, Any] | None,
) -> str:
    per = lead["per_question"]
    lines = [
        "## Answer quality (issue 15): before / after / cosine / top passage",
        "",
        f"before = {meta['before']}, after = {meta['after']} (this checkout"
        f"{', dirty' if meta['dirty'] else ''}); home {meta['home']} (dense vectors: "
        f"{meta['dense_vectors']}); BioASQ home {meta['bioasq_home']}; load average "
        f"{meta['load']:.1f}; {meta['when']}.",
        "",
        "| set (n) | metric | " + " | ".join(METHODS) + " | after - before [95% CI] | "
        "after - cosine [95% CI] |",
        "|---|---|" + "---|" * len(METHODS) + "---|---|",
    ]
    summary: dict[str, Any] = {}
    for name, metrics in METRICS.items():
        for key, title in metrics:
            vals = {m: per.get(name, {}).get(m, {}).get(key) for m in METHODS}
            cells = [f"{statistics.mean(v):.3f}" if v else "-" for v in vals.values()]
            diffs = []
            for base in ("before", "cosine"):
                a, b = vals["after"], vals[base]
                if a and b and len(a) == len(b):
                    d, lo, hi = paired_ci(a, b)
                    diffs.append(f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]")
                    summary[f"{name}.{key}.after-{base}"] = [d, lo, hi]
                else:
                    diffs.append("-")
            for m, v in vals.items():
                if v:
                    summary[f"{name}.{key}.{m}"] = statistics.mean(v)
            lines.append(
                f"| {name} ({len(sets[name])}) | {title} | " + " | ".join(cells) + " | "
                + " | ".join(diffs) + " |"
            )
    for name in METRICS:
        has = {m: v["has_lead"] for m, v in per.get(name, {}).items() if "has_lead" in v}
        if has:
            lines.append(
                f"\n{name}: questions with a lead (a refused question scores 0 above): "
                + ", ".join(f"{m} {int(sum(v))}/{len(v)}" for m, v in has.items())
                + "; cosine and top passage always give one."
            )
    lines += answered_table(per, summary)
    lines += [
        "",
        "| version | asked (MedQuAD + MedicationQA held-out) | verdict lines on non-yes/no "
        "questions | verdict lines on auxiliary-verb questions | refused with dense index | "
        "refused without | ask p50 / p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, o in other.items():
        lines.append(
            f"| {label} | {o['asked']} ({o['errors']} errors) | "
            f"{o['verdict_lines_not_yes_no']} / {o['not_yes_no_questions']} | "
            f"{o['verdict_lines_auxiliary']} / {o['auxiliary_questions']} | "
            f"{o['refused_dense']} | {o.get('refused_nodense', '-')} | "
            f"{o['p50_ms']:.0f} / {o['p95_ms']:.0f} |"
        )
    for label, o in other.items():
        for q, v in o["verdict_examples"]:
            lines.append(f"\n- {label}, verdict line on a non-yes/no question: {q!r} -> {v!r}")
    if proto:
        lines += [
            "",
            "Prototype protocol (held-out split, own answer among its 4 nearest other held-out "
            f"answers; shipped scorer learned: {proto['scorer_learned']}):",
            "",
            "| set | n | P@1 overlap | P@1 cosine | P@1 shipped scorer | scorer - cosine "
            "[95% CI] |",
            "|---|---|---|---|---|---|",
        ]
        for s in ("medicationqa", "medquad"):
            p = proto[s]
            d, lo, hi = p["scorer_minus_cosine"]
            lines.append(
                f"| {s} | {p['n']} | {p['overlap']:.3f} | {p['cosine']:.3f} | "
                f"{p['scorer']:.3f} | {d:+.3f} [{lo:+.3f}, {hi:+.3f}] |"
            )
    meta["summary"] = summary
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, default=HOME, help="library for MedQuAD/MedicationQA")
    ap.add_argument("--bioasq-home", type=Path, default=BIOASQ_HOME)
    ap.add_argument("--before", default=BEFORE, help="git commit of the 'before' code")
    ap.add_argument("--skip-before", action="store_true")
    ap.add_argument("--limit", type=int, default=None, help="first N questions of each set")
    ap.add_argument(
        "--bioasq-limit", type=int, default=None, help="BioASQ: first N (default --limit; 0 all)"
    )
    ap.add_argument("--no-dense-pass", action="store_true", help="skip the refusals-without run")
    ap.add_argument("--prototype", action="store_true", help="also the prototype P@1")
    ap.add_argument("--sets", default="medquad,medicationqa,bioasq")
    ap.add_argument("--split", choices=("heldout", "dev"), default="heldout",
                    help="dev: the questions choices are made on (never reported as results)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--no-cosine", action="store_true",
                    help="skip the cosine baseline (quick dev sweeps; its column reads 0)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--answer-setting", action="append", default=[], metavar="NAME=VALUE",
        help="after only: override a composer AnswerSettings value (dev-split choices)",
    )
    ap.add_argument("--questions", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--no-dense", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    global SPLIT_NAME, NO_COSINE
    SPLIT_NAME = args.split
    NO_COSINE = args.no_cosine
    ANSWER_SETTINGS[:] = args.answer_setting
    if args.worker:
        apply_answer_settings(args.answer_setting)
        worker(args.home, args.questions, args.worker_out, dense=not args.no_dense)
        return 0
    sys.path.insert(0, str(BENCH))
    import answer_split

    if not answer_split.DATA.is_dir():
        print(f"skipped: {answer_split.DATA} not found (needs ../shared/data)")
        return 0
    OUT = args.out
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = [x for x in args.sets.split(",") if x]  # "" = no set (e.g. --prototype alone)
    sets = {k: (v if k in wanted else []) for k, v in question_sets(args.limit).items()}
    if args.bioasq_limit is not None and "bioasq" in wanted:
        sets["bioasq"] = question_sets(args.bioasq_limit or None)["bioasq"]
    print({k: len(v) for k, v in sets.items()}, file=sys.stderr)
    versions: dict[str, Path] = {"after": ROOT / "src"}
    if not args.skip_before:
        versions = {"before": ensure_worktree(args.before) / "src", **versions}
    dev_qs = sets["medquad"] + sets["medicationqa"]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for label, src in versions.items():
        res: dict[str, dict[str, Any]] = {}
        if dev_qs:
            res["dev"] = run_worker(label, src, args.home, dev_qs, "dev")
            if not args.no_dense_pass:
                res["dev-nodense"] = run_worker(label, src, args.home, dev_qs, "dev", dense=False)
        if sets["bioasq"]:
            res["bioasq"] = run_worker(label, src, args.bioasq_home, sets["bioasq"], "bioasq")
        results[label] = res

    from curbside.index.embedder import OnnxMiniLmEmbedder

    emb = OnnxMiniLmEmbedder(threads=2)
    lead = measure(sets, results, args.home, emb.embed)
    other = other_metrics(sets, results)
    proto = prototype_p1() if args.prototype else None
    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True,
        ).stdout.strip()
    )
    meta: dict[str, Any] = {
        "before": None if args.skip_before else args.before,
        "after": git,
        "dirty": dirty,
        "home": str(args.home),
        "bioasq_home": str(args.bioasq_home),
        "dense_vectors": {
            label: {k: v["dense_vectors"] for k, v in res.items()}
            for label, res in results.items()
        },
        "load": os.getloadavg()[0],
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "limit": args.limit,
        "n": {k: len(v) for k, v in sets.items()},
        "bioasq_ids": [q["id"] for q in sets["bioasq"]],
    }
    md = report(sets, lead, other, meta, proto)
    print(md)
    (OUT / "answer_quality.md").write_text(md)
    (OUT / "answer_quality.json").write_text(
        json.dumps(
            {"meta": meta, "lead": lead, "other": other, "prototype": proto},
            indent=1, default=float,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
