"""Fusion of ranked lists: weighted reciprocal rank and a calibrated convex combination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Ranked = Sequence[tuple[int, float]]


def rrf(
    lists: Mapping[str, Ranked], *, k: int = 60, weights: Mapping[str, float] | None = None
) -> dict[int, float]:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over the lists an item is in."""
    out: dict[int, float] = {}
    for name, ranked in lists.items():
        w = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, (item, _score) in enumerate(ranked, start=1):
            out[item] = out.get(item, 0.0) + w / (k + rank)
    return out


def normalise(ranked: Ranked) -> dict[int, float]:
    """Scores scaled to [0, 1] by the list's max and min (a single item scores 1)."""
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    hi, lo = max(scores), min(scores)
    span = hi - lo
    return {i: (s - lo) / span if span > 0 else 1.0 for i, s in ranked}


def zscores(ranked: Ranked) -> dict[int, float]:
    """Scores standardised within the list (mean 0, sd 1): robust to one outlier score."""
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    mean = sum(scores) / len(scores)
    sd = (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5 or 1.0
    return {i: (s - mean) / sd for i, s in ranked}


def convex(
    lists: Mapping[str, Ranked], weights: Mapping[str, float], *, norm: str = "zscore"
) -> dict[int, float]:
    """Weighted sum of per-list normalised scores (``zscore`` or ``minmax``).

    An item absent from a list gets that list's floor (its lowest normalised score), so one
    retriever missing an item neither rewards nor wrecks it.
    """
    out: dict[int, float] = {}
    normed = {n: (zscores(r) if norm == "zscore" else normalise(r)) for n, r in lists.items()}
    items = {i for scores in normed.values() for i in scores}
    for name, scores in normed.items():
        w = weights.get(name, 0.0)
        floor = min(scores.values()) if scores else 0.0
        for item in items:
            out[item] = out.get(item, 0.0) + w * scores.get(item, floor)
    return out
