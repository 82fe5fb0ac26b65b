"""Content words: what is left of a text when a purpose's stop words are dropped.

Each function is the comparison one stage was tuned with (its tokens, its stop words, its
shortest word); they are kept apart so that no stage's answers change.
"""

from __future__ import annotations

from curbside.text.stopwords import PLAIN_STOPWORDS, QUERY_STOPWORDS, STANCE_STOPWORDS
from curbside.text.tokens import PROSE_WORD, STANCE_WORD, words


def content_words(text: str) -> set[str]:
    """Words of three or more letters that are not query stop words (which passage states a
    safety block's statement best)."""
    return {w for w in words(text) if w not in QUERY_STOPWORDS and len(w) > 2}


def stance_content_words(text: str) -> set[str]:
    """The consensus meter's content words: `STANCE_WORD` tokens of three or more characters
    that are not stance stop words."""
    found = STANCE_WORD.findall(text.lower())
    return {w for w in found if w not in STANCE_STOPWORDS and len(w) > 2}


def plain_content_words(text: str) -> set[str]:
    """Patient-mode splitting's content words: lower-cased prose words of four or more
    letters that are not plain stop words."""
    return {w.lower() for w in PROSE_WORD.findall(text) if len(w) > 3} - PLAIN_STOPWORDS
