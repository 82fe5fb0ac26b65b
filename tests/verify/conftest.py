"""Fixtures for the verifier tests: the real bundled embedder (skips when its files are absent)."""

from __future__ import annotations

import pytest

from curbside.verify.support import SupportScorer


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from curbside.index.embedder import EmbedderUnavailable, OnnxMiniLmEmbedder

    try:
        return OnnxMiniLmEmbedder()
    except EmbedderUnavailable as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"bundled embedder unavailable: {exc}")


@pytest.fixture(scope="session")
def scorer(embedder) -> SupportScorer:  # type: ignore[no-untyped-def]
    return SupportScorer(embedder)


@pytest.fixture
def lexical_scorer() -> SupportScorer:
    return SupportScorer(None)
