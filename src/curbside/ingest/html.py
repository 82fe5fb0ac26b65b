"""HTML reader: one guideline / article page per ``*.html`` / ``*.htm`` file (parsed with lxml).

Bibliographic data, weakest first (later wins): ``<html lang>``, ``<link rel="canonical">`` /
``og:url``, Dublin Core ``<meta name="dc.*">`` (title, creator, date, identifier, publisher,
language), Highwire ``<meta name="citation_*">`` (title, journal_title, journal_abbrev,
publication_date / date / online_date, pmid, doi, author, language, publisher, abstract/full-text
URL), then a ``<script type="application/json" id="curbside-meta">`` object using the Markdown
front-matter keys (``external_id``, ``kind``, ... and any extra key for ``meta``).

Title: curbside-meta / citation_title / dc.title, else the first ``<h1>``, else ``<title>``.
Headings ``<h1>``-``<h3>`` start sections labelled with the upper-cased heading text (an ``<h1>``
equal to the title starts an unlabelled section); paragraphs, list items, table rows and deeper
headings become the text. ``script``, ``style``, ``nav``, ``noscript``, ``template``, ``iframe``,
``svg``, ``form``, ``button`` and ``footer`` are dropped. The file is read whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from curbside.domain import ReadItem, RejectedRecord
from curbside.ingest.base import (
    DEFAULT_MAX_RECORD_BYTES,
    ReaderError,
    RecordTooBig,
    clean_text,
    read_capped,
)
from curbside.ingest.markdown import SectionBuilder, build_document_record

_EXCERPT = 200
_DROP = ("script", "style", "nav", "noscript", "template", "iframe", "svg", "form", "button",
         "footer", "object", "embed")
_LABEL_HEADINGS = frozenset({"h1", "h2", "h3"})
_MINOR_HEADINGS = frozenset({"h4", "h5", "h6"})
_SENTENCE_BLOCKS = frozenset({"li", "dt", "dd", "caption", "figcaption", "summary"})
_BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "aside", "header", "blockquote", "ul", "ol", "li",
    "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "pre", "figure", "figcaption",
    "caption", "address", "details", "summary", "hr", "body", "center", "fieldset",
}) | _LABEL_HEADINGS | _MINOR_HEADINGS
_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", re.I)

# meta name -> (front-matter key, multi-valued)
_META_TAGS: dict[str, tuple[str, bool]] = {
    "dc.title": ("title", False), "dcterms.title": ("title", False),
    "dc.creator": ("authors", True), "dcterms.creator": ("authors", True),
    "dc.date": ("year", False), "dcterms.date": ("year", False),
    "dcterms.issued": ("year", False),
    "dc.publisher": ("container", False), "dcterms.publisher": ("container", False),
    "dc.language": ("language", False), "dcterms.language": ("language", False),
    "dc.identifier": ("_identifier", False), "dcterms.identifier": ("_identifier", False),
    "citation_publisher": ("container", False),
    "citation_title": ("title", False),
    "citation_journal_title": ("container", False),
    "citation_journal_abbrev": ("container_abbrev", False),
    "citation_date": ("year", False),
    "citation_online_date": ("year", False),
    "citation_publication_date": ("year", False),
    "citation_pmid": ("pmid", False),
    "citation_doi": ("doi", False),
    "citation_author": ("authors", True),
    "citation_language": ("language", False),
    "citation_abstract_html_url": ("url", False),
    "citation_fulltext_html_url": ("url", False),
}
# Later entries override earlier ones; this is the order of increasing precedence.
_PRECEDENCE = ("dc", "citation")


def _decode(data: bytes) -> str:
    m = _CHARSET.search(data[:4096])
    if m:
        enc = m.group(1).decode("ascii", "replace").lower()
        if enc not in ("utf-8", "utf8"):
            try:
                return data.decode(enc, errors="replace")
            except LookupError:
                pass
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def _load(path: Path, max_bytes: int | None = None) -> str:
    if not path.exists():
        raise ReaderError(f"{path}: no such file")
    if path.is_dir():
        raise ReaderError(f"{path}: is a directory, not a file")
    try:
        return _decode(read_capped(path, max_bytes))
    except (OSError, EOFError) as exc:
        raise ReaderError(f"{path}: cannot read ({exc})") from exc


def _tag(el: Any) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _head_metadata(doc: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    lang = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang:
        meta["language"] = lang.strip()
    for link in doc.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            meta["url"] = link.get("href").strip()
    found: dict[str, dict[str, Any]] = {p: {} for p in _PRECEDENCE}
    for m in doc.iter("meta"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if not content:
            continue
        if name == "og:url":
            meta.setdefault("url", content)
            continue
        spec = _META_TAGS.get(name)
        if spec is None:
            continue
        key, multi = spec
        bucket = found["citation" if name.startswith("citation_") else "dc"]
        if multi:
            bucket.setdefault(key, []).append(content)
        else:
            bucket.setdefault(key, content)
    for prefix in _PRECEDENCE:
        bucket = found[prefix]
        ident = bucket.pop("_identifier", None)
        if ident:
            ident_s = str(ident)
            if re.match(r"^(doi:\s*|https?://(dx\.)?doi\.org/)?10\.\d{4,}/", ident_s, re.I):
                bucket.setdefault("doi", ident_s)
            elif re.fullmatch(r"(pmid:\s*)?\d{1,9}", ident_s, re.I):
                bucket.setdefault("pmid", ident_s.split(":")[-1].strip())
        meta.update(bucket)
    return meta


class _Walker:
    def __init__(self, doc_title: str) -> None:
        self.out = SectionBuilder()
        self.doc_title = doc_title.casefold()
        self.title_seen = False

    def heading(self, tag: str, text: str) -> None:
        if tag in _LABEL_HEADINGS:
            if (tag == "h1" and not self.title_seen and self.doc_title
                    and text.casefold() == self.doc_title):
                self.title_seen = True
                self.out.start(None)
            else:
                self.out.start(text.upper() or None)
        else:
            self.out.add(text, sentence=True)

    def walk(self, el: Any) -> None:
        tag = _tag(el)
        if tag in _LABEL_HEADINGS or tag in _MINOR_HEADINGS:
            self.heading(tag, clean_text(el.text_content()))
            return
        if tag == "tr":
            cells = [clean_text(c.text_content()) for c in el if _tag(c) in ("td", "th")]
            if any(cells):
                self.out.add("; ".join(c for c in cells if c), sentence=True)
            return
        sentence = tag in _SENTENCE_BLOCKS
        buf: list[str] = [el.text or ""]
        for child in el:
            ctag = _tag(child)
            if ctag in _BLOCKS:
                self.out.add("".join(buf), sentence=sentence)
                buf = []
                self.walk(child)
            elif ctag == "br":
                buf.append(" ")
            elif ctag:
                buf.append(child.text_content())
            buf.append(child.tail or "")
        self.out.add("".join(buf), sentence=sentence)


class HtmlReader:
    """Reads one HTML page into one `SourceRecord`."""

    format: str = "html"

    def __init__(self, *, max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> None:
        self.max_record_bytes = max_record_bytes

    def read(self, path: Path) -> Iterator[ReadItem]:
        path = Path(path)
        origin = str(path)
        try:
            text = _load(path, self.max_record_bytes)
        except RecordTooBig as big:
            yield RejectedRecord(origin, 1, big.reason(), excerpt=big.excerpt())
            return
        if not text.strip():
            yield RejectedRecord(origin, 1, "empty HTML document")
            return
        try:
            doc = lxml.html.document_fromstring(text)
        except (etree.ParserError, ValueError) as exc:
            yield RejectedRecord(origin, 1, f"unparseable HTML: {exc}", excerpt=text[:_EXCERPT])
            return

        meta = _head_metadata(doc)
        for script in doc.xpath('//script[@id="curbside-meta"]'):
            try:
                extra = json.loads(script.text or "{}")
            except json.JSONDecodeError as exc:
                yield RejectedRecord(origin, 1, f"invalid JSON in curbside-meta: {exc.msg}",
                                     excerpt=(script.text or "")[:_EXCERPT])
                return
            if not isinstance(extra, dict):
                yield RejectedRecord(origin, 1, "curbside-meta is not a JSON object",
                                     excerpt=(script.text or "")[:_EXCERPT])
                return
            meta.update(extra)

        for el in doc.xpath("|".join(f"//{t}" for t in _DROP)):
            if el.getparent() is not None:
                el.drop_tree()

        h1 = next((clean_text(h.text_content()) for h in doc.iter("h1")
                   if clean_text(h.text_content())), "")
        title_el = doc.find(".//title")
        page_title = clean_text(title_el.text_content()) if title_el is not None else ""
        meta_title = clean_text(str(meta.get("title") or ""))
        doc_title = meta_title or h1 or page_title

        body = doc.find("body")
        walker = _Walker(doc_title)
        if body is not None:
            walker.walk(body)
        walker.out.flush()
        yield build_document_record(meta, sections=walker.out.sections,
                                    title_fallback=h1 or page_title, path=path)
