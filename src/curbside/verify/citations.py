"""Citation verification: every sentence against the passages it cites.

`CitationVerifier.verify(article, passages_by_ref, drop_unsupported=...)` returns a new article
and a `VerificationReport`:

1. citation numbers with no reference in the article, or no passage to check against, are
   removed (dangling or invented numbers);
2. each claim is scored against each cited reference's passages (one embedding call for the
   whole article); the claim's support is its best cited reference's score. A citation that
   does not support the sentence while another one does is removed. When no single reference
   supports a sentence that cites several, the union of their passages is tried (a sentence may
   join two sources' numbers);
3. with ``drop_unsupported``, claims under the threshold and claims left without citations are
   dropped; a section whose claims all went is dropped too;
4. references no claim, premise finding or red flag cites are dropped and the rest renumbered
   1..n in order of first citation (lead, premise findings, red flags, sections, bottom line);
   every citation list and the ``[n]`` markers in the consensus basis follow.

Connective claims (``ours=True``) are never scored; they must carry no citations and any they
carry are removed (counted in the report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from curbside.article import Article, ArticleSection, Claim
from curbside.verify.support import Support, SupportScorer

__all__ = ["CitationVerifier", "ClaimCheck", "VerificationReport"]

_MARKER = re.compile(r"\[(\s*\d+(?:\s*[,;\u2013\u2014-]\s*\d+)*\s*)\]")


@dataclass(slots=True)
class ClaimCheck:
    """What the verifier decided about one claim."""

    claim_id: str
    text: str
    where: str  # "lead", "bottom_line", "section:<kind>", "intro:<kind>"
    citations_before: list[int]
    citations_after: list[int]
    score: float
    kept: bool
    support: Support | None = None
    reason: str = ""


@dataclass(slots=True)
class VerificationReport:
    """Counts and per-claim scores of one verification run."""

    sentences: int = 0
    supported: int = 0
    dropped: int = 0
    dangling_removed: int = 0
    unsupporting_citations_removed: int = 0
    invented_numbers: int = 0
    negation_mismatches: int = 0
    connective_citations_removed: int = 0
    sections_dropped: int = 0
    references_dropped: int = 0
    #: Old reference number -> new reference number, for the references kept.
    renumbered: dict[int, int] = field(default_factory=dict)
    claims: list[ClaimCheck] = field(default_factory=list)

    @property
    def supported_fraction(self) -> float:
        return self.supported / self.sentences if self.sentences else 1.0

    def summary(self) -> str:
        return (
            f"{self.supported}/{self.sentences} sentences supported, {self.dropped} dropped, "
            f"{self.dangling_removed} dangling citations removed, "
            f"{self.unsupporting_citations_removed} unsupporting citations removed, "
            f"{self.invented_numbers} sentences with numbers not in their sources, "
            f"{self.references_dropped} references dropped"
        )


def _dedupe(xs: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(xs))


class CitationVerifier:
    """Checks each claim against its cited passages; see the module docstring."""

    def __init__(self, scorer: SupportScorer, threshold: float = 0.55) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be in [0, 1]")
        self.scorer = scorer
        self.threshold = threshold

    def verify(  # noqa: C901
        self,
        article: Article,
        passages_by_ref: Mapping[int, Sequence[str]],
        *,
        drop_unsupported: bool,
        renumber: bool = True,
    ) -> tuple[Article, VerificationReport]:
        """A verified copy of `article` and the report; the input is not modified.

        With ``renumber=False`` the reference list and numbers are left as they are (for a
        caller that verifies a fragment and assembles the article itself).
        """
        art = article.model_copy(deep=True)
        report = VerificationReport()
        known = {r.n for r in art.references if passages_by_ref.get(r.n)}
        ref_numbers = {r.n for r in art.references}

        # Every claim slot, in reading order, with where it sits.
        slots: list[tuple[str, Claim]] = [("lead", c) for c in art.lead]
        for s in art.sections:
            if s.intro is not None:
                slots.append((f"intro:{s.kind}", s.intro))
            slots += [(f"section:{s.kind}", c) for c in s.claims]
        slots += [("bottom_line", c) for c in art.bottom_line]

        # 1. Dangling citations and connective claims.
        checks: dict[int, ClaimCheck] = {}
        for where, claim in slots:
            before = list(claim.citations)
            if claim.ours:
                if claim.citations:
                    report.connective_citations_removed += len(claim.citations)
                    claim.citations = []
                continue
            cites = _dedupe(claim.citations)
            kept = [n for n in cites if n in known]
            report.dangling_removed += len(cites) - len(kept)
            claim.citations = kept
            checks[id(claim)] = ClaimCheck(claim.id, claim.text, where, before, kept, 0.0, True)

        # 2. Score every (claim, cited reference) pair, and the union for multi-cited claims.
        items: list[tuple[str, Sequence[str]]] = []
        keys: list[tuple[int, int | None]] = []
        for _, claim in slots:
            if claim.ours or not claim.citations:
                continue
            for n in claim.citations:
                items.append((claim.text, passages_by_ref[n]))
                keys.append((id(claim), n))
            if len(claim.citations) > 1:
                union = [p for n in claim.citations for p in passages_by_ref[n]]
                items.append((claim.text, union))
                keys.append((id(claim), None))
        scores: dict[tuple[int, int | None], Support] = dict(
            zip(keys, self.scorer.score_many(items), strict=True)
        )

        for _, claim in slots:
            if claim.ours:
                continue
            check = checks[id(claim)]
            report.sentences += 1
            if not claim.citations:
                claim.support = 0.0
                check.reason = "no valid citation"
                continue
            per_ref = {n: scores[(id(claim), n)] for n in claim.citations}
            best_n = max(claim.citations, key=lambda n: per_ref[n].score)
            best = per_ref[best_n]
            if best.score >= self.threshold:
                passing = [n for n in claim.citations if per_ref[n].score >= self.threshold]
                report.unsupporting_citations_removed += len(claim.citations) - len(passing)
                claim.citations = passing
            elif len(claim.citations) > 1 and scores[(id(claim), None)].score >= self.threshold:
                best = scores[(id(claim), None)]
            claim.support = best.score
            check.support = best
            check.score = best.score
            check.citations_after = list(claim.citations)
            if not best.numbers_ok:
                report.invented_numbers += 1
            if not best.negation_ok:
                report.negation_mismatches += 1
            if best.score >= self.threshold:
                report.supported += 1
            else:
                check.reason = "; ".join(best.problems) or "below the support threshold"

        # 3. Drop unsupported claims (and sections left empty).
        if drop_unsupported:

            def keep(claim: Claim) -> bool:
                if claim.ours:
                    return True
                ok = bool(claim.citations) and claim.support >= self.threshold
                if not ok:
                    checks[id(claim)].kept = False
                    report.dropped += 1
                return ok

            art.lead = [c for c in art.lead if keep(c)]
            sections: list[ArticleSection] = []
            for s in art.sections:
                had = any(not c.ours for c in s.claims)
                if s.intro is not None and not keep(s.intro):
                    s.intro = None
                s.claims = [c for c in s.claims if keep(c)]
                if had and not any(not c.ours for c in s.claims):
                    report.sections_dropped += 1
                    continue
                sections.append(s)
            art.sections = sections
            art.bottom_line = [c for c in art.bottom_line if keep(c)]
        report.claims = [checks[id(c)] for _, c in slots if id(c) in checks]

        # 4. Premise findings and red flags keep only citations of known references.
        for pf in art.premise_findings:
            cites = _dedupe(pf.citations)
            pf.citations = [n for n in cites if n in ref_numbers]
            report.dangling_removed += len(cites) - len(pf.citations)
        for rf in art.red_flags:
            cites = _dedupe(rf.citations)
            rf.citations = [n for n in cites if n in ref_numbers]
            report.dangling_removed += len(cites) - len(rf.citations)

        if not renumber:
            return art, report

        # 5. Renumber in order of first citation; drop references nobody cites.
        order: list[int] = []
        for c in art.lead:
            order += c.citations
        for pf in art.premise_findings:
            order += pf.citations
        for rf in art.red_flags:
            order += rf.citations
        for s in art.sections:
            if s.intro is not None:
                order += s.intro.citations
            for c in s.claims:
                order += c.citations
        for c in art.bottom_line:
            order += c.citations
        mapping = {old: new for new, old in enumerate(_dedupe(order), start=1)}
        report.renumbered = dict(mapping)
        report.references_dropped = sum(1 for r in art.references if r.n not in mapping)
        refs = [r for r in art.references if r.n in mapping]
        for r in refs:
            r.n = mapping[r.n]
        art.references = sorted(refs, key=lambda r: r.n)
        for c in art.all_claims():
            c.citations = [mapping[n] for n in c.citations]
        for pf in art.premise_findings:
            pf.citations = [mapping[n] for n in pf.citations]
        for rf in art.red_flags:
            rf.citations = [mapping[n] for n in rf.citations]
        for check in report.claims:
            check.citations_after = [mapping[n] for n in check.citations_after if n in mapping]
        if art.consensus is not None:
            art.consensus.basis = [_renumber_markers(b, mapping) for b in art.consensus.basis]
        levels: dict[str, int] = {}
        for r in art.references:
            levels[r.kind] = levels.get(r.kind, 0) + 1
        art.evidence_levels = levels
        return art, report


def _expand(body: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", body.strip()):
        m = re.fullmatch(r"(\d+)\s*[\u2013\u2014-]\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if a <= b and b - a < 50:
                out += range(a, b + 1)
        elif part.isdigit():
            out.append(int(part))
    return out


def _renumber_markers(text: str, mapping: Mapping[int, int]) -> str:
    """Rewrite ``[n]`` markers with new numbers; markers left with no kept number go away."""

    def sub(m: re.Match[str]) -> str:
        new = _dedupe(mapping[n] for n in _expand(m.group(1)) if n in mapping)
        return f"[{', '.join(map(str, new))}]" if new else ""

    return re.sub(r"\s+(?=[.,;:])", "", _MARKER.sub(sub, text)).strip()
