"""Domain types shared by every stage.

Readers produce `SourceRecord`s (plus `DeleteRecord`/`RejectedRecord` events); the store keeps
`Source` rows and `Passage` rows; retrieval returns `Evidence`; the composer builds an `Article`.
Imports point one way: this module imports nothing from the rest of the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    """Evidence kind of a source, strongest first (patient_info is its own kind)."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"
    RCT = "rct"
    OBSERVATIONAL = "observational"
    CASE_REPORT = "case_report"
    REVIEW = "review"
    PATIENT_INFO = "patient_info"
    OTHER = "other"


#: Evidence level per kind (1 = strongest). Patient information sits beside narrative reviews.
EVIDENCE_LEVEL: dict[SourceKind, int] = {
    SourceKind.GUIDELINE: 1,
    SourceKind.SYSTEMATIC_REVIEW: 2,
    SourceKind.RCT: 3,
    SourceKind.OBSERVATIONAL: 4,
    SourceKind.CASE_REPORT: 5,
    SourceKind.REVIEW: 6,
    SourceKind.PATIENT_INFO: 6,
    SourceKind.OTHER: 7,
}


@dataclass(slots=True)
class Section:
    """One labelled block of a source's text (an abstract section, a guideline heading...)."""

    text: str
    label: str | None = None


@dataclass(slots=True)
class SourceRecord:
    """One bibliographic record as a reader produced it, before storage.

    `external_id` is the stable identity used for idempotency and versioning, namespaced by
    origin: ``pmid:12345``, ``ngc:ngc-2052``, ``medquad:0000001_1``, ``doc:<beir id>``.
    """

    external_id: str
    title: str
    sections: list[Section]
    kind: SourceKind = SourceKind.OTHER
    container: str | None = None
    container_abbrev: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    publication_types: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    language: str | None = None
    retracted: bool = False
    #: PMIDs this record is a retraction notice for
    #: (``CommentsCorrections RefType="RetractionOf"``).
    retraction_of: list[str] = field(default_factory=list)
    #: PMIDs of retraction notices for this record (``RetractionIn``).
    retraction_in: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    #: Where it came from, for messages: file path and 1-based record position in the file.
    origin_file: str = ""
    origin_position: int = 0


@dataclass(slots=True, frozen=True)
class DeleteRecord:
    """A reader saw a deletion (PubMed ``DeleteCitation``) for this external id."""

    external_id: str
    origin_file: str = ""
    origin_position: int = 0


@dataclass(slots=True, frozen=True)
class RejectedRecord:
    """A record a reader could not turn into a `SourceRecord`; goes to the quarantine."""

    origin_file: str
    origin_position: int
    reason: str
    record_id: str | None = None
    excerpt: str = ""


ReadItem = SourceRecord | DeleteRecord | RejectedRecord


@dataclass(slots=True, frozen=True)
class PassageDraft:
    """A chunk of a source's text before it has database ids."""

    uid: str
    ord: int
    section: str | None
    text: str
    char_start: int
    char_end: int


@dataclass(slots=True)
class Source:
    """A stored source (one version of one external record)."""

    id: int
    external_id: str
    version: int
    kind: SourceKind
    title: str
    container: str | None
    container_abbrev: str | None
    year: int | None
    authors: list[str]
    pmid: str | None
    doi: str | None
    url: str | None
    publication_types: list[str]
    mesh_terms: list[str]
    retracted: bool
    is_current: bool
    content_hash: str
    meta: dict[str, Any]
    ingested_at: str


@dataclass(slots=True)
class Passage:
    """A stored passage: a chunk of one source version's text with offsets into it."""

    id: int
    uid: str
    source_id: int
    ord: int
    section: str | None
    text: str
    char_start: int
    char_end: int


@dataclass(slots=True)
class Evidence:
    """A passage with its source and the scores that ranked it."""

    passage: Passage
    source: Source
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return self.scores.get("final", 0.0)
