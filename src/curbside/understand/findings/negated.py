"""Which findings are negated: the ConText-style scopes of `curbside.understand.negation`,
segment by segment, with the trigger position, and the rule for terms whose own wording carries
the negation ("not improved by rest" is negated only by a trigger before it)."""

from __future__ import annotations

import re

from curbside.text.cues import AUX_BEFORE_NOT
from curbside.understand.findings.lexicon import EMBEDS_NEGATION
from curbside.understand.negation import find_negations

_SEGMENT = re.compile(r"[^.!?\n]+[.!?\n]*")


def negated_regions(text: str) -> list[tuple[int, int, int]]:
    """(trigger start, scope start, scope end) for each negated scope; long text by segment."""
    out: list[tuple[int, int, int]] = []
    low = text.lower()
    for seg in _SEGMENT.finditer(text):
        base = seg.start()
        for span in find_negations(seg.group()):
            s, e = base + span.start, base + span.end
            trig = span.trigger.lower()
            pos = low.rfind(trig, max(0, s - len(trig) - 40), s)
            if pos < 0:  # a post-negation trigger, or a contraction ("doesn't")
                after = low.find(trig, e, e + 40)
                out.append((s, s, after + len(trig) if after >= 0 else e))
            else:
                if trig == "not" and AUX_BEFORE_NOT.search(low[max(0, pos - 12):pos]):
                    # a negated verb phrase ("does not improve with rest, morning stiffness")
                    # ends at the clause's first comma
                    comma = low.find(",", s, e)
                    e = comma if comma > 0 else e
                out.append((pos, s, e))
    return out


def is_negated(term: str, start: int, end: int, regions: list[tuple[int, int, int]]) -> bool:
    for trig, s, e in regions:
        if start < e and end > s:  # overlaps the scope
            if term in EMBEDS_NEGATION:
                if start >= s:
                    return True
            elif start >= trig:
                return True
    return False

