"""The findings lexicon of ``knowledge/findings.yaml``, compiled, and matching it in a text.

Each canonical term has its kind and regular expressions, tried in file order; patterns are
case-insensitive unless the file marks them ``case_sensitive`` (with the reason). `KNOWN_TERMS`
is what knowledge patterns may name in their triggers: the lexicon's terms and the derived ones.
"""

from __future__ import annotations

import re

from curbside.understand.findings.knowledge import findings_knowledge

_K = findings_knowledge()

#: Canonical terms knowledge patterns may use in triggers.
KNOWN_TERMS: frozenset[str] = _K.known_terms()

#: Terms whose own wording carries a negation ("not improved by rest").
EMBEDS_NEGATION: frozenset[str] = frozenset(e.term for e in _K.findings if e.embeds_negation)

#: Pairs of terms that cannot both hold.
OPPOSITES: list[tuple[str, str]] = [o.terms for o in _K.opposites]

#: Terms stated and denied in one text that are not a conflict ("no rash", "non-blanching rash").
GENERIC_TERMS: frozenset[str] = frozenset(_K.generic_terms.terms)

#: (term, kind, compiled pattern) in file order.
COMPILED: list[tuple[str, str, re.Pattern[str]]] = [
    (e.term, e.kind, re.compile(_K.expand(p.pattern), 0 if p.case_sensitive else re.IGNORECASE))
    for e in _K.findings
    for p in e.patterns
]
