"""Text helpers shared by every stage: normalization, word tokens, the light stemmer.

Everything here accepts any string (control characters, lone surrogates, very long input) and
never raises. Work on long input is capped by the callers with `clip`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Query understanding looks at this many characters at most (expansions, negation, drugs).
MAX_ANALYZED_CHARS = 2000

_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_APOSTROPHES = re.compile(r"['\u2019\u02bc\u2018`]")
#: Word tokens: letters and digits (what the FTS5 index sees).
WORD = re.compile(r"[^\W_]+")
#: Tokens as written, keeping inner hyphens (HLA-B27, GLP-1, anti-CCP).
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
#: English words with inner apostrophes or hyphens, and numbers with their decimals ("2.5"):
#: readability counts and patient-mode splitting count these words.
PROSE_WORD = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*|\d+(?:[.,]\d+)*")
#: Lower-case words with inner apostrophes or hyphens (the verifier's content tokens; the
#: text is lower-cased first).
SUPPORT_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
#: Lower-case words of two or more characters starting with a letter, hyphens kept (the
#: consensus meter's content words; the text is lower-cased first).
STANCE_WORD = re.compile(r"[a-z][a-z0-9\-]+")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` as a set (for readable word lists)."""
    return frozenset(text.split())


#: Function words and question scaffolding; content words are what is left.
STOPWORDS = word_set(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else etc ever every few for from further get gets getting got had has have having he her here
    hers herself him himself his how however i if in into is it its itself just let lets like
    may me might more most much must my myself neither no nor not now of off on once one only or
    other others otherwise ought our ours ourselves out over own per please rather really same
    shall she should so some such than that the their theirs them themselves then there therefore
    these they this those though through thus to too under until up upon us very via was we were
    what whatever when whenever where whereas whether which while who whom whose why will with
    within without would yes yet you your yours yourself yourselves
    tell know explain describe list name give show
    """
)


def clean(text: str) -> str:
    """`text` with control characters and lone surrogates replaced by spaces (NFKC-normalized)."""
    if not isinstance(text, str):  # defensive: callers are typed, the web is not
        text = str(text)
    text = _CONTROL.sub(" ", text)
    try:
        return unicodedata.normalize("NFKC", text)
    except ValueError:  # pragma: no cover - normalize rejects nothing after cleaning
        return text


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace as one space, stripped."""
    return _WS.sub(" ", text).strip()


def clip(text: str, limit: int = MAX_ANALYZED_CHARS) -> str:
    """The first `limit` characters of `text`, not cutting a word in two when avoidable."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ", limit - 40)
    return cut[:space] if space > 0 else cut


def match_form(text: str) -> str:
    """Lower-cased word tokens joined by single spaces, apostrophes dropped.

    The form used to compare phrases: ``"Athlete's foot"`` and ``"athletes  foot"`` agree.
    """
    return " ".join(WORD.findall(_APOSTROPHES.sub("", text).lower()))


def lexical_tokens(text: str) -> list[str]:
    """Word tokens of `text` (letters and digits), each lower-cased after it is found: the
    lexical index's query tokens (the BM25 phrases)."""
    return [t.lower() for t in WORD.findall(text)]


def words(text: str) -> list[str]:
    """Lower-cased word tokens (apostrophes dropped, hyphens split)."""
    return WORD.findall(_APOSTROPHES.sub("", text).lower())


def surface_tokens(text: str) -> list[tuple[str, int, int]]:
    """Tokens as written with their offsets; inner hyphens are kept (``HLA-B27``)."""
    return [(m.group(), m.start(), m.end()) for m in _HYPHENATED.finditer(text)]


def dedupe_key(term: str) -> str:
    """The key two search terms collide on (the lexical index's view of a term)."""
    return " ".join(WORD.findall(term.lower()))


#: Suffixes `stem` strips, longest first.
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed", "ly")


def stem(word: str) -> str:
    """A light stem for matching sentences to questions: one common suffix off, when at least
    four letters remain ("infections" -> "infection", "treated" -> "treat")."""
    for suf in _SUFFIXES:
        if len(word) > len(suf) + 3 and word.endswith(suf):
            return word[: -len(suf)]
    return word


#: Suffix rewrites `support_stem` tries in order (a Porter-like subset, e.g. "ization" ->
#: "ize", "ies" -> "y").
_SUPPORT_SUFFIXES = (
    ("ational", "ate"), ("ization", "ize"), ("ations", "ate"), ("ation", "ate"),
    ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("ments", ""),
    ("ment", ""), ("ness", ""), ("ities", ""), ("ity", ""), ("ingly", ""), ("edly", ""),
    ("ing", ""), ("ies", "y"), ("ied", "y"), ("ed", ""), ("ly", ""), ("es", ""),
    ("s", ""), ("e", ""),
)


@lru_cache(maxsize=65536)
def support_stem(word: str) -> str:
    """The citation verifier's stem (`verify.support.content_tokens`): heavier than `stem`,
    one suffix rewritten when three letters remain; words of four letters or fewer, and words
    with digits or symbols, unchanged. Its support threshold was calibrated with exactly this
    stem, so it is kept apart from `stem`."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, repl in _SUPPORT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word
