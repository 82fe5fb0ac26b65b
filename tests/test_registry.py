"""The backend registries: built-ins by name, code registration, clear errors."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest

from curbside import registry
from curbside.ingest.base import Reader
from curbside.ingest.detect import UnknownFormatError, all_formats, make_reader
from curbside.ingest.mappings import FieldMapping
from curbside.ingest.markdown import MarkdownReader
from curbside.registry import READERS, Registry, UnknownBackendError

BUILTINS = {
    "READERS": {"pubmed", "medline", "jsonl", "json", "markdown", "html", "beir", "md"},
    "EMBEDDERS": {"onnx-minilm", "sentence-transformers", "openai"},
    "LEXICAL_INDEXES": {"sqlite", "postgresql"},
    "VECTOR_INDEXES": {"usearch", "exact"},
    "LLM_CLIENTS": {"openai-compatible"},
    "WRITERS": {"llm"},
}


@pytest.mark.parametrize(("attr", "names"), sorted(BUILTINS.items()))
def test_builtins_are_registered_by_name(attr: str, names: set[str]) -> None:
    reg: Registry[Any] = getattr(registry, attr)
    assert names <= set(reg.names())
    assert reg.group.startswith("curbside.") and reg.group.endswith("s")
    for name in names:
        assert callable(reg.get(name))


def test_a_reader_registered_in_code_is_a_format() -> None:
    def notes(mapping: FieldMapping | None, cap: int) -> Reader:
        return MarkdownReader(max_record_bytes=cap)

    READERS.register("notes", notes)
    try:
        reader = make_reader(" Notes ", max_record_bytes=4096)
        assert isinstance(reader, MarkdownReader)
        assert all_formats()[-1] == "notes"
    finally:
        READERS.unregister("notes")
    with pytest.raises(UnknownFormatError, match="unknown format 'notes'"):
        make_reader("notes")
    assert "notes" not in all_formats()


def test_unknown_dialect_has_no_lexical_index() -> None:
    from curbside.index.lexical_factory import make_lexical_index

    engine = SimpleNamespace(dialect=SimpleNamespace(name="mysql"))
    with pytest.raises(ValueError, match=r"'mysql' database.*known: postgresql, sqlite"):
        make_lexical_index(engine)  # type: ignore[arg-type]


def test_names_must_be_clean_and_unknown_names_say_where_they_come_from() -> None:
    reg: Registry[Any] = Registry("widget", "curbside.tests.widgets", "widget.kind (W)")
    with pytest.raises(ValueError, match="spaces"):
        reg.register(" a", print)
    with pytest.raises(UnknownBackendError, match=r"unknown widget 'b' \(set by widget.kind "
                       r"\(W\)\); known: none"):
        reg.get("b")
    with pytest.raises(KeyError):
        reg.unregister("b")


def test_a_lookup_during_the_builtins_load_waits_for_it(hang_s: float) -> None:
    started, release = threading.Event(), threading.Event()

    def builtins(reg: Registry[Any]) -> None:
        started.set()
        release.wait()
        reg.register("x", print)

    reg: Registry[Any] = Registry("widget", "curbside.tests.widgets", "W", builtins)
    got: list[object] = []
    first = threading.Thread(target=lambda: got.append(reg.get("x")))
    first.start()
    assert started.wait(hang_s), "the built-ins loader never ran"
    second = threading.Thread(target=lambda: got.append(reg.get("x")))
    second.start()
    release.set()
    first.join(hang_s)
    second.join(hang_s)
    assert got == [print, print]


def test_builtins_named_by_reference_load_on_first_use() -> None:
    """The built-in registries name their loader as "module:function" so that
    `curbside.registry` imports no stage; the module is imported on the first lookup."""
    reg: Registry[Any] = Registry(
        "vector index", "curbside.tests.none", "W",
        "curbside.index.vectors:register_builtin_vector_indexes",
    )
    assert reg.names() == ["exact", "milvus", "pgvector", "usearch"]
