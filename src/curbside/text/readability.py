"""Flesch-Kincaid grade with pyphen syllable counts, shared by the composer (the patient
audience's plainness signal, `compose.audience`) and the reader modes (`render.modes`).

Not textstat: it fetches NLTK's cmudict from the network on first use, and Curbside never
downloads anything at run time.
"""

from __future__ import annotations

import re
from functools import cache

from curbside.text.sentences import split_sentences
from curbside.text.tokens import PROSE_WORD


@cache
def _pyphen() -> object | None:
    try:
        from pyphen import Pyphen

        dic: object = Pyphen(lang="en_US")
        return dic
    except Exception:  # pragma: no cover - pyphen is a dependency
        return None


def syllables(word: str) -> int:
    dic = _pyphen()
    if dic is not None:
        return len(dic.positions(word.lower())) + 1  # type: ignore[attr-defined]
    return max(1, len(re.findall(r"[aeiouy]+", word.lower())))


def flesch_kincaid_grade(text: str | list[str]) -> float:
    """Flesch-Kincaid grade with pyphen syllable counts.

    `text` is one text or a list of units (claims): each unit counts as at least one sentence
    (a bullet or a heading line is read as one), and sentences within a unit are counted with
    the ingest sentence splitter, so "e.g.", "vs." and "2.5 mg" do not end a sentence.
    """
    units = [text] if isinstance(text, str) else text
    words = syll = sentences = 0
    for unit in units:
        toks = PROSE_WORD.findall(unit)
        if not toks:
            continue
        words += len(toks)
        syll += sum(syllables(w) for w in toks)
        sentences += max(1, len(split_sentences(unit)))
    if not words:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syll / words - 15.59
