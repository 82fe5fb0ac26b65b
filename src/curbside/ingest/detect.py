"""Format detection and reader construction for ``curbside ingest``.

`detect_format` looks at the file name and sniffs the first few KB; `auto_mapping` recognises the
development data sets by name; `make_reader` builds the reader for a format name. Format names:
``pubmed``, ``medline``, ``jsonl``, ``json``, ``markdown``, ``html``, plus every mapping preset
name (``beir``, ``ngc``, ``cohen2006``, ``medquad``, ``pubmedqa``, ``pubmedqa-noconclusion``),
which means the JSON reader with that preset.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from curbside.ingest.base import DEFAULT_MAX_RECORD_BYTES, Reader, ReaderError, open_binary
from curbside.ingest.mappings import PRESETS, FieldMapping, get_preset

if TYPE_CHECKING:
    from curbside.registry import ReaderFactory, Registry

#: Reader formats (presets are accepted as formats too).
FORMATS: tuple[str, ...] = ("pubmed", "medline", "jsonl", "json", "markdown", "html")
_SNIFF = 4096


class UnknownFormatError(ReaderError):
    """The format of a file cannot be told, or a format name is unknown."""


def all_formats() -> list[str]:
    """Every format name `make_reader` accepts (aliases such as ``md`` aside), plugins last."""
    from curbside.registry import READERS

    builtin = builtin_readers()
    plugins = [n for n in READERS.names() if n not in builtin]
    return [*FORMATS, *sorted(PRESETS), *plugins]


def _head(path: Path, n: int = _SNIFF) -> bytes:
    try:
        with open_binary(path) as fh:
            return fh.read(n)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ReaderError(f"{path}: damaged compressed file ({exc})") from exc
    except OSError as exc:
        raise ReaderError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _suffixes(path: Path) -> tuple[str, bool]:
    """Lower-case suffix without ``.gz`` and whether the file is gzipped."""
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    dot = name.rfind(".")
    return (name[dot:] if dot > 0 else ""), gz


def _first_json_line(head: bytes) -> dict[str, object] | None:
    for raw in head.splitlines():
        if raw.strip():
            try:
                obj = json.loads(raw.decode("utf-8", "replace"))
            except json.JSONDecodeError:
                return None  # first line longer than the sniffed prefix, or bad JSON
            return obj if isinstance(obj, dict) else None
    return None


def detect_format(path: Path) -> str:
    """Format name of one file, from its extension and its first 4 KB.

    ``*.xml(.gz)`` containing ``PubmedArticle`` -> ``pubmed``; ``*.nbib`` / ``*.medline`` or
    ``*.txt`` whose first line starts ``PMID-`` -> ``medline``; ``*.jsonl(.gz)`` -> ``beir``
    when named ``corpus.jsonl`` or its first record has ``_id``, else ``jsonl``; ``*.json(.gz)``
    -> ``json``; ``*.md`` / ``*.markdown`` -> ``markdown``; ``*.html`` / ``*.htm`` / ``*.xhtml``
    -> ``html``. A directory, or anything else, raises `UnknownFormatError` (a directory's files
    are detected one by one: see `iter_input_files`); a missing file raises `ReaderError`.
    """
    path = Path(path)
    if path.is_dir():
        raise UnknownFormatError(
            f"{path}: is a directory; detect the format of each file in it (iter_input_files)"
        )
    if not path.exists():
        raise ReaderError(f"{path}: no such file")
    suffix, _gz = _suffixes(path)
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".nbib", ".medline"):
        return "medline"
    if suffix == ".json":
        return "json"
    if suffix in (".jsonl", ".ndjson"):
        if path.name.lower().startswith("corpus.jsonl"):
            return "beir"
        first = _first_json_line(_head(path))
        if first is not None and "_id" in first and ("text" in first or "title" in first):
            return "beir"
        return "jsonl"
    if suffix == ".xml":
        head = _head(path)
        if b"PubmedArticle" in head or b"PubmedBookArticle" in head:
            return "pubmed"
        raise UnknownFormatError(
            f"{path}: XML but not PubMed XML (no PubmedArticleSet in the first {_SNIFF} bytes); "
            f"known formats: {', '.join(all_formats())}"
        )
    if suffix in (".txt", ".text", ""):
        head = _head(path).lstrip(b"\xef\xbb\xbf")
        if head.lstrip().startswith(b"PMID-"):
            return "medline"
    raise UnknownFormatError(
        f"{path}: cannot tell the format (extension {suffix or 'none'!r}); pass --format, one of: "
        f"{', '.join(all_formats())}"
    )


#: File-name stems of the development data sets -> mapping preset.
_KNOWN_FILES: tuple[tuple[str, str], ...] = (
    ("guidelines_ngc", "ngc"),
    ("medline_cohen2006", "cohen2006"),
    ("medquad_answers", "medquad"),
    ("pubmedqa_pqal", "pubmedqa"),
    ("corpus", "beir"),
)


def auto_mapping(path: Path) -> FieldMapping | None:
    """The preset for a known development data file (by name), else None."""
    name = Path(path).name.lower()
    stem = name.split(".", 1)[0]
    for prefix, preset in _KNOWN_FILES:
        if stem == prefix or (prefix != "corpus" and stem.startswith(prefix)):
            if preset == "beir" and not name.startswith("corpus.jsonl"):
                continue
            return PRESETS[preset]
    return None


def _pubmed(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.pubmed_xml import PubmedXmlReader

    return PubmedXmlReader(max_record_bytes=cap)


def _medline(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.medline import MedlineTextReader

    return MedlineTextReader()


def _markdown(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.markdown import MarkdownReader

    return MarkdownReader(max_record_bytes=cap)


def _html(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.html import HtmlReader

    return HtmlReader(max_record_bytes=cap)


def _jsonl(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.jsonl import JsonlReader

    return JsonlReader(mapping, max_record_bytes=cap)


def _json(mapping: FieldMapping | None, cap: int) -> Reader:
    from curbside.ingest.jsonl import JsonObjectReader

    return JsonObjectReader(mapping)


def _preset(name: str) -> Callable[[FieldMapping | None, int], Reader]:
    """The JSON reader with preset `name` (JSON Lines, except ``pubmedqa*``: whole-file JSON)."""

    def make(mapping: FieldMapping | None, cap: int) -> Reader:
        from curbside.ingest.jsonl import JsonlReader, JsonObjectReader

        preset = mapping or get_preset(name)
        if name.startswith("pubmedqa"):
            return JsonObjectReader(preset)
        return JsonlReader(preset, max_record_bytes=cap)

    return make


def builtin_readers() -> dict[str, Callable[[FieldMapping | None, int], Reader]]:
    """The built-in readers by format name (aliases included), as `curbside.registry.READERS`
    registers them."""
    out: dict[str, Callable[[FieldMapping | None, int], Reader]] = {
        "pubmed": _pubmed, "medline": _medline, "markdown": _markdown, "md": _markdown,
        "html": _html, "htm": _html, "jsonl": _jsonl, "ndjson": _jsonl, "json": _json,
    }
    out.update({name: _preset(name) for name in PRESETS})
    return out


def make_reader(
    fmt: str,
    mapping: FieldMapping | str | None = None,
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Reader:
    """The reader for a format name (see `all_formats`), from `curbside.registry.READERS`.

    `mapping` (a `FieldMapping`, a preset name, or CLI text for `FieldMapping.parse`) is used by
    the JSON formats and ignored by the others. A preset name as `fmt` means the JSON reader with
    that preset (JSON Lines, except ``pubmedqa*`` which are whole-file JSON objects).
    `max_record_bytes` is the size cap readers apply to one record before parsing it (JSON
    Lines lines, PubMed XML records, Markdown and HTML files); the ingest pipeline checks the
    parsed text of every record against it too.
    """
    from curbside.registry import READERS, UnknownBackendError

    name = fmt.strip().lower()
    fm = FieldMapping.parse(mapping) if isinstance(mapping, str) else mapping
    try:
        factory = READERS.get(name)
    except UnknownBackendError:
        raise UnknownFormatError(
            f"unknown format {fmt!r} (one of: {', '.join(all_formats())})"
        ) from None
    return factory(fm, max_record_bytes)


_INPUT_SUFFIXES = (".xml", ".nbib", ".medline", ".txt", ".jsonl", ".ndjson", ".json", ".md",
                   ".markdown", ".html", ".htm", ".xhtml")


def iter_input_files(path: Path) -> Iterator[Path]:
    """Files of a directory (recursively, sorted, hidden ones skipped) that look ingestible."""
    path = Path(path)
    if not path.is_dir():
        yield path
        return
    for child in sorted(path.rglob("*")):
        if any(part.startswith(".") for part in child.relative_to(path).parts):
            continue
        if child.is_file() and _suffixes(child)[0] in _INPUT_SUFFIXES:
            yield child


def register_builtin_readers(reg: Registry[ReaderFactory]) -> None:
    """The built-in input formats (named by `curbside.registry.READERS`)."""
    for name, factory in builtin_readers().items():
        reg.register(name, factory)
