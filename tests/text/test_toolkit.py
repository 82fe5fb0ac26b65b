"""The text toolkit's lists and patterns equal the stage-local ones they replace."""

from __future__ import annotations

import re

from curbside.compose import consensus
from curbside.index import lexical
from curbside.render import plain
from curbside.text import content, cues, stopwords, tokens
from curbside.understand import negation
from curbside.verify import support


def test_stopword_variants_equal_the_old_lists() -> None:
    assert stopwords.STOPWORDS == lexical.STOPWORDS
    assert stopwords.QUERY_STOPWORDS == tokens.STOPWORDS
    assert stopwords.SUPPORT_STOPWORDS == support._STOPWORDS
    assert stopwords.STANCE_STOPWORDS == consensus._STOP
    assert stopwords.PLAIN_STOPWORDS == plain._STOP


def _same(new: re.Pattern[str], old: re.Pattern[str]) -> None:
    assert (new.pattern, new.flags) == (old.pattern, old.flags)


def test_cues_equal_the_old_patterns() -> None:
    assert cues.NEGATION_WORDS == support._NEGATION_WORDS
    _same(cues.NEGATION, support._NEGATION)
    _same(cues.PSEUDO_NEGATION, support._NOT_NEGATION)
    _same(cues.SIMPLE_NEGATION, plain._NEGATION)
    _same(cues.NEGATED_FINDING, consensus._NEG)
    _same(cues.QUESTION_NEGATION, consensus._Q_NEG)
    _same(cues.BROAD_NEGATION, consensus._BROAD_NEG)
    _same(cues.CLAUSE_NEGATOR, consensus._NEGATING)
    _same(cues.HEDGE, consensus._HEDGE)
    assert cues.STANCE_NEGATORS == consensus._NEGATOR
    assert list(cues.PRE_NEGATION_TRIGGERS) == negation._PRE
    assert list(cues.POST_NEGATION_TRIGGERS) == negation._POST
    assert list(cues.PSEUDO_NEGATION_TRIGGERS) == negation._PSEUDO
    for s in ("It doesn't help and can't harm.", "X won't; Y cannot.", "CAN'T"):
        assert cues.expand_contractions(s) == consensus.expand_contractions(s)


def test_token_patterns_equal_the_old_ones() -> None:
    _same(tokens.PROSE_WORD, plain._WORD)
    _same(tokens.SUPPORT_WORD, support._WORD)
    _same(tokens.STANCE_WORD, consensus._WORD)
    assert tokens.WORD.pattern == lexical._WORD.pattern
    for s in ("HLA-B27 İstanbul naïve x_y 2.5mg", "Don't ÆSIR straße", "Ⅻ ½ ²"):
        assert tokens.lexical_tokens(s) == lexical.tokens(s)


def test_content_helpers_equal_the_old_ones() -> None:
    from curbside.safety import blocks

    texts = ("Patients with no significant-benefit from aspirin: the study's 2.5 mg arm.",
             "Which of these therapies were effective when they've been used with care?")
    for t in texts:
        assert content.stance_content_words(t) == consensus._content(t)
        assert content.content_words(t) == blocks._content(t)
    shared = content.plain_content_words(texts[0]) & content.plain_content_words(texts[1])
    assert shared == plain._shared_content(texts[0], texts[1])
