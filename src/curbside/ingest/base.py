"""What every reader shares: the `Reader` protocol and small text helpers."""

from __future__ import annotations

import gzip
import html
import io
import re
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Protocol

from curbside.domain import ReadItem


class Reader(Protocol):
    """Streams records out of one file with bounded memory."""

    #: Format name used by ``curbside ingest --format``.
    format: str

    def read(self, path: Path) -> Iterator[ReadItem]:
        """Yield a `SourceRecord`, `DeleteRecord` or `RejectedRecord` per record, in file order.

        A reader never raises for one bad record: it yields a `RejectedRecord` naming the file,
        the 1-based position and, where known, the record id, then goes on. A file that cannot be
        read at all (missing, truncated beyond recovery) raises `ReaderError`.
        """
        ...


class ReaderError(Exception):
    """The file as a whole cannot be read; the message names the file."""


#: Readers' default cap on one record (``IngestSettings.max_record_bytes`` overrides it).
DEFAULT_MAX_RECORD_BYTES = 2 * 1024 * 1024


class RecordTooBig(Exception):
    """A one-record file is over the record size cap; it was not read beyond the cap."""

    def __init__(self, limit: int, head: bytes) -> None:
        super().__init__(limit)
        self.limit = limit
        self.head = head

    def reason(self, what: str = "document") -> str:
        return (f"{what} is over the record size limit of {self.limit} bytes "
                "(CURBSIDE_INGEST__MAX_RECORD_BYTES); not read")

    def excerpt(self) -> str:
        return self.head[:200].decode("utf-8", errors="replace")


def read_capped(path: Path, limit: int | None) -> bytes:
    """A whole (small) file, un-gzipped, reading at most `limit` + 1 bytes: `RecordTooBig` if
    there is more, so an oversized document never sits in memory whole."""
    with open_binary(path) as fh:
        if limit is None:
            return fh.read()
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise RecordTooBig(limit, data[:200])
    return data


# The raw (compressed) file object most recently opened by a reader in this context, so the
# ingest pipeline can show byte progress and an ETA without readers knowing about progress bars.
_current_raw: ContextVar[IO[bytes] | None] = ContextVar("curbside_current_raw", default=None)


def bytes_read() -> int:
    """Position in the raw file the current reader is reading (0 when unknown)."""
    raw = _current_raw.get()
    try:
        return raw.tell() if raw is not None and not raw.closed else 0
    except (OSError, ValueError):
        return 0


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading, transparently un-gzipping ``*.gz``."""
    raw = path.open("rb")
    _current_raw.set(raw)
    if path.suffix == ".gz":
        gz = gzip.GzipFile(fileobj=raw, mode="rb")
        gz.myfileobj = raw  # type: ignore[assignment]  # GzipFile then closes it too
        return gz  # type: ignore[return-value]
    return raw


def open_or_fail(path: Path, *, binary: bool) -> IO[Any]:
    """`open_binary`/`open_text`, raising `ReaderError` naming the file when it can't open."""
    try:
        return open_binary(path) if binary else open_text(path)
    except OSError as e:
        raise ReaderError(f"{path}: cannot open: {e}") from e


def open_text(path: Path) -> IO[str]:
    """Open a text file (``*.gz`` too) as UTF-8; undecodable bytes become U+FFFD."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace")


_WS = re.compile(r"\s+")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,200})?/?>")


def clean_text(text: str | None) -> str:
    """Decode HTML entities, drop inline markup, normalise Unicode and whitespace."""
    if not text:
        return ""
    # Tags first, entities second: a decoded "p &lt; 0.05 ... &gt; 65" must survive.
    if "<" in text:
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    return _WS.sub(" ", text).strip()


def parse_year(text: str | None) -> int | None:
    """First plausible 4-digit year in a date string ("1998 Dec-1999 Jan" -> 1998)."""
    if not text:
        return None
    m = re.search(r"(1[6-9]\d\d|20\d\d)", str(text))
    return int(m.group(1)) if m else None
