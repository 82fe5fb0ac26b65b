"""Shared fixtures: temporary Curbside homes, the development data (skips when absent)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURBSIDE_SHARED_DATA", REPO.parent / "shared" / "data"))

#: Upper bound, in seconds, on any wait for a server, a subprocess or a model answer. Tests never
#: assert on wall-clock speed: a wait ends as soon as its condition holds (or the process it
#: waits on dies), and this bound only stops a hang. CI on a busy machine (load average 14) took
#: over 60 s for one answer of the small local model. CURBSIDE_TEST_HANG_S raises it further.
HANG_S = float(os.environ.get("CURBSIDE_TEST_HANG_S", "600"))


def _hypothesis_profile() -> None:
    """No per-example deadline and no "too slow" health check: both measure wall-clock time."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # pragma: no cover - hypothesis is a dev dependency
        return
    settings.register_profile(
        "curbside", deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile("curbside")


_hypothesis_profile()


@pytest.fixture(scope="session")
def hang_s() -> float:
    """`HANG_S`: the bound for waits in tests (see there)."""
    return HANG_S


def load_benchmark(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` as a module (benchmarks import each other by name, so their
    folder goes on the path, and the module is registered for dataclasses)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def benchmark_module() -> Callable[[str], ModuleType]:
    """`load_benchmark`: a test of a benchmark script's pure helpers loads it by name."""
    return load_benchmark


def _load_web_fixtures() -> None:
    """Make tests/api/fixtures.py importable as ``curbside_web_fixtures`` (once, for every
    folder whose conftest re-exports its fixtures: api, web, browser)."""
    if "curbside_web_fixtures" in sys.modules:
        return
    path = Path(__file__).resolve().parent / "api" / "fixtures.py"
    spec = importlib.util.spec_from_file_location("curbside_web_fixtures", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["curbside_web_fixtures"] = module
    spec.loader.exec_module(module)


_load_web_fixtures()


@pytest.fixture
def shared_data() -> Path:
    """Path to ../shared/data; skips the test (with the reason) when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"development data not found at {SHARED_DATA} (needs ../shared/data)")
    return SHARED_DATA


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CURBSIDE_HOME for one test."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("CURBSIDE_HOME", str(h))
    return h


@pytest.fixture(scope="session")
def starter_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Curbside home with the bundled starter library ingested and embedded (once per run)."""
    from curbside import services
    from curbside.config import Settings

    h = tmp_path_factory.mktemp("starter-home")
    rt = services.open_runtime(Settings(home=h))
    services.ingest_starter_library(rt)
    rt.close()
    return h


@pytest.fixture
def starter_rt(starter_home: Path):  # type: ignore[no-untyped-def]
    """An open runtime over the starter library (shared database: don't ingest into it)."""
    from curbside import services
    from curbside.config import Settings

    rt = services.open_runtime(Settings(home=starter_home))
    yield rt
    rt.close()
