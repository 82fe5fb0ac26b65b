"""understand stage: query understanding (question type, vocabulary, drugs, negation).

`analyze_query(text)` is the entry point; `lexical_terms(analysis)` gives the weighted,
deduplicated search terms for the lexical index.
"""

from curbside.text.vocabulary import lay_term, lay_terms, technical_terms
from curbside.understand.analysis import (
    Expansion,
    QueryAnalysis,
    analyze_query,
    lexical_terms,
    warm_up,
)
from curbside.understand.question import QuestionType, classify_question, classify_question_types

__all__ = [
    "Expansion",
    "QueryAnalysis",
    "QuestionType",
    "analyze_query",
    "classify_question",
    "classify_question_types",
    "lay_term",
    "lay_terms",
    "technical_terms",
    "lexical_terms",
    "warm_up",
]
