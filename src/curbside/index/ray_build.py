"""Batch embedding on Ray Data: `curbside index build --engine ray` (extra ``ray``).

The driver (this process) plans, the workers embed, the driver writes:

1. `DenseIndex.pending` drops retired passages and lists the current passages the vector index
   lacks; `plan_ranges` cuts them into passage-id *ranges* ``lo..hi``: runs in which every
   current passage is missing (so a worker that reads "current passages with lo <= id <= hi"
   gets exactly the missing ones), at most ``range_passages`` long (shorter when that would
   leave a worker without a range) and a whole number of the
   dense index's embedding chunks (so a worker embeds the same chunks as a single-process
   build and the vectors are the same).
2. `ray.data.from_items(ranges).map_batches(RangeEmbedder, ...)`: an actor pool of
   ``workers`` actors, each with ``cpus_per_worker`` CPUs (``num_gpus`` GPUs when set), each
   opening the store and the configured embedder once, reading its ranges' texts from the
   database and returning ``(id, vector)`` rows tagged with the range and the embedder's
   fingerprint.
3. The driver gathers each range whole and adds it to the vector index the dense index opens
   (usearch file, exact, pgvector, Milvus or a plugin) -- one write per passage, from one
   process -- and flushes every ``checkpoint_s`` seconds and at the end.

Resuming needs no ledger beside the index: the vector index is the record of what is done.
After a kill the index is as of its last flush (file indexes are renamed into place whole;
server indexes write through), and a re-run embeds only what it still lacks, cut into new
ranges. A second record (a JSON list of finished ranges) could disagree with the index in the
moment between the two writes; the index cannot disagree with itself.

Workers read the database themselves, so on a cluster of several machines the database must be
reachable from every node (PostgreSQL; a SQLite file works where the workers share its
filesystem, e.g. a local runtime), and Curbside with the same embedder must be installed on
every node: the driver checks each range's embedder fingerprint against its own.
"""

from __future__ import annotations

import logging
import math
import re
import socket
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from curbside.index.build_engines import BuildEngineError
from curbside.index.dense import DenseIndex
from curbside.store.sources import SourceStore

if TYPE_CHECKING:
    from curbside.config import RayBuildSettings, Settings
    from curbside.index.dense import Progress

__all__ = [
    "INSTALL_HINT",
    "PassageRange",
    "RangeEmbedder",
    "RayIndexBuilder",
    "check_address",
    "import_ray",
    "plan_ranges",
    "range_size",
    "worker_failure",
]

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'curbside[ray]'"
_ERROR_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\w*: ")
_ADDRESS = re.compile(
    r"(?P<scheme>ray://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})"
)


@dataclass(frozen=True)
class PassageRange:
    """Current passages ``lo <= id <= hi``, ``count`` of them, all missing from the index."""

    lo: int
    hi: int
    count: int


def import_ray() -> ModuleType:
    """The ``ray`` module with Ray Data, or `BuildEngineError` with the install hint."""
    try:
        import ray
        import ray.data  # noqa: F401 - the extra ray[data], not only ray core
    except ImportError as exc:
        raise BuildEngineError(
            f"the ray build engine needs Ray Data ({exc.name or 'ray'} is not installed): "
            f"{INSTALL_HINT}"
        ) from None
    return ray


def plan_ranges(current: Sequence[int], missing: Sequence[int], size: int) -> list[PassageRange]:
    """Cut the sorted `missing` ids (a subset of the sorted `current` ids) into ranges: runs of
    ids consecutive in `current`, each at most `size` long."""
    if size < 1:
        raise ValueError("range size must be at least 1")
    if not len(missing):
        return []
    cur = np.asarray(current, dtype=np.int64)
    miss = np.asarray(missing, dtype=np.int64)
    pos = np.searchsorted(cur, miss)
    if pos.max() >= len(cur) or (cur[np.minimum(pos, len(cur) - 1)] != miss).any():
        raise ValueError("every missing passage id must be a current passage id")
    breaks = np.flatnonzero(np.diff(pos) != 1) + 1
    out: list[PassageRange] = []
    for run in np.split(miss, breaks):
        for i in range(0, len(run), size):
            part = run[i : i + size]
            out.append(PassageRange(int(part[0]), int(part[-1]), len(part)))
    return out


def check_address(address: str | None, timeout_s: float) -> None:
    """Fail fast, naming the address, when it is malformed or nothing listens there (Ray
    itself retries an unreachable head node for minutes). ``None``, ``"local"`` (start a
    runtime here) and ``"auto"`` (Ray finds the running one) are left to Ray."""
    if address is None or address in ("local", "auto"):
        return
    m = _ADDRESS.fullmatch(address.strip())
    if m is None:
        raise BuildEngineError(
            f"not a Ray address: {address!r} (use 'auto', 'HOST:PORT' of the head node, e.g. "
            "127.0.0.1:6379, or 'ray://HOST:10001' for Ray Client)"
        )
    host, port = m["host"].strip("[]"), int(m["port"])
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise BuildEngineError(
            f"no Ray head node answers at {address!r} ({exc.strerror or exc}); start one with "
            "`ray start --head` or give the right --address"
        ) from None


def range_size(cfg: RayBuildSettings, chunk: int, missing: int) -> int:
    """Passages per range: ``range_passages``, but small enough that every worker gets one,
    rounded up to whole chunks of `chunk` passages."""
    wanted = min(cfg.range_passages, math.ceil(missing / cfg.workers))
    return max(1, math.ceil(wanted / chunk)) * chunk


def _worker_settings(settings: Settings) -> Settings:
    cpus = max(1, int(settings.index_build.ray.cpus_per_worker))
    return settings.model_copy(
        update={"embedder": settings.embedder.model_copy(update={"threads": cpus})}
    )


class RangeEmbedder:
    """A Ray Data worker (one actor): embeds whole ranges of current passages.

    Opens the store and the embedder once; takes a batch of ranges (``lo``, ``hi``, ``count``
    columns) and returns one row per passage: ``id``, ``vector``, ``range_lo``,
    ``fingerprint`` (its embedder's, checked by the driver)."""

    def __init__(self, settings: Settings) -> None:
        from curbside.store.engine import make_engine

        engine = make_engine(settings.db_url)
        self.store = SourceStore(engine)
        self.dense = DenseIndex(settings, engine)
        self.fingerprint = self.dense.embedder.fingerprint

    def __call__(self, batch: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        ids: list[npt.NDArray[np.int64]] = []
        vecs: list[npt.NDArray[np.float32]] = []
        tags: list[npt.NDArray[np.int64]] = []
        for lo, hi, count in zip(batch["lo"], batch["hi"], batch["count"], strict=True):
            wanted = self.store.current_passage_ids(lo=int(lo), hi=int(hi))
            if len(wanted) != int(count):
                raise BuildEngineError(
                    f"passage range {lo}..{hi}: {count} current passages were planned, the "
                    f"database has {len(wanted)}; the library changed during the build, run "
                    "it again"
                )
            for chunk_ids, chunk_vecs in self.dense.embed_chunks(wanted):
                ids.append(chunk_ids)
                vecs.append(chunk_vecs)
                tags.append(np.full(len(chunk_ids), int(lo), dtype=np.int64))
        dim = self.dense.embedder.dim
        n = sum(len(x) for x in ids)
        return {
            "id": np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
            "vector": np.concatenate(vecs) if vecs else np.zeros((0, dim), dtype=np.float32),
            "range_lo": np.concatenate(tags) if tags else np.zeros(0, dtype=np.int64),
            "fingerprint": np.full(n, self.fingerprint),
        }


class RayIndexBuilder:
    """The ``ray`` build engine (`curbside.index.build_engines.IndexBuilder`).

    `after_range`, when given, is called with each `PassageRange` after it was added to the
    vector index (and flushed, if a checkpoint was due): progress for a caller, and the seam
    the tests use to stop a build part-way. An exception it raises ends the build without a
    final flush, leaving the index as a kill at that moment would."""

    def __init__(
        self, settings: Settings, *, after_range: Callable[[PassageRange], None] | None = None
    ) -> None:
        self.settings = settings
        self.after_range = after_range
        #: The ranges of the last `build`, in plan order (for reports and tests).
        self.ranges: list[PassageRange] = []

    @property
    def cfg(self) -> RayBuildSettings:
        return self.settings.index_build.ray

    def build(
        self, dense: DenseIndex, *, rebuild: bool = False, progress: Progress | None = None
    ) -> int:
        ray = import_ray()
        check_address(self.cfg.address, self.cfg.connect_timeout_s)
        missing = dense.pending(rebuild=rebuild)
        current = SourceStore(dense.engine).current_passage_ids() if missing else []
        size = range_size(self.cfg, dense.chunk_passages, len(missing))
        self.ranges = plan_ranges(current, missing, size)
        if not self.ranges:
            dense.save()
            return 0
        started = self.connect(ray)
        try:
            self._check_resources(ray)
            written = self._run(ray, dense, progress)
        finally:
            if started:
                ray.shutdown()
        dense.save()
        return written

    def connect(self, ray: ModuleType) -> bool:
        """Join the cluster or start a local runtime; True when this call did (and so shuts
        it down after). A local start is tried ``start_attempts`` times: Ray's node has a fixed
        30 s to register with its own control store, which a busy machine can miss (Ray then
        raises a bare ``Exception``)."""
        if ray.is_initialized():
            return False
        cfg = self.cfg
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        local = cfg.address in (None, "local")
        if local:
            kwargs["num_cpus"] = max(1, math.ceil(cfg.workers * cfg.cpus_per_worker))
            if cfg.object_store_mb is not None:
                kwargs["object_store_memory"] = cfg.object_store_mb * 1024 * 1024
        else:
            kwargs["address"] = cfg.address
        attempts = cfg.start_attempts if local else 1
        for attempt in range(1, attempts + 1):
            try:
                ray.init(**kwargs)
                return True
            except Exception as exc:  # noqa: BLE001 - Ray's startup deadline is a bare Exception
                if not local:
                    raise BuildEngineError(
                        f"could not connect to the Ray cluster at {cfg.address!r}: {exc}"
                    ) from None
                failure = exc
            ray.shutdown()  # whatever the attempt left connected
            log.warning(
                "the local Ray runtime did not start (attempt %d of %d): %s",
                attempt,
                attempts,
                failure,
            )
        raise BuildEngineError(
            f"could not start a local Ray runtime in {attempts} attempts "
            f"(index_build.ray.start_attempts): {failure}"
        )

    def _check_resources(self, ray: ModuleType) -> None:
        cfg = self.cfg
        have = ray.cluster_resources()
        cpus, gpus = float(have.get("CPU", 0)), float(have.get("GPU", 0))
        if cfg.workers * cfg.cpus_per_worker > cpus:
            raise BuildEngineError(
                f"the Ray cluster has {cpus:g} CPUs; {cfg.workers} workers x "
                f"{cfg.cpus_per_worker:g} CPUs each (index_build.ray.workers, cpus_per_worker) "
                "do not fit"
            )
        if cfg.num_gpus and cfg.workers * cfg.num_gpus > gpus:
            raise BuildEngineError(
                f"index_build.ray.num_gpus = {cfg.num_gpus:g} per worker, but the Ray cluster "
                f"has {gpus:g} GPUs for {cfg.workers} workers; set num_gpus to 0 or use a "
                "cluster with GPUs"
            )

    def _run(self, ray: ModuleType, dense: DenseIndex, progress: Progress | None) -> int:
        cfg = self.cfg
        ray.data.DataContext.get_current().enable_progress_bars = False
        ds = ray.data.from_items(
            [{"lo": r.lo, "hi": r.hi, "count": r.count} for r in self.ranges],
            override_num_blocks=len(self.ranges),  # one range a block: spread over workers
        ).map_batches(
            RangeEmbedder,
            fn_constructor_args=(_worker_settings(self.settings),),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=cfg.workers),
            num_cpus=cfg.cpus_per_worker,
            num_gpus=cfg.num_gpus,
        )
        collector = _RangeCollector(self.ranges, dense.embedder.fingerprint)
        total = sum(r.count for r in self.ranges)
        written = 0
        last_flush = time.monotonic()
        batches = _batches(ray, ds)
        try:
            for batch in batches:
                for rng, ids, vecs in collector.add(batch):
                    dense.add_vectors(ids, vecs)
                    written += rng.count
                    if time.monotonic() - last_flush >= cfg.checkpoint_s:
                        dense.save()
                        last_flush = time.monotonic()
                    if progress:
                        progress(written, total)
                    if self.after_range:
                        self.after_range(rng)
        finally:
            # Stops the dataset's actors now, not when the generator is collected: a traceback
            # that holds this frame would keep them (and their CPUs) on a cluster that stays up.
            batches.close()
        collector.check_complete()
        return written


def _batches(ray: ModuleType, ds: Any) -> Generator[dict[str, npt.NDArray[Any]], None, None]:
    """The dataset's output blocks; a worker's failure becomes a `BuildEngineError` that
    quotes it (Ray's own is a remote traceback several screens long)."""
    try:
        yield from ds.iter_batches(batch_size=None, batch_format="numpy")
    except ray.exceptions.RayError as exc:
        raise BuildEngineError(
            f"a Ray worker failed: {worker_failure(str(exc))}; the vector index keeps every "
            "range written before its last flush: run the build again to resume"
        ) from None


def worker_failure(report: str) -> str:
    """The worker's own ``Type: message`` line from a Ray task error's text."""
    for line in report.splitlines():
        if _ERROR_LINE.match(line) and not line.startswith("ray."):
            return line.strip()
    return report.strip().splitlines()[-1] if report.strip() else "no message"


class _RangeCollector:
    """Gathers the rows of each range (a block may hold part of one, or several) and hands a
    range over once, whole."""

    def __init__(self, ranges: Sequence[PassageRange], fingerprint: str) -> None:
        self.planned = {r.lo: r for r in ranges}
        self.fingerprint = fingerprint
        self.parts: dict[int, list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]] = {}
        self.rows: dict[int, int] = {}
        self.done: set[int] = set()

    def add(
        self, batch: dict[str, npt.NDArray[Any]]
    ) -> list[tuple[PassageRange, npt.NDArray[np.int64], npt.NDArray[np.float32]]]:
        fps = {str(f) for f in batch["fingerprint"]}
        if fps - {self.fingerprint}:
            raise BuildEngineError(
                f"a Ray worker embedded with embedder fingerprint {sorted(fps)!r}, this process "
                f"with {self.fingerprint!r}: install the same Curbside and embedder model on "
                "every node"
            )
        tags = np.asarray(batch["range_lo"], dtype=np.int64)
        out = []
        for lo in (int(x) for x in np.unique(tags)):
            rng = self.planned.get(lo)
            if rng is None:
                raise BuildEngineError(f"a Ray worker returned an unplanned passage range {lo}")
            if lo in self.done:  # a retried task's output: the range is written already
                log.warning("passage range %d..%d came back twice; written once", lo, rng.hi)
                continue
            sel = tags == lo
            self.parts.setdefault(lo, []).append(
                (
                    np.asarray(batch["id"][sel], dtype=np.int64),
                    np.asarray(batch["vector"][sel], dtype=np.float32),
                )
            )
            self.rows[lo] = self.rows.get(lo, 0) + int(sel.sum())
            if self.rows[lo] > rng.count:
                raise BuildEngineError(f"passage range {lo}..{rng.hi}: more rows than passages")
            if self.rows[lo] == rng.count:
                pieces = self.parts.pop(lo)
                self.done.add(lo)
                out.append(
                    (
                        rng,
                        np.concatenate([p[0] for p in pieces]),
                        np.concatenate([p[1] for p in pieces]),
                    )
                )
        return out

    def check_complete(self) -> None:
        left = [r for lo, r in self.planned.items() if lo not in self.done]
        if left:
            raise BuildEngineError(
                f"the Ray job ended with {len(left)} passage ranges unreturned (first "
                f"{left[0].lo}..{left[0].hi}); run the build again to embed them"
            )
