"""The dense index: embedder + vector index over current passages, kept in step with the store.

The index directory is named by a fingerprint of the embedder and chunking settings, so a
changed setting builds a new index instead of reading a stale one.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine

from curbside.config import Settings
from curbside.index.documents import DocumentMode, DocumentVectors, index_signature
from curbside.index.embedder import Embedder, make_embedder
from curbside.index.vectors import (
    MissingIndexError,
    VectorIndex,
    VectorIndexContext,
    open_vector_index,
    vector_index_for,
)
from curbside.store.sources import SourceStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
IdArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


def embedding_text(title: str, section: str | None, text: str) -> str:
    """What is embedded for a passage: its source title gives the chunk its topic."""
    return f"{title}. {text}" if title else text


def sync_plan(index: VectorIndex, current: Iterable[int]) -> tuple[list[int], list[int]]:
    """What `DenseIndex.sync` does to ``index`` for these ``current`` passage ids:
    ``(stale ids to remove, missing ids to embed and add)``, each sorted. After a crash the
    index reports what it holds (`VectorIndex.ids`), so a re-run embeds only the rest."""
    have = {int(x) for x in index.ids()}
    want = {int(x) for x in current}
    return sorted(have - want), sorted(want - have)


@dataclass
class DenseStatus:
    directory: str
    fingerprint: str
    exists: bool
    vectors: int
    current_passages: int
    missing: int
    stale_entries: int
    bytes_on_disk: int

    @property
    def bytes_per_vector(self) -> float:
        return self.bytes_on_disk / self.vectors if self.vectors else 0.0


class DenseIndex:
    """Embeds passages and answers nearest-neighbour queries."""

    def __init__(
        self, settings: Settings, engine: Engine, embedder: Embedder | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self._embedder = embedder
        self._embedder_lock = threading.Lock()  # one embedder, even while one loads in a thread
        self._index: VectorIndex | None = None
        self._dirty = 0
        self._last_save = time.monotonic()
        self._documents: dict[DocumentMode, DocumentVectors] = {}

    @property
    def embedder(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings.embedder)
            return self._embedder

    def load_embedder_in_background(self) -> threading.Thread:
        """Start loading the embedder's model in a thread and return it.

        A cold `curbside ask` spends most of a second importing the answer pipeline and reading
        the question in Python while the ONNX session loads in native code, so on two cores the
        two overlap. An embedder that loads lazily (`warm`) tells its identity (dim,
        fingerprint) at once, so opening the vector index does not wait for the model; only the
        first `embed` does. A failure in the thread is left for the first use to raise in the
        caller's thread. Not a daemon: a process that exits early (a rejected question)
        waits for the load instead of tearing onnxruntime down in the middle of it."""

        def load() -> None:
            with contextlib.suppress(Exception):  # raised again where it is first used
                warm = getattr(self.embedder, "warm", None)  # an embedder that loads lazily
                if warm is not None:
                    warm()

        thread = threading.Thread(target=load, name="curbside-embedder-load")
        thread.start()
        return thread

    @property
    def fingerprint(self) -> str:
        return f"{self.settings.fingerprint()}-{self.embedder.fingerprint[:8]}"

    @property
    def directory(self) -> Path:
        # Passage ids of two databases must never share vectors: a database other than the
        # home's default SQLite file gets its own index directory.
        name = f"dense-{self.fingerprint}"
        if self.settings.database_url:
            db = self.engine.url.render_as_string(hide_password=True)
            name += "-" + hashlib.sha1(db.encode()).hexdigest()[:6]
        return self.settings.index_dir / name

    @property
    def backend(self) -> str:
        """The vector index backend: the setting, with ``"auto"`` resolved for the database."""
        return vector_index_for(self.settings.retrieval.vector_index, self.engine.dialect.name)

    def _open(self, *, create: bool = False) -> VectorIndex:
        if self._index is None or create:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._index = open_vector_index(
                self.directory,
                self.embedder.dim,
                self.fingerprint,
                self.backend,
                create=create,
                context=VectorIndexContext(engine=self.engine, settings=self.settings),
            )
        return self._index

    def exists(self) -> bool:
        try:
            self._open()
            return True
        except MissingIndexError:
            return False

    def index(self) -> VectorIndex:
        """The open vector index, created empty if there is none yet."""
        try:
            return self._open()
        except MissingIndexError:
            return self._open(create=True)

    # -- writes -------------------------------------------------------------------------------
    def _texts(self, passage_ids: Sequence[int]) -> tuple[list[int], list[str]]:
        rows = SourceStore(self.engine).passage_texts(passage_ids)
        return [r[0] for r in rows], [embedding_text(title, section, text)
                                      for _, title, section, text in rows]

    @property
    def chunk_passages(self) -> int:
        """Passages embedded per `embedder.embed` call. The bundled int8 MiniLM gives a
        passage the same bits in any batch, but an embedder may not (padding, a server's
        batching), so every build engine embeds the same chunks: same ids, same vectors."""
        return max(self.settings.embedder.batch_size * 8, 64)

    def embed_chunks(self, passage_ids: Sequence[int]) -> Iterator[tuple[IdArray, FloatArray]]:
        """``(ids, unit vectors)`` for these passages, chunk by chunk (`chunk_passages`);
        ids with no passage are left out."""
        step = self.chunk_passages
        for i in range(0, len(passage_ids), step):
            ids, texts = self._texts(passage_ids[i : i + step])
            if ids:
                yield np.asarray(ids, dtype=np.int64), self.embedder.embed(texts)

    def add_passages(self, passage_ids: Sequence[int], progress: Progress | None = None) -> int:
        """Embed and add these passages; returns how many were added."""
        index = self.index()
        done = 0
        for ids, vecs in self.embed_chunks(passage_ids):
            index.add(ids, vecs)
            done += len(ids)
            self._dirty += len(ids)
            if progress:
                progress(done, len(passage_ids))
            self._maybe_save()
        return done

    def add_vectors(self, ids: IdArray, vectors: FloatArray) -> None:
        """Add vectors embedded elsewhere (a batch engine's workers) for these passage ids;
        durable at the next `save`."""
        self.index().add(ids, vectors)
        self._dirty += len(ids)

    def remove_passages(self, passage_ids: Sequence[int]) -> int:
        if not passage_ids:
            return 0
        n = self.index().remove(np.asarray(passage_ids, dtype=np.int64))
        self._dirty += n
        return n

    def on_batch(self, added: Sequence[int], removed: Sequence[int]) -> None:
        """Ingest hook: keep the vectors in step with each committed batch."""
        self.remove_passages(removed)
        self.add_passages(added)

    def _maybe_save(self) -> None:
        if self._dirty and time.monotonic() - self._last_save > 30:
            self.save()

    def save(self) -> None:
        if self._index is not None and self._dirty:
            self._index.flush()
            self._dirty = 0
            self._last_save = time.monotonic()

    def _current_ids(self) -> set[int]:
        return set(SourceStore(self.engine).current_passage_ids())

    def sync(self, progress: Progress | None = None, *, rebuild: bool = False) -> int:
        """Embed current passages missing from the index and drop retired ones.

        Resumable: after a killed ingest or build, a re-run embeds only what is missing.
        """
        missing = self.pending(rebuild=rebuild)
        added = self.add_passages(missing, progress) if missing else 0
        self.save()
        return added

    def pending(self, *, rebuild: bool = False) -> list[int]:
        """Drop retired passages from the index (all vectors with `rebuild`) and return the
        current passage ids it lacks, in id order: what a build has to embed."""
        if rebuild:
            self._open(create=True)
        index = self.index()
        stale, missing = sync_plan(index, self._current_ids())
        if stale:
            self.remove_passages(stale)
            self._dirty += 1
        return missing

    # -- reads --------------------------------------------------------------------------------
    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        vec = self.embedder.embed_query(query)
        return self._open().search(vec, k)

    def documents(self, mode: DocumentMode) -> DocumentVectors:
        """One vector per current source (`index.documents`), built from the stored passage
        vectors on first use and again whenever the passage index has changed since."""
        index = self._open()
        signature = index_signature(index)
        docs = self._documents.get(mode)
        if docs is not None and docs.signature == signature:
            return docs
        path = self.directory / f"documents-{mode}.npz"
        if path.is_file():
            docs = DocumentVectors.load(path, mode)
        if docs is None or docs.signature != signature:
            owners = SourceStore(self.engine).current_passage_owners()
            docs = DocumentVectors.build(index, owners, mode)
            docs.save(path)
        self._documents[mode] = docs
        return docs

    def query_vector(self, query: str) -> np.ndarray:
        return np.asarray(self.embedder.embed_query(query), dtype=np.float32).reshape(-1)

    def status(self) -> DenseStatus:
        exists = self.exists()
        current = self._current_ids()
        have = {int(x) for x in self._open().ids()} if exists else set()
        size = (
            sum(p.stat().st_size for p in self.directory.glob("*") if p.is_file()) if exists else 0
        )
        return DenseStatus(
            directory=str(self.directory),
            fingerprint=self.fingerprint,
            exists=exists,
            vectors=len(have),
            current_passages=len(current),
            missing=len(current - have),
            stale_entries=len(have - current),
            bytes_on_disk=size,
        )
