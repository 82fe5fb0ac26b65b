"""Index build engines without a Ray runtime: the registry, range planning, the address check,
the install hint, and the CLI's errors. The Ray builds themselves are in test_ray_build.py."""

from __future__ import annotations

import builtins
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from curbside.config import IndexBuildSettings, RayBuildSettings, Settings
from curbside.index.build_engines import BuildEngineError, IndexBuilder, LocalIndexBuilder
from curbside.index.ray_build import (
    PassageRange,
    check_address,
    import_ray,
    plan_ranges,
    range_size,
    worker_failure,
)
from curbside.registry import BUILD_ENGINES, UnknownBackendError


def test_registry_names_the_built_in_engines(tmp_path: Path) -> None:
    assert {"local", "ray"} <= set(BUILD_ENGINES.names())
    settings = Settings(home=tmp_path)
    assert isinstance(BUILD_ENGINES.get("local")(settings), LocalIndexBuilder)
    builder = BUILD_ENGINES.get("ray")(settings)  # no Ray import until it builds
    assert isinstance(builder, IndexBuilder)
    with pytest.raises(UnknownBackendError, match="index_build.engine"):
        BUILD_ENGINES.get("dask")


def test_plan_ranges_are_runs_of_missing_ids_cut_to_size() -> None:
    current = [1, 2, 3, 5, 8, 9, 10, 11, 12, 20]
    missing = [1, 2, 3, 8, 9, 10, 11, 20]  # 5 and 12 are in the index already
    ranges = plan_ranges(current, missing, 3)
    assert ranges == [
        PassageRange(1, 3, 3),
        PassageRange(8, 10, 3),
        PassageRange(11, 11, 1),  # the run stops before 12, which is not missing
        PassageRange(20, 20, 1),
    ]
    # Every missing id is in exactly one range; no current id outside `missing` is inside one.
    covered = [i for r in ranges for i in current if r.lo <= i <= r.hi]
    assert covered == missing
    assert plan_ranges(current, [], 3) == []
    assert plan_ranges(current, current, 100) == [PassageRange(1, 20, 10)]


def test_range_size_gives_every_worker_a_range_in_whole_chunks() -> None:
    cfg = RayBuildSettings(workers=2, range_passages=4096)
    assert range_size(cfg, 64, 100_000) == 4096
    assert range_size(cfg, 64, 612) == 320  # 306 per worker, rounded up to 5 chunks of 64
    assert range_size(RayBuildSettings(workers=2, range_passages=100), 64, 491) == 128
    assert range_size(cfg, 64, 1) == 64


def test_worker_failure_quotes_the_workers_own_error() -> None:
    # The text of a RayTaskError(UserCodeException) as Ray 2.60 raised it for a worker error.
    report = (
        "\x1b[36mray::MapWorker(MapBatches(RangeEmbedder)).submit()\x1b[39m (pid=29491, "
        "ip=192.0.2.2, actor_id=dce1, repr=MapWorker(MapBatches(RangeEmbedder)))\n"
        '  File "/x/futures/_base.py", line 449, in result\n'
        "    return self.__get_result()\n"
        '  File "/x/ray_build.py", line 6, in __call__\n'
        "    raise BuildEngineError(...)\n"
        "curbside.index.build_engines.BuildEngineError: passage range 5..9: 3 current "
        "passages were planned, the database has 2\n"
        "The above exception was the direct cause of the following exception:\n"
        "ray.exceptions.UserCodeException: failed to process the following batch\n"
    )
    assert worker_failure(report) == (
        "curbside.index.build_engines.BuildEngineError: passage range 5..9: 3 current "
        "passages were planned, the database has 2"
    )
    assert worker_failure("something odd\nlast words") == "last words"


def test_plan_ranges_rejects_ids_that_are_not_current() -> None:
    with pytest.raises(ValueError, match="current passage"):
        plan_ranges([1, 2, 3], [2, 4], 10)
    with pytest.raises(ValueError, match="at least 1"):
        plan_ranges([1], [1], 0)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_check_address_names_a_malformed_or_silent_address() -> None:
    for ok in (None, "auto", "local"):
        check_address(ok, 1.0)  # left to Ray
    with pytest.raises(BuildEngineError, match="not a Ray address: 'http://head:6379'"):
        check_address("http://head:6379", 1.0)
    with pytest.raises(BuildEngineError, match="not a Ray address"):
        check_address("head-node", 1.0)
    port = _closed_port()
    with pytest.raises(BuildEngineError, match=f"no Ray head node answers at '127.0.0.1:{port}'"):
        check_address(f"127.0.0.1:{port}", 5.0)
    with pytest.raises(BuildEngineError, match="no Ray head node answers"):
        check_address(f"ray://127.0.0.1:{port}", 5.0)


def test_missing_ray_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_ray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(BuildEngineError, match=r"pip install 'curbside\[ray\]'"):
        import_ray()


def test_cli_bad_address_and_unknown_engine(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`index build --engine ray --address` with nothing there fails at once, naming it; an
    unknown engine is a usage error listing the known ones. Nothing is embedded."""
    pytest.importorskip("ray.data")
    from curbside import services
    from curbside.cli import app

    rt = services.open_runtime(Settings(home=home))
    services.ingest_starter_library(rt, embed=False)
    rt.close()
    runner = CliRunner()
    port = _closed_port()
    out = runner.invoke(
        app, ["index", "build", "--engine", "ray", "--address", f"127.0.0.1:{port}"]
    )
    assert out.exit_code == 1, out.output
    assert f"no Ray head node answers at '127.0.0.1:{port}'" in " ".join(out.output.split())
    out = runner.invoke(app, ["index", "build", "--engine", "dask"])
    assert out.exit_code == 2, out.output
    assert "unknown index build engine 'dask'" in " ".join(out.output.split())
    assert "known: local, ray" in " ".join(out.output.split())
    assert "embedding" not in out.output  # refused before any progress was shown
    rt = services.open_runtime(Settings(home=home))
    assert services.index_status(rt)["vectors"] == 0
    rt.close()


def test_settings_carry_the_engine_and_its_ray_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_INDEX_BUILD__ENGINE", "ray")
    monkeypatch.setenv("CURBSIDE_INDEX_BUILD__RAY__WORKERS", "4")
    monkeypatch.setenv("CURBSIDE_INDEX_BUILD__RAY__NUM_GPUS", "1")
    s = Settings()
    assert s.index_build.engine == "ray"
    assert s.index_build.ray.workers == 4 and s.index_build.ray.num_gpus == 1.0
    assert IndexBuildSettings().engine == "local"
    assert RayBuildSettings().address is None
    # The build engine does not shape vectors: changing it never asks for a rebuild.
    assert s.fingerprint() == Settings(index_build=IndexBuildSettings()).fingerprint()


def test_cli_options_reach_the_engine_through_the_registry(home: Path) -> None:
    """`--engine NAME` looks up BUILD_ENGINES (here a stand-in engine registered for the test,
    which records its settings and embeds nothing); `--address` and `--workers` override the
    settings it is built with."""
    from curbside.cli import app

    seen: list[Settings] = []

    class RecordingBuilder:
        def __init__(self, settings: Settings) -> None:
            seen.append(settings)

        def build(self, dense: Any, *, rebuild: bool = False, progress: Any = None) -> int:
            return 0

    BUILD_ENGINES.register("recording", RecordingBuilder)
    try:
        out = CliRunner().invoke(
            app, ["index", "build", "--engine", "recording", "--address", "auto", "--workers", "3"]
        )
    finally:
        BUILD_ENGINES.unregister("recording")
    assert out.exit_code == 0, out.output
    assert "embedded 0 passages (recording)" in out.output
    assert [(s.index_build.ray.address, s.index_build.ray.workers) for s in seen] == [("auto", 3)]
