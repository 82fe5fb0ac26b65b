"""Document-level dense vectors: one vector per current source, beside the passage vectors.

A consumer question often matches what a whole source is *about* better than any one of its
passages. Two ways to get a source's vector, both from the passage vectors already stored
(nothing is embedded again):

- ``first``: the vector of its first passage (``ord`` 0). Passages are embedded with their
  source title in front (`dense.embedding_text`), so this is "title + opening".
- ``mean``: the normalised mean of all its passage vectors.

The vectors are float16, kept in ``documents-MODE.npz`` in the dense index directory and
rebuilt when the passage index changes (its size or ids differ from those recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from curbside.index.vectors import VectorIndex

DocumentMode = Literal["first", "mean"]
DOCUMENT_MODES: tuple[DocumentMode, ...] = ("first", "mean")


def index_signature(index: VectorIndex) -> tuple[int, int, int]:
    """(count, id sum, largest id) of the passage vectors: changes when passages come or go."""
    ids = np.asarray(index.ids(), dtype=np.int64)
    return (int(ids.size), int(ids.sum()), int(ids.max()) if ids.size else -1)


@dataclass
class DocumentVectors:
    mode: DocumentMode
    #: Source id, its first passage id, and its vector (float16, unit length) per row.
    source_ids: npt.NDArray[np.int64]
    first_passages: npt.NDArray[np.int64]
    vectors: npt.NDArray[np.float16]
    signature: tuple[int, int, int]

    def __post_init__(self) -> None:
        self._row = {int(s): i for i, s in enumerate(self.source_ids)}
        # float16 on disk; float32 in memory, since numpy has no fast float16 product.
        self._m32 = self.vectors.astype(np.float32)

    def __len__(self) -> int:
        return int(self.source_ids.size)

    @property
    def bytes_per_source(self) -> float:
        """Stored bytes per source: the vector plus the two ids."""
        return float(self.vectors.shape[1] * self.vectors.itemsize + 16) if len(self) else 0.0

    @classmethod
    def build(
        cls,
        index: VectorIndex,
        passages: Sequence[tuple[int, int, int]],
        mode: DocumentMode,
    ) -> DocumentVectors:
        """From (passage id, source id, ord) of the current passages and their stored vectors;
        sources none of whose passages has a vector yet are left out."""
        if mode not in DOCUMENT_MODES:
            raise ValueError(f"document vectors: mode {mode!r} is not one of {DOCUMENT_MODES}")
        signature = index_signature(index)
        rows = sorted(passages, key=lambda r: (r[1], r[2], r[0]))
        pids = np.asarray([r[0] for r in rows], dtype=np.int64)
        found, vecs = index.vectors(pids)
        have = {int(p): i for i, p in enumerate(found)}
        sources: list[int] = []
        firsts: list[int] = []
        out: list[npt.NDArray[np.float32]] = []
        i = 0
        while i < len(rows):
            j = i
            while j < len(rows) and rows[j][1] == rows[i][1]:
                j += 1
            got = [have[r[0]] for r in rows[i:j] if r[0] in have]
            if got:
                v = vecs[got[0]] if mode == "first" else vecs[got].mean(axis=0)
                out.append(v / max(float(np.linalg.norm(v)), 1e-12))
                sources.append(rows[i][1])
                firsts.append(rows[i][0])
            i = j
        dim = vecs.shape[1] if vecs.ndim == 2 else 0
        matrix = np.asarray(out, dtype=np.float16).reshape(len(out), dim)
        return cls(
            mode,
            np.asarray(sources, dtype=np.int64),
            np.asarray(firsts, dtype=np.int64),
            matrix,
            signature,
        )

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            source_ids=self.source_ids,
            first_passages=self.first_passages,
            vectors=self.vectors,
            signature=np.asarray(self.signature, dtype=np.int64),
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, mode: DocumentMode) -> DocumentVectors:
        with np.load(path) as z:
            sig = tuple(int(x) for x in z["signature"])
            return cls(
                mode,
                z["source_ids"],
                z["first_passages"],
                z["vectors"],
                (sig[0], sig[1], sig[2]),
            )

    def scores(
        self, query: npt.NDArray[np.float32], source_ids: Sequence[int]
    ) -> npt.NDArray[np.float32]:
        """Cosine of the query with each source's vector (0 for a source without one)."""
        out = np.zeros(len(source_ids), dtype=np.float32)
        rows = [self._row.get(int(s), -1) for s in source_ids]
        idx = [i for i, r in enumerate(rows) if r >= 0]
        if idx:
            m = self._m32[[rows[i] for i in idx]]
            out[idx] = m @ np.asarray(query, dtype=np.float32).reshape(-1)
        return out

    def search(self, query: npt.NDArray[np.float32], n: int) -> list[tuple[int, float]]:
        """The `n` best sources as (first passage id, cosine), best first (exact search)."""
        if not len(self) or n <= 0:
            return []
        sims = self._m32 @ np.asarray(query, dtype=np.float32).reshape(-1)
        n = min(n, sims.size)
        top = np.argpartition(-sims, n - 1)[:n]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(self.first_passages[i]), float(sims[i])) for i in top]
