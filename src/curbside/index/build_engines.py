"""Index build engines: what embeds the current passages missing from the dense index.

`curbside index build --engine NAME` (setting ``index_build.engine``) looks the engine up in
`curbside.registry.BUILD_ENGINES`; its factory takes the settings and returns an
`IndexBuilder`. Built in:

* ``local`` -- this process, `DenseIndex.sync` (the embedder's own threads).
* ``ray`` -- Ray Data workers on a local runtime or a cluster (`curbside.index.ray_build`;
  extra ``ray``), the driver writing into whatever vector index the dense index opens.

Every engine leaves the same index: the same ids with the same vectors, resumable after a kill
(the vector index itself records what is done: a re-run embeds what it lacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from curbside.config import Settings
    from curbside.index.dense import DenseIndex, Progress
    from curbside.registry import BuildEngineFactory, Registry

__all__ = [
    "BuildEngineError",
    "IndexBuilder",
    "LocalIndexBuilder",
    "register_builtin_build_engines",
]


class BuildEngineError(RuntimeError):
    """A build engine cannot run (not installed, bad cluster address, too few resources) or
    its workers returned something unusable; the message says which and what to do."""


@runtime_checkable
class IndexBuilder(Protocol):
    """Brings a dense index up to date with the store's current passages."""

    def build(
        self, dense: DenseIndex, *, rebuild: bool = False, progress: Progress | None = None
    ) -> int:
        """Drop retired passages, embed the missing ones (all with `rebuild`), make the index
        durable; returns how many passages were embedded."""
        ...


class LocalIndexBuilder:
    """Embeds in this process (the default engine)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def build(
        self, dense: DenseIndex, *, rebuild: bool = False, progress: Progress | None = None
    ) -> int:
        return dense.sync(progress, rebuild=rebuild)


def _ray_builder(settings: Settings) -> IndexBuilder:
    from curbside.index.ray_build import RayIndexBuilder  # imports nothing of Ray yet

    return RayIndexBuilder(settings)


def register_builtin_build_engines(registry: Registry[BuildEngineFactory]) -> None:
    """Register ``local`` and ``ray`` (`curbside.registry.BUILD_ENGINES` calls this)."""
    registry.register("local", LocalIndexBuilder)
    registry.register("ray", _ray_builder)
