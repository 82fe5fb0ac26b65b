"""Stop-word lists: one base list and the purpose-specific variants each stage was tuned with.

The words and the reason for each list live in ``curbside/knowledge/stopwords.yaml``. The
lists differ on purpose (see each entry's reason there): merging them would change answers,
retrieval scores and BM25 tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

from curbside.knowledge_files import knowledge_text, yaml_mapping

_NAME = "stopwords.yaml"


class StopwordsError(ValueError):
    """``stopwords.yaml`` is malformed; the message names the entry and field."""


def parse_stopwords(text: str, *, name: str = _NAME) -> dict[str, frozenset[str]]:
    """The named lists of a stop-word file (see ``stopwords.yaml`` for the format)."""
    data = yaml_mapping(
        text, name=name, error=StopwordsError, expected="must be a mapping of named lists"
    )
    out: dict[str, frozenset[str]] = {}

    def resolve(key: str, chain: tuple[str, ...]) -> frozenset[str]:
        if key in out:
            return out[key]
        if key in chain:
            raise StopwordsError(f"{name}: {key}: extends itself ({' -> '.join(chain)})")
        entry = data.get(key)
        if not isinstance(entry, Mapping):
            where = f"{name}: {chain[-1]}: extends" if chain else f"{name}: {key}"
            raise StopwordsError(f"{where}: no list named {key!r}")
        if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise StopwordsError(f"{name}: {key}: reason: expected a non-empty string")
        unknown = set(entry) - {"reason", "words", "extends", "adds"}
        if unknown:
            raise StopwordsError(f"{name}: {key}: unknown fields {sorted(unknown)}")
        if ("words" in entry) == ("extends" in entry):
            raise StopwordsError(f"{name}: {key}: give either 'words' or 'extends' with 'adds'")
        field = "words" if "words" in entry else "adds"
        words = _words(entry.get(field), f"{name}: {key}: {field}")
        if "extends" in entry:
            parent = entry["extends"]
            if not isinstance(parent, str):
                raise StopwordsError(f"{name}: {key}: extends: expected a list name")
            words |= resolve(parent, (*chain, key))
        out[key] = frozenset(words)
        return out[key]

    for key in data:
        resolve(str(key), ())
    return out


def _words(raw: object, where: str) -> set[str]:
    if not isinstance(raw, str) or not raw.split():
        raise StopwordsError(f"{where}: expected whitespace-separated words")
    words = raw.split()
    bad = [w for w in words if w != w.lower()]
    if bad:
        raise StopwordsError(f"{where}: words must be lower-case: {bad[:5]}")
    return set(words)


_LISTS = parse_stopwords(knowledge_text(_NAME))

#: English function words; the lexical index drops a one-word query term in this list.
STOPWORDS: frozenset[str] = _LISTS["base"]
#: Query understanding, premises and safety blocks: base plus question scaffolding.
QUERY_STOPWORDS: frozenset[str] = _LISTS["query"]
#: The verifier's content tokens: function words and abstract discourse markers.
SUPPORT_STOPWORDS: frozenset[str] = _LISTS["support"]
#: The consensus meter's question/sentence content words (the stance weights' list).
STANCE_STOPWORDS: frozenset[str] = _LISTS["stance"]
#: Patient-mode sentence splitting: long function words (only words of 4+ letters compared).
PLAIN_STOPWORDS: frozenset[str] = _LISTS["plain"]
#: The answer-scorer training script's word-overlap feature (short question words).
OVERLAP_STOPWORDS: frozenset[str] = _LISTS["overlap"]
