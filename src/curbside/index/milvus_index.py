"""Vector index ``milvus``: passage vectors in a Milvus collection (HNSW, cosine).

One collection per dense index directory (one embedder and chunking fingerprint, and one
database): ``id`` INT64 primary key, ``embedding`` FLOAT_VECTOR(dim) with an HNSW index on the
COSINE metric, so a score is the cosine similarity the other backends give. The fingerprint is a
collection property; opening a collection built under another fingerprint or dimension raises
`StaleIndexError`, a missing one `MissingIndexError`.

Where the collection lives (`retrieval.milvus_uri`, from the `VectorIndexContext` the dense index
passes its factory):

* unset (default): **Milvus Lite**, in-process, in ``<directory>/milvus.db``; one process at a
  time, for a laptop or a test;
* ``http://host:19530`` (or https): a Milvus standalone or distributed cluster; the collection
  is named after the directory (``curbside_dense_<fingerprint>...``), so every replica of one
  deployment finds the same collection;
* a path ending in ``.db``: a Milvus Lite file shared by several directories.

Writes are upserts with Strong consistency (a search sees every write before it); `flush` asks
Milvus to seal what was written so it survives a restart. ``allowed`` is pushed into Milvus as a
filter expression (``id in [...]``, in chunks of `FILTER_CHUNK` ids, the chunks' hits merged).
pymilvus is imported only when the backend is opened; without it the error names the extra
(``pip install 'curbside[milvus]'``).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from curbside.index.vectors import (
    Allowed,
    IdArray,
    IdsLike,
    MissingIndexError,
    StaleIndexError,
    VectorIndexContext,
    VectorIndexError,
    _allowed_array,
    _as_ids,
    _as_matrix,
    _as_query,
    _top_k,
)

if TYPE_CHECKING:
    from pymilvus import MilvusClient

__all__ = [
    "FILTER_CHUNK",
    "LITE_FILE",
    "MilvusVectorIndex",
    "close_milvus_clients",
    "collection_name",
    "open_milvus_index",
]

#: The Milvus Lite database inside the index directory when no URI is set.
LITE_FILE = "milvus.db"
#: Most ids in one ``id in [...]`` filter expression (Milvus parses the list on every search;
#: 200,000 ids took 9 s on Milvus Lite here, a few thousand a few milliseconds).
FILTER_CHUNK = 4096
#: Rows per upsert/query request (a 384-dim float32 row is 1.5 kB; gRPC allows 64 MB).
WRITE_BATCH = 2000
#: Milvus' largest ``limit`` (top-k) for one search.
MAX_TOPK = 16384
#: HNSW graph degree and build beam (as usearch's connectivity 16 / expansion_add 128).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
#: Search beam (usearch's expansion_search); raised to k when k is larger.
HNSW_EF = 256
FINGERPRINT_PROPERTY = "curbside.fingerprint"
FORMAT_PROPERTY = "curbside.format"
FORMAT_VERSION = "1"
ID_FIELD = "id"
VECTOR_FIELD = "embedding"

_EXTRA_HINT = "pip install 'curbside[milvus]'"
_clients: dict[tuple[str, str, str], MilvusClient] = {}
_clients_lock = threading.Lock()
_atexit_registered = False


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as exc:
        raise VectorIndexError(
            f"the 'milvus' vector index needs pymilvus (and milvus-lite for a local file): "
            f"{_EXTRA_HINT}, or set CURBSIDE_RETRIEVAL__VECTOR_INDEX to usearch ({exc})"
        ) from exc
    return pymilvus


def _client(uri: str, token: str, db_name: str) -> MilvusClient:
    """One client per server (or Lite file) and process, shared by every index on it."""
    global _atexit_registered
    key = (uri, token, db_name)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            pymilvus = _pymilvus()
            kwargs: dict[str, Any] = {"uri": uri}
            if token:
                kwargs["token"] = token
            if db_name:
                kwargs["db_name"] = db_name
            try:
                client = pymilvus.MilvusClient(**kwargs)
            except Exception as exc:  # pymilvus raises MilvusException, grpc errors, OSError
                raise VectorIndexError(
                    f"cannot connect to Milvus at {_redact(uri)}: {exc}; check "
                    "CURBSIDE_RETRIEVAL__MILVUS_URI"
                ) from exc
            _clients[key] = client
            if not _atexit_registered:
                atexit.register(close_milvus_clients)
                _atexit_registered = True
        return client


def close_milvus_clients() -> None:
    """Close every Milvus client of this process (Milvus Lite releases its files)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        with contextlib.suppress(Exception):  # closing at exit: nothing left to do
            client.close()


def _redact(uri: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", uri)


def collection_name(directory: Path, *, shared_database: bool) -> str:
    """The collection of a dense index directory: ``curbside_<directory name>``.

    The directory name holds the fingerprint, and a hash of the database URL when the store is
    not the home's own SQLite file (`curbside.index.dense.DenseIndex.directory`), so every
    replica of a deployment on one database finds the same collection. With the home's own
    SQLite file (``shared_database=False``) a hash of the directory's full path is added: two
    homes on one Milvus server must not share passage ids.
    """
    base = re.sub(r"[^0-9A-Za-z_]", "_", directory.name)[:180] or "index"
    name = f"curbside_{base}"
    if not shared_database:
        digest = hashlib.sha1(str(directory.resolve()).encode()).hexdigest()[:8]
        name += f"_{digest}"
    return name


class MilvusVectorIndex:
    """A `curbside.index.vectors.VectorIndex` in one Milvus collection (see the module)."""

    kind = "milvus"

    def __init__(
        self,
        client: MilvusClient,
        collection: str,
        dim: int,
        fingerprint: str,
        *,
        create: bool = False,
        where: str = "",
    ) -> None:
        self._client = client
        self._collection = collection
        self._dim = int(dim)
        self._fingerprint = fingerprint
        self._where = where or collection
        if create:
            self._create()
        else:
            self._check()
        self._client.load_collection(self._collection)

    # -- lifecycle --------------------------------------------------------------------------
    def _create(self) -> None:
        pymilvus = _pymilvus()
        client = self._client
        if client.has_collection(self._collection):
            client.drop_collection(self._collection)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field(ID_FIELD, pymilvus.DataType.INT64, is_primary=True)
        schema.add_field(VECTOR_FIELD, pymilvus.DataType.FLOAT_VECTOR, dim=self._dim)
        params = client.prepare_index_params()
        params.add_index(
            field_name=VECTOR_FIELD,
            index_type="HNSW",
            metric_type="COSINE",
            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
        )
        client.create_collection(
            self._collection,
            schema=schema,
            index_params=params,
            consistency_level="Strong",
            properties={
                FINGERPRINT_PROPERTY: self._fingerprint,
                FORMAT_PROPERTY: FORMAT_VERSION,
            },
        )

    def _check(self) -> None:
        if not self._client.has_collection(self._collection):
            raise MissingIndexError(
                f"no vector index in Milvus collection {self._where}; "
                "run `curbside index build` to create it"
            )
        info = self._client.describe_collection(self._collection)
        props = info.get("properties") or {}
        found = props.get(FINGERPRINT_PROPERTY)
        if found != self._fingerprint:
            raise StaleIndexError(
                f"vector index {self._where} was built with settings fingerprint {found!r}, "
                f"expected {self._fingerprint!r} (embedder or chunking changed); run "
                "`curbside index build` to rebuild it"
            )
        dims = [
            int((f.get("params") or {}).get("dim", 0))
            for f in info.get("fields", [])
            if f.get("name") == VECTOR_FIELD
        ]
        if dims != [self._dim]:
            raise StaleIndexError(
                f"vector index {self._where} holds vectors of {dims or 'no'} dimensions, "
                f"expected {self._dim}; run `curbside index build` to rebuild it"
            )

    # -- contract ---------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def collection(self) -> str:
        return self._collection

    def __len__(self) -> int:
        rows = self._client.query(self._collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, int | np.integer) or isinstance(item, bool):
            return False
        return bool(self._present(np.asarray([int(item)], dtype=np.int64)).size)

    def _present(self, keys: IdArray) -> IdArray:
        """Those of ``keys`` the collection holds (each once, sorted)."""
        found: list[int] = []
        for chunk in _chunks(np.unique(keys), FILTER_CHUNK):
            rows = self._client.query(
                self._collection, filter=_in_filter(chunk), output_fields=[ID_FIELD]
            )
            found.extend(int(r[ID_FIELD]) for r in rows)
        return np.unique(np.asarray(found, dtype=np.int64))

    def ids(self) -> IdArray:
        it = self._client.query_iterator(
            self._collection, batch_size=WRITE_BATCH * 5, filter="", output_fields=[ID_FIELD]
        )
        out: list[int] = []
        try:
            while batch := it.next():
                out.extend(int(r[ID_FIELD]) for r in batch)
        finally:
            it.close()
        return np.asarray(out, dtype=np.int64)

    def vectors(self, ids: IdsLike) -> tuple[IdArray, npt.NDArray[np.float32]]:
        keys = _as_ids(ids)
        got: dict[int, list[float]] = {}
        for chunk in _chunks(np.unique(keys), WRITE_BATCH):
            rows = self._client.query(
                self._collection, filter=_in_filter(chunk), output_fields=[ID_FIELD, VECTOR_FIELD]
            )
            got.update((int(r[ID_FIELD]), r[VECTOR_FIELD]) for r in rows)
        found = [int(k) for k in keys if int(k) in got]
        mat = np.asarray([got[k] for k in found], dtype=np.float32).reshape(len(found), self._dim)
        return np.asarray(found, dtype=np.int64), mat

    def add(self, ids: IdsLike, vectors: npt.ArrayLike) -> None:
        keys = _as_ids(ids)
        mat = _as_matrix(vectors, self._dim, len(keys))
        if keys.size == 0:
            return
        if np.unique(keys).size != keys.size:
            raise ValueError("duplicate ids in one add() call")
        unit = mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        for start in range(0, keys.size, WRITE_BATCH):
            rows = [
                {ID_FIELD: int(i), VECTOR_FIELD: v.tolist()}
                for i, v in zip(
                    keys[start : start + WRITE_BATCH],
                    unit[start : start + WRITE_BATCH],
                    strict=True,
                )
            ]
            self._client.upsert(self._collection, rows)

    def remove(self, ids: IdsLike) -> int:
        keys = _as_ids(ids)
        if keys.size == 0:
            return 0
        present = self._present(keys)
        for chunk in _chunks(present, FILTER_CHUNK):
            self._client.delete(self._collection, filter=_in_filter(chunk))
        return int(present.size)

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        q = _as_query(query, self._dim)
        allow = _allowed_array(allowed)
        if allow is not None and allow.size == 0:
            return []
        limit = min(k, MAX_TOPK)
        filters = [""] if allow is None else [_in_filter(c) for c in _chunks(allow, FILTER_CHUNK)]
        ids: list[int] = []
        scores: list[float] = []
        for expr in filters:
            hits = self._client.search(
                self._collection,
                data=[q.tolist()],
                limit=limit,
                filter=expr,
                search_params={"metric_type": "COSINE", "params": {"ef": max(HNSW_EF, limit)}},
            )
            for hit in hits[0] if hits else []:
                ids.append(int(hit["id"]))
                scores.append(float(hit["distance"]))
        return _top_k(np.asarray(ids, dtype=np.int64), np.asarray(scores, np.float32), k)

    def flush(self) -> None:
        self._client.flush(self._collection)


def _chunks(arr: IdArray, size: int) -> list[IdArray]:
    return [arr[i : i + size] for i in range(0, arr.size, size)]


def _in_filter(ids: IdArray) -> str:
    return f"{ID_FIELD} in [{', '.join(str(int(i)) for i in ids)}]"


def open_milvus_index(
    directory: Path, dim: int, fingerprint: str, create: bool,
    *, context: VectorIndexContext | None = None,
) -> MilvusVectorIndex:
    """Vector index ``milvus`` (registry factory): the collection of ``directory`` on the
    server of ``retrieval.milvus_uri`` from the `VectorIndexContext`, or on Milvus Lite in
    ``directory/milvus.db`` when none is set."""
    settings = context.settings if context is not None else None
    retrieval = settings.retrieval if settings is not None else None
    uri = (retrieval.milvus_uri or "").strip() if retrieval is not None else ""
    token_secret = retrieval.milvus_token if retrieval is not None else None
    token = token_secret.get_secret_value() if token_secret is not None else ""
    db_name = (retrieval.milvus_db_name or "") if retrieval is not None else ""
    shared = bool(settings is not None and settings.database_url)
    directory = Path(directory)
    if not uri:
        lite = directory / LITE_FILE
        if not create and not lite.exists():
            raise MissingIndexError(
                f"no vector index in {directory} ({LITE_FILE} is missing); "
                "run `curbside index build` to create it"
            )
        directory.mkdir(parents=True, exist_ok=True)
        uri = str(lite)
        name = "curbside_vectors"  # the file is this directory's own
    else:
        name = collection_name(directory, shared_database=shared)
    where = f"{name} at {_redact(uri)}"
    return MilvusVectorIndex(
        _client(uri, token, db_name), name, dim, fingerprint, create=create, where=where
    )
