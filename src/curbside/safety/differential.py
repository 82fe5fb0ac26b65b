"""A coded differential over the urgency table's conditions (issue 17).

Each condition of ``knowledge/urgency.yaml`` is one document: its names and synonyms plus the
sentences quoted from its cited sources (``knowledge/condition_profiles.jsonl``, built by
``benchmarks/condition_profiles.py``). The documents are indexed once per process in an
in-memory SQLite FTS5 table (porter stemmer, bm25), so triage needs no database, and their
MiniLM vectors (the bundled int8 embedder) ship in ``knowledge/condition_vectors.npz``.

`rank_conditions(findings)` ranks them for a case:

* the query is the case text with every negated scope removed ("no fever" never matches a
  fever), so absent findings do not count for a condition;
* the candidates are the union of bm25's top ``CANDIDATES`` and the ``DENSE_CANDIDATES``
  documents nearest the query by MiniLM cosine (which finds a condition in other words than
  its sources', "lump on the eyelid" for a stye);
* a condition's findings are the findings lexicon terms its quoted sentences state, and those
  ``knowledge/condition_presentations.yaml`` gives it from a cited library source (for
  emergency conditions whose quoted sentences state none);
* each finding term stated as absent that a condition's document names lowers its score by
  ``ABSENT_PENALTY`` (absent findings count against it);
* a condition coded for one sex (ICD-10-CM chapters, ``SEX_CODES``) is dropped when the case
  states the other sex;
* a logistic re-ranker (`FEATURES`, weights in ``knowledge/differential_model.json``) orders
  the candidates: retrieval scores (bm25 and MiniLM cosine, the cosine also read against how
  near each document comes to case texts in general, `DenseReference`), the stated findings a
  condition's sources name (share of the condition's and of the case's), the absent findings
  they name, a name stated in the case, and the case's context (`CaseContext`): its age
  band, sex and duration against whom the condition's own sources say it affects and how it
  runs (the cues of
  ``knowledge/differential_cues.yaml``: "common in children", "sudden", "chronic"), and the
  condition's urgency level weighed against an acute complaint, a chronic one and red vital
  signs (a NEWS2 red score or another emergency vital-sign rule);
* probabilities are a softmax of the scores over the candidates, temperature
  ``DEFAULT_PARAMS.temperature``;
* each listed condition cites the sentences of its document that matched the case best.

`differential_level(ranked)` is the urgency the differential alone supports: emergency when
the probability of the emergency conditions among the top ``k`` reaches
``emergency_threshold`` (a plausible high-risk condition raises urgency even when not first;
plausible: a stated finding its sources name, or sources that name no finding at all in a case
that states a finding; never when the case names a less urgent form of it instead,
`stated_condition`: "hiatal hernia with nausea" is no incarcerated inguinal hernia);
urgent when it reaches the lower ``possible_emergency_threshold`` or emergency + urgent
conditions reach ``urgent_threshold``. The temperature and thresholds are fitted on the even
half of the development vignettes (`benchmarks/triage_differential.py`); the values and how
they were chosen are in `DEFAULT_PARAMS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from curbside.config import EmbedderSettings
from curbside.index.embedder import EmbedderUnavailable, OnnxMiniLmEmbedder
from curbside.index.lexical import TOKENIZER, match_expression
from curbside.knowledge_files import RegexText, load_knowledge
from curbside.safety.urgency import Condition, load_urgency_table
from curbside.safety.vital_rules import fire_vital_rules
from curbside.text.tokens import WORD
from curbside.understand.findings import Findings, _negated_regions, extract_findings
from curbside.understand.findings.knowledge import Threshold

#: ICD-10-CM code prefixes of conditions of one sex (chapter XIV genital organs, chapter XV
#: pregnancy, neoplasms of the genital organs). A first character plus a two-digit range.
log = logging.getLogger(__name__)

SEX_CODES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "female": (("O", 0, 99), ("N", 70, 98), ("C", 51, 58), ("D", 25, 28), ("Z", 33, 37)),
    "male": (("N", 40, 53), ("C", 60, 63)),
}



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Strict):
    id: str = Field(pattern=r"^(child|older|female|male|acute|chronic)$")
    pattern: RegexText
    reason: str = Field(min_length=10)


class CaseThresholds(_Strict):
    child_under_years: Threshold
    older_from_years: Threshold
    acute_within_days: Threshold
    chronic_from_days: Threshold


class WordList(_Strict):
    words: list[str] = Field(min_length=1)
    reason: str = Field(min_length=10)


class CuesFile(_Strict):
    """``knowledge/differential_cues.yaml``: whom a condition affects and how it runs."""

    version: int
    cues: list[Cue] = Field(min_length=6, max_length=6)
    case: CaseThresholds
    generic_name_heads: WordList


@cache
def load_cues() -> CuesFile:
    """The bundled cues, checked (errors name the file, the cue and the field)."""
    cues = load_knowledge("differential_cues.yaml", CuesFile, labels={"cues": "cue"})
    if {c.id for c in cues.cues} != {"child", "older", "female", "male", "acute", "chronic"}:
        raise ValueError("differential_cues.yaml: field 'cues': each of child, older, female, "
                         "male, acute and chronic exactly once")
    return cues


class Presentation(_Strict):
    """One row of ``knowledge/condition_presentations.yaml``: findings a library source states
    for a condition whose quoted sentences name too few."""

    name: str = Field(min_length=3)
    findings: list[str] = Field(min_length=1)
    source: str = Field(pattern=r"^(?:medquad:[0-9A-Za-z_]+/[0-9_]+-[0-9]+|ngc:ngc-[0-9]+)$")
    source_names: list[str] = Field(min_length=1)
    note: str = Field(min_length=10)


class PresentationsFile(_Strict):
    version: int
    presentations: list[Presentation]


PRESENTATIONS_FILE = "condition_presentations.yaml"


@cache
def load_presentations() -> dict[str, frozenset[str]]:
    """Condition name -> the findings its rows of ``knowledge/condition_presentations.yaml``
    give it (checked: ValueError naming the row and the field when the condition is not in the
    urgency table or a finding is not a term of the findings lexicon)."""
    from curbside.understand.findings.lexicon import KNOWN_TERMS

    raw = load_knowledge(PRESENTATIONS_FILE, PresentationsFile,
                         labels={"presentations": "presentation"})
    table = load_urgency_table()
    out: dict[str, set[str]] = {}
    for i, p in enumerate(raw.presentations):
        cond = table.lookup(p.name)
        if cond is None or cond.name != p.name:
            raise ValueError(f"{PRESENTATIONS_FILE}: presentation #{i} {p.name!r}, field "
                             "'name': not a condition name of urgency.yaml")
        for j, term in enumerate(p.findings):
            if term not in KNOWN_TERMS:
                raise ValueError(f"{PRESENTATIONS_FILE}: presentation #{i} {p.name!r}, field "
                                 f"'findings.{j}': {term!r} is not a findings lexicon term")
        out.setdefault(p.name, set()).update(p.findings)
    return {k: frozenset(v) for k, v in out.items()}


#: Urgency levels as a number the re-ranker can weigh (a prior, and against acuteness).
LEVEL_RANK = {"self-care": 0.0, "routine": 1.0, "urgent": 2.0, "emergency": 3.0}

#: bm25 column weights: (names, sentences). A name stated in the case counts most.
COLUMN_WEIGHTS = (4.0, 1.0)
#: Score taken off a condition for each absent finding its document names.
ABSENT_PENALTY = 1.5
#: Candidates scored (recall stage): the union of the bm25 top ``CANDIDATES`` and the MiniLM
#: top ``DENSE_CANDIDATES`` (with bm25's top 50 alone, 68 % of the even half's diagnoses were
#: candidates at all; with the union, 83 %), and most query phrases sent to FTS5.
CANDIDATES = 100
DENSE_CANDIDATES = 100
MAX_QUERY_TERMS = 120
#: MiniLM vectors of the condition documents (`condition_documents`), built by
#: benchmarks/condition_profiles.py --vectors: float16, with the embedder's fingerprint and a
#: hash of the documents, so a stale file is never used (the vectors are then computed anew).
VECTORS_FILE = "condition_vectors.npz"


@dataclass(frozen=True, slots=True)
class DifferentialParams:
    temperature: float
    top_k: int
    emergency_threshold: float
    possible_emergency_threshold: float
    urgent_threshold: float
    fitted_on: str


#: Fitted on the even half of the 400 development vignettes by benchmarks/triage_differential.py.
#: Temperature 2 and the top 10 were chosen by 2-fold cross-validation inside that half. The
#: thresholds are quantiles of the emergency probability that the half's non-emergencies get
#: out of fold (each ranked by a re-ranker fitted on the other even vignettes, so as sharp as on
#: unseen cases): the differential alone calls 5 % of them an emergency and 10 % a possible
#: emergency (urgent). A false-alarm budget, not a fit to the rules + differential recall: the
#: rules were written on that half (they catch 24/25 of its emergencies, 17/23 of the held-out
#: half's), so such a fit learns to add nothing, and a grid over temperature x depth x
#: thresholds did not hold its false-emergency cap in cross-validation. Refitted with the
#: dense reference features (`DenseReference`), run of 2026-12-07 11:35 UTC: cross-validated
#: inside the even half, top-1/3/10 30/50/72 % (26/47/70 % without them); the differential
#: alone catches 14/25 emergencies at 10/175 false emergencies (15/25 at 10/175 without), rules
#: + differential 25/25 at 25/175 (25/25 at 24/175 without). Refitted 2026-12-07 16:17 UTC
#: after the hyperosmolar state lost its misquoted "HHS" sentences (thresholds moved by 1e-4).
#: Refitted 2026-12-07 18:33 UTC (stop 29) after condition_presentations.yaml, the generic
#: local signs of the findings lexicon, "numb" no longer matching "number" and the hiatal
#: hernia row (0.1246 / 0.0917 before). Refitted 2026-12-07 21:07 UTC (stop 30) after 28
#: common complaints joined the findings lexicon (eye pain, diarrhoea, sore throat...) and
#: presentations for placenta praevia, priapism and opioid overdose (0.1252 / 0.0917 before);
#: cross-validated, rules + differential 25/25 at 23/175 (24/25 at 25/175 before).
DEFAULT_PARAMS = DifferentialParams(
    temperature=2.0, top_k=10, emergency_threshold=0.1346, possible_emergency_threshold=0.0898,
    urgent_threshold=0.3,
    fitted_on="even half of the Avey development vignettes",
)


@dataclass(frozen=True, slots=True)
class RankedCondition:
    name: str
    icd10cm: str
    level: str
    score: float
    probability: float
    matched: tuple[dict[str, str], ...]  # {"cite": id, "text": sentence}
    citations: tuple[str, ...]
    absent: tuple[str, ...] = ()  # absent findings that counted against it
    supported_by: tuple[str, ...] = ()  # stated findings its document names too
    #: its sources name at least one finding (else no stated finding can support it)
    profiled: bool = True
    #: the less urgent condition the case names instead (`stated_condition`), if any
    stated_instead: str = ""
    #: the case states at least one finding of the lexicon
    case_findings: bool = True

    @property
    def plausible(self) -> bool:
        """A stated finding its sources name too (or that condition_presentations.yaml gives
        it); or sources that name no finding at all (9 emergency conditions, e.g.
        epiglottitis, Ludwig angina; 12 before stop 30, 22 before that file: the check cannot
        judge them, so their rank and probability decide alone), in a case that states a
        symptom or sign (`states_complaint`; a history alone is not a presentation). A text
        that states none (a question about a drug or a mechanism) makes no
        condition plausible: its ranking is read from words alone, and over the 200
        development questions without emergencies such conditions (placenta previa, Ludwig
        angina, volvulus) made 18 of them urgent or emergencies; none of the even half's 12
        vignettes without a lexicon finding is an emergency (2-fold CV unchanged). Never
        plausible when the case names a less urgent form of it instead (`stated_instead`)."""
        if self.stated_instead:
            return False
        return bool(self.supported_by) or (not self.profiled and self.case_findings)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "icd10cm": self.icd10cm, "urgency": self.level,
                "probability": round(self.probability, 4), "score": round(self.score, 3),
                "matched": [dict(m) for m in self.matched], "citations": list(self.citations),
                "absent_findings_against": list(self.absent),
                "findings_supporting": list(self.supported_by)}


def unprofiled_conditions() -> frozenset[str]:
    """Names of the conditions whose sources name no finding of the lexicon."""
    idx = _index()
    return frozenset(c.name for c, t in zip(idx.conditions, idx.terms, strict=True) if not t)


@dataclass(slots=True)
class _Index:
    conn: sqlite3.Connection
    conditions: list[Condition]
    bodies: list[str]  # lower-cased, for absent-finding look-ups
    raw_bodies: list[str]
    terms: list[frozenset[str]]  # finding terms each document states (findings lexicon)
    idf: dict[str, float]
    names: list[tuple[re.Pattern[str], ...]]
    cues: list[frozenset[str]]  # the cue ids of differential_cues.yaml its profile states
    lock: threading.Lock = field(default_factory=threading.Lock)


#: Features that read the MiniLM cosine against a reference (`DenseReference`): the cosine
#: less the mean the condition's document gets over the reference case texts, its gap to the
#: best candidate's, its rank among all conditions, and the same difference in standard
#: deviations. Last in `FEATURES`; 0 when the re-ranker carries no reference.
REFERENCE_FEATURES = ("dense_vs_reference", "dense_vs_reference_gap", "dense_vs_reference_rank",
                      "dense_vs_reference_z")

#: Features the re-ranker reads, in order (see `_features`).
FEATURES = ("bm25", "bm25_gap", "bm25_rank",
            # MiniLM cosine of the case (negated scopes removed) and the condition's document,
            # its gap to the best candidate's and its rank among all conditions
            "dense_cos", "dense_gap", "dense_rank", "terms_matched", "terms_idf", "terms_share",
            "absent_against", "name_in_text", "sex_specific_match",
            # the case's own share of stated findings the condition explains, and of its
            # absent findings that the condition names
            "case_coverage", "absent_share",
            # whom the condition affects (its profile's cues) against the case's age and sex
            "child_case_child_cue", "adult_case_child_cue", "older_case_older_cue",
            "sex_cue_match", "sex_cue_mismatch",
            # how it runs against how long the complaint has lasted, and how urgent it is
            "acute_case_acute_cue", "chronic_case_chronic_cue", "acute_case_chronic_cue",
            "level", "acute_case_level", "chronic_case_level", "red_vitals_level",
            *REFERENCE_FEATURES)


@dataclass(frozen=True, slots=True, eq=False)
class DenseReference:
    """How near each condition's document comes to case texts in general: the mean and the
    standard deviation of its MiniLM cosine over a reference set of case texts (the texts of
    the fitting half's vignettes, negated scopes removed; their diagnoses are not read).

    Some documents are near every case (a bare name, a short or generic page: "hubs"), so the
    raw cosine puts them high whatever the case says. Read against the reference, a document
    counts as near a case only when it is nearer than it is to cases in general (the hubness
    correction of cross-domain similarity local scaling, Conneau et al., ICLR 2018). By
    2-fold cross-validation inside the even half, MiniLM alone put the diagnosis first / top
    3 / top 10 for 20/40/60 % of vignettes by raw cosine and 26/50/70 % read against the
    reference; as features of the re-ranker, top-1/3/10 26/47/70 -> 30/50/72 %
    (benchmarks/triage_differential.py --cv)."""

    mean: np.ndarray  # per condition, table order
    sd: np.ndarray
    cases: int

    @classmethod
    def of(cls, cosines: np.ndarray) -> DenseReference:
        """From the cosines of the reference cases (rows) to every condition (columns)."""
        cos = np.asarray(cosines, dtype=np.float64)
        if cos.ndim != 2 or len(cos) < 2:
            raise ValueError("a dense reference needs the cosines of two or more cases")
        return cls(cos.mean(0), cos.std(0) + 1e-6, len(cos))

    def table(self, cos: np.ndarray) -> np.ndarray:
        """The `REFERENCE_FEATURES` of every condition for a case's cosines (table order)."""
        rel = cos - self.mean
        order = np.argsort(-rel, kind="stable")
        rank = np.empty(len(rel))
        rank[order] = np.arange(len(rel))
        return np.column_stack([rel, rel.max() - rel, np.log1p(rank), rel / self.sd])


@dataclass(frozen=True, slots=True)
class Reranker:
    """A logistic re-ranker: score = bias + sum(weight * feature), and the `DenseReference`
    its `REFERENCE_FEATURES` were computed against when it was fitted."""

    weights: tuple[float, ...]
    bias: float
    fitted_on: str
    reference: DenseReference | None = None

    def score(self, x: tuple[float, ...]) -> float:
        return self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))


@cache
def _bundled_reranker() -> Reranker | None:
    return load_reranker()


def load_reranker() -> Reranker | None:
    """The bundled re-ranker (``knowledge/differential_model.json``), None when absent."""
    path = resources.files("curbside") / "knowledge" / "differential_model.json"
    if not path.is_file():
        return None
    return parse_reranker(json.loads(path.read_text(encoding="utf-8")))


def parse_reranker(raw: dict[str, Any]) -> Reranker:
    """A re-ranker from its JSON form, checked: ValueError naming the field when its features
    are not `FEATURES` or its dense reference is not one of the current condition documents."""
    name = "differential_model.json"
    if tuple(raw.get("features", ())) != FEATURES:
        raise ValueError(f"{name}: field 'features': does not match {list(FEATURES)}")
    if len(raw.get("weights", ())) != len(FEATURES):
        raise ValueError(f"{name}: field 'weights': {len(FEATURES)} numbers expected")
    ref = raw.get("dense_reference")
    if not isinstance(ref, dict):
        raise ValueError(f"{name}: field 'dense_reference': missing (the mean and sd of each "
                         "condition's MiniLM cosine over the fitting half's case texts)")
    names, docs = condition_documents()
    if ref.get("documents_sha256") != _documents_sha256(docs):
        raise ValueError(f"{name}: field 'dense_reference.documents_sha256': not the current "
                         "condition documents; refit with benchmarks/triage_differential.py "
                         "--write-model")
    for key in ("mean", "sd"):
        if len(ref.get(key, ())) != len(names):
            raise ValueError(f"{name}: field 'dense_reference.{key}': one number per "
                             f"condition ({len(names)}) expected")
    return Reranker(tuple(float(w) for w in raw["weights"]), float(raw["bias"]),
                    str(raw.get("fitted_on", "")),
                    DenseReference(np.array(ref["mean"], dtype=np.float64),
                                   np.array(ref["sd"], dtype=np.float64), int(ref["cases"])))


def reranker_json(model: Reranker) -> dict[str, Any]:
    """The JSON form of a re-ranker (what `parse_reranker` reads)."""
    out: dict[str, Any] = {"features": list(FEATURES), "weights": list(model.weights),
                           "bias": model.bias, "fitted_on": model.fitted_on}
    if model.reference is not None:
        out["dense_reference"] = {
            "cases": model.reference.cases,
            "documents_sha256": _documents_sha256(condition_documents()[1]),
            "mean": [round(float(v), 5) for v in model.reference.mean],
            "sd": [round(float(v), 5) for v in model.reference.sd]}
    return out


def _sex_of(code: str) -> str | None:
    head, num = code[0], code[1:3]
    if not num.isdigit():
        return None
    n = int(num)
    for sex, ranges in SEX_CODES.items():
        if any(head == h and lo <= n <= hi for h, lo, hi in ranges):
            return sex
    return None


@cache
def _index() -> _Index:
    table = load_urgency_table()
    text = (resources.files("curbside") / "knowledge" / "condition_profiles.jsonl").read_text(
        encoding="utf-8")
    profiles = {p["name"]: p["sentences"] for p in map(json.loads, text.splitlines()) if p}
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(f"CREATE VIRTUAL TABLE cond USING fts5(names, body, tokenize='{TOKENIZER}')")
    conn.execute(f"CREATE VIRTUAL TABLE sent USING fts5(cid UNINDEXED, cite UNINDEXED, text, "
                 f"tokenize='{TOKENIZER}')")
    bodies, raw, terms, names, cue_sets = [], [], [], [], []
    cue_rx = [(c.id, re.compile(c.pattern, re.IGNORECASE)) for c in load_cues().cues]
    presents = load_presentations()
    for i, c in enumerate(table.conditions):
        sents = profiles.get(c.name, [])
        body = " ".join(s["text"] for s in sents)
        # the findings condition_presentations.yaml gives it count as stated by its sources
        # (bm25 and the absent-finding check read them too; the quoted sentences, the MiniLM
        # document and its vectors do not change)
        extra = sorted(presents.get(c.name, ()))
        searched = body + (" ; " + " ; ".join(extra) if extra else "")
        bodies.append(searched.lower())
        raw.append(body)
        named = " ; ".join(c.names) + " ; " + body
        cue_sets.append(frozenset(cid for cid, rx in cue_rx if rx.search(named)))
        terms.append((frozenset(extract_findings(body).present()) if body else frozenset())
                     | frozenset(extra))
        names.append(tuple(re.compile(r"\b" + re.escape(n) + r"\b", re.IGNORECASE)
                           for n in c.names if len(n) > 4))
        conn.execute("INSERT INTO cond(rowid, names, body) VALUES (?, ?, ?)",
                     (i, " ; ".join(c.names), searched))
        conn.executemany("INSERT INTO sent(cid, cite, text) VALUES (?, ?, ?)",
                         [(i, s["cite"], s["text"]) for s in sents])
    n = len(bodies)
    df: dict[str, int] = {}
    for ts in terms:
        for t in ts:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
    return _Index(conn, list(table.conditions), bodies, raw, terms, idf, names, cue_sets)


def condition_documents() -> tuple[list[str], list[str]]:
    """Each condition's name and its document (names and quoted sentences), in table order:
    what a plain retrieval baseline indexes (benchmarks/triage_differential.py)."""
    idx = _index()
    return ([c.name for c in idx.conditions],
            [" ; ".join(c.names) + ". " + body for c, body in
             zip(idx.conditions, idx.raw_bodies, strict=True)])


def _documents_sha256(docs: list[str]) -> str:
    return hashlib.sha256("\x1f".join(docs).encode("utf-8")).hexdigest()


@cache
def _embedder() -> OnnxMiniLmEmbedder | None:
    """The bundled MiniLM, None when its model package is missing (the dense features are
    then 0 and the ranking is bm25's). Built with the default embedder settings, so it uses
    the ONNX session the process already holds for `ask` (sessions are shared per model and
    thread count), not a second copy of the model."""
    try:
        emb = OnnxMiniLmEmbedder(threads=EmbedderSettings().threads)
        emb.warm()
    except EmbedderUnavailable as e:
        log.warning("triage differential without MiniLM similarity: %s", e)
        return None
    return emb


def embed_condition_documents(emb: OnnxMiniLmEmbedder) -> np.ndarray:
    """MiniLM vectors of `condition_documents`, in table order (float32, L2-normalised)."""
    return np.asarray(emb.embed(condition_documents()[1]), dtype=np.float32)


def write_condition_vectors(path: Any) -> None:
    """Write ``knowledge/condition_vectors.npz`` (benchmarks/condition_profiles.py --vectors)."""
    emb = _embedder()
    if emb is None:
        raise EmbedderUnavailable("the bundled MiniLM is needed to build the condition vectors")
    names, docs = condition_documents()
    np.savez_compressed(path, vectors=embed_condition_documents(emb).astype(np.float16),
                        names=np.array(names), fingerprint=np.array(emb.fingerprint),
                        documents_sha256=np.array(_documents_sha256(docs)))


def load_condition_vectors() -> np.ndarray:
    """The bundled vectors (``knowledge/condition_vectors.npz``), checked: ValueError naming
    the file and the field when they are not this embedder's vectors of these documents."""
    emb = _embedder()
    if emb is None:
        raise EmbedderUnavailable("the bundled MiniLM is needed to read the condition vectors")
    names, docs = condition_documents()
    path = resources.files("curbside") / "knowledge" / VECTORS_FILE
    hint = "rebuild it with benchmarks/condition_profiles.py --vectors"
    if not path.is_file():
        raise ValueError(f"{VECTORS_FILE}: is missing; {hint}")
    with path.open("rb") as fh, np.load(fh) as z:
        checks = (("names", list(z["names"]) == names),
                  ("fingerprint", str(z["fingerprint"]) == emb.fingerprint),
                  ("documents_sha256", str(z["documents_sha256"]) == _documents_sha256(docs)),
                  ("vectors", z["vectors"].shape == (len(names), emb.dim)))
        for name, ok in checks:
            if not ok:
                raise ValueError(f"{VECTORS_FILE}: field {name!r}: not the bundled embedder's "
                                 f"vectors of the current condition documents; {hint}")
        return np.asarray(z["vectors"], dtype=np.float32)


@cache
def _condition_vectors() -> np.ndarray | None:
    """The bundled vectors when they match this embedder and these documents; else computed
    now (slow: a minute or more on one core) with a warning; None without the embedder."""
    if _embedder() is None:
        return None
    try:
        return load_condition_vectors()
    except ValueError as e:
        log.warning("%s Embedding the condition documents now.", e)
    emb = _embedder()
    assert emb is not None
    return embed_condition_documents(emb)


def dense_scores(f: Findings) -> np.ndarray | None:
    """MiniLM cosine of the case (negated scopes removed) and every condition document, table
    order; None without MiniLM. What a `DenseReference` is built from."""
    return _dense_scores(affirmed_text(f))


def _dense_scores(query: str) -> np.ndarray | None:
    """Cosine of the query and every condition document, table order; None without MiniLM."""
    vectors = _condition_vectors()
    emb = _embedder()
    if vectors is None or emb is None:
        return None
    q = np.asarray(emb.embed([query])[0], dtype=np.float32)
    return np.asarray(vectors @ q, dtype=np.float64)


def affirmed_text(f: Findings) -> str:
    """The case text with every negated scope blanked out."""
    chars = list(f.text)
    for _trig, s, e in _negated_regions(f.text):
        for i in range(max(0, s), min(len(chars), e)):
            chars[i] = " "
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the case states beyond its findings: age band, sex, duration, red vital signs."""

    child: bool
    adult: bool
    older: bool
    sex: str | None
    acute: bool
    chronic: bool
    red_vitals: bool

    @classmethod
    def of(cls, f: Findings) -> CaseContext:
        case = load_cues().case
        age, days = f.age, f.max_duration_days()
        return cls(
            child=age is not None and age < case.child_under_years.value,
            adult=age is not None and age >= case.child_under_years.value,
            older=age is not None and age >= case.older_from_years.value,
            sex=f.sex,
            acute=days is not None and days <= case.acute_within_days.value,
            chronic=days is not None and days >= case.chronic_from_days.value,
            # a vital sign or age rule of emergency level fired (NEWS2 red scores and the like)
            red_vitals=any(r.rule.level == "emergency" for r in fire_vital_rules(f)),
        )


def _features(idx: _Index, rowid: int, bm: float, top_bm: float, pos: int,
              dense: tuple[float, float, float], reference: tuple[float, ...],
              present: set[str], absent: list[str], against: tuple[str, ...], query: str,
              sex_match: bool, ctx: CaseContext) -> tuple[float, ...]:
    terms = idx.terms[rowid]
    hit = present & terms
    cue = idx.cues[rowid]
    level = LEVEL_RANK[idx.conditions[rowid].level]
    own = "female" if ctx.sex == "female" else "male" if ctx.sex == "male" else None
    other = {"female": "male", "male": "female"}.get(own or "")
    return (bm, top_bm - bm, math.log1p(pos), *dense, float(len(hit)),
            sum(idx.idf.get(t, 0.0) for t in hit), len(hit) / (1 + len(terms)),
            float(len(against)), float(any(rx.search(query) for rx in idx.names[rowid])),
            float(sex_match),
            len(hit) / (1 + len(present)), len(against) / (1 + len(absent)),
            float(ctx.child and "child" in cue), float(ctx.adult and "child" in cue),
            float(ctx.older and "older" in cue),
            float(own is not None and own in cue),
            float(other is not None and other in cue and own not in cue),
            float(ctx.acute and "acute" in cue), float(ctx.chronic and "chronic" in cue),
            float(ctx.acute and "chronic" in cue and "acute" not in cue),
            level, level * ctx.acute, level * ctx.chronic, level * ctx.red_vitals,
            *reference)


def rank_conditions(f: Findings, *, params: DifferentialParams = DEFAULT_PARAMS,
                    k: int = 10, negation: bool = True, rerank: bool = True,
                    reranker: Reranker | None = None,
                    features_out: list[tuple[str, tuple[float, ...]]] | None = None,
                    ) -> list[RankedCondition]:
    """The `k` most probable conditions for the case, best first (see the module doc).

    ``negation=False`` is the plain baseline: the whole text as the query, no absent-finding
    penalty, no sex filter and no re-ranker. With the bundled re-ranker (or `reranker`) the
    candidates are ordered by its score over `FEATURES`, its `REFERENCE_FEATURES` read against
    its `DenseReference`; `features_out` collects each candidate's (name, features) for
    fitting one (`REFERENCE_FEATURES` 0 without a re-ranker: the fit computes them against
    its own reference, `DenseReference.table`).
    """
    idx = _index()
    query = affirmed_text(f) if negation else f.text
    words = [w for w in WORD.findall(query) if not w.isdigit()]  # ages match nothing useful
    # the canonical names of the findings stated ("SOB" -> shortness of breath) join the query
    terms = sorted(f.present()) if negation else []
    expr = match_expression(terms + words, max_terms=MAX_QUERY_TERMS)
    if not expr:
        return []
    with idx.lock:
        rows = idx.conn.execute(
            f"SELECT rowid, bm25(cond, {COLUMN_WEIGHTS[0]}, {COLUMN_WEIGHTS[1]}) FROM cond "
            "WHERE cond MATCH ? ORDER BY 2 LIMIT ?", (expr, CANDIDATES)).fetchall()
    # the plain baseline is bm25 alone; the differential adds MiniLM's nearest documents
    cos = _dense_scores(query) if negation else None
    candidates = [(rowid, -bm, pos) for pos, (rowid, bm) in enumerate(rows)]
    dense_rank: dict[int, int] = {}
    if cos is not None:
        order = np.argsort(-cos, kind="stable")
        dense_rank = {int(r): i for i, r in enumerate(order)}
        seen = {r for r, _, _ in candidates}
        candidates += [(int(r), 0.0, len(rows)) for r in order[:DENSE_CANDIDATES]
                       if int(r) not in seen]
    absent = sorted(f.absent()) if negation else []
    present = f.present()
    model = reranker if reranker is not None else (
        _bundled_reranker() if negation and rerank else None)
    top_bm = -rows[0][1] if rows else 0.0
    top_cos = float(cos.max()) if cos is not None else 0.0
    ctx = CaseContext.of(f)
    ref = model.reference if model is not None else None
    ref_table = ref.table(cos) if ref is not None and cos is not None else None
    no_ref = (0.0,) * len(REFERENCE_FEATURES)
    scored: list[tuple[float, int, tuple[str, ...]]] = []
    feats: list[tuple[float, ...]] = []
    for rowid, bm, pos in candidates:
        cond = idx.conditions[rowid]
        sex = _sex_of(cond.icd10cm)
        if negation and f.sex and sex not in (None, f.sex):
            continue
        against = tuple(t for t in absent if t in idx.bodies[rowid])
        dense = ((float(cos[rowid]), top_cos - float(cos[rowid]),
                  math.log1p(dense_rank[rowid])) if cos is not None else (0.0, 0.0, 0.0))
        refx = tuple(float(v) for v in ref_table[rowid]) if ref_table is not None else no_ref
        x = _features(idx, rowid, bm, top_bm, pos, dense, refx, present, absent, against,
                      query, sex is not None and sex == f.sex, ctx)
        feats.append(x)
        s = model.score(x) if model else bm - ABSENT_PENALTY * len(against)
        scored.append((s, rowid, against))
    if features_out is not None:
        features_out.extend((idx.conditions[r].name, x) for (_, r, _), x in
                            zip(scored, feats, strict=True))
    scored.sort(key=lambda x: -x[0])
    if not scored:
        return []
    named: dict[int, list[str]] = {}
    if negation:
        for i, c in enumerate(idx.conditions):
            said = [n for n, rx in zip((n for n in c.names if len(n) > 4), idx.names[i],
                                       strict=True) if rx.search(query)]
            if said:
                named[i] = said
    top = scored[0][0]
    weights = [math.exp((s - top) / params.temperature) for s, _, _ in scored]
    total = sum(weights)
    out = []
    for (s, rowid, against), w in list(zip(scored, weights, strict=True))[:k]:
        cond = idx.conditions[rowid]
        with idx.lock:
            sents = idx.conn.execute(
                "SELECT cite, text FROM sent WHERE sent MATCH ? AND cid = ? "
                "ORDER BY bm25(sent) LIMIT 2", (expr, rowid)).fetchall()
        support = present & idx.terms[rowid]
        out.append(RankedCondition(
            name=cond.name, icd10cm=cond.icd10cm, level=cond.level, score=s,
            probability=w / total, matched=tuple({"cite": c, "text": t} for c, t in sents),
            citations=cond.citations, absent=against,
            supported_by=tuple(sorted(support)),
            stated_instead=stated_condition(idx, rowid, query, named, frozenset(support)),
            profiled=bool(idx.terms[rowid]), case_findings=states_complaint(f)))
    return out


def _head(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return words[-1] if words else ""


def stated_condition(idx: _Index, rowid: int, query: str, named: dict[int, list[str]],
                     supported: frozenset[str]) -> str:
    """The less urgent condition the case names instead of emergency condition `rowid`, or "".

    `named` maps the conditions whose names (longer than four characters) the case states,
    negated scopes removed, to those names. A named condition N of a lower level whose name
    ends in the same word as one of the emergency's names (a kind of condition, not one of
    ``generic_name_heads``: "hernia", "asthma") stands for it when
    * N's stated name is not part of the emergency's names (a sibling: "hiatal hernia" is not
      an "incarcerated inguinal hernia", the shared word "hernia" made it a candidate), or
    * N's stated name is part of them (its uncomplicated form: "inguinal hernia") and every
      stated finding that supports the emergency, `supported`, is one N's sources name too
      (a complication needs a finding beyond the condition the patient says they have).
    The emergency itself named ("incarcerated hernia") is never stood for."""
    cond = idx.conditions[rowid]
    if cond.level != "emergency" or rowid in named:
        return ""
    generic = set(load_cues().generic_name_heads.words)
    own = [n.lower() for n in cond.names]
    heads = {_head(n) for n in own} - generic
    for other, said in named.items():
        o = idx.conditions[other]
        if LEVEL_RANK[o.level] >= LEVEL_RANK[cond.level]:
            continue
        for n in said:
            if _head(n) not in heads:
                continue
            contained = any(re.search(r"\b" + re.escape(n.lower()) + r"\b", e) for e in own)
            if not contained or supported <= idx.terms[other]:
                return o.name
    return ""


#: Finding kinds that are a complaint or an examination finding, not a history, a context or a
#: modifier: only these make a condition whose sources name no finding plausible.
COMPLAINT_KINDS = frozenset({"symptom", "sign"})


def states_complaint(f: Findings) -> bool:
    """Whether `f` states a symptom or sign (not negated). A history alone ("diabetes" in "What
    is the class for insulin glargine?") is not a presentation: it does not make a condition
    whose sources name no finding plausible."""
    return any(not x.negated and x.kind in COMPLAINT_KINDS for x in f.findings)


def differential_level(ranked: list[RankedCondition], *,
                       params: DifferentialParams = DEFAULT_PARAMS) -> str | None:
    """The urgency the differential supports, or None (it never lowers urgency).

    Only plausible conditions count (`RankedCondition.plausible`): those with at least one
    stated finding that their sources name too (``supported_by``), or whose sources name no
    finding at all when the case states a finding. emergency when the top-k probability of
    emergency conditions reaches ``emergency_threshold``; urgent when it reaches the lower
    ``possible_emergency_threshold`` (a possible emergency is seen the same day) or
    emergency + urgent reach ``urgent_threshold``."""
    top = [r for r in ranked[:params.top_k] if r.plausible]
    p_em = sum(r.probability for r in top if r.level == "emergency")
    p_ur = p_em + sum(r.probability for r in top if r.level == "urgent")
    if p_em >= params.emergency_threshold:
        return "emergency"
    if p_em >= params.possible_emergency_threshold or p_ur >= params.urgent_threshold:
        return "urgent"
    return None
