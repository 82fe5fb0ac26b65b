"""Markdown reader: one guideline / evidence-note document per ``*.md`` file.

YAML front matter gives the bibliographic data (``external_id``, ``kind``, ``title``,
``container``, ``container_abbrev``, ``year``, ``authors``, ``pmid``, ``doi``, ``url``,
``publication_types``, ``mesh_terms``, ``language``, ``retracted``); any other key goes to
``meta``. Without ``external_id`` the id is ``pmid:<pmid>``, else ``doi:<doi>``, else
``file:<stem>``. Headings ``#``-``###`` become section labels (upper-cased); deeper headings,
paragraphs, list items and table rows under them become the section text. List items, table rows
and deeper headings get a final period when they have no terminal punctuation, so sentence
splitting works. A first ``# Heading`` before any other heading is the document title (used when
the front matter has none) and not a section label. Code blocks and raw HTML are skipped.
The file is read whole (documents are small).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from curbside.domain import ReadItem, RejectedRecord, Section, SourceKind, SourceRecord
from curbside.ingest.base import (
    DEFAULT_MAX_RECORD_BYTES,
    ReaderError,
    RecordTooBig,
    clean_text,
    parse_year,
    read_capped,
)
from curbside.ingest.evidence import classify_source

_TERMINAL = re.compile(r"[.!?:;\u2026][\"'\u201d\u2019)\]]*$")
_EXCERPT = 200

#: Front-matter / document-metadata keys that map onto `SourceRecord` attributes.
KNOWN_KEYS = frozenset({
    "external_id", "kind", "title", "container", "container_abbrev", "year", "authors", "pmid",
    "doi", "url", "publication_types", "mesh_terms", "mesh", "language", "retracted",
})


def ensure_terminal_punctuation(text: str) -> str:
    """Append a period when `text` does not end a sentence already ("Give aspirin" -> "...n.")."""
    text = text.rstrip()
    if not text or _TERMINAL.search(text):
        return text
    return text + "."


def read_document_text(path: Path, max_bytes: int | None = None) -> str:
    """Whole file as text (UTF-8, invalid bytes replaced); `ReaderError` if it cannot be read,
    `RecordTooBig` if it is over `max_bytes`."""
    path = Path(path)
    if not path.exists():
        raise ReaderError(f"{path}: no such file")
    if path.is_dir():
        raise ReaderError(f"{path}: is a directory, not a file")
    try:
        data = read_capped(path, max_bytes)
    except (OSError, EOFError) as exc:
        raise ReaderError(f"{path}: cannot read ({exc})") from exc
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _json_safe(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(";") if isinstance(value, str) else (
        list(value) if isinstance(value, (list, tuple)) else [value])
    return [t for t in (clean_text(str(v)) for v in items if v is not None) if t]


def build_document_record(
    meta: Mapping[str, Any],
    *,
    sections: list[Section],
    title_fallback: str,
    path: Path,
) -> SourceRecord | RejectedRecord:
    """A `SourceRecord` from document metadata (front matter or equivalent) and parsed sections.

    Shared by the Markdown and HTML readers; one document per file, position 1.
    """
    origin = str(path)

    def text(key: str) -> str:
        value = meta.get(key)
        if value is None or isinstance(value, (dict, list)):
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean_text(str(value))

    title = text("title") or clean_text(title_fallback)
    pmid = text("pmid")
    if pmid and not pmid.isdigit():
        return RejectedRecord(origin, 1, f"pmid {pmid!r} is not numeric",
                              record_id=text("external_id") or None)
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", text("doi"), flags=re.I)
    external_id = text("external_id")
    if not external_id:
        external_id = (f"pmid:{pmid}" if pmid else f"doi:{doi}" if doi
                       else f"file:{path.name.split('.')[0]}")
    elif ":" not in external_id:
        external_id = f"doc:{external_id}"
    if not title:
        title = path.name.split(".")[0].replace("_", " ").replace("-", " ").strip()
    if not sections:
        return RejectedRecord(origin, 1, "document has no text", record_id=external_id,
                              excerpt=title[:_EXCERPT])

    kind_raw = text("kind").lower().replace(" ", "_").replace("-", "_")
    pts = _str_list(meta.get("publication_types"))
    hint: SourceKind | None = None
    if kind_raw:
        try:
            hint = SourceKind(kind_raw)
        except ValueError:
            kinds = ", ".join(k.value for k in SourceKind)
            return RejectedRecord(origin, 1, f"unknown kind {kind_raw!r} (one of: {kinds})",
                                  record_id=external_id)
    year_value = meta.get("year")
    if year_value is None and meta.get("date") is not None:
        year_value = meta.get("date")
    year = parse_year(str(year_value)) if year_value is not None else None
    mesh = _str_list(meta.get("mesh_terms") if meta.get("mesh_terms") is not None
                     else meta.get("mesh"))
    extra = {str(k): _json_safe(v) for k, v in meta.items() if k not in KNOWN_KEYS}
    retracted = meta.get("retracted")
    return SourceRecord(
        external_id=external_id,
        title=title,
        sections=sections,
        kind=classify_source(pts, title=title, hint=hint),
        container=text("container") or None,
        container_abbrev=text("container_abbrev") or None,
        year=year,
        authors=_str_list(meta.get("authors")),
        pmid=pmid or None,
        doi=doi or None,
        url=text("url") or None,
        publication_types=pts,
        mesh_terms=mesh,
        language=text("language") or None,
        retracted=retracted is True or str(retracted).lower() in {"true", "yes", "1"},
        meta=extra,
        origin_file=origin,
        origin_position=1,
    )


class SectionBuilder:
    """Collects labelled blocks in document order; empty sections are dropped."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.label: str | None = None
        self.blocks: list[str] = []

    def start(self, label: str | None) -> None:
        self.flush()
        self.label = label

    def add(self, text: str, *, sentence: bool = False) -> None:
        text = clean_text(text)
        if text:
            self.blocks.append(ensure_terminal_punctuation(text) if sentence else text)

    def flush(self) -> None:
        if self.blocks:
            self.sections.append(Section("\n".join(self.blocks), self.label))
        self.blocks = []


def _inline_text(token: Token) -> str:
    """Plain text of an inline token: emphasis/links unwrapped, images by alt, HTML dropped."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


class MarkdownReader:
    """Reads one Markdown document (with optional YAML front matter) into one `SourceRecord`."""

    format: str = "markdown"

    def __init__(self, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        self._md = MarkdownIt("commonmark").enable("table")
        self.max_record_bytes = max_record_bytes

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        try:
            raw = read_document_text(path, self.max_record_bytes)
        except RecordTooBig as big:
            yield RejectedRecord(str(path), 1, big.reason(), excerpt=big.excerpt())
            return
        try:
            post = frontmatter.loads(raw)
        except yaml.YAMLError as exc:
            yield RejectedRecord(str(path), 1, f"invalid YAML front matter: {exc}",
                                 excerpt=raw[:_EXCERPT])
            return
        except Exception as exc:  # the front matter library raises assorted types
            yield RejectedRecord(str(path), 1, f"unreadable front matter: {exc}",
                                 excerpt=raw[:_EXCERPT])
            return
        meta = post.metadata
        if not isinstance(meta, Mapping):
            yield RejectedRecord(str(path), 1, "front matter is not a mapping of keys to values",
                                 excerpt=raw[:_EXCERPT])
            return
        sections, doc_title = self.parse_body(post.content)
        yield build_document_record(meta, sections=sections, title_fallback=doc_title, path=path)

    def parse_body(self, text: str) -> tuple[list[Section], str]:
        """Sections and the ``# Title`` heading (empty if none) of a Markdown body."""
        tokens = self._md.parse(text)
        out = SectionBuilder()
        doc_title = ""
        seen_heading = False
        list_depth = 0
        heading: str | None = None  # tag of the heading being read
        row: list[str] | None = None
        for tok in tokens:
            if tok.type == "heading_open":
                heading = tok.tag
            elif tok.type == "heading_close":
                heading = None
            elif tok.type in ("bullet_list_open", "ordered_list_open"):
                list_depth += 1
            elif tok.type in ("bullet_list_close", "ordered_list_close"):
                list_depth -= 1
            elif tok.type == "tr_open":
                row = []
            elif tok.type == "tr_close":
                if row and any(row):
                    out.add("; ".join(c for c in row if c), sentence=True)
                row = None
            elif tok.type == "inline":
                content = clean_text(_inline_text(tok))
                if heading is not None:
                    level = int(heading[1])
                    if level == 1 and not seen_heading and not doc_title:
                        doc_title = content
                        out.start(None)
                    elif level <= 3:
                        out.start(content.upper() or None)
                    else:
                        out.add(content, sentence=True)
                    seen_heading = True
                elif row is not None:
                    row.append(content)
                else:
                    out.add(content, sentence=list_depth > 0)
        out.flush()
        return out.sections, doc_title
