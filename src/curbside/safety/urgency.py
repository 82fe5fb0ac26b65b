"""The urgency table (``curbside/knowledge/urgency.yaml``): conditions, codes, levels, sources.

Each condition has a name, synonyms, an ICD-10-CM code, an urgency level (emergency / urgent /
routine / self-care), a reason for emergency and urgent rows, and citations (external ids of
library sources that describe it). `load_urgency_table` validates every entry and raises
ValueError naming the entry and the field (``urgency.yaml: condition 'Sepsis', field 'level':
...``). `lookup(name)` finds a condition by its name or a synonym, ignoring case and
punctuation. A row the development corpus has no page for keeps ``citations: []`` and must say
so in ``uncited`` (never an invented reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from curbside.knowledge_files import knowledge_text, yaml_mapping

UrgencyLevel = Literal["emergency", "urgent", "routine", "self-care"]
#: Most urgent first.
URGENCY_LEVELS: tuple[UrgencyLevel, ...] = ("emergency", "urgent", "routine", "self-care")
_FIELDS = {"name", "icd10cm", "level", "synonyms", "reason", "citations", "uncited"}
#: ICD-10-CM code shape (letter, two characters, optional dot and up to four more); the tests
#: check each code against simple-icd-10-cm when it is installed.
_ICD = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_CITE = re.compile(r"^(?:medquad:[0-9A-Za-z_]+/[0-9_]+-[0-9]+|ngc:ngc-[0-9]+|pmid:[0-9]+)$")


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    icd10cm: str
    level: UrgencyLevel
    synonyms: tuple[str, ...]
    reason: str
    citations: tuple[str, ...]
    uncited: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


def name_key(name: str) -> str:
    """Case- and punctuation-free key: "Crohn's Disease" -> "crohn disease"."""
    s = re.sub(r"['\u2019]s\b", "", name.lower())
    return " ".join(re.findall(r"[a-z0-9]+", s))


class _Bad(ValueError):
    pass


def _text_list(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise _Bad(f"field '{where}': must be a list of non-empty text")
    return tuple(raw)


def _condition(raw: Any) -> Condition:
    if not isinstance(raw, dict):
        raise _Bad("must be a mapping")
    extra = set(raw) - _FIELDS
    if extra:
        raise _Bad(f"field '{sorted(extra)[0]}': unknown field")
    for key in ("name", "icd10cm", "level"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _Bad(f"field '{key}': is missing or not text")
    if not _ICD.match(raw["icd10cm"]):
        raise _Bad(f"field 'icd10cm': not an ICD-10-CM code: {raw['icd10cm']!r}")
    if raw["level"] not in URGENCY_LEVELS:
        raise _Bad(f"field 'level': must be one of {list(URGENCY_LEVELS)}, got {raw['level']!r}")
    reason = raw.get("reason") or ""
    if not isinstance(reason, str):
        raise _Bad("field 'reason': must be text")
    if raw["level"] in ("emergency", "urgent") and not reason.strip():
        raise _Bad(f"field 'reason': a {raw['level']} condition must say why")
    cites = _text_list(raw.get("citations"), "citations")
    for i, c in enumerate(cites):
        if not _CITE.match(c):
            raise _Bad(f"field 'citations.{i}': not a library id (medquad:, ngc:, pmid:): {c!r}")
    uncited = raw.get("uncited") or ""
    if not isinstance(uncited, str):
        raise _Bad("field 'uncited': must be text")
    if not cites and not uncited.strip():
        raise _Bad("field 'citations': is empty and 'uncited' does not say why")
    if cites and uncited:
        raise _Bad("field 'uncited': the condition has citations")
    return Condition(
        name=raw["name"].strip(), icd10cm=raw["icd10cm"], level=raw["level"],
        synonyms=_text_list(raw.get("synonyms"), "synonyms"), reason=" ".join(reason.split()),
        citations=cites, uncited=" ".join(uncited.split()),
    )


@dataclass(frozen=True, slots=True)
class UrgencyTable:
    conditions: tuple[Condition, ...]
    by_key: dict[str, Condition]

    def lookup(self, name: str) -> Condition | None:
        """The condition with this name or synonym, or None."""
        return self.by_key.get(name_key(name))

    def __len__(self) -> int:
        return len(self.conditions)


def parse_urgency_table(text: str, *, name: str = "urgency.yaml") -> UrgencyTable:
    """Validated table from YAML text; ValueError names the file, the entry and the field."""
    expected = "must be a mapping with a 'conditions' list"
    data = yaml_mapping(text, name=name, error=ValueError, expected=expected)
    if not isinstance(data.get("conditions"), list):
        raise ValueError(f"{name}: {expected}")
    conds: list[Condition] = []
    by_key: dict[str, Condition] = {}
    for i, raw in enumerate(data["conditions"]):
        label = (f"condition {raw['name']!r}"
                 if isinstance(raw, dict) and isinstance(raw.get("name"), str)
                 else f"condition #{i}")
        try:
            cond = _condition(raw)
        except _Bad as exc:
            raise ValueError(f"{name}: {label}, {exc}") from None
        for j, n in enumerate(cond.names):
            key = name_key(n)
            other = by_key.get(key)
            if other is not None and other is not cond:
                where = "name" if j == 0 else f"synonyms.{j - 1}"
                raise ValueError(f"{name}: {label}, field '{where}': {n!r} already names "
                                 f"{other.name!r}")
            by_key[key] = cond
        conds.append(cond)
    return UrgencyTable(tuple(conds), by_key)


def load_urgency_table(path: Path | None = None) -> UrgencyTable:
    """The bundled table (cached), or the file at `path` (not cached)."""
    if path is not None:
        return parse_urgency_table(path.read_text(encoding="utf-8"), name=str(path))
    return _bundled()


@cache
def _bundled() -> UrgencyTable:
    return parse_urgency_table(knowledge_text("urgency.yaml"))
