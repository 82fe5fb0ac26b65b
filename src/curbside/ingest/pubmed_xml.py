"""PubMed XML reader (``PubmedArticleSet``: efetch output, annual baseline and update files).

Streams with ``lxml.etree.iterparse`` over the (optionally gzipped) byte stream and frees each
record once converted, so memory stays flat however large the file. Parsing is strict: at the
first XML error (truncation, invalid UTF-8, broken markup) the records already read are kept and
one `RejectedRecord` describes the break and says the rest of the file was skipped. A file from
which nothing at all could be read raises `ReaderError`.

Text from the XML is taken with ``itertext()`` (inline ``<i>``, ``<sup>``, MathML... flattened),
then only NFC- and whitespace-normalised: `clean_text` is deliberately not used on it, because
its tag stripper would eat real text between a ``<`` and a ``>`` such as "p<0.05 ... >65 years"
once the parser has decoded ``&lt;``/``&gt;``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from lxml import etree

from curbside.domain import DeleteRecord, ReadItem, RejectedRecord, Section, SourceRecord
from curbside.ingest.base import DEFAULT_MAX_RECORD_BYTES, ReaderError, open_or_fail, parse_year
from curbside.ingest.evidence import classify_source

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_WS = re.compile(r"\s+")
# Escaped inline markup that survives as literal text in some older records ("&lt;i&gt;").
_INLINE_TAG = re.compile(r"</?(?:i|b|u|em|strong|sup|sub|sc)\s*/?>", re.I)
_NO_LABEL = frozenset({"UNASSIGNED", "UNLABELLED", "UNLABELED"})
_NOT_AVAILABLE = frozenset({"[not available]", "[not available].", "[no title available]",
                            "[no title available]."})
PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def _norm(text: str | None) -> str:
    if not text:
        return ""
    if "<" in text:
        text = _INLINE_TAG.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def _text(el: etree._Element | None) -> str:
    """All text inside an element, inline markup flattened, normalised."""
    if el is None:
        return ""
    if len(el) == 0:
        return _norm(el.text)
    return _norm("".join(el.itertext()))


def _first_text(root: etree._Element, *paths: str) -> str:
    for p in paths:
        t = _text(root.find(p))
        if t:
            return t
    return ""


def _year(citation: etree._Element, container: etree._Element | None) -> int | None:
    if container is not None:
        pub_date = container.find("PubDate")
        if pub_date is not None:
            y = parse_year(pub_date.findtext("Year"))
            y = y or parse_year(pub_date.findtext("MedlineDate"))
            if y:
                return y
    for path in ("Article/ArticleDate/Year", "DateCompleted/Year", "DateCreated/Year",
                 "DateRevised/Year"):
        y = parse_year(citation.findtext(path))
        if y:
            return y
    return None


def _authors(parent: etree._Element | None) -> list[str]:
    out: list[str] = []
    if parent is None:
        return out
    for list_el in parent.findall("AuthorList"):
        if list_el.get("Type", "authors") != "authors":  # skip editor lists of books
            continue
        for a in list_el.findall("Author"):
            if a.get("ValidYN") == "N":
                continue
            collective = _text(a.find("CollectiveName"))
            last = _text(a.find("LastName"))
            if last:
                initials = _text(a.find("Initials"))
                name = f"{last} {initials}" if initials else last
                suffix = _text(a.find("Suffix"))
                out.append(f"{name} {suffix}" if suffix else name)
            elif collective:
                out.append(collective)
    return out


def _sections(abstract: etree._Element | None) -> list[Section]:
    if abstract is None:
        return []
    out: list[Section] = []
    for at in abstract.findall("AbstractText"):
        text = _text(at)
        if not text:
            continue
        raw = (at.get("Label") or at.get("NlmCategory") or "").strip().upper()
        label = _norm(raw) or None
        if label in _NO_LABEL:
            label = None
        out.append(Section(text=text, label=label))
    return out


def _pmids(el: etree._Element) -> list[str]:
    return [p for p in (_norm(x.text) for x in el.findall("PMID")) if p]


class _Utf8Guard:
    """A byte stream that ends just before the first bytes that are not valid UTF-8.

    libxml2 decodes a whole input buffer before parsing it, so one bad byte used to cost the
    records before it in the same buffer (lxml 6.2). The parser sees the valid part, yields
    its records, then stops at the end of data; `bad` says where the real problem is.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._line = 1
        self._col = 0
        self.bad: tuple[int, int] | None = None

    def read(self, size: int = -1) -> bytes:
        if self.bad is not None:
            return b""
        chunk = self._raw.read(size if size and size > 0 else 65536)
        if not chunk:
            return b""
        try:
            self._decoder.decode(chunk)
            good = chunk
        except UnicodeDecodeError as e:
            pending = self._decoder.getstate()[0]  # bytes of a character split across reads
            good = chunk[: max(0, e.start - len(pending))]
            self.bad = (0, 0)
        self._advance(good)
        if self.bad is not None:
            self.bad = (self._line, self._col + 1)
        return good

    def _advance(self, data: bytes) -> None:
        n = data.count(b"\n")
        if n:
            self._line += n
            self._col = len(data) - data.rfind(b"\n") - 1
        else:
            self._col += len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _declares_other_encoding(head: bytes) -> bool:
    m = re.match(rb"\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)", head)
    return m is not None and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")


class PubmedXmlReader:
    """Reads PubMed XML (``.xml``, ``.xml.gz``); one item per PubmedArticle / deleted PMID."""

    format = "pubmed"

    def __init__(self, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        self.max_record_bytes = max_record_bytes

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        origin = str(path)
        stream = open_or_fail(path, binary=True)
        position = 0
        parsed = False
        with stream:
            guard: _Utf8Guard | None = None
            source: Any = stream
            try:
                head = stream.peek(200)[:200] if hasattr(stream, "peek") else b""
            except (OSError, EOFError, zlib.error):
                head = b""
            if not _declares_other_encoding(head):
                guard = source = _Utf8Guard(stream)
            context = etree.iterparse(
                source,
                events=("end",),
                tag=_RECORD_TAGS,
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                remove_blank_text=True,
            )
            try:
                for _event, elem in context:
                    position += 1
                    size = sum(len(t) for t in elem.itertext())
                    if size > self.max_record_bytes:
                        pmid = _norm(elem.findtext(".//PMID"))
                        yield RejectedRecord(
                            origin, position,
                            f"record has {size} characters of text, over the record size limit "
                            f"of {self.max_record_bytes} (CURBSIDE_INGEST__MAX_RECORD_BYTES)",
                            record_id=f"pmid:{pmid}" if pmid else None, excerpt=_excerpt(elem),
                        )
                        parsed = True
                        _free(elem)
                        continue
                    try:
                        if elem.tag == "DeleteCitation":
                            for pmid in _pmids(elem):
                                yield DeleteRecord(f"pmid:{pmid}", origin, position)
                        else:
                            yield self._record(elem, origin, position)
                    except Exception as e:  # one bad record must not stop the file
                        yield RejectedRecord(origin, position, f"unreadable record: {e!r}",
                                             excerpt=_excerpt(elem))
                    parsed = True
                    _free(elem)
            except etree.XMLSyntaxError as e:
                detail = str(e.msg or e)
                if guard is not None and guard.bad is not None:
                    line, col = guard.bad
                    detail = f"bytes that are not valid UTF-8 at line {line}, column {col}"
                elif "line" not in detail:
                    detail += f", line {e.lineno}"
                msg = f"{origin}: XML error: {detail}"
                hint = ("bytes that are not valid UTF-8?" if "encoding" in detail
                        or "UTF-8" in detail else "truncated or corrupt file?")
                if not parsed:
                    raise ReaderError(f"{msg} (nothing could be read; not PubMed XML, or "
                                      f"damaged before the first record)") from e
                yield RejectedRecord(
                    origin, position + 1,
                    f"{msg}; parsing stopped after {position} record(s) and the rest of the "
                    f"file was skipped ({hint})",
                )
                return
            except (OSError, EOFError, zlib.error) as e:  # truncated or corrupt gzip stream
                if not parsed:
                    raise ReaderError(f"{origin}: cannot read: {e}") from e
                yield RejectedRecord(
                    origin, position + 1,
                    f"{origin}: read error after {position} record(s): {e}; "
                    f"the rest of the file was skipped",
                )
                return
            root = context.root
            if not parsed and root is not None and root.tag not in (
                "PubmedArticleSet", "PubmedBookArticleSet", "DeleteCitation"
            ):
                raise ReaderError(f"{origin}: not PubMed XML (root element <{root.tag}>)")

    def _record(self, elem: etree._Element, origin: str, position: int) -> ReadItem:  # noqa: C901
        book = elem.tag == "PubmedBookArticle"
        citation = elem.find("BookDocument" if book else "MedlineCitation")
        if citation is None:
            return RejectedRecord(origin, position, f"{elem.tag} without "
                                  f"{'BookDocument' if book else 'MedlineCitation'}",
                                  excerpt=_excerpt(elem))
        pmid = _norm(citation.findtext("PMID"))
        if not pmid:
            return RejectedRecord(origin, position, "record has no PMID", excerpt=_excerpt(elem))
        record_id = f"pmid:{pmid}"

        article = citation if book else citation.find("Article")
        if article is None:
            return RejectedRecord(origin, position, "record has no Article element",
                                  record_id=record_id, excerpt=_excerpt(elem))
        journal = article.find("Journal")
        container_el = citation.find("Book") if book else (
            journal.find("JournalIssue") if journal is not None else None)

        title = _text(article.find("ArticleTitle"))
        if not title or title.lower() in _NOT_AVAILABLE:
            title = _first_text(article, "VernacularTitle") or (
                _first_text(citation, "Book/BookTitle") if book else "")
        sections = _sections(article.find("Abstract"))
        if not title and not sections:
            return RejectedRecord(origin, position, "record has neither title nor abstract",
                                  record_id=record_id, excerpt=_excerpt(elem))

        if book:
            container = _first_text(citation, "Book/BookTitle") or None
            abbrev = None
        else:
            container = (_first_text(journal, "Title") if journal is not None else "") or None
            abbrev = (_first_text(journal, "ISOAbbreviation") if journal is not None else "") or (
                _first_text(citation, "MedlineJournalInfo/MedlineTA")) or None

        pub_types = [t for t in (_text(p) for p in article.iter("PublicationType")) if t]
        mesh = [t for t in (_text(d) for d in citation.iterfind(
            "MeshHeadingList/MeshHeading/DescriptorName")) if t]
        languages = [t for t in (_text(x) for x in article.findall("Language")) if t]

        doi = None
        for loc in article.findall("ELocationID"):
            if loc.get("EIdType") == "doi" and loc.get("ValidYN") != "N":
                doi = _norm(loc.text) or None
                if doi:
                    break
        pmcid = None
        for aid in elem.iterfind("PubmedData/ArticleIdList/ArticleId"):
            id_type = aid.get("IdType")
            if id_type == "doi" and not doi:
                doi = _norm(aid.text) or None
            elif id_type == "pmc" and not pmcid:
                pmcid = _norm(aid.text) or None

        retraction_in: list[str] = []
        retraction_of: list[str] = []
        retracted = any(p.lower() == "retracted publication" for p in pub_types)
        for cc in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
            ref_type = cc.get("RefType")
            if ref_type == "RetractionIn":
                retracted = True
                retraction_in.extend(p for p in _pmids(cc) if p not in retraction_in)
            elif ref_type == "RetractionOf":
                retraction_of.extend(p for p in _pmids(cc) if p not in retraction_of)

        meta: dict[str, object] = {}
        if journal is not None:
            for key, path in (("volume", "JournalIssue/Volume"), ("issue", "JournalIssue/Issue")):
                value = _text(journal.find(path))
                if value:
                    meta[key] = value
        pages = _text(article.find("Pagination/MedlinePgn"))
        if pages:
            meta["pages"] = pages
        if pmcid:
            meta["pmcid"] = pmcid
        if len(languages) > 1:
            meta["languages"] = languages

        return SourceRecord(
            external_id=record_id,
            title=title,
            sections=sections,
            kind=classify_source(pub_types, title=title),
            container=container,
            container_abbrev=abbrev,
            year=_year(citation, container_el),
            authors=_authors(article),
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


def _excerpt(elem: etree._Element, limit: int = 300) -> str:
    try:
        raw = etree.tostring(elem, encoding="unicode")
    except Exception:  # pragma: no cover - serialisation of a parsed element should not fail
        return ""
    return _WS.sub(" ", raw)[:limit]


def _free(elem: etree._Element) -> None:
    """Drop a finished record and any earlier siblings so the tree never grows."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is not None:
        while elem.getprevious() is not None:
            del parent[0]
