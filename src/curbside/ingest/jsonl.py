"""JSON readers: JSON Lines (streamed line by line) and whole-file JSON (small files only).

Both apply a `FieldMapping` (``curbside.ingest.mappings``) to every object.

Encoding: lines are decoded as UTF-8; invalid bytes are replaced by U+FFFD (as `open_text` does)
rather than losing the record, and the record's ``meta["utf8_replaced"]`` says how many characters
were replaced so a reviewer can find them.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from curbside.domain import ReadItem, RejectedRecord, SourceRecord
from curbside.ingest.base import DEFAULT_MAX_RECORD_BYTES, ReaderError, open_binary
from curbside.ingest.mappings import FieldMapping, map_record

_EXCERPT = 200
#: `JsonObjectReader` loads the whole file; refuse anything bigger than this (bytes on disk).
MAX_JSON_BYTES = 256 * 1024 * 1024
_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, limit: int = 48) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-") or "x"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ReaderError(f"{path}: no such file")
    if path.is_dir():
        raise ReaderError(f"{path}: is a directory, not a file")


class _Deduper:
    """Makes ids unique within one file when the mapping asks for it (keeps the ids seen)."""

    def __init__(self, mapping: FieldMapping) -> None:
        self.active = mapping.on_duplicate_id == "suffix"
        self.seen: set[str] = set()

    def __call__(self, rec: SourceRecord) -> None:
        if not self.active:
            return
        eid = rec.external_id
        if eid in self.seen:
            base = f"{eid}~{_slug(rec.title)}"
            eid, n = base, 2
            while eid in self.seen:
                eid, n = f"{base}-{n}", n + 1
            rec.meta["duplicate_of"] = rec.external_id
            rec.external_id = eid
        self.seen.add(eid)


def _bounded_lines(fh: IO[bytes], limit: int) -> Iterator[tuple[bytes, int]]:
    """Lines of at most `limit` bytes as ``(line, 0)``; a longer one as ``(its first bytes,
    its length)``, skipped through in 1 MiB steps so it never sits in memory whole."""
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw, 0
            continue
        size = len(raw)
        head = raw[:_EXCERPT]
        del raw
        while True:
            more = fh.readline(1 << 16)
            size += len(more)
            if not more:
                break
            if more.endswith(b"\n"):
                size -= 1  # the newline is not part of the record
                break
        yield head, size


class JsonlReader:
    """Streams ``*.jsonl`` / ``*.jsonl.gz``: one JSON object per line, mapped by a `FieldMapping`.

    Blank lines are skipped. A line that is not valid JSON, not an object, has no id or no text
    yields a `RejectedRecord` naming the file and the 1-based line number.
    """

    format: str = "jsonl"

    def __init__(
        self, mapping: FieldMapping | None = None, *,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    ) -> None:
        self.mapping = mapping or FieldMapping()
        self.max_record_bytes = max_record_bytes

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        _check_file(path)
        origin = str(path)
        dedupe = _Deduper(self.mapping)
        try:
            fh = open_binary(path)
        except OSError as exc:
            raise ReaderError(f"{path}: cannot open ({exc.strerror or exc})") from exc
        lineno = 0
        limit = self.max_record_bytes
        try:
            with fh:
                for lineno, (raw, size) in enumerate(_bounded_lines(fh, limit), start=1):
                    if size:
                        yield RejectedRecord(
                            origin, lineno,
                            f"line is {size} bytes, over the record size limit of {limit} "
                            "(CURBSIDE_INGEST__MAX_RECORD_BYTES); not parsed",
                            excerpt=raw[:_EXCERPT].decode("utf-8", errors="replace"),
                        )
                        continue
                    item = self._line(raw, origin, lineno)
                    if item is None:
                        continue
                    if isinstance(item, SourceRecord):
                        dedupe(item)
                    yield item
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise ReaderError(
                f"{path}: compressed stream is damaged or truncated after line {lineno} ({exc})"
            ) from exc
        except OSError as exc:
            raise ReaderError(f"{path}: read failed after line {lineno} ({exc})") from exc

    def _line(self, raw: bytes, origin: str, lineno: int) -> ReadItem | None:
        if not raw.strip():
            return None
        replaced = 0
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("utf-8", errors="replace")
            replaced = line.count("\ufffd") - raw.decode("utf-8", "ignore").count("\ufffd")
        line = line.lstrip("\ufeff")
        try:
            obj: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            return RejectedRecord(origin, lineno,
                                  f"invalid JSON: {exc.msg} at column {exc.colno}",
                                  excerpt=line.strip()[:_EXCERPT])
        except RecursionError:
            return RejectedRecord(origin, lineno, "invalid JSON: nested too deeply",
                                  excerpt=line.strip()[:_EXCERPT])
        item = map_record(obj, self.mapping, origin_file=origin, position=lineno)
        if replaced and isinstance(item, SourceRecord):
            item.meta["utf8_replaced"] = replaced
        return item


class JsonObjectReader:
    """Reads one ``*.json`` / ``*.json.gz`` document with `json.load` (not streamed).

    Accepted shapes: an object keyed by record id whose values are objects (PubMedQA: the key is
    available to the mapping as the field ``__key__``), a list of objects, or a single record
    object. Because the whole document is loaded, files over `max_bytes` on disk (default 256 MB)
    raise `ReaderError`: convert big collections to JSON Lines and use `JsonlReader`.
    Positions are the 1-based index of the record in the object / list.
    """

    format: str = "json"

    def __init__(self, mapping: FieldMapping | None = None, *,
                 max_bytes: int = MAX_JSON_BYTES) -> None:
        self.mapping = mapping or FieldMapping()
        self.max_bytes = max_bytes

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        _check_file(path)
        size = path.stat().st_size
        limit = self.max_bytes // 8 if path.suffix == ".gz" else self.max_bytes
        if size > limit:
            raise ReaderError(
                f"{path}: {size} bytes is too big for the whole-file JSON reader "
                f"(limit {limit}); convert it to JSON Lines and read it with format 'jsonl'"
            )
        try:
            with open_binary(path) as fh:
                data = fh.read()
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise ReaderError(f"{path}: compressed stream is damaged or truncated ({exc})") from exc
        except OSError as exc:
            raise ReaderError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        try:
            doc: Any = json.loads(data.decode("utf-8", errors="replace").lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise ReaderError(
                f"{path}: invalid JSON document: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        del data
        origin = str(path)
        dedupe = _Deduper(self.mapping)
        items: Iterator[tuple[int, Any]]
        if isinstance(doc, list):
            items = enumerate(doc, start=1)
        elif isinstance(doc, dict):
            if doc and all(isinstance(v, dict) for v in doc.values()):
                items = (
                    (i, {**v, "__key__": k}) for i, (k, v) in enumerate(doc.items(), start=1)
                )
            else:
                items = iter([(1, doc)])
        else:
            raise ReaderError(
                f"{path}: expected a JSON object or list of records, got {type(doc).__name__}"
            )
        for pos, obj in items:
            item = map_record(obj, self.mapping, origin_file=origin, position=pos)
            if isinstance(item, SourceRecord):
                dedupe(item)
            yield item
