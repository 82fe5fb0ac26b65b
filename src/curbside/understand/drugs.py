"""Drug names and brands, via ``drug-named-entity-recognition`` (offline dictionary lookup).

The library loads a ~100k-variant dictionary at import (2-4 s, ~400 MB), so its dictionary is
copied once into a compact SQLite index (`drug_index`, built on first use into the user cache
directory) and questions are looked up there, memory-mapped, without importing the library.
Without a usable index (``CURBSIDE_DRUG_INDEX=off``, an unwritable cache directory) the library
is imported lazily, once, behind a lock, as before; `warm_up` does either ahead of the first
query. Only exact dictionary matches are used (no fuzzy matching, no structure download, no
OMOP/PubChem network calls). A brand in a question ("Humira") resolves to its generic name
("adalimumab") plus the other names the library knows for it. When the library is missing,
every function returns nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from curbside.text.stopwords import QUERY_STOPWORDS
from curbside.text.tokens import clip, surface_tokens, word_set
from curbside.understand import drug_index

_lock = threading.Lock()
_module: Any = None
_failed = False

#: Dictionary entries that are ordinary words or biomolecule classes rather than medicines a
#: clinician would ask about; they are not reported as drugs.
_NOT_DRUGS = word_set(
    """
    antibodies antibody immunoglobulin immunoglobulins kinases kinase mrna rna dna circrna
    circrnas microrna micrornas pirnas cohesin cohesins water oxygen salt sugar alcohol
    protein proteins enzyme enzymes hormone hormones vitamin vitamins
    """
)


@dataclass(frozen=True, slots=True)
class DrugMention:
    """A drug named in a text.

    `text` is the words as written; `generic` is the library's canonical name, lower-cased
    (MeSH-style inverted names such as "RNA, Circular" are put in reading order); `brand` is true
    when the words are another name than the generic one; `synonyms` holds the other names the
    library knows (brands, spellings), lower-cased, without `generic`.
    """

    text: str
    generic: str
    brand: bool
    synonyms: tuple[str, ...]
    start: int
    end: int
    drugbank_id: str | None = None


def _load() -> Any:
    global _module, _failed
    if _module is not None or _failed:
        return _module
    with _lock:
        if _module is None and not _failed:
            try:
                from drug_named_entity_recognition import drugs_finder

                _module = drugs_finder
            except Exception:  # optional at run time: no drugs rather than no answer
                _failed = True
    return _module


def available() -> bool:
    """Whether the drug dictionary can be used (opens or builds the index, else loads it)."""
    return drug_index.open_index(_load) is not None or _load() is not None


def warm_up() -> None:
    """Open the drug index now (building it on first use) instead of on the first question."""
    if drug_index.open_index(_load) is None:
        _load()


def _reading_order(name: str) -> str:
    name = name.strip()
    if name.count(", ") == 1 and " and " not in name:
        head, tail = name.split(", ")
        return f"{tail} {head}".strip()
    return name


Matcher = Callable[[Sequence[str]], Sequence[tuple[Any, int, int]]]


def _library_matcher() -> Matcher | None:
    mod = _load()
    if mod is None:
        return None
    return lambda words: mod.find_drugs(list(words), is_ignore_case=True)


def find_drug_mentions(text: str) -> list[DrugMention]:
    """Drugs named in `text` (first 2,000 characters), each generic reported once."""
    index = drug_index.open_index(_load)
    return _mentions(text, index.find_drugs if index is not None else _library_matcher())


def find_drug_mentions_with_library(text: str) -> list[DrugMention]:
    """`find_drug_mentions` through the library's own finder, never the index (tests compare
    the two; imports the library)."""
    return _mentions(text, _library_matcher())


def _mentions(text: str, matcher: Matcher | None) -> list[DrugMention]:
    if matcher is None:
        return []
    toks = surface_tokens(clip(text))
    if not toks:
        return []
    words = [t for t, _s, _e in toks]
    try:
        matches = matcher(words)
    except Exception:  # a library (or index) bug must not take the question down
        return []
    out: list[DrugMention] = []
    seen: set[str] = set()
    for data, first, last in matches:
        if not isinstance(data, dict) or not (0 <= first < last <= len(toks)):
            continue
        surface = " ".join(words[first:last])
        if surface.lower() in _NOT_DRUGS or surface.lower() in QUERY_STOPWORDS:
            continue
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            continue
        generic = _reading_order(name).lower()
        if generic in seen or generic in _NOT_DRUGS:
            continue
        seen.add(generic)
        raw_syn = data.get("synonyms") or []
        synonyms = tuple(
            dict.fromkeys(
                s.lower() for s in raw_syn if isinstance(s, str) and s.lower() != generic
            )
        )
        dbid = data.get("drugbank_id")
        out.append(
            DrugMention(
                text=surface,
                generic=generic,
                brand=surface.lower() != generic and surface.lower() != name.lower(),
                synonyms=synonyms,
                start=toks[first][1],
                end=toks[last - 1][2],
                drugbank_id=dbid if isinstance(dbid, str) else None,
            )
        )
    alcohol = _alcohol_mention(toks)
    if alcohol is not None and "alcohol" not in seen:
        out.append(alcohol)
    return out


#: Words for alcoholic drinks. The drug dictionary has no entry for alcohol, yet "Can I take
#: Tylenol after a cocktail?" asks about an interaction with it.
_ALCOHOL_WORDS = frozenset(
    [
        "alcohol", "alcoholic", "ethanol", "booze", "beer", "beers", "wine", "wines", "liquor",
        "cocktail", "cocktails", "vodka", "whisky", "whiskey", "rum", "tequila",
    ]
)
#: "drug cocktail", "antiretroviral cocktail": a combination of medicines, not a drink.
_NOT_A_DRINK = frozenset(
    [
        "drug", "drugs", "medication", "medications", "medicine", "medicines", "antiretroviral",
        "lytic", "pain", "migraine", "hiv", "aids", "triple", "chemotherapy", "vitamin",
    ]
)
ALCOHOL_NAMES = ("alcohol", "ethanol", "alcoholic", "drinking", "drinks", "wine", "beer")


def _alcohol_mention(toks: list[tuple[str, int, int]]) -> DrugMention | None:
    for i, (word, start, end) in enumerate(toks):
        w = word.lower()
        if w not in _ALCOHOL_WORDS:
            continue
        if w.startswith("cocktail") and i and toks[i - 1][0].lower() in _NOT_A_DRINK:
            continue
        return DrugMention(
            text=word,
            generic="alcohol",
            brand=w != "alcohol",
            synonyms=tuple(n for n in ALCOHOL_NAMES if n != "alcohol"),
            start=start,
            end=end,
        )
    return None


def generic_name(name: str) -> str | None:
    """The generic name for a drug or brand name (``"Tylenol"`` -> ``"acetaminophen"``)."""
    found = find_drug_mentions(name)
    return found[0].generic if found else None


def drug_synonyms(name: str) -> list[str]:
    """The generic name followed by every other name the library knows for the drug."""
    found = find_drug_mentions(name)
    if not found:
        return []
    return [found[0].generic, *found[0].synonyms]
