"""Sentence-aware chunking of a source's sections into passages with offsets and stable ids."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from curbside.config import ChunkSettings
from curbside.domain import PassageDraft, Section
from curbside.text.sentences import sentence_spans

SECTION_SEPARATOR = "\n\n"


def source_text(sections: Sequence[Section]) -> str:
    """The stored full text of a source; passage offsets point into this string."""
    return SECTION_SEPARATOR.join(s.text for s in sections)


def passage_uid(external_id: str, version: int, ord_: int, text: str) -> str:
    """Stable passage id: the same record content always yields the same ids."""
    digest = hashlib.sha1(f"{external_id}\x1f{version}\x1f{ord_}\x1f{text}".encode()).hexdigest()
    return digest[:20]


def chunk_sections(
    sections: Sequence[Section],
    *,
    external_id: str,
    version: int,
    settings: ChunkSettings,
) -> list[PassageDraft]:
    """Cut each section into passages of whole sentences, never crossing a section."""
    drafts: list[PassageDraft] = []
    offset = 0
    for section in sections:
        text = section.text
        spans = list(sentence_spans(text))
        group_start: int | None = None
        group_end = 0
        for a, b in spans:
            while b - a > settings.max_chars:  # a run-on "sentence": cut at a space
                cut = text.rfind(" ", a, a + settings.max_chars)
                cut = cut if cut > a else a + settings.max_chars
                if group_start is not None:
                    _emit(
                        drafts, text, group_start, group_end, offset, section, external_id, version
                    )
                    group_start = None
                _emit(drafts, text, a, cut, offset, section, external_id, version)
                a = cut + 1 if text[cut : cut + 1] == " " else cut
            if group_start is not None and b - group_start > settings.target_chars:
                _emit(drafts, text, group_start, group_end, offset, section, external_id, version)
                group_start = None
            if group_start is None:
                group_start = a
            group_end = b
        if group_start is not None:
            _emit(drafts, text, group_start, group_end, offset, section, external_id, version)
        offset += len(text) + len(SECTION_SEPARATOR)
    return drafts


def _emit(
    drafts: list[PassageDraft],
    text: str,
    a: int,
    b: int,
    offset: int,
    section: Section,
    external_id: str,
    version: int,
) -> None:
    chunk = text[a:b].strip()
    if not chunk:
        return
    ord_ = len(drafts)
    drafts.append(
        PassageDraft(
            uid=passage_uid(external_id, version, ord_, chunk),
            ord=ord_,
            section=section.label,
            text=chunk,
            char_start=offset + a,
            char_end=offset + b,
        )
    )
