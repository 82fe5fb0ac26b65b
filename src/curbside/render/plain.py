"""Plain-language rewriting for the patient reading mode: lay wording and sentence splitting.

Both operations keep the sentence's facts:

* **Lay wording** (`lay_text`) swaps whole words or phrases for the ones our curated lists give:
  the lay names of conditions, symptoms and body parts in ``synonyms.yaml`` (a technical term
  is explained on first use, ``"hypertension (high blood pressure)"``, and replaced by the lay
  term after) and the plain words of ``plain_words.yaml`` (``"administered"`` -> ``"given"``).
  Nothing is swapped inside a number, and no list entry adds or removes a negation, a hedge or
  a number (the lists' rules; `tests/safety/test_plain_language.py` checks the files).
* **Splitting** (`split_sentence`) cuts a long sentence only at clause boundaries outside
  brackets: ``;``, ``; however,``, ``, and`` / ``, but`` / ``, so`` before a clause,
  ``, which`` before a verb, ``, whereas`` / ``, while`` / ``, although`` before a clause,
  ``because`` (with or without a comma; not after "only", "partly"... or a negation). The
  pieces are the sentence's own words in order; the only changes are at the cut: a dropped
  ``and``, ``which`` -> ``This``/``These``, ``because`` -> ``This is because``,
  ``whereas``/``while``/``although`` -> ``But``, and a capital letter and a full stop. A
  cut is refused where a piece would leave the scope of a hedge, a negation or a condition
  ("suggest that ...", "not only ...", "if ..."), in sentences that pair lists with
  "respectively", and where either side would not be a clause (a list
  such as "nausea, vomiting, and headache" is never cut). Every number, unit, negation and
  hedge of the sentence is in exactly one piece.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from curbside.text.content import plain_content_words
from curbside.text.cues import SIMPLE_NEGATION
from curbside.text.tokens import PROSE_WORD
from curbside.text.vocabulary import plain_word_pairs, synonym_entries

#: Sentences longer than this many words are split where that is safe.
LONG_WORDS = 12
#: Neither side of a cut may be shorter than this many words.
MIN_PIECE_WORDS = 5
#: A piece that starts with a pronoun (or a "which" made "This") needs this many words.
MIN_ANAPHOR_PIECE_WORDS = 10
#: At most this share of a sentence's content words may be swapped for plain ones.
SWAP_SHARE = 0.25

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")

# --------------------------------------------------------------------------------------------
# Lay wording
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LayForm:
    """One formal form and its plain replacement; `explain` marks a technical term (synonyms)
    that is shown with its lay term on first use rather than silently replaced."""

    formal: str
    plain: str
    explain: bool
    rx: re.Pattern[str]


def _form_rx(form: str, plural: bool) -> re.Pattern[str]:
    tail = r"(?:s|es)?" if plural else ""
    return re.compile(r"(?<![\w-])" + re.escape(form) + tail + r"(?![\w-])", re.I)


#: Words a swap must neither add nor remove: the verifier and the reader both read them.
GUARDED_WORDS = frozenset({
    "no", "not", "never", "without", "neither", "nor", "none", "cannot", "may", "might",
    "could", "can", "possibly", "probably", "likely", "unlikely", "suggest", "suggests",
    "suggested", "indicate", "indicates", "indicated",
})


def _guarded(text: str) -> set[str]:
    return {w.lower() for w in PROSE_WORD.findall(text)} & GUARDED_WORDS


def _near_same(a: str, b: str) -> bool:
    """The same words but for a form of one ("low back pain" / "lower back pain"): no plainer."""
    wa, wb = a.lower().split(), b.lower().split()
    if len(wa) != len(wb):
        return False
    return all(x == y or x.startswith(y) or y.startswith(x) for x, y in zip(wa, wb, strict=True))


@cache
def lay_forms() -> tuple[LayForm, ...]:
    """Every replaceable form of both lists, longest first (so phrases win over words).

    A pair whose two sides differ in a negation or hedge word ("asymptomatic" -> "without
    symptoms") is left out: the swap would change what the sentence appears to negate.
    """
    forms: list[LayForm] = []
    for entry in synonym_entries():
        if not entry.lay:
            continue
        lay = entry.lay[0]
        for tech in entry.technical:
            if len(tech) < 5 or _near_same(tech, lay) or _guarded(tech) != _guarded(lay):
                continue
            forms.append(LayForm(tech, lay, True, _form_rx(tech, plural=True)))
    for formal, plain in plain_word_pairs():
        if _guarded(formal) != _guarded(plain):
            continue
        forms.append(LayForm(formal, plain, False, _form_rx(formal, plural=False)))
    forms.sort(key=lambda f: len(f.formal), reverse=True)
    return tuple(forms)


def _match_case(found: str, new: str) -> str:
    if found[:1].isupper() and new[:1].islower():
        return new[:1].upper() + new[1:]
    return new


def _plural(found: str, form: LayForm, lay: str) -> str:
    """The lay term in the plural when the technical term was matched in its plural."""
    if len(found) > len(form.formal) and not lay.endswith("s"):
        return lay + "s"
    return lay


def lay_text(text: str, seen: set[str]) -> str:
    """`text` with lay wording; `seen` holds the lay terms already explained in this article."""
    taken: list[tuple[int, int, str]] = []
    for form in lay_forms():
        for m in form.rx.finditer(text):
            if any(m.start() < e and m.end() > s for s, e, _ in taken):
                continue
            found = m.group()
            before = text[: m.start()].rstrip()
            after = text[m.end() :].lstrip()
            if not form.explain:
                taken.append((m.start(), m.end(), _match_case(found, form.plain)))
                continue
            lay = _plural(found, form, form.plain)
            if before.endswith("(") or after.lower().startswith("(" + form.plain.lower()):
                continue  # the source already gives the lay term
            key = form.plain.lower()
            if key not in seen:
                seen.add(key)
                new = f"{found} ({lay})"
            elif _NUMBER.search(found):
                new = found  # "type 2 diabetes mellitus": never lose the number
            else:
                new = _match_case(found, lay)
            taken.append((m.start(), m.end(), new))
    # A sentence keeps most of its own words: swaps that take out more than a quarter of its
    # content words are left undone (earliest swaps first), so that it still reads as, and
    # still matches, the passage it cites.
    budget = max(1, int(SWAP_SHARE * len(_content_words(text))))
    kept: list[tuple[int, int, str]] = []
    for s, e, new in sorted(taken):
        cost = 0 if new.startswith(text[s:e] + " (") or new == text[s:e] else _taken_out(
            text[s:e], new)
        if cost > budget:
            continue
        budget -= cost
        kept.append((s, e, new))
    for s, e, new in sorted(kept, reverse=True):
        text = text[:s] + new + text[e:]
    return text


def _content_words(text: str) -> list[str]:
    return [w for w in PROSE_WORD.findall(text) if len(w) > 3 or w[:1].isdigit()]


def _taken_out(old: str, new: str) -> int:
    """How many of `old`'s content words a swap to `new` takes out: "consult your doctor" ->
    "talk to your doctor" takes out one ("consult"), not three."""
    kept = Counter(w.lower() for w in _content_words(new))
    out = 0
    for w in _content_words(old):
        if kept[w.lower()]:
            kept[w.lower()] -= 1
        else:
            out += 1
    return out


# --------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------

_AUX = (
    "is are was were be been has have had may might can could will would should must did does "
    "do shall"
)
_VERB_CUE = re.compile(
    r"\b(?:" + "|".join(_AUX.split()) + r"|\w{3,}ed|appears?|seems?|remains?|occurs?|"
    r"includes?|causes?|leads?|means?|makes?|reduces?|increases?|improves?|lowers?|raises?|"
    r"helps?|works?|acts?|provides?|requires?|needs?|affects?|contains?|allows?|shows?|"
    r"suggests?|indicates?|explains?|delays?|takes?|gives?|gets?|goes|tends?|presents?|"
    r"fell|rose|took|gave|got|went|came|made|found|saw|became|began|grew|felt|kept|left|led|"
    r"lost|ran|said|told|thought|brought|chose|drew|fought|held|knew|meant|paid|put|sought|"
    r"spent|stood|underwent|won|wore|"
    # present-tense verbs of consumer-health text that are never nouns or adjectives
    r"develops?|attach(?:es)?|becomes?|begins?|happens?|carries|produces?|involves?|"
    r"depends?|varies|differs?|regulates?|prevents?|relieves?|protects?|inherits?|worsens?|"
    r"recommends?|belongs?|consists?|removes?|destroys?|\w{3,}(?:izes?|ifies))\b",
    re.I,
)
_ANAPHOR = re.compile(r"(?:it|its|this|that|they|them|their|these|those|he|she|such)\b", re.I)
_SUBJECT_PRONOUN = re.compile(r"^(?:it|they|we|he|she|this|these|there|you)\b", re.I)
_WHICH_VERB = re.compile(r"^(\w+)")
_PLURAL_VERBS = frozenset({"are", "were", "have", "do"})
#: A cut after text like this would take the next clause out of its scope.
_SCOPE = re.compile(
    r"\b(?:suggests?|suggested|indicates?|indicated|shows?|showed|shown|found|finds?|"
    r"concluded?|concludes|believed?|believes|thought|possible|likely|unlikely|unclear|"
    r"uncertain|whether|unknown|reported|means?|assume[sd]?|expected|hypothesi[sz]ed?)\s+that\b|"
    r"\b(?:appears?|appeared|seems?|seemed|thought|believed|likely|unlikely)\s+to\b|"
    r"\bnot only\b|\bneither\b|\bboth\b|\beither\b",
    re.I,
)
_CONDITION_START = re.compile(
    r"^\W*(?:if|when|whenever|unless|although|though|because|since|while|whereas|as|once|"
    r"until|before|after|provided|given)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class _Cut:
    start: int  # the cut removes text[start:end]
    end: int
    lead: str  # words the right-hand piece starts with ("", "However,", "But", "This")
    kind: str  # "semicolon", "coordination", "which", "because", "contrast", "colon"


_CUT_POINTS = [
    (re.compile(r";\s+however,?\s+", re.I), "semicolon", "However,"),
    (re.compile(r";\s+"), "semicolon", ""),
    (re.compile(r",\s+and\s+", re.I), "coordination", ""),
    (re.compile(r",\s+but\s+", re.I), "coordination", "But"),
    (re.compile(r",\s+so\s+(?!that\b|as\b|far\b|much\b|many\b)", re.I), "coordination", "So"),
    (re.compile(r",\s+which\s+", re.I), "which", ""),
    (re.compile(r",\s+because\s+(?!of\b)", re.I), "because", "This is because"),
    (re.compile(r"(?<!,)\s+because\s+(?!of\b)", re.I), "because", "This is because"),
    (re.compile(r",\s+(?:whereas|although|though|while)\s+", re.I), "contrast", "But"),
    (re.compile(r"(?<!,)\s+but\s+", re.I), "coordination", "But"),
    (re.compile(r"\s*:\s+"), "colon", ""),
]
#: A list item marker after a full sentence ("... glycogen. - Insulin also ..."): the text is
#: a flattened bulleted list, one item per piece.
_BULLET = re.compile(r"(?<=[.!?])\s+-\s+(?=[A-Z0-9])")


def _depths(text: str) -> list[int]:
    """Bracket depth at each character (round and square brackets)."""
    out: list[int] = []
    d = 0
    for ch in text:
        if ch in "([":
            d += 1
        out.append(d)
        if ch in ")]" and d > 0:
            d -= 1
    return out


def _n_words(text: str) -> int:
    return len(PROSE_WORD.findall(text))


def _is_clause(piece: str) -> bool:
    return bool(_VERB_CUE.search(piece)) or bool(_SUBJECT_PRONOUN.search(piece))


def _list_tail(left: str) -> bool:
    """The text before ", and" ends like a list ("A, B, and C"): two commas or more outside
    brackets, or a last comma chunk that is short and has no verb."""
    depth = _depths(left)
    commas = [i for i, ch in enumerate(left) if ch == "," and not depth[i]]
    if not commas:
        return False
    if len(commas) >= 2:
        return True
    last = left[commas[-1] + 1 :]
    return _n_words(last) <= 3 and not _VERB_CUE.search(last)


#: A piece that starts with one of these words is not a sentence of its own.
_NOT_A_SUBJECT = frozenset({
    "in", "on", "at", "for", "with", "by", "from", "to", "of", "after", "before", "during",
    "among", "between", "without", "within", "than", "as", "into", "over", "under", "not",
    "also", "only", "then", "especially", "particularly", "mainly", "even",
})
#: A "because" cut after one of these words would leave the word behind without what it
#: qualifies ("X happens partly because Y" is not "X happens. This is because Y.").
_BEFORE_BECAUSE = re.compile(
    r"\b(?:only|partly|mainly|largely|mostly|just|simply|solely|chiefly|primarily|"
    r"probably|possibly|perhaps|likely|maybe|either|not|is|was|are|were|be|been|being|"
    r"especially|particularly|also|even|presumably|apparently|in part)\W*$",
    re.I,
)
#: A colon after one of these words introduces a list or a quotation, not a new clause.
_COLON_BEFORE = frozenset({
    "that", "as", "follows", "following", "include", "includes", "including", "are", "is",
    "were", "was", "be", "to", "of", "the", "and", "or", "note", "notes", "example", "examples",
    "such", "these", "those", "this",
})


def _cuts(text: str) -> list[_Cut]:
    depth = _depths(text)
    found: list[_Cut] = []
    used: list[tuple[int, int]] = []
    for rx, kind, lead in _CUT_POINTS:
        for m in rx.finditer(text):
            if depth[m.start()] or any(m.start() < e and m.end() > s for s, e in used):
                continue
            cut_lead = lead
            right = text[m.end() :]
            if kind == "which":
                w = _WHICH_VERB.match(right)
                verb = w.group(1) if w else ""
                if not verb or not _VERB_CUE.fullmatch(verb):
                    continue  # "which patients ...": not a subject "which"
                cut_lead = "These" if verb.lower() in _PLURAL_VERBS else "This"
            elif kind == "contrast" and re.match(r"\w+ing\b", right):
                continue  # "while taking ...": not a clause
            found.append(_Cut(m.start(), m.end(), cut_lead, kind))
            used.append((m.start(), m.end()))
    return sorted(found, key=lambda c: c.start)


def _cap(s: str) -> str:
    s = s.strip()
    return s[:1].upper() + s[1:] if s else s


def _end(piece: str) -> str:
    piece = piece.rstrip().rstrip(",;:")
    return piece if piece.endswith((".", "!", "?")) else piece + "."


def _safe(text: str, start: int, cut: _Cut, left: str, right: str) -> bool:
    if _n_words(left) < MIN_PIECE_WORDS or _n_words(right) < MIN_PIECE_WORDS:
        return False
    # The whole sentence so far (not only this piece) decides scope: a hedge or condition at
    # the start of the sentence governs what follows the cut.
    before = text[:start]
    if _SCOPE.search(before) or _CONDITION_START.search(before):
        return False
    # A short piece that leans on a pronoun ("it should be emphasized ...", "which" -> "This")
    # says too little on its own once its referent is in another sentence.
    if (cut.kind == "which" or _ANAPHOR.match(right.lstrip())) and (
        _n_words(right) < MIN_ANAPHOR_PIECE_WORDS
    ):
        return False
    # A negation stays in one sentence with the words it contrasts with: "X lowers the risk,
    # but it is not known if X lowers the risk of death" is not cut, or the first piece would
    # read as if the source did not qualify it (and the verifier sees a negation mismatch).
    nxt = right.split(";", 1)[0]
    if bool(SIMPLE_NEGATION.search(left)) != bool(SIMPLE_NEGATION.search(nxt)) and (
        len(plain_content_words(left) & plain_content_words(nxt)) >= 2
    ):
        return False
    if cut.kind == "because" and SIMPLE_NEGATION.search(left):
        return False  # "X did not stop Y because Z": which part "not" governs is unclear
    if cut.kind == "because" and _BEFORE_BECAUSE.search(left):
        return False  # "only because", "partly because": the cut would drop the qualifier
    if cut.kind == "semicolon":
        return not re.match(r"\s*(?:and|or|nor)\b", right, re.I)  # "a; b; and c": a list
    if cut.kind == "colon":
        last = PROSE_WORD.findall(left)
        if not last or last[-1].lower() in _COLON_BEFORE:
            return False
    if not _is_clause(right) or not _is_clause(left):
        return False
    first = _WHICH_VERB.match(right.lstrip())
    if first and first.group(1).lower() in _NOT_A_SUBJECT:
        return False  # "..., but in no patient given X": an elliptical clause, not a sentence
    if cut.kind == "coordination":
        if first and _VERB_CUE.fullmatch(first.group(1)):
            return False  # "..., and reduced pain": the verb shares the first clause's subject
        # "A, B, and C" is a list; "A, B and C are X, but D is Y" is two clauses: a list never
        # continues with "but" (and the right side was checked to be a clause above).
        return cut.lead == "But" or not _list_tail(left)
    return True


#: A bracket that holds statistics rather than words: a p value, a confidence interval, a
#: group size, an effect measure, a spread, or figures compared with "vs".
_STATISTICS = re.compile(
    r"\b[pP]\s*[<>=\u2264\u2265]|\bCI\b|confidence interval|\b[nN]\s*=|"
    r"\b(?:a?OR|RR|a?HR|IRR|SMD|W?MD|IQR|SD|SEM?|AUC|NNT)\b|\u00b1|\d\s*(?:vs\.?|versus)\s*\d"
)


def _brackets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level round or square bracket group, brackets included."""
    out: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            if depth == 0:
                start = i
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
            if depth == 0:
                out.append((start, i + 1))
    return out


def split_statistics(text: str) -> tuple[str, str | None]:
    """The sentence with its statistics brackets moved to a short sentence of their own after
    it: "... side effects (P < 0.050) and nausea (P < 0.001)." -> ("... side effects and
    nausea.", "(Figures: P < 0.050; P < 0.001.)"), or (text, None) when it has none. Every
    number stays, in its order; brackets of words ("(painkillers)"), abbreviations and doses
    ("(300 mg/day)") stay where they are."""
    moved: list[str] = []
    out: list[str] = []
    last = 0
    for a, b in _brackets(text):
        inner = text[a + 1 : b - 1].strip()
        if not _STATISTICS.search(inner):
            continue
        out.append(text[last:a].rstrip(" "))
        moved.append(inner.rstrip(" .;"))
        last = b
    if not moved:
        return text, None
    out.append(text[last:])
    main = re.sub(r"\s+([,.;:])", r"\1", "".join(out)).strip()
    main = re.sub(r",(?=[.;])", "", main)
    if _n_words(main) < MIN_PIECE_WORDS:
        return text, None
    if not main.endswith((".", "!", "?")):
        main += "."
    return main, f"(Figures: {'; '.join(moved)}.)"


#: A round-bracket aside of at most this many words is dropped in the patient mode when it
#: only repeats what the reader has already been given (an abbreviation defined before, a
#: technical name already used): it adds syllables, not information. Longer asides are
#: explanations and stay.
REPEAT_ASIDE_WORDS = 6


def drop_repeated_asides(text: str, said: str) -> str:
    """`text` without the round-bracket asides that repeat words already in `said` (the
    article's text before this sentence) or earlier in `text`: "(NSAIDs)" after NSAIDs were
    named, "(hypospadias)" a second time. An aside holding a number, a negation or a hedge is
    never dropped, nor one of more than `REPEAT_ASIDE_WORDS` words. The aside must repeat in
    the same case but for its first letter ("(all)" does not repeat "ALL")."""
    out = text
    for a, b in reversed(_brackets(text)):
        if text[a] != "(":
            continue
        inner = " ".join(text[a + 1 : b - 1].split())
        n = _n_words(inner)
        if not n or n > REPEAT_ASIDE_WORDS or _NUMBER.search(inner) or _guarded(inner):
            continue
        if not PROSE_WORD.search(text[:a]):
            continue  # not an aside to anything: the sentence starts with it
        first = f"[{re.escape(inner[0].lower())}{re.escape(inner[0].upper())}]"
        rx = re.compile(r"(?<![\w-])" + first + re.escape(inner[1:]) + r"(?![\w-])")
        if not (rx.search(said) or rx.search(text[:a])):
            continue
        start = a
        while start > 0 and out[start - 1] == " ":
            start -= 1
        out = out[:start] + out[b:]
    return out


#: "Although A, B." reads as "A. But B." (the concession first, then the main clause).
_CONCESSIVE = re.compile(r"^\s*(?:although|even though|though)\s+", re.I)


def _concessive(text: str) -> tuple[str, str] | None:
    """("A.", "B.") for "Although A, B." when A and B are each a clause of their own: the
    first comma outside brackets ends A; None when that is not safe (a short or verbless
    side, a side that starts like a fragment, a second clause of A after the comma)."""
    m = _CONCESSIVE.match(text)
    if not m:
        return None
    depth = _depths(text)
    comma = next((i for i in range(m.end(), len(text)) if text[i] == "," and not depth[i]),
                 None)
    if comma is None:
        return None
    left, right = text[m.end() : comma], text[comma + 1 :].strip()
    if _n_words(left) < MIN_PIECE_WORDS or _n_words(right) < MIN_PIECE_WORDS:
        return None
    if not (_is_clause(left) and _is_clause(right)) or _ANAPHOR.match(right):
        return None  # "..., it ...": "it" may point into A, which is now another sentence
    first = _WHICH_VERB.match(right)
    if first and (_VERB_CUE.fullmatch(first.group(1))
                  or first.group(1).lower() in {"and", "or", "nor", "but", "which", "not"}):
        return None
    return _end(_cap(left)), right


def split_sentence(text: str, long_words: int = LONG_WORDS) -> list[str]:
    """Pieces of a long sentence cut at safe clause boundaries; others come back whole.

    A flattened bulleted list ("First sentence. - Second item. - Third item.") is first cut
    into its items; "Although A, B." becomes "A. But B." when both are clauses.
    """
    items = [t for t in _BULLET.split(text) if t.strip()]
    if len(items) > 1:
        return [p for item in items for p in split_sentence(item, long_words)]
    if _n_words(text) <= long_words or re.search(r"\brespectively\b", text, re.I):
        return [text]
    conc = _concessive(text)
    if conc is not None:
        rest = split_sentence(conc[1], long_words)
        return [conc[0], f"But {rest[0][:1].lower()}{rest[0][1:]}" if not re.match(
            r"[A-Z]{2}|[A-Z]\d", rest[0]) else f"But {rest[0]}", *rest[1:]]
    pieces: list[str] = []
    last = 0
    lead = ""
    for cut in _cuts(text):
        left = text[last : cut.start]
        right = text[cut.end :]
        if not _safe(text, cut.start, cut, left, right):
            continue
        pieces.append(_cap(f"{lead} {left}" if lead else left))
        last, lead = cut.end, cut.lead
    if not pieces:
        return [text]
    tail = text[last:]
    pieces.append(_cap(f"{lead} {tail}" if lead else tail))
    out = [_end(p) for p in pieces[:-1]]
    last_piece = pieces[-1].strip()
    out.append(last_piece if last_piece.endswith((".", "!", "?")) else last_piece + ".")
    return out
