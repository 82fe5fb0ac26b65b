"""The text toolkit: its lists stay exactly the ones the stages were tuned with, its cues find
what their readers expect, and it stays the bottom layer."""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import pytest

from curbside.text import content, cues, stopwords, tokens
from curbside.text.stopwords import StopwordsError, parse_stopwords


def _digest(words: frozenset[str]) -> str:
    return hashlib.sha256(" ".join(sorted(words)).encode()).hexdigest()[:16]


# Pinned when the lists moved here from the stages (each equalled the stage's old literal set).
# Changing a list changes answers or BM25 tokens: measure it (benchmarks/answer_snapshot.py),
# then update the pin.
@pytest.mark.parametrize(
    ("words", "size", "digest"),
    [
        (stopwords.STOPWORDS, 126, "43cd7b6c2f051ad9"),
        (stopwords.QUERY_STOPWORDS, 178, "43296903b9b92857"),
        (stopwords.SUPPORT_STOPWORDS, 112, "f9c952d453d40e88"),
        (stopwords.STANCE_STOPWORDS, 51, "5cec570bbfc87b35"),
        (stopwords.PLAIN_STOPWORDS, 17, "5f0777634a65ef07"),
        (stopwords.OVERLAP_STOPWORDS, 59, "3727e2bd074769a7"),
        (cues.NEGATION_WORDS, 23, "d2552f465bb3946f"),
        (cues.STANCE_NEGATORS, 14, "83c57086321abf4c"),
    ],
)
def test_word_lists_are_pinned(words: frozenset[str], size: int, digest: str) -> None:
    assert (len(words), _digest(words)) == (size, digest)


def test_stopword_variants_differ_where_their_stage_needs_it() -> None:
    assert stopwords.STOPWORDS < stopwords.QUERY_STOPWORDS
    query_only = stopwords.QUERY_STOPWORDS - stopwords.STOPWORDS
    assert {"tell", "explain", "please", "whether"} <= query_only
    # The verifier keeps scope words and drops abstract discourse markers.
    assert not {"all", "some", "only", "no", "not"} & stopwords.SUPPORT_STOPWORDS
    assert {"moreover", "conclusion", "vs"} <= stopwords.SUPPORT_STOPWORDS
    assert {"patient", "patients", "study"} <= stopwords.STANCE_STOPWORDS
    assert all(len(w) > 3 for w in stopwords.PLAIN_STOPWORDS)


def test_stopwords_file_errors_name_the_entry_and_field() -> None:
    with pytest.raises(StopwordsError, match=r"x\.yaml: a: reason"):
        parse_stopwords("a: {words: the}", name="x.yaml")
    with pytest.raises(StopwordsError, match=r"a: extends: no list named 'b'"):
        parse_stopwords("a: {reason: r, extends: b, adds: x}")
    with pytest.raises(StopwordsError, match=r"a: words: words must be lower-case"):
        parse_stopwords("a: {reason: r, words: The}")
    with pytest.raises(StopwordsError, match=r"a: give either"):
        parse_stopwords("a: {reason: r, words: x, extends: a, adds: y}")
    with pytest.raises(StopwordsError, match=r"extends itself"):
        parse_stopwords("a: {reason: r, extends: b, adds: x}\nb: {reason: r, extends: a, adds: y}")
    with pytest.raises(StopwordsError, match="not valid YAML"):
        parse_stopwords("a: [")
    assert parse_stopwords("b: {reason: r, words: x y}\na: {reason: r, extends: b, adds: z}") == {
        "a": frozenset("xyz"), "b": frozenset("xy")}


def test_negation_cues() -> None:
    assert cues.NEGATION.search("Aspirin did not reduce mortality")
    assert cues.NEGATION.search("it failed to reach significance")
    assert not cues.NEGATION.search("Aspirin reduced mortality")
    assert cues.PSEUDO_NEGATION.sub(" ", "not only X") == "  X"
    assert cues.SIMPLE_NEGATION.search("it doesn't help")
    assert cues.NEGATED_FINDING.search("There was no significant difference")
    assert cues.QUESTION_NEGATION.search("Is X not linked to Y?")
    assert not cues.QUESTION_NEGATION.search("Can X be done without Y?")
    assert cues.BROAD_NEGATION.search("rarely used")
    assert cues.CLAUSE_NEGATOR.search("lacking effect")
    assert cues.HEDGE.search("further research is needed")
    assert cues.negated_before(re.compile("always"), "It is not always fatal")
    assert not cues.negated_before(re.compile("always"), "It is always fatal")
    assert cues.expand_contractions("It doesn't help and can't harm.") == (
        "It does not help and can not harm."
    )
    # Typed without the apostrophe or with a curled one; "cant" and "wont" are words.
    assert cues.expand_contractions("Antibiotics arent needed and dont help") == (
        "Antibiotics are not needed and do not help"
    )
    assert cues.expand_contractions("It doesn\u2019t, as is its wont") == (
        "It does not, as is its wont"
    )
    assert cues.QUESTION_NEGATION.search("Why dont antibiotics work?")
    assert not cues.QUESTION_NEGATION.search("Are donuts bad?")
    assert "no" in cues.PRE_NEGATION_TRIGGERS and "ruled out" in cues.POST_NEGATION_TRIGGERS
    assert "no change" in cues.PSEUDO_NEGATION_TRIGGERS


def test_tokens_and_content_words() -> None:
    assert tokens.lexical_tokens("HLA-B27 x_y Naïve") == ["hla", "b27", "x", "y", "naïve"]
    assert tokens.PROSE_WORD.findall("It's 2.5 mg/day") == ["It's", "2.5", "mg", "day"]
    assert tokens.SUPPORT_WORD.findall("non-significant 2.5") == ["non-significant", "2", "5"]
    assert tokens.STANCE_WORD.findall("is x-ray ok a") == ["is", "x-ray", "ok"]
    assert content.stance_content_words("Does the study of patients help?") == {"help"}
    assert content.content_words("Tell me about the aspirin dose") == {"aspirin", "dose"}
    assert content.plain_content_words("These drugs were given with care") == {
        "drugs", "given", "care"}


def test_toolkit_imports_no_other_curbside_package() -> None:
    """The bottom layer: stages import it, it imports only itself and knowledge_files."""
    root = Path(tokens.__file__).parent
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if name.startswith("curbside"):
                    assert name.startswith(("curbside.text", "curbside.knowledge_files")), (
                        f"{path.name} imports {name}"
                    )
