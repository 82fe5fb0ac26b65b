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


def convex(lists: Mapping[str, Ranked], weights: Mapping[str, float]) -> dict[int, float]:
    """Convex combination of min-max normalised scores; absent items count 0 in that list."""
    out: dict[int, float] = {}
    for name, ranked in lists.items():
        w = weights.get(name, 0.0)
        for item, s in normalise(ranked).items():
            out[item] = out.get(item, 0.0) + w * s
    return out
