"""Backend registries: each pluggable kind of part is chosen by name from one `Registry`.

A registry maps a name (the value of a setting or option) to a factory. The built-in backends
are named here by reference ("module:function", the function registering them lives beside the
backends in their own package) and imported on the registry's first use, so naming a registry
costs nothing at start-up and this module imports no stage (it sits at the bottom layer). A
third-party package adds a backend with an entry point in the registry's group, e.g. in its
``pyproject.toml``::

    [project.entry-points."curbside.vector_indexes"]
    pgvector = "curbside_pgvector:open_index"

Entry points are listed on a registry's first lookup and each one is imported only when its
name is looked up (a broken plugin breaks only the setting that selects it, with an error that
names the entry point). Code may also call ``REGISTRY.register(name, factory)``. Built-in names
cannot be taken over by an entry point: the built-in wins (`Registry.names` shows each once).
See ``docs/backends.md`` for the factory each registry expects and the conformance suites.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy import Engine

    from curbside.config import EmbedderSettings, LLMSettings, Settings
    from curbside.index.build_engines import IndexBuilder
    from curbside.index.embedder import Embedder
    from curbside.index.lexical import LexicalIndex
    from curbside.index.vectors import VectorIndex
    from curbside.ingest.base import Reader
    from curbside.ingest.mappings import FieldMapping
    from curbside.llm.client import LLM
    from curbside.llm.writer import ClaimWriter
    from curbside.verify.citations import CitationVerifier

__all__ = [
    "BUILD_ENGINES",
    "EMBEDDERS",
    "LEXICAL_INDEXES",
    "LLM_CLIENTS",
    "READERS",
    "VECTOR_INDEXES",
    "WRITERS",
    "BackendError",
    "PluginError",
    "Registry",
    "UnknownBackendError",
]

F = TypeVar("F")


class BackendError(LookupError):
    """A backend cannot be found or loaded; the message says which and why."""


class UnknownBackendError(BackendError, ValueError):
    """No backend of that name: the message lists the known names and the setting to change."""


class PluginError(BackendError):
    """An entry-point plugin failed to import or is not a callable factory."""


class Registry(Generic[F]):
    """Named factories of one kind of backend: built-ins, code registrations, entry points.

    ``kind`` names the backend kind in messages ("vector index"), ``group`` is the entry-point
    group, ``setting`` names what selects a backend (shown when a name is unknown), and
    ``builtins`` (a function called with the registry, or its "package.module:function" name,
    imported then: how the built-in registries name theirs so this module imports no stage)
    registers the built-in backends on first use.
    """

    def __init__(
        self,
        kind: str,
        group: str,
        setting: str,
        builtins: str | Callable[[Registry[F]], None] | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self.setting = setting
        self._builtins = builtins
        self._ready = builtins is None
        self._loading = False
        # Web requests may look a backend up from several threads at once: no thread may see
        # a half-registered set of built-ins or import a plugin twice.
        self._lock = threading.RLock()
        self._factories: dict[str, F] = {}
        self._from_plugins: set[str] = set()
        self._entry_points: dict[str, metadata.EntryPoint] | None = None

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r})"

    def _ensure_builtins(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready or self._loading:  # done meanwhile, or register() from the loader
                return
            self._loading = True
            try:
                if isinstance(self._builtins, str):
                    module, _, function = self._builtins.partition(":")
                    getattr(importlib.import_module(module), function)(self)
                elif self._builtins is not None:
                    self._builtins(self)
            finally:
                self._loading = False
            self._ready = True

    def _plugins(self) -> dict[str, metadata.EntryPoint]:
        if self._entry_points is None:
            found: dict[str, metadata.EntryPoint] = {}
            for ep in metadata.entry_points(group=self.group):
                found.setdefault(ep.name, ep)  # the first on sys.path wins, as for imports
            self._entry_points = found
        return self._entry_points

    def register(self, name: str, factory: F, *, replace: bool = False) -> None:
        """Make `factory` the backend called `name`; a taken name needs ``replace=True``."""
        self._ensure_builtins()
        if not name or name != name.strip():
            raise ValueError(f"{self.kind} name {name!r} is empty or has surrounding spaces")
        if not callable(factory):
            raise TypeError(f"{self.kind} {name!r}: the factory must be callable")
        with self._lock:
            if name in self._factories and not replace:
                raise ValueError(
                    f"a {self.kind} called {name!r} is already registered (pass replace=True)"
                )
            self._factories[name] = factory
            self._from_plugins.discard(name)

    def unregister(self, name: str) -> None:
        """Drop the backend called `name` (`KeyError` if none); an entry point is listed again
        after `refresh`."""
        self._ensure_builtins()
        with self._lock:
            del self._factories[name]
            self._from_plugins.discard(name)

    def get(self, name: str) -> F:
        """The factory called `name`; `UnknownBackendError` (with the known names) if none,
        `PluginError` (naming the entry point) if its plugin cannot be loaded."""
        self._ensure_builtins()
        factory = self._factories.get(name)
        if factory is not None:
            return factory
        with self._lock:
            return self._load_plugin(name)

    def _load_plugin(self, name: str) -> F:
        factory = self._factories.get(name)  # another thread may have loaded it meanwhile
        if factory is not None:
            return factory
        ep = self._plugins().get(name)
        if ep is None:
            raise UnknownBackendError(
                f"unknown {self.kind} {name!r} (set by {self.setting}); known: "
                f"{', '.join(self.names()) or 'none'}"
            )
        where = f"entry point {ep.name!r} = {ep.value!r} in group {self.group!r}"
        try:
            loaded = ep.load()
        except Exception as exc:  # any import-time failure of third-party code
            raise PluginError(
                f"cannot load the {self.kind} plugin {where}: {type(exc).__name__}: {exc}"
            ) from exc
        if not callable(loaded):
            raise PluginError(f"the {self.kind} plugin {where} is not a callable factory")
        self._factories[name] = loaded
        self._from_plugins.add(name)
        return loaded  # type: ignore[no-any-return]

    def names(self) -> list[str]:
        """Every name `get` accepts (plugins listed but not imported), sorted."""
        self._ensure_builtins()
        with self._lock:
            return sorted({*self._factories, *self._plugins()})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def refresh(self) -> None:
        """Forget the entry points found so far (and the plugins loaded from them), so the
        next lookup lists them again: after installing a plugin in a running process."""
        with self._lock:
            for name in self._from_plugins:
                self._factories.pop(name, None)
            self._from_plugins.clear()
            self._entry_points = None


# -- factory signatures ----------------------------------------------------------------------

#: ``(mapping, max_record_bytes) -> Reader``; the mapping matters to the JSON formats only.
ReaderFactory = Callable[["FieldMapping | None", int], "Reader"]
#: ``(settings.embedder) -> Embedder``.
EmbedderFactory = Callable[["EmbedderSettings"], "Embedder"]
#: ``(engine, postings_budget) -> LexicalIndex``; the name is the database dialect.
LexicalIndexFactory = Callable[["Engine", int], "LexicalIndex"]
#: ``(directory, dim, fingerprint, create) -> VectorIndex``: ``create=True`` starts an empty
#: index, ``create=False`` opens the existing one (`MissingIndexError` / `StaleIndexError`).
#: A server-side index may ignore ``directory`` (it is the home's index directory for this
#: embedder and chunking fingerprint) or name its table after it. A factory that also takes a
#: keyword argument ``context`` receives a `curbside.index.vectors.VectorIndexContext` (the
#: store's engine and the settings; the built-in ``pgvector`` needs it); the others are called
#: with the four arguments only. ``retrieval.vector_index = "auto"`` picks the backend that
#: declared the database's dialect with `curbside.index.vectors.prefer_vector_index`.
VectorIndexFactory = Callable[["Path", int, str, bool], "VectorIndex"]
#: ``(settings) -> IndexBuilder``: what `curbside index build --engine NAME` runs to embed the
#: passages missing from the dense index (``settings.index_build`` holds the engine's knobs).
BuildEngineFactory = Callable[["Settings"], "IndexBuilder"]
#: ``(settings.llm) -> LLM``; raises `LLMError` when it cannot be used.
LLMClientFactory = Callable[["LLMSettings"], "LLM"]
#: ``(llm, verifier, min_claims) -> ClaimWriter``: what writes an answer with an LLM.
WriterFactory = Callable[["LLM", "CitationVerifier", int], "ClaimWriter"]


READERS: Registry[ReaderFactory] = Registry(
    "input format", "curbside.readers", "`curbside ingest --format`",
    "curbside.ingest.detect:register_builtin_readers",
)
EMBEDDERS: Registry[EmbedderFactory] = Registry(
    "embedder", "curbside.embedders", "embedder.kind (CURBSIDE_EMBEDDER__KIND)",
    "curbside.index.embedder:register_builtin_embedders",
)
LEXICAL_INDEXES: Registry[LexicalIndexFactory] = Registry(
    "lexical index", "curbside.lexical_indexes",
    "the database dialect of database_url (CURBSIDE_DATABASE_URL)",
    "curbside.index.lexical_factory:register_builtin_lexical_indexes",
)
VECTOR_INDEXES: Registry[VectorIndexFactory] = Registry(
    "vector index", "curbside.vector_indexes",
    "retrieval.vector_index (CURBSIDE_RETRIEVAL__VECTOR_INDEX)",
    "curbside.index.vectors:register_builtin_vector_indexes",
)
BUILD_ENGINES: Registry[BuildEngineFactory] = Registry(
    "index build engine", "curbside.build_engines",
    "index_build.engine (CURBSIDE_INDEX_BUILD__ENGINE, `curbside index build --engine`)",
    "curbside.index.build_engines:register_builtin_build_engines",
)
LLM_CLIENTS: Registry[LLMClientFactory] = Registry(
    "LLM client", "curbside.llm_clients", "llm.kind (CURBSIDE_LLM__KIND)",
    "curbside.llm.client:register_builtin_llm_clients",
)
WRITERS: Registry[WriterFactory] = Registry(
    "answer writer", "curbside.writers", "the writer option of `curbside ask --writer`",
    "curbside.llm.writer:register_builtin_writers",
)
