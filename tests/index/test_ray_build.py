"""`index build --engine ray` on a real local Ray runtime (2 CPUs, 2 workers, small object
store, no dashboard): the vectors equal the single-process build's, each passage is written once,
and a build stopped part-way resumes with only the ranges it had not written.

The library: the starter library plus 300 generated passages (`write_generated`), ingested
without embedding into one home per build. The builds share one runtime (`ray_runtime`, started
as the builder starts its own: a builder joins a running runtime and leaves it running); the
first tests let the builder start and stop its own, as `curbside index build --engine ray` does.
Each start costs 5-20 s here, more on a busy machine."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curbside import services
from curbside.config import IndexBuildSettings, RayBuildSettings, RetrievalSettings, Settings
from curbside.index.dense import DenseIndex
from curbside.services.runtime import Runtime

pytestmark = [pytest.mark.ray, pytest.mark.slow]

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from curbside.index.ray_build import PassageRange, RayIndexBuilder  # noqa: E402

GENERATED = 300
#: The vector backends both builds write into: the two files, and Milvus Lite where the
#: milvus extra is installed (pgvector needs PostgreSQL: its conformance suite covers writes).
BACKENDS = ["usearch", "exact"] + (
    ["milvus"]
    if importlib.util.find_spec("pymilvus") and importlib.util.find_spec("milvus_lite")
    else []
)
TOPICS = [
    "low back pain",
    "sacroiliac joint",
    "ankylosing spondylitis",
    "sciatica",
    "lumbar stenosis",
    "physiotherapy",
    "NSAIDs",
    "imaging",
    "red flags",
    "exercise",
]


def write_generated(path: Path) -> Path:
    """300 short synthetic passages (no references, no identifiers), as BEIR-style JSONL."""
    rows = []
    for i in range(GENERATED):
        a, b = TOPICS[i % len(TOPICS)], TOPICS[(i * 7 + 3) % len(TOPICS)]
        text = (
            f"Generated note {i} on {a}. It compares {a} with {b} in {i % 13 + 2} "
            f"adults followed for {i % 9 + 1} weeks. " * (1 + i % 4)
        ).strip()
        rows.append({"_id": f"gen-{i:04d}", "title": f"Generated {a} note {i}", "text": text})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def ray_settings(home: Path, vector_index: str = "auto", **ray_cfg: Any) -> Settings:
    cfg: dict[str, Any] = {"workers": 2, "cpus_per_worker": 1, "object_store_mb": 100}
    cfg.update(ray_cfg)
    return Settings(
        home=home,
        retrieval=RetrievalSettings(vector_index=vector_index),
        index_build=IndexBuildSettings(engine="ray", ray=RayBuildSettings(**cfg)),
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_generated(tmp_path_factory.mktemp("gen") / "generated.jsonl")


def open_library(home: Path, settings: Settings, generated: Path) -> Runtime:
    """A runtime over `home`, with the starter library and the generated passages ingested
    (not embedded) the first time."""
    rt = services.open_runtime(settings)
    if not rt.store.current_passage_ids():
        services.ingest_starter_library(rt, embed=False)
        services.ingest(rt, paths=[generated], fmt="jsonl", mapping="beir", embed=False)
    return rt


def stored(dense: DenseIndex) -> tuple[list[int], np.ndarray]:
    index = dense.index()
    ids = sorted(int(i) for i in index.ids())
    found, vecs = index.vectors(ids)
    assert [int(i) for i in found] == ids
    return ids, vecs


def count_writes(dense: DenseIndex) -> Counter[int]:
    """Every id passed to the vector index's `add` from now on (the driver's only write)."""
    writes: Counter[int] = Counter()
    index = dense.index()
    add = index.add

    def counting_add(ids: Any, vectors: Any) -> None:
        writes.update(int(i) for i in np.asarray(ids).reshape(-1))
        add(ids, vectors)

    index.add = counting_add  # type: ignore[method-assign]
    return writes


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, generated: Path) -> dict[str, Any]:
    """The single-process build of the library: ids and stored vectors per vector backend."""
    out: dict[str, Any] = {}
    for kind in BACKENDS:
        home = tmp_path_factory.mktemp(f"local-{kind}")
        rt = open_library(
            home, Settings(home=home, retrieval=RetrievalSettings(vector_index=kind)), generated
        )
        report = services.build_index(rt, engine="local")
        assert report["engine"] == "local" and report["missing"] == 0
        out[kind] = stored(rt.dense)
        out["current"] = rt.store.current_passage_ids()
        rt.close()
    assert len(out["current"]) > GENERATED
    return out


@pytest.fixture(autouse=True)
def _no_ray_left(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "milvus" in BACKENDS:
        from curbside.index.milvus_index import close_milvus_clients

        close_milvus_clients()
    # A builder stops the runtime it started and leaves one it joined running.
    assert ray.is_initialized() == ("ray_runtime" in request.fixturenames)


class StartFailsOnce:
    """The real `ray` module, except that the first `init` raises the bare Exception Ray raises
    when its node misses the startup deadline (a stand-in: a machine cannot be made that busy
    on purpose). Everything else is Ray's own."""

    def __init__(self) -> None:
        self.inits = 0

    def init(self, **kwargs: Any) -> Any:
        self.inits += 1
        if self.inits == 1:
            raise Exception("The current node timed out during startup.")
        return ray.init(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(ray, name)


def test_a_failed_start_is_tried_again_and_the_runtime_is_stopped_after(
    tmp_path: Path, generated: Path, reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The builder starts its own runtime (a second try after a failed one), asks it for more
    GPUs than it has -- num_gpus is passed to Ray's scheduler, and a request the cluster cannot
    meet fails with the setting named instead of waiting for GPUs that never come -- and stops
    the runtime it started."""
    from curbside.index import ray_build
    from curbside.index.build_engines import BuildEngineError

    assert not ray.is_initialized()
    flaky = StartFailsOnce()
    monkeypatch.setattr(ray_build, "import_ray", lambda: flaky)
    settings = ray_settings(tmp_path, "usearch", num_gpus=1000)
    rt = open_library(tmp_path, settings, generated)
    with pytest.raises(
        BuildEngineError, match=r"num_gpus = 1000 per worker, but the Ray cluster has \d+ GPUs"
    ):
        services.build_index(rt)
    assert flaky.inits == 2
    rt.close()


def test_a_start_that_keeps_failing_names_the_setting(tmp_path: Path) -> None:
    from curbside.index.build_engines import BuildEngineError

    class NeverStarts(StartFailsOnce):
        def init(self, **kwargs: Any) -> Any:
            self.inits += 1
            raise Exception("The current node timed out during startup.")

    never = NeverStarts()
    builder = RayIndexBuilder(ray_settings(tmp_path, start_attempts=2))
    with pytest.raises(BuildEngineError, match=r"in 2 attempts \(index_build.ray.start_attempts\)"):
        builder.connect(never)  # type: ignore[arg-type]
    assert never.inits == 2


@pytest.fixture(scope="module")
def ray_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One local runtime for the builds below, started by the builder's own `connect`."""
    home = tmp_path_factory.mktemp("ray-runtime")
    assert RayIndexBuilder(ray_settings(home)).connect(ray)
    yield
    ray.shutdown()


@pytest.mark.parametrize(
    "kind", [k if k != "milvus" else pytest.param(k, marks=pytest.mark.milvus) for k in BACKENDS]
)
def test_ray_build_equals_the_single_process_build(
    tmp_path: Path, generated: Path, reference: dict[str, Any], kind: str, ray_runtime: None
) -> None:
    settings = ray_settings(tmp_path, kind, range_passages=100)  # rounded up to 128
    rt = open_library(tmp_path, settings, generated)
    writes = count_writes(rt.dense)
    progress: list[tuple[int, int]] = []
    report = services.build_index(rt, progress=lambda d, t: progress.append((d, t)))
    assert report["engine"] == "ray"
    assert report["embedded"] == len(reference["current"]) == report["vectors"]
    assert report["missing"] == 0 and report["stale_entries"] == 0
    assert set(writes) == set(reference["current"]) and set(writes.values()) == {1}
    assert progress[-1] == (len(reference["current"]),) * 2
    ids, vecs = stored(rt.dense)
    ref_ids, ref_vecs = reference[kind]
    assert ids == ref_ids
    np.testing.assert_array_equal(vecs, ref_vecs)  # the same stored (int8 / float16) values
    # A second build finds nothing to do and starts no Ray job.
    assert services.build_index(rt)["embedded"] == 0
    rt.close()


class Stop(Exception):
    """Raised from the test seam to end a build part-way, as a kill would."""


def test_an_interrupted_ray_build_resumes_with_the_ranges_it_had_not_written(
    tmp_path: Path, generated: Path, reference: dict[str, Any], ray_runtime: None
) -> None:
    settings = ray_settings(tmp_path, "usearch", range_passages=64, checkpoint_s=0)
    rt = open_library(tmp_path, settings, generated)
    first_writes = count_writes(rt.dense)
    done: list[PassageRange] = []

    def stop_after_three(rng: PassageRange) -> None:
        done.append(rng)
        if len(done) == 3:
            raise Stop

    first = RayIndexBuilder(settings, after_range=stop_after_three)
    with pytest.raises(Stop):
        first.build(rt.dense)
    planned = sum(r.count for r in first.ranges)
    assert planned == len(reference["current"]) and len(first.ranges) > 3
    written_first = {i for r in done for i in reference["current"] if r.lo <= i <= r.hi}
    assert set(first_writes) == written_first and set(first_writes.values()) == {1}
    rt.close()

    # A new process: the index on disk holds exactly the three ranges written.
    rt = services.open_runtime(settings)
    assert {int(i) for i in rt.dense.index().ids()} == written_first
    second_writes = count_writes(rt.dense)
    second = RayIndexBuilder(settings)
    embedded = second.build(rt.dense)
    rest = set(reference["current"]) - written_first
    assert embedded == len(rest) == sum(r.count for r in second.ranges)
    assert set(second_writes) == rest and set(second_writes.values()) == {1}
    rt.close()

    rt = services.open_runtime(settings)
    ids, vecs = stored(rt.dense)
    ref_ids, ref_vecs = reference["usearch"]
    assert ids == ref_ids
    np.testing.assert_array_equal(vecs, ref_vecs)
    rt.close()
