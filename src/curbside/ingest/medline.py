"""MEDLINE text reader (PubMed "MEDLINE" / ``.nbib`` export, ``.txt``, ``.gz`` too).

Format: records separated by blank lines, each starting at ``PMID-``; every field line is a
4-character left-aligned tag, ``-`` and a space (``TI  - Title``), and long values continue on
lines indented by six spaces. The file is streamed line by line; only one record is held at a
time. Undecodable bytes become U+FFFD (see `open_text`).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from curbside.domain import ReadItem, RejectedRecord, Section, SourceRecord
from curbside.ingest.base import ReaderError, open_or_fail, parse_year
from curbside.ingest.evidence import classify_source

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_WS = re.compile(r"\s+")
_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3}) {0,2}-(?: (.*))?$")
_PMID_REF = re.compile(r"PMID:\s*(\d+)")
# A structured-abstract label: upper-case words ("MATERIALS AND METHODS", "QUESTIONS/PURPOSES",
# "SETTING & PARTICIPANTS") followed by ": ", at the start or right after a sentence end.
_LABEL = re.compile(
    r"(?:^|(?<=[.?!)\]]\s))([A-Z][A-Z0-9]*(?:(?: |, | & |/|-)[A-Z0-9]+){0,7}):\s"
)
_NO_LABEL = frozenset({"UNLABELLED", "UNLABELED", "UNASSIGNED"})
#: Give up on a "record" that grows beyond this many lines (not MEDLINE text, most likely).
MAX_RECORD_LINES = 20_000

Field = tuple[str, str]


def _norm(text: str) -> str:
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def split_structured_abstract(text: str) -> list[Section]:
    """``"BACKGROUND: x. METHODS: y."`` -> labelled sections; anything else -> one section.

    Only an abstract that *starts* with an upper-case label is split (that is how PubMed writes
    structured abstracts in MEDLINE text), so a stray "HIV: " inside prose does not split it.
    """
    text = _norm(text)
    if not text:
        return []
    matches = [m for m in _LABEL.finditer(text) if sum(c.isalpha() for c in m.group(1)) >= 3]
    if not matches or matches[0].start() != 0:
        return [Section(text=text)]
    out: list[Section] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end():end].strip()
        if not body:
            continue
        label: str | None = m.group(1)
        if label in _NO_LABEL:
            label = None
        out.append(Section(text=body, label=label))
    return out


def _mesh(value: str) -> str:
    """``"Prescription Drugs/*pharmacology"`` -> ``"Prescription Drugs"``."""
    return value.split("/", 1)[0].replace("*", "").strip()


def _tagged_id(values: Iterable[str], kind: str) -> str | None:
    suffix = f"[{kind}]"
    for v in values:
        if v.endswith(suffix):
            ident = v[: -len(suffix)].strip()
            if ident:
                return ident
    return None


class MedlineTextReader:
    """Reads MEDLINE text exports; one item per record."""

    format = "medline"

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        origin = str(path)
        stream = open_or_fail(path, binary=False)
        position = 0
        fields: list[Field] = []
        raw_lines = 0
        seen_content = False
        with stream:
            try:
                for lineno, raw in enumerate(stream, start=1):
                    line = raw.rstrip("\r\n")
                    if lineno == 1:
                        line = line.lstrip("\ufeff")
                    if not line.strip():
                        if fields:
                            position += 1
                            yield self._record(fields, origin, position)
                            fields, raw_lines = [], 0
                        continue
                    m = _TAG_LINE.match(line) if not line[0].isspace() else None
                    if not seen_content:
                        seen_content = True
                        if m is None:
                            raise ReaderError(
                                f"{origin}: not MEDLINE text (line {lineno} is not a "
                                f"'TAG - value' field: {line[:60]!r})"
                            )
                    if m is not None:
                        tag = m.group(1)
                        if tag == "PMID" and fields:  # records not separated by a blank line
                            position += 1
                            yield self._record(fields, origin, position)
                            fields, raw_lines = [], 0
                        fields.append((tag, (m.group(2) or "").strip()))
                    elif fields:  # continuation line (or stray text): part of the last field
                        tag, value = fields[-1]
                        fields[-1] = (tag, f"{value} {line.strip()}" if value else line.strip())
                    raw_lines += 1
                    if raw_lines > MAX_RECORD_LINES:
                        position += 1
                        yield RejectedRecord(
                            origin, position,
                            f"record longer than {MAX_RECORD_LINES} lines at line {lineno}; "
                            f"not MEDLINE text?",
                            record_id=_pmid_of(fields), excerpt=_excerpt(fields),
                        )
                        fields, raw_lines = [], 0
            except (OSError, EOFError, zlib.error) as e:  # truncated or corrupt gzip stream
                if position == 0 and not fields:
                    raise ReaderError(f"{origin}: cannot read: {e}") from e
                if fields:
                    position += 1
                    yield RejectedRecord(origin, position, f"read error inside record: {e}",
                                         record_id=_pmid_of(fields), excerpt=_excerpt(fields))
                    fields = []
                else:
                    yield RejectedRecord(origin, position + 1,
                                         f"read error after {position} record(s): {e}")
                return
            if fields:
                position += 1
                yield self._record(fields, origin, position)

    def _record(self, fields: list[Field], origin: str, position: int) -> ReadItem:
        try:
            return self._convert(fields, origin, position)
        except Exception as e:  # one bad record must not stop the file
            return RejectedRecord(origin, position, f"unreadable record: {e!r}",
                                  record_id=_pmid_of(fields), excerpt=_excerpt(fields))

    def _convert(self, fields: list[Field], origin: str, position: int) -> ReadItem:
        by_tag: dict[str, list[str]] = {}
        authors: list[str] = []
        for tag, value in fields:
            value = _norm(value)
            if not value:
                continue
            by_tag.setdefault(tag, []).append(value)
            if tag in ("AU", "CN"):  # FAU (full names) ignored; CN = collective author
                authors.append(value)

        def first(*tags: str) -> str:
            for t in tags:
                if by_tag.get(t):
                    return by_tag[t][0]
            return ""

        pmid = first("PMID")
        if not pmid:
            return RejectedRecord(origin, position, "record has no PMID", excerpt=_excerpt(fields))
        record_id = f"pmid:{pmid}"
        title = first("TI", "TT", "BTI")
        sections: list[Section] = []
        for ab in by_tag.get("AB", []):
            sections.extend(split_structured_abstract(ab))
        if not title and not sections:
            return RejectedRecord(origin, position, "record has neither title nor abstract",
                                  record_id=record_id, excerpt=_excerpt(fields))

        pub_types = by_tag.get("PT", [])
        mesh = [t for t in (_mesh(v) for v in by_tag.get("MH", [])) if t]
        languages = by_tag.get("LA", [])
        retraction_in = _ref_pmids(by_tag.get("RIN", []))
        retraction_of = _ref_pmids(by_tag.get("ROF", []))
        retracted = bool(by_tag.get("RIN")) or any(
            p.lower() == "retracted publication" for p in pub_types)
        doi = _tagged_id(by_tag.get("LID", []), "doi") or _tagged_id(by_tag.get("AID", []), "doi")

        meta: dict[str, object] = {}
        for key, tag in (("volume", "VI"), ("issue", "IP"), ("pages", "PG"), ("pmcid", "PMC")):
            value = first(tag)
            if value:
                meta[key] = value
        if len(languages) > 1:
            meta["languages"] = languages

        return SourceRecord(
            external_id=record_id,
            title=title,
            sections=sections,
            kind=classify_source(pub_types, title=title),
            container=first("JT") or None,
            container_abbrev=first("TA") or None,
            year=parse_year(first("DP")) or parse_year(first("DEP")) or parse_year(first("DCOM")),
            authors=authors,
            pmid=pmid,
            doi=doi,
            url=PUBMED_URL.format(pmid=pmid),
            publication_types=pub_types,
            mesh_terms=mesh,
            language=languages[0] if languages else None,
            retracted=retracted,
            retraction_of=retraction_of,
            retraction_in=retraction_in,
            meta=meta,
            origin_file=origin,
            origin_position=position,
        )


def _ref_pmids(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        for pmid in _PMID_REF.findall(v):
            if pmid not in out:
                out.append(pmid)
    return out


def _pmid_of(fields: list[Field]) -> str | None:
    for tag, value in fields:
        if tag == "PMID" and value.strip():
            return f"pmid:{value.strip()}"
    return None


def _excerpt(fields: list[Field], limit: int = 300) -> str:
    return " | ".join(f"{t}- {v}" for t, v in fields[:8])[:limit]
