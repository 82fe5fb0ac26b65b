"""Embedders take any Python string: a lone surrogate (JSON "\\ud800") is replaced, not fatal."""

from __future__ import annotations

import numpy as np
import pytest

from curbside.index.embedder import EmbedderUnavailable, OnnxMiniLmEmbedder, valid_texts


def test_valid_texts_replaces_only_lone_surrogates() -> None:
    assert valid_texts(["a\ud800b", "\udfff", "é😀 plain"]) == ["a\ufffdb", "\ufffd", "é😀 plain"]


def test_onnx_embedder_embeds_text_with_a_lone_surrogate() -> None:
    try:
        emb = OnnxMiniLmEmbedder(threads=1, batch_size=4, max_tokens=64)
    except EmbedderUnavailable as exc:  # pragma: no cover - depends on the install
        pytest.skip(str(exc))
    bad = emb.embed(["low back pain \ud800 stiffness"])
    assert bad.shape == (1, emb.dim) and np.isfinite(bad).all()
    assert emb.count_tokens(["pain \udfff"])[0] > 0
    same = emb.embed_query("low back pain \ufffd stiffness")
    np.testing.assert_allclose(bad[0], same, atol=1e-5)
