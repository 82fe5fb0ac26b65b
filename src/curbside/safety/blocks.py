"""The safety blocks of an article: premise findings, red flags and urgency, all cited.

`safety_blocks(question, evidence, store, refs)` runs the premise audit and triage on the
question, resolves each cited external id to the stored source (`store.find_source`) and its
best-matching passage (`store.passages_of`), and asks `refs.cite(...)` for reference numbers.
A citation whose source is not stored is skipped; a finding with no resolvable citation is
dropped, never shown uncited. Evidence premises cite the retrieved passage they come from.

Red flags are the fired patterns of urgency emergency or urgent; routine patterns (for example
inflammatory back pain) appear as premise findings when the question's assumption conflicts
with them, and in triage, but not as red flags. The article's urgency is ``routine`` only when a
routine pattern fired or a premise finding came from one; premise findings from no pattern
give ``undetermined``, never ``routine``; a question with neither gives ``none`` (no block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from curbside.article import PremiseFinding, RedFlag, Urgency
from curbside.compose.references import ReferenceList
from curbside.domain import Evidence, Passage, Source
from curbside.safety.patterns import URGENCY_RANK, Pattern, load_patterns, match_patterns
from curbside.safety.premises import evidence_audit, pattern_premises
from curbside.store.sources import SourceStore
from curbside.text.content import content_words
from curbside.understand.findings import extract_findings

_LEVELS: dict[int, Urgency] = {3: "emergency", 2: "urgent", 1: "routine", 0: "none"}


@dataclass(slots=True)
class SafetyResult:
    premise_findings: list[PremiseFinding] = field(default_factory=list)
    red_flags: list[RedFlag] = field(default_factory=list)
    urgency: Urgency = "none"
    dropped: list[str] = field(default_factory=list)  # pattern ids dropped for want of a citation
    #: What the question takes for granted that no retrieved sentence is about (only when no
    #: premise finding was made: a finding already answers the question's assumptions).
    unsupported: list[str] = field(default_factory=list)


def best_passage(passages: Sequence[Passage], statement: str) -> Passage | None:
    """The passage sharing the most content words with `statement` (first on ties)."""
    want = content_words(statement)
    best: tuple[float, Passage] | None = None
    for p in passages:
        have = content_words(p.text)
        score = len(want & have) / (1 + 0.002 * len(p.text))
        if best is None or score > best[0]:
            best = (score, p)
    return best[1] if best else None


class _Citer:
    """Resolves external ids to reference numbers, caching store look-ups."""

    def __init__(self, store: SourceStore, refs: ReferenceList, evidence: Sequence[Evidence]):
        self.store = store
        self.refs = refs
        self.sources: dict[str, Source | None] = {}
        self.passages: dict[int, list[Passage]] = {}
        self.retrieved: dict[str, list[Passage]] = {}
        for ev in evidence:
            self.retrieved.setdefault(ev.source.external_id, []).append(ev.passage)

    def cite(self, external_ids: Sequence[str], statement: str) -> list[int]:
        out: list[int] = []
        for ext in external_ids:
            if ext not in self.sources:
                self.sources[ext] = self.store.find_source(ext)
            src = self.sources[ext]
            if src is None:
                continue
            if src.id not in self.passages:
                self.passages[src.id] = self.store.passages_of(src.id)
            p = best_passage(self.passages[src.id], statement)
            if p is None:
                continue
            n = self.refs.cite(src, p.id, p.text)
            if n not in out:
                out.append(n)
        return out

    def cite_evidence(self, ev: Evidence) -> int:
        return self.refs.cite(ev.source, ev.passage.id, ev.passage.text)


def safety_blocks(
    question: str,
    evidence: Sequence[Evidence],
    store: SourceStore,
    refs: ReferenceList,
    *,
    patterns: Sequence[Pattern] | None = None,
) -> SafetyResult:
    """Premise findings, red flags and urgency for `question`, cited through `refs`."""
    pats = list(patterns) if patterns is not None else load_patterns().patterns
    findings = extract_findings(question)
    citer = _Citer(store, refs, evidence)
    result = SafetyResult()

    # Pattern premises first, then the evidence's, read once with what it is silent on.
    audit = evidence_audit(question, evidence)
    for cand in [*pattern_premises(question, findings, pats), *audit.premises]:
        if cand.evidence is not None:
            cites = [citer.cite_evidence(cand.evidence)]
        else:
            cites = citer.cite(cand.external_ids, cand.finding)
        if not cites:
            result.dropped.append(cand.pattern_id or "evidence")
            continue
        result.premise_findings.append(PremiseFinding(
            assumption=cand.assumption, finding=cand.finding, citations=cites,
            pattern=cand.pattern_id,
        ))

    if not result.premise_findings:
        result.unsupported = audit.silent

    level = 0
    routine_fired = False
    for m in match_patterns(findings, pats):
        p = m.pattern
        if p.urgency not in ("emergency", "urgent"):
            routine_fired = routine_fired or p.urgency == "routine"
            continue
        action = " ".join(p.action.split())
        cites = citer.cite(p.citations, f"{p.suggests} {action}")
        if not cites:
            result.dropped.append(p.id)
            continue
        result.red_flags.append(RedFlag(
            pattern=p.id, name=p.name, urgency=p.urgency, trigger=m.trigger_text,
            action=action, citations=cites,
        ))
        level = max(level, URGENCY_RANK[p.urgency])
    by_id = {p.id: p for p in pats}
    routine_fired = routine_fired or any(
        f.pattern in by_id and by_id[f.pattern].urgency == "routine"
        for f in result.premise_findings)
    if level == 0 and routine_fired:
        level = URGENCY_RANK["routine"]
    result.urgency = _LEVELS[level]
    if level == 0 and result.premise_findings:
        # The question was assessed but no pattern fired: never silently routine.
        result.urgency = "undetermined"
    return result
