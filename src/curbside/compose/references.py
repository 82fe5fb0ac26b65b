"""References: numbering in order of first citation, types, AMA-style text."""

from __future__ import annotations

from curbside.article import Reference, ReferenceType
from curbside.domain import EVIDENCE_LEVEL, Source, SourceKind


def reference_type(kind: SourceKind | str) -> ReferenceType:
    k = SourceKind(kind)
    if k is SourceKind.GUIDELINE:
        return "Guideline"
    if k is SourceKind.PATIENT_INFO:
        return "Patient information"
    return "Research"


def ama_citation(src: Source) -> str:
    """AMA-style: authors (six, then et al). Title. Container. Year. doi/PMID/URL."""
    parts: list[str] = []
    if src.authors:
        names = src.authors[:6] if len(src.authors) <= 6 else src.authors[:3]
        people = ", ".join(names) + (", et al" if len(src.authors) > 6 else "")
        parts.append(people + ".")
    title = src.title.rstrip(".")
    parts.append(title + ".")
    if src.container:
        parts.append((src.container_abbrev or src.container).rstrip(".") + ".")
    if src.year:
        parts.append(f"{src.year}.")
    if src.doi:
        parts.append(f"doi:{src.doi}")
    elif src.pmid:
        parts.append(f"PMID: {src.pmid}.")
    elif src.url:
        parts.append(f"Accessed via {src.url}")
    return " ".join(parts)


def make_reference(n: int, src: Source) -> Reference:
    kind = SourceKind(src.kind)
    return Reference(
        n=n,
        type=reference_type(kind),
        kind=str(kind),
        level=EVIDENCE_LEVEL[kind],
        source_id=src.id,
        external_id=src.external_id,
        title=src.title,
        container=src.container,
        year=src.year,
        authors=src.authors,
        pmid=src.pmid,
        doi=src.doi,
        url=src.url,
        retracted=src.retracted,
        ama=ama_citation(src),
    )


class ReferenceList:
    """Hands out reference numbers in order of first citation."""

    def __init__(self) -> None:
        self._by_source: dict[int, Reference] = {}
        self.passages: dict[int, dict[int, str]] = {}  # n -> {passage id: text}

    def cite(self, src: Source, passage_id: int, passage_text: str) -> int:
        ref = self._by_source.get(src.id)
        if ref is None:
            ref = make_reference(len(self._by_source) + 1, src)
            self._by_source[src.id] = ref
        self.passages.setdefault(ref.n, {})[passage_id] = passage_text
        return ref.n

    def references(self) -> list[Reference]:
        return sorted(self._by_source.values(), key=lambda r: r.n)
