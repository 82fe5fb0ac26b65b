"""A learned ranker over the candidates of both retrievers (issue 16).

Each candidate passage gets the features in `FEATURES`, all computed from what a search
already has: the lexical and dense lists, the document-level vectors (`index.documents`), the
hand-set fusion score, the query analysis and the passage's source. A linear model, trained by
pairwise logistic regression (RankNet with a linear scorer) in ``benchmarks/train_ranker.py``
on development relevance data only, scores them; the weights are a small versioned JSON file
beside this module (``ranker-vN.json``). Inference is one dot product: no extra dependency.

Scores within a query are what matter; `LinearRanker.score` maps them to (0, 1) with a
logistic. Search does not use that scale for the order: `on_scale` carries the ranker's order
onto the hand fusion's scores of the same candidates, so the rerank bonuses (evidence level,
key section, recency) and diversity (MMR, which divides by the top score) weigh as much as they
do after the fusion. On the logistic scale the top candidates lie within a few hundredths of
each other and a guideline's 12-15 % bonus lifted it over every answer page of the head
(docs/benchmarks.md, stop 27).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from curbside.domain import EVIDENCE_LEVEL, Passage, Source, SourceKind
from curbside.index.documents import DOCUMENT_MODES, DocumentMode
from curbside.text.tokens import lexical_tokens
from curbside.understand.analysis import ORIGINAL, QueryAnalysis

#: The current weights file (bump the version when features or training data change).
RANKER_FILE = Path(__file__).with_name("ranker-v3.json")

FEATURES: tuple[str, ...] = (
    "lex_z",  # lexical (with expansion) score, z-scored in its list; absent: the list's floor
    "lex_in",  # in the lexical list
    "lex_logrank",  # log(1 + rank) in the lexical list; absent: log(2 + list length)
    "dense_cos",  # cosine of query and passage vector (stored vector: every candidate has one)
    "dense_z",  # dense_cos z-scored over the candidates
    "dense_logrank",
    "doc_cos",  # cosine of query and the passage's source vector (document level)
    "doc_z",
    "doc_logrank",  # rank of the source in the document list
    "fused_z",  # the hand-set fusion score, z-scored over the candidates
    "fused_logrank",
    "focus_cov",  # share of the question's own words in title + passage
    "title_cov",  # share of the question's own words in the source title
    "expansion_only",  # matched only through expansion terms, none of the question's words
    "expansion_cov",  # share of the expansion terms in title + passage
    "level",  # evidence level bonus of the source kind (LEVEL of the hand rerank)
    "key_section",  # conclusion / recommendation / summary section
    "recency",  # 1 within 10 years, 0.5 within 20, 0 older or unknown
    "opening",  # the source's first passage
    "weak_x_dense",  # lexical list weak (consumer wording) x dense_z
    "weak_x_doc",  # lexical list weak x doc_z
)

LEVEL_BONUS = {1: 1.0, 2: 0.75, 3: 0.5, 4: 0.25, 5: 0.0, 6: 0.15, 7: 0.0}
KEY_SECTION_WORDS = ("CONCLUSION", "RECOMMENDATION", "KEY POINTS", "KEY FINDINGS", "SUMMARY")


class RankerError(RuntimeError):
    """The weights file is unusable; the message names the file and the field."""


@dataclass(frozen=True)
class Candidate:
    """One candidate passage and what the features need of it."""

    pid: int
    passage: Passage
    source: Source


def _z(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sd = float(x.std())
    return (x - float(x.mean())) / sd if sd > 0 else np.zeros_like(x)


def _list_features(
    ranked: Sequence[tuple[int, float]], pids: Sequence[int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(z-score with the list's floor for absent, in-list flag, log rank) per pid."""
    n = len(pids)
    if not ranked:
        return np.zeros(n), np.zeros(n), np.full(n, math.log(2))
    scores = np.asarray([s for _, s in ranked], dtype=np.float64)
    z = _z(scores)
    pos = {pid: i for i, (pid, _s) in enumerate(ranked)}
    floor = float(z.min())
    zs = np.asarray([z[pos[p]] if p in pos else floor for p in pids])
    inn = np.asarray([1.0 if p in pos else 0.0 for p in pids])
    lr = np.asarray([math.log(2 + pos[p]) if p in pos else math.log(2 + len(ranked)) for p in pids])
    return zs, inn, lr


def _terms(analysis: QueryAnalysis) -> tuple[set[str], set[str]]:
    """(the question's own word tokens, expansion tokens not among them)."""
    own: set[str] = set()
    exp: set[str] = set()
    for e in analysis.expansions:
        toks = {t for t in lexical_tokens(e.term) if len(t) > 2}
        (own if e.reason == ORIGINAL else exp).update(toks)
    return own, exp - own


def features(
    analysis: QueryAnalysis,
    candidates: Sequence[Candidate],
    lists: Mapping[str, Sequence[tuple[int, float]]],
    fused: Mapping[int, float],
    dense_cos: npt.NDArray[np.float32],
    doc_cos: npt.NDArray[np.float32],
    *,
    lexical_weak: bool,
    year_now: int | None = None,
) -> npt.NDArray[np.float64]:
    """The `FEATURES` matrix, one row per candidate (see `FEATURES` for each column)."""
    pids = [c.pid for c in candidates]
    n = len(pids)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    year_now = year_now or dt.date.today().year
    lex_z, lex_in, lex_lr = _list_features(lists.get("lexical", []), pids)
    _dz, _din, dense_lr = _list_features(lists.get("dense", []), pids)
    doc_list = lists.get("document", [])
    doc_rank: dict[int, int] = {}
    src_of = {c.pid: c.source.id for c in candidates}
    for i, (pid, _s) in enumerate(doc_list):
        doc_rank.setdefault(src_of.get(pid, -pid), i)
    doc_lr = np.asarray(
        [math.log(2 + doc_rank.get(c.source.id, len(doc_list))) for c in candidates]
    )
    f = np.asarray([fused.get(p, min(fused.values(), default=0.0)) for p in pids])
    order = {p: i for i, p in enumerate(sorted(pids, key=lambda p: -fused.get(p, -1e9)))}
    fused_lr = np.asarray([math.log(2 + order[p]) for p in pids])
    dcos = np.asarray(dense_cos, dtype=np.float64)
    ocos = np.asarray(doc_cos, dtype=np.float64)
    dense_z, doc_z = _z(dcos), _z(ocos)
    own, exp = _terms(analysis)
    rows = []
    for c in candidates:
        title = {t for t in lexical_tokens(c.source.title or "") if len(t) > 2}
        text = title | {t for t in lexical_tokens(c.passage.text) if len(t) > 2}
        focus = len(own & text) / len(own) if own else 0.0
        excov = len(exp & text) / len(exp) if exp else 0.0
        age = year_now - c.source.year if c.source.year else 99
        section = (c.passage.section or "").upper()
        rows.append(
            (
                focus,
                len(own & title) / len(own) if own else 0.0,
                1.0 if focus == 0 and excov > 0 else 0.0,
                excov,
                LEVEL_BONUS.get(EVIDENCE_LEVEL[SourceKind(c.source.kind)], 0.0),
                1.0 if any(w in section for w in KEY_SECTION_WORDS) else 0.0,
                1.0 if age <= 10 else (0.5 if age <= 20 else 0.0),
                1.0 if c.passage.ord == 0 else 0.0,
            )
        )
    per = np.asarray(rows, dtype=np.float64)
    weak = 1.0 if lexical_weak else 0.0
    cols = [
        lex_z, lex_in, lex_lr, dcos, dense_z, dense_lr, ocos, doc_z, doc_lr, _z(f), fused_lr,
        *per.T, weak * dense_z, weak * doc_z,
    ]  # fmt: skip
    return np.column_stack(cols)


@dataclass(frozen=True)
class LinearRanker:
    """score = w . ((x - mean) / scale) + b, on the `FEATURES` columns."""

    version: int
    features: tuple[str, ...]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    bias: float
    documents: DocumentMode
    about: dict[str, object]

    def raw(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return out

    def score(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Scores in (0, 1), in the order of `raw`."""
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-self.raw(x)))
        return out

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(self.bias, 6),
            "documents": self.documents,
            "about": self.about,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, object], where: str = "ranker") -> LinearRanker:
        def floats(name: str) -> npt.NDArray[np.float64]:
            val = obj.get(name)
            if not isinstance(val, list) or len(val) != len(FEATURES):
                raise RankerError(f"{where}: {name!r} must be a list of {len(FEATURES)} numbers")
            return np.asarray(val, dtype=np.float64)

        feats = obj.get("features")
        if feats != list(FEATURES):
            raise RankerError(f"{where}: 'features' differ from this code's FEATURES")
        scale = floats("scale")
        if (scale <= 0).any():
            raise RankerError(f"{where}: 'scale' must be positive")
        version, bias, documents = obj.get("version"), obj.get("bias"), obj.get("documents")
        if not isinstance(version, int) or not isinstance(bias, int | float):
            raise RankerError(f"{where}: 'version' and 'bias' must be numbers")
        if documents not in DOCUMENT_MODES:
            raise RankerError(f"{where}: 'documents' must be one of {DOCUMENT_MODES}")
        about = obj.get("about")
        return cls(
            version=version,
            features=FEATURES,
            mean=floats("mean"),
            scale=scale,
            weights=floats("weights"),
            bias=float(bias),
            documents="first" if documents == "first" else "mean",
            about=dict(about) if isinstance(about, dict) else {},
        )


def on_scale(
    order: npt.ArrayLike, scale: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """``order``'s ranking on ``scale``'s values: the candidate ``order`` puts i-th gets the
    i-th highest value of ``scale`` (a per-query quantile map; ties keep the input order)."""
    rank = np.asarray(order, dtype=np.float64)
    values = np.sort(np.asarray(scale, dtype=np.float64))[::-1]
    if rank.shape != values.shape or rank.ndim != 1:
        raise ValueError(
            f"on_scale: {rank.size} scores and {values.size} scale values (1-D, one each)"
        )
    out = np.empty_like(values)
    out[np.argsort(-rank, kind="stable")] = values
    return out


def load_ranker(path: Path = RANKER_FILE) -> LinearRanker:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RankerError(f"{path.name}: cannot read the ranker weights ({exc})") from None
    if not isinstance(obj, dict):
        raise RankerError(f"{path.name}: not a JSON object")
    return LinearRanker.from_json(obj, path.name)
