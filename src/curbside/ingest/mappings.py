"""Field mappings: which JSON field of a record gives which `SourceRecord` attribute.

A `FieldMapping` is plain data (a frozen pydantic model). `map_record` applies it to one decoded
JSON object and returns a `SourceRecord` or a `RejectedRecord`. The JSON readers
(`curbside.ingest.jsonl`) do the file handling; this module never touches files.

Path syntax used by every field of a mapping:

* ``a.b.c`` walks nested objects (``fields.Potential Harms``); a key that itself contains a dot is
  found when the whole path is a key of the top-level object; ``a.0`` indexes a list.
* ``a|b|c`` takes the first alternative that has a usable value.
* ``a+b`` (id and title only) joins several fields: ids with ``/``, titles with ``: `` (a title
  part contained in another part is dropped, so ``focus+question`` does not repeat the focus).

Values in `FieldMapping.null_values` (compared case-insensitively after stripping) count as absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from curbside.domain import RejectedRecord, Section, SourceKind, SourceRecord
from curbside.ingest.base import clean_text, parse_year
from curbside.ingest.evidence import classify_source

_DEFAULT_NULLS = frozenset({"", "nan", "none", "null", "n/a"})
_EXCERPT = 200


class FieldMapping(BaseModel):
    """Which JSON field gives which `SourceRecord` attribute (paths: see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Path(s) of the record id; ``a+b`` joins several fields with ``/``.
    id: str = "id|_id|uid|pmid|doc_id"
    #: Namespace put before the id: ``pmid``, ``ngc``, ``medquad``, ``doc``...
    id_namespace: str = "doc"
    #: Set `SourceRecord.pmid` from the id when the raw id is all digits (BEIR corpora).
    pmid_from_id: bool = False
    #: What to do when an id repeats within one file: keep it (a later record replaces the earlier
    #: one downstream) or suffix it with ``~<title-slug>`` so both survive. Suffixing keeps the set
    #: of ids seen in the file in memory (a few MB for a million records).
    on_duplicate_id: Literal["keep", "suffix"] = "keep"

    title: str | None = "title|name"
    #: One text field (a string, or a list of strings: one section each).
    text: str | None = "text|abstract|body|content"
    text_label: str | None = None
    #: A list field of texts, with an optional parallel list field of labels (PubMedQA).
    sections: str | None = None
    labels: str | None = None
    #: Several named fields, each one labelled section, in order: ``(label, path)``.
    named_sections: tuple[tuple[str, str], ...] = ()
    #: Records with a title but no text are kept (with no sections) unless this is False.
    allow_title_only: bool = True
    #: Spans of a text that are not prose (a table flattened into the text), each cut into a
    #: section of its own: ``(label, regex)``. Passages and sentences never cross a section, so
    #: the span is not glued to the sentence after it; the text around it keeps its label.
    section_cuts: tuple[tuple[str, str], ...] = ()

    container: str | None = None
    #: Regex applied to the container value; its first group (or whole match) is kept.
    container_regex: str | None = None
    #: Replace a raw container value by a display name (``CancerGov`` -> ``National Cancer...``).
    container_map: tuple[tuple[str, str], ...] = ()
    container_abbrev: str | None = None
    year: str | None = None
    #: A list field, or a string split on `authors_sep`.
    authors: str | None = None
    authors_sep: str = ";"
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None
    publication_types: str | None = None
    mesh: str | None = None
    language: str | None = None
    #: A fixed kind for every record of the file (wins over everything else).
    kind: SourceKind | None = None
    #: A field holding a `SourceKind` value; used when `kind` is unset. Without either, the kind
    #: comes from `classify_source` on publication types and title.
    kind_field: str | None = None
    #: Extra values kept in `SourceRecord.meta`: ``(meta key, path)``.
    meta: tuple[tuple[str, str], ...] = ()
    null_values: frozenset[str] = Field(default=_DEFAULT_NULLS)

    # ------------------------------------------------------------------ CLI text
    @classmethod
    def parse(cls, text: str) -> FieldMapping:
        """Build a mapping from CLI text.

        ``"id=_id,title=title,text=text"``; a bare preset name (``"ngc"``) returns that preset, and
        ``"preset=beir,title=headline"`` starts from a preset. Keys: ``id``, ``namespace``,
        ``title``, ``text``, ``text_label``, ``sections``, ``labels``, ``section.<LABEL>=path``,
        ``container``, ``container_regex``, ``container_abbrev``, ``year``, ``authors``,
        ``authors_sep``, ``pmid``, ``doi``, ``url``, ``publication_types`` (``pt``), ``mesh``,
        ``language``, ``kind`` (a fixed kind), ``kind_field``, ``meta=a;b`` or
        ``meta.<key>=path``, ``pmid_from_id``, ``on_duplicate`` (keep/suffix),
        ``allow_title_only``. Values cannot contain commas.
        """
        text = text.strip()
        if not text:
            raise ValueError("empty field mapping")
        if "=" not in text:
            return get_preset(text)
        base: dict[str, Any] = {}
        named: list[tuple[str, str]] = []
        meta: list[tuple[str, str]] = []
        updates: dict[str, Any] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            key, sep, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key:
                raise ValueError(f"field mapping part {part!r} is not key=value")
            lk = key.lower()
            if lk == "preset":
                base = get_preset(value).model_dump()
            elif lk.startswith("section."):
                named.append((key[len("section."):].strip().upper(), value))
            elif lk.startswith("meta."):
                meta.append((key[len("meta."):].strip(), value))
            elif lk == "meta":
                meta.extend((p.strip().rsplit(".", 1)[-1], p.strip())
                            for p in value.split(";") if p.strip())
            elif lk in _BOOL_KEYS:
                updates[_BOOL_KEYS[lk]] = value.lower() in {"1", "true", "yes", "on"}
            elif lk == "kind":
                try:
                    updates["kind"] = SourceKind(value.lower())
                except ValueError:
                    kinds = ", ".join(k.value for k in SourceKind)
                    raise ValueError(f"unknown kind {value!r} (one of: {kinds})") from None
            elif lk in _ALIASES:
                updates[_ALIASES[lk]] = value or None
            else:
                allowed = sorted({*_ALIASES, *_BOOL_KEYS, "kind", "preset", "meta",
                                  "section.<LABEL>", "meta.<key>"})
                raise ValueError(
                    f"unknown field mapping key {key!r} (allowed: {', '.join(allowed)})"
                )
        data = {**base, **updates}
        if named:
            data["named_sections"] = tuple(base.get("named_sections", ())) + tuple(named)
        if meta:
            data["meta"] = tuple(base.get("meta", ())) + tuple(meta)
        return cls.model_validate(data)


_ALIASES: dict[str, str] = {
    "id": "id", "namespace": "id_namespace", "id_namespace": "id_namespace",
    "title": "title", "text": "text", "text_label": "text_label", "sections": "sections",
    "labels": "labels", "container": "container", "container_regex": "container_regex",
    "container_abbrev": "container_abbrev", "year": "year", "authors": "authors",
    "authors_sep": "authors_sep", "pmid": "pmid", "doi": "doi", "url": "url",
    "publication_types": "publication_types", "pt": "publication_types", "mesh": "mesh",
    "mesh_terms": "mesh", "language": "language", "kind_field": "kind_field",
    "on_duplicate": "on_duplicate_id", "on_duplicate_id": "on_duplicate_id",
}
_BOOL_KEYS: dict[str, str] = {"pmid_from_id": "pmid_from_id",
                              "allow_title_only": "allow_title_only"}


# ---------------------------------------------------------------------------------- presets
_NGC_NULLS = _DEFAULT_NULLS | {"none provided", "not stated", "none available", "not applicable",
                               "none", "not provided"}

_MEDQUAD_SOURCES = (
    ("CancerGov", "National Cancer Institute (cancer.gov)"),
    ("GARD", "Genetic and Rare Diseases Information Center (GARD)"),
    ("GHR", "Genetics Home Reference (NLM)"),
    ("MPlusHealthTopics", "MedlinePlus"),
    ("NIHSeniorHealth", "NIHSeniorHealth"),
    ("NIDDK", "National Institute of Diabetes and Digestive and Kidney Diseases"),
    ("NINDS", "National Institute of Neurological Disorders and Stroke"),
    ("NHLBI", "National Heart, Lung, and Blood Institute"),
    ("CDC", "Centers for Disease Control and Prevention"),
)

_PUBMEDQA = FieldMapping(
    id="__key__", id_namespace="pmid", pmid="__key__", title="QUESTION", text=None,
    sections="CONTEXTS", labels="LABELS", named_sections=(("CONCLUSIONS", "LONG_ANSWER"),),
    year="YEAR", mesh="MESHES",
    meta=(("question", "QUESTION"), ("final_decision", "final_decision")),
)

#: Ready-made mappings for the development data sets (and any file with the same layout).
PRESETS: dict[str, FieldMapping] = {
    "beir": FieldMapping(id="_id", id_namespace="doc", pmid_from_id=True, title="title",
                         text="text", meta=(("metadata", "metadata"),)),
    "ngc": FieldMapping(
        id="ngc_id", id_namespace="ngc", title="title|fields.Guideline Title", text=None,
        kind=SourceKind.GUIDELINE, year="year|fields.Date Released|date_released",
        container="developer|fields.Guideline Developer(s)", container_regex=r"^(.+?) - ",
        named_sections=(
            ("RECOMMENDATIONS", "major_recommendations|fields.Major Recommendations"),
            ("DISEASE/CONDITION", "disease_condition|fields.Disease/Condition(s)"),
            ("OBJECTIVE", "fields.Guideline Objective(s)"),
            ("TARGET POPULATION", "fields.Target Population"),
            ("INTERVENTIONS AND PRACTICES CONSIDERED",
             "fields.Interventions and Practices Considered"),
            ("POTENTIAL BENEFITS", "fields.Potential Benefits"),
            ("POTENTIAL HARMS", "fields.Potential Harms"),
            ("CONTRAINDICATIONS", "fields.Contraindications"),
            ("FDA WARNING/REGULATORY ALERT", "fields.FDA Warning/Regulatory Alert"),
        ),
        allow_title_only=False,
        meta=(
            ("ngc_id", "ngc_id"),
            ("developer", "developer"),
            ("status", "status"),
            ("bibliographic_source", "bibliographic_source"),
            ("date_released", "date_released"),
            ("copyright_statement", "copyright_statement"),
            ("clinical_specialty", "fields.Clinical Specialty"),
            ("guideline_category", "fields.Guideline Category"),
            ("intended_users", "fields.Intended Users"),
            ("evidence_rating_scheme", "fields.Rating Scheme for the Strength of the Evidence"),
            ("recommendation_rating_scheme",
             "fields.Rating Scheme for the Strength of the Recommendations"),
            ("evidence_type", "fields.Type of Evidence Supporting the Recommendations"),
            ("endorsers", "fields.Guideline Endorser(s)"),
        ),
        null_values=_NGC_NULLS,
    ),
    "cohen2006": FieldMapping(
        id="pubmedID", id_namespace="pmid", pmid="pubmedID", title="title", text="abstract",
        # No review_topic in meta: the same article appears under several review topics, and
        # that must not make each appearance a new version of the source.
        year="year", authors="authors", authors_sep=";",
    ),
    "medquad": FieldMapping(
        id="collection+qid", id_namespace="medquad", on_duplicate_id="suffix",
        title="focus+question", text="answer", kind=SourceKind.PATIENT_INFO,
        container="source", container_map=_MEDQUAD_SOURCES, url="url", allow_title_only=False,
        # GARD's signs-and-symptoms pages flatten the Human Phenotype Ontology's table into
        # the answer ("Signs and Symptoms Approximate number of patients (when available)
        # Arrhythmia 90% Sensorineural hearing impairment 90% ..."), up to the note that
        # follows it (all 2,243 tables of the MedQuAD file): without a cut the table and that
        # note were one "sentence", which led "What are the symptoms of Long QT syndrome?".
        section_cuts=(("HPO TABLE", r"Signs and Symptoms Approximate number of patients "
                       r"\(when available\).*?(?=The Human Phenotype Ontology \(HPO\) has "
                       r"collected|$)"),),
        meta=(("question", "question"), ("focus", "focus"), ("qtype", "qtype"),
              ("qid", "qid"), ("doc_id", "doc_id"), ("collection", "collection"),
              ("source", "source"), ("cuis", "cuis"), ("focus_category", "focus_category")),
    ),
    "pubmedqa": _PUBMEDQA,
    # Reasoning-required PubMedQA setting: the long answer (conclusions) and the gold decision
    # must not be visible to the engine.
    "pubmedqa-noconclusion": _PUBMEDQA.model_copy(update={
        "named_sections": (),
        "meta": (("question", "QUESTION"),),
    }),
}


def get_preset(name: str) -> FieldMapping:
    """A preset by name; `ValueError` listing the presets when unknown."""
    try:
        return PRESETS[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown mapping preset {name!r} (presets: {', '.join(sorted(PRESETS))})"
        ) from None


# ---------------------------------------------------------------------------------- apply
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([?!.,;:])")
_REPEATED_QMARK = re.compile(r"\?(\s*\?)+")


def resolve(obj: Mapping[str, Any], path: str) -> Any:
    """Value at a dotted path (no alternatives), or None."""
    if path in obj:
        return obj[path]
    cur: Any = obj
    for part in path.split("."):
        if isinstance(cur, Mapping):
            if part not in cur:
                return None
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            idx = int(part)
            if idx >= len(cur):
                return None
            cur = cur[idx]
        else:
            return None
    return cur


def _is_null(text: str, nulls: frozenset[str]) -> bool:
    """Whether a string is one of the null markers (cheap for long texts)."""
    if len(text) > 40:
        return False
    return text.strip().lower() in nulls


def _present(value: Any, nulls: frozenset[str]) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:  # NaN
        return False
    if isinstance(value, str):
        return not _is_null(value, nulls)
    if isinstance(value, (list, tuple, dict)):
        return any(_present(v, nulls) for v in (value.values() if isinstance(value, dict)
                                                  else value))
    return True


def _first(obj: Mapping[str, Any], spec: str | None, nulls: frozenset[str]) -> Any:
    """First present value among ``a|b|c`` alternatives."""
    if not spec:
        return None
    for alt in spec.split("|"):
        value = resolve(obj, alt.strip())
        if _present(value, nulls):
            return value
    return None


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return " ".join(_scalar_text(v) for v in value if v is not None)
    return str(value).strip()


def _str_list(value: Any, sep: str | None, nulls: frozenset[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(sep) if sep else [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get("name") or " ".join(
                str(item[k]) for k in ("first", "given", "last", "family") if item.get(k)
            )
        text = clean_text(_scalar_text(item))
        if text and not _is_null(text, nulls):
            out.append(text)
    return out


def clean_title(text: str) -> str:
    """`clean_text` plus tidy punctuation (``"Leukemia ?"`` -> ``"Leukemia?"``)."""
    text = clean_text(text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _REPEATED_QMARK.sub("?", text)


def _join_title(parts: Sequence[str]) -> str:
    kept: list[str] = []
    for i, part in enumerate(parts):
        low = part.lower().rstrip("?.! ")
        if any(low and low in other.lower() for j, other in enumerate(parts) if j != i
               and len(other) > len(part)):
            continue
        if part not in kept:
            kept.append(part)
    return ": ".join(kept)


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


def _excerpt(obj: Mapping[str, Any]) -> str:
    try:
        return json.dumps(obj, ensure_ascii=False, default=str)[:_EXCERPT]
    except (TypeError, ValueError):
        return repr(obj)[:_EXCERPT]


def raw_id(obj: Mapping[str, Any], mapping: FieldMapping) -> str | None:
    """The record's id without namespace (``a+b`` parts joined with ``/``), or None."""
    parts: list[str] = []
    for spec in mapping.id.split("+"):
        value = _first(obj, spec, mapping.null_values)
        if value is None or isinstance(value, (dict, list)):
            return None
        parts.append(_scalar_text(value))
    rid = "/".join(p for p in parts if p)
    return rid or None


def _cut_section(section: Section, label: str, regex: str) -> list[Section]:
    """`section` with each match of `regex` a section of its own labelled `label`."""
    out: list[Section] = []
    pos = 0
    for m in re.finditer(regex, section.text):
        if m.end() <= m.start():
            continue
        for text, lab in ((section.text[pos:m.start()], section.label), (m.group(0), label)):
            if text.strip():
                out.append(Section(text.strip(), lab))
        pos = m.end()
    if pos == 0:
        return [section]
    if section.text[pos:].strip():
        out.append(Section(section.text[pos:].strip(), section.label))
    return out


def map_record(  # noqa: C901
    obj: Any, mapping: FieldMapping, *, origin_file: str, position: int
) -> SourceRecord | RejectedRecord:
    """Apply `mapping` to one decoded JSON object."""
    if not isinstance(obj, Mapping):
        return RejectedRecord(origin_file, position,
                              f"expected a JSON object, got {type(obj).__name__}",
                              excerpt=repr(obj)[:_EXCERPT])
    nulls = mapping.null_values
    rid = raw_id(obj, mapping)
    if rid is None:
        return RejectedRecord(origin_file, position,
                              f"missing record id (field {mapping.id!r})", excerpt=_excerpt(obj))
    external_id = f"{mapping.id_namespace}:{rid}" if mapping.id_namespace else rid

    # Title ------------------------------------------------------------------------------
    title_parts: list[str] = []
    for spec in (mapping.title or "").split("+"):
        t = clean_title(_scalar_text(_first(obj, spec, nulls))) if spec else ""
        if t and not _is_null(t, nulls):
            title_parts.append(t)
    title = _join_title(title_parts)

    # Sections ---------------------------------------------------------------------------
    sections: list[Section] = []
    text_value = _first(obj, mapping.text, nulls)
    for t in (text_value if isinstance(text_value, list) else [text_value]):
        ct = clean_text(_scalar_text(t)) if t is not None else ""
        if ct and not _is_null(ct, nulls):
            sections.append(Section(ct, mapping.text_label))
    if mapping.sections:
        texts = _first(obj, mapping.sections, nulls)
        labels = _first(obj, mapping.labels, nulls) if mapping.labels else None
        if texts is not None and not isinstance(texts, list):
            texts = [texts]
        label_list = labels if isinstance(labels, list) else []
        for i, t in enumerate(texts or []):
            ct = clean_text(_scalar_text(t))
            if not ct or _is_null(ct, nulls):
                continue
            label = clean_text(_scalar_text(label_list[i])) if i < len(label_list) else ""
            sections.append(Section(ct, label.upper() or None))
    for label, spec in mapping.named_sections:
        ct = clean_text(_scalar_text(_first(obj, spec, nulls)))
        if ct and not _is_null(ct, nulls):
            sections.append(Section(ct, label.upper() or None))

    for label, regex in mapping.section_cuts:
        sections = [part for sec in sections for part in _cut_section(sec, label, regex)]

    if not sections and not (title and mapping.allow_title_only):
        what = "no text" if title else "no title and no text"
        fields = ", ".join(f for f in (mapping.title, mapping.text, mapping.sections,
                                       *(s for _, s in mapping.named_sections)) if f)
        return RejectedRecord(origin_file, position, f"{what} (fields: {fields})",
                              record_id=external_id, excerpt=_excerpt(obj))

    # Bibliographic fields ---------------------------------------------------------------
    container = clean_text(_scalar_text(_first(obj, mapping.container, nulls))) or None
    if container and mapping.container_map:
        container = dict(mapping.container_map).get(container, container)
    if container and mapping.container_regex:
        m = re.search(mapping.container_regex, container)
        if m:
            container = (m.group(1) if m.groups() else m.group(0)).strip() or container
    container_abbrev = clean_text(_scalar_text(_first(obj, mapping.container_abbrev, nulls)))
    year = parse_year(_scalar_text(_first(obj, mapping.year, nulls))) if mapping.year else None
    authors = _str_list(_first(obj, mapping.authors, nulls), mapping.authors_sep, nulls)
    pmid_raw = _scalar_text(_first(obj, mapping.pmid, nulls)) if mapping.pmid else ""
    if not pmid_raw and mapping.pmid_from_id and rid.isdigit():
        pmid_raw = rid
    pmid = pmid_raw if pmid_raw.isdigit() else None
    doi = _scalar_text(_first(obj, mapping.doi, nulls)) or None
    if doi:
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.I)
    url = _scalar_text(_first(obj, mapping.url, nulls)) or None
    pts = _str_list(_first(obj, mapping.publication_types, nulls), ";", nulls)
    mesh = _str_list(_first(obj, mapping.mesh, nulls), ";", nulls)
    language = _scalar_text(_first(obj, mapping.language, nulls)) or None

    meta: dict[str, Any] = {}
    for key, spec in mapping.meta:
        value = _first(obj, spec, nulls)
        if value is not None:
            meta[key] = _json_safe(value.strip() if isinstance(value, str) else value)

    hint: SourceKind | None = mapping.kind
    if hint is None and mapping.kind_field:
        raw_kind = _scalar_text(_first(obj, mapping.kind_field, nulls)).lower()
        if raw_kind:
            try:
                hint = SourceKind(raw_kind)
            except ValueError:
                kinds = ", ".join(k.value for k in SourceKind)
                return RejectedRecord(origin_file, position,
                                      f"unknown kind {raw_kind!r} in field "
                                      f"{mapping.kind_field!r} (one of: {kinds})",
                                      record_id=external_id, excerpt=_excerpt(obj))
    kind = classify_source(pts, title=title, hint=hint)

    return SourceRecord(
        external_id=external_id, title=title, sections=sections, kind=kind,
        container=container, container_abbrev=container_abbrev or None, year=year,
        authors=authors, pmid=pmid, doi=doi, url=url, publication_types=pts, mesh_terms=mesh,
        language=language, meta=meta, origin_file=origin_file, origin_position=position,
    )
