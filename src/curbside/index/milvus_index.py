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

Beside each vector the collection keeps the passage's source ``kind`` and ``year`` (scalar
fields, read from the store of the context's engine when the vector is added: a passage id
names one version of one source, so they never change) and its ``text``, which Milvus' built-in
BM25 function turns into the ``sparse`` field. `MilvusVectorIndex.search_where` filters by kind
and year with a Milvus expression inside the HNSW search; `text_search` is a BM25 search and
`hybrid_search` Milvus' server-side hybrid search (dense + BM25, `RRFRanker` or
`WeightedRanker`), both with the same filter.

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
    InvalidVectorInput,
    MissingIndexError,
    StaleIndexError,
    VectorIndexContext,
    VectorIndexError,
    check_allowed,
    check_ids,
    check_k,
    check_lookup_ids,
    check_query,
    check_unique,
    check_vectors,
    is_storable_id,
    top_hits,
)

if TYPE_CHECKING:
    from pymilvus import MilvusClient
    from sqlalchemy import Engine

    from curbside.index.filters import PassageFilter

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
#: 2: kind, year and text fields beside the vector, and the BM25 sparse field.
FORMAT_VERSION = "2"
ID_FIELD = "id"
VECTOR_FIELD = "embedding"
#: The passage's source kind and year (`curbside.index.filters.PassageFilter` pushed down).
KIND_FIELD = "kind"
YEAR_FIELD = "year"
#: What the year field holds for a source with no year (or a vector with no passage).
YEAR_UNKNOWN = -1
#: The passage text (title, section, text, as the keyword index sees them) that Milvus' BM25
#: function turns into the sparse field; VARCHAR holds at most 65,535 bytes.
TEXT_FIELD = "text"
SPARSE_FIELD = "sparse"
TEXT_MAX_BYTES = 65_535
KIND_MAX_CHARS = 32
#: Reciprocal-rank constant of the server-side hybrid search (`RRFRanker`), as
#: ``retrieval.rrf_k``'s default.
RRF_K = 60

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
        engine: Engine | None = None,
    ) -> None:
        self._client = client
        self._engine = engine
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
        schema.add_field(KIND_FIELD, pymilvus.DataType.VARCHAR, max_length=KIND_MAX_CHARS)
        schema.add_field(YEAR_FIELD, pymilvus.DataType.INT64)
        schema.add_field(
            TEXT_FIELD, pymilvus.DataType.VARCHAR, max_length=TEXT_MAX_BYTES,
            enable_analyzer=True,
        )
        schema.add_field(SPARSE_FIELD, pymilvus.DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            pymilvus.Function(
                name="curbside_bm25",
                function_type=pymilvus.FunctionType.BM25,
                input_field_names=[TEXT_FIELD],
                output_field_names=[SPARSE_FIELD],
            )
        )
        params = client.prepare_index_params()
        params.add_index(
            field_name=VECTOR_FIELD,
            index_type="HNSW",
            metric_type="COSINE",
            params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
        )
        params.add_index(
            field_name=SPARSE_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25"
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
        if props.get(FORMAT_PROPERTY) != FORMAT_VERSION:
            raise StaleIndexError(
                f"vector index {self._where} has layout {props.get(FORMAT_PROPERTY)!r}, this "
                f"version writes {FORMAT_VERSION!r} (kind, year and BM25 text fields); run "
                "`curbside index build --rebuild` to rebuild it"
            )
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
        if not is_storable_id(item):
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
        keys = check_lookup_ids(ids)
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
        keys = check_ids(ids)
        mat = check_vectors(vectors, self._dim, len(keys))
        if keys.size == 0:
            return
        check_unique(keys)
        unit = mat / np.maximum(np.linalg.norm(mat, axis=1, keepdims=True), 1e-12)
        for start in range(0, keys.size, WRITE_BATCH):
            batch = keys[start : start + WRITE_BATCH]
            attrs, texts = self._passages(batch)
            rows = []
            for i, v in zip(batch.tolist(), unit[start : start + WRITE_BATCH], strict=True):
                kind, year = attrs.get(i, ("", None))
                rows.append({
                    ID_FIELD: i,
                    VECTOR_FIELD: v.tolist(),
                    KIND_FIELD: kind[:KIND_MAX_CHARS],
                    YEAR_FIELD: YEAR_UNKNOWN if year is None else int(year),
                    TEXT_FIELD: texts.get(i, ""),
                })
            self._client.upsert(self._collection, rows)

    def _passages(
        self, ids: IdArray
    ) -> tuple[dict[int, tuple[str, int | None]], dict[int, str]]:
        """Kind and year, and the text for BM25, of these passages from the store (the engine
        of the context); nothing without an engine (the vector then matches no kind or year
        filter and no full-text query). A passage id names one version of one source, so
        neither changes once written."""
        if self._engine is None:
            return {}, {}
        from curbside.store.sources import SourceStore

        store = SourceStore(self._engine)
        ids_list = ids.tolist()
        attrs = {i: (a[0], a[1]) for i, a in store.passage_attributes(ids_list).items()}
        texts = {
            pid: _clip_utf8(" ".join(p for p in (title, section, text) if p), TEXT_MAX_BYTES)
            for pid, title, section, text in store.passage_texts(ids_list)
        }
        return attrs, texts

    def remove(self, ids: IdsLike) -> int:
        keys = check_lookup_ids(ids)
        if keys.size == 0:
            return 0
        present = self._present(keys)
        for chunk in _chunks(present, FILTER_CHUNK):
            self._client.delete(self._collection, filter=_in_filter(chunk))
        return int(present.size)

    def search(
        self, query: npt.ArrayLike, k: int, allowed: Allowed = None
    ) -> list[tuple[int, float]]:
        q = check_query(query, self._dim)
        k = check_k(k)
        allow = check_allowed(allowed)
        if k == 0:
            return []
        if allow is not None and allow.size == 0:
            return []
        limit = min(k, MAX_TOPK)
        filters = [""] if allow is None else [_in_filter(c) for c in _chunks(allow, FILTER_CHUNK)]
        ids: list[int] = []
        scores: list[float] = []
        for expr in filters:
            for pid, score in self._dense(q, limit, expr):
                ids.append(pid)
                scores.append(score)
        return top_hits(np.asarray(ids, dtype=np.int64), np.asarray(scores, np.float32), k)

    # -- filters, full text, hybrid -----------------------------------------------------------
    #: Milvus holds kind and year but not whether a passage is still current:
    #: `curbside.index.filters.search_filtered` checks the hits against the store.
    filters_versions = False

    def search_where(
        self, query: npt.ArrayLike, k: int, where: PassageFilter
    ) -> list[tuple[int, float]]:
        """Top ``k`` whose kind and year match ``where``: a Milvus filter expression on the
        scalar fields, applied inside the HNSW search (Milvus skips non-matching rows while it
        walks, so ``k`` matching rows come back whenever there are ``k``)."""
        q = check_query(query, self._dim)
        k = check_k(k)
        if k == 0:
            return []
        return self._dense(q, min(k, MAX_TOPK), filter_expression(where))

    def _dense(self, q: npt.NDArray[np.float32], limit: int, expr: str) -> list[tuple[int, float]]:
        hits = self._client.search(
            self._collection,
            data=[q.tolist()],
            anns_field=VECTOR_FIELD,
            limit=limit,
            filter=expr,
            search_params={"metric_type": "COSINE", "params": {"ef": max(HNSW_EF, limit)}},
        )
        return _hits(hits, limit)

    def text_search(
        self, text: str, k: int, where: PassageFilter | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` ``(id, BM25 score)`` for ``text`` on the BM25 sparse field (Milvus'
        built-in analyzer and BM25 function), higher first; ``where`` filters as in
        `search_where`."""
        limit = _text_limit(text, k)
        if limit == 0:
            return []
        hits = self._client.search(
            self._collection,
            data=[text],
            anns_field=SPARSE_FIELD,
            limit=limit,
            filter=filter_expression(where),
            search_params={"metric_type": "BM25"},
        )
        # Milvus Lite reports a BM25 match as a negative distance (smaller is better).
        return [(i, abs(s)) for i, s in _hits(hits, limit)]

    def hybrid_search(
        self,
        query: npt.ArrayLike,
        text: str,
        k: int,
        where: PassageFilter | None = None,
        *,
        weights: tuple[float, float] | None = None,
        candidates: int | None = None,
    ) -> list[tuple[int, float]]:
        """Server-side hybrid search: the dense HNSW search and the BM25 full-text search, each
        with ``where``'s filter, fused by Milvus (`RRFRanker` by default; `WeightedRanker`
        with ``weights`` = (dense, full text)); top ``k`` ``(id, fused score)``, each list
        drawing ``candidates`` (default ``k``, at least) before fusion."""
        pymilvus = _pymilvus()
        q = check_query(query, self._dim)
        limit = _text_limit(text, k)
        if limit == 0:
            return []
        n = min(max(candidates or limit, limit), MAX_TOPK)
        expr = filter_expression(where)
        requests = [
            pymilvus.AnnSearchRequest(
                data=[q.tolist()], anns_field=VECTOR_FIELD,
                param={"metric_type": "COSINE", "params": {"ef": max(HNSW_EF, n)}},
                limit=n, expr=expr,
            ),
            pymilvus.AnnSearchRequest(
                data=[text], anns_field=SPARSE_FIELD, param={"metric_type": "BM25"},
                limit=n, expr=expr,
            ),
        ]
        if weights is None:
            ranker = pymilvus.RRFRanker(RRF_K)
        else:
            if len(weights) != 2 or not all(np.isfinite(w) and w >= 0 for w in weights):
                raise InvalidVectorInput(
                    "weights", f"must be two non-negative numbers, got {weights!r}"
                )
            ranker = pymilvus.WeightedRanker(*(float(w) for w in weights))
        hits = self._client.hybrid_search(self._collection, requests, ranker, limit=limit)
        return _hits(hits, limit)

    def flush(self) -> None:
        self._client.flush(self._collection)


def _text_limit(text: object, k: object) -> int:
    """The ``limit`` of a full-text search for ``k`` (0: none); `InvalidVectorInput` names an
    empty ``text`` or a bad ``k``."""
    k = check_k(k)
    if not isinstance(text, str) or not text.strip():
        raise InvalidVectorInput("text", "is empty")
    return min(k, MAX_TOPK)


def _hits(result: Any, limit: int) -> list[tuple[int, float]]:
    """``(id, score)`` of a Milvus search result's first query, as Milvus ranked them."""
    rows = result[0] if result else []
    return [(int(h["id"]), float(h["distance"])) for h in rows][:limit]


def _clip_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def filter_expression(where: PassageFilter | None) -> str:
    """The Milvus boolean expression on the kind and year fields for ``where`` ("" for
    none). Kinds are `curbside.domain.SourceKind` values (checked by `PassageFilter`), so
    they need no escaping; years are integers."""
    if where is None:
        return ""
    parts = []
    if where.kinds is not None:
        names = ", ".join(f'"{k}"' for k in sorted(where.kinds))
        parts.append(f"{KIND_FIELD} in [{names}]")
    if where.year_min is not None:
        parts.append(f"{YEAR_FIELD} >= {int(where.year_min)}")
    elif where.year_max is not None:
        parts.append(f"{YEAR_FIELD} >= 0")  # a bound leaves out sources with no year
    if where.year_max is not None:
        parts.append(f"{YEAR_FIELD} <= {int(where.year_max)}")
    return " and ".join(parts)


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
    engine = context.engine if context is not None else None
    return MilvusVectorIndex(
        _client(uri, token, db_name), name, dim, fingerprint, create=create, where=where,
        engine=engine,
    )
