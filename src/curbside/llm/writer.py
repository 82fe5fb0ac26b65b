"""The LLM writer: a grounded prompt, the reply cut into cited claims, every claim verified.

`LLMWriter.write(question, evidence, audience=...)` takes the retrieved passages as
``(reference number, source title, passage text)`` triples and returns a `WriterResult`:

1. the model is asked for short sentences over the numbered passages (`llm.prompt`);
2. the reply is cleaned (chat-template tokens, markdown, HTML), split into sentences, and each
   sentence's ``[n]``, ``[n, m]`` and ``[n-m]`` markers become its citations;
3. citation numbers that are not among the retrieved passages are removed and counted
   (``fabricated_citations_removed``); a sentence left with no citation is dropped;
4. every remaining sentence goes through `CitationVerifier` (``drop_unsupported=True``): a claim
   survives only if a passage it cites supports it, numbers and negation included;
5. with fewer than ``min_claims`` survivors, ``fallback`` is True with the reason, and the caller
   composes the answer extractively instead (showing `WriterResult.notice`).

The model never produces red flags or premise findings: the result holds answer claims only.
Citation numbers in the result are the caller's reference numbers, unchanged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from curbside.article import Article, Audience, Claim, Reference
from curbside.config import LLMSettings
from curbside.llm.client import LLM, LLMBadOutput, LLMError, make_llm
from curbside.llm.prompt import build_messages
from curbside.messages import message
from curbside.text.sentences import split_sentences
from curbside.verify.citations import CitationVerifier, VerificationReport
from curbside.verify.support import SupportScorer

if TYPE_CHECKING:
    from curbside.registry import Registry, WriterFactory

__all__ = [
    "ClaimWriter",
    "LLMWriter",
    "ParsedSentence",
    "WriterResult",
    "parse_citations",
    "parse_output",
    "verified_llm_writer",
    "write_with_llm",
]

Evidence = Sequence[tuple[int, str, str]]

_MARKER = re.compile(r"\[\s*(\d+(?:\s*(?:,|;|-|\u2013|\u2014|and)\s*\d+)*)\s*\]")
_TEMPLATE_TOKENS = re.compile(
    r"<\|[^|>]{0,40}\|>(?:\s*(?:user|assistant|system|model)\b)?|"
    r"<(?:start|end)_of_turn>(?:\s*(?:user|model)\b)?|</?s>|<bos>|<eos>|<pad>",
    re.IGNORECASE,
)
_HTML = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_MARKDOWN = re.compile(r"\*\*|__|(?<!\w)\*(?!\s)|`+")
_LINE_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|[-*\u2022]\s+|\d{1,2}[.)]\s+|answer\s*:\s*)", re.I)
_LEADING_MARKER = re.compile(r"^\[\s*(\d+(?:\s*(?:,|-|\u2013)\s*\d+)*)\s*\]")
# "... sentence.[1]" or "... sentence. [1] Next" -> "... sentence [1]. Next"
_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\s*\d[\d\s,;\u2013\u2014-]*\])+)")


@dataclass(frozen=True, slots=True)
class ParsedSentence:
    text: str
    citations: tuple[int, ...]
    fabricated: tuple[int, ...] = ()


def parse_citations(body: str) -> list[int]:
    """Numbers of one marker body: ``"1, 3"``, ``"2-4"``, ``"2–4"``, ``"1 and 2"``."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|\band\b)\s*", body.strip()):
        m = re.fullmatch(r"(\d+)\s*[-\u2013\u2014]\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            out += range(a, b + 1) if a <= b and b - a <= 20 else [a, b]
        elif part.isdigit():
            out.append(int(part))
    return list(dict.fromkeys(out))


def _clean(raw: str) -> list[str]:
    text = _TEMPLATE_TOKENS.sub("\n", raw)
    text = _HTML.sub(" ", text)
    text = _MARKDOWN.sub("", text)
    blocks = []
    for line in text.splitlines():
        line = _LINE_PREFIX.sub("", line).strip()
        if line:
            blocks.append(_MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", line))
    return blocks


def parse_output(raw: str, allowed: set[int] | None = None) -> list[ParsedSentence]:
    """The model's reply as sentences with their citations (markers removed from the text).

    With `allowed`, citation numbers outside it go to ``fabricated`` instead of ``citations``.
    Fragments of fewer than three words are skipped; repeats are merged.
    """
    merged: dict[str, list[int]] = {}
    for block in _clean(raw):
        lead = _LEADING_MARKER.match(block)
        # "[3] passage text. More text." cites [3] for every sentence of the line that has no
        # marker of its own (the way a model echoes the numbered passages).
        line_default = parse_citations(lead.group(1)) if lead else []
        for sentence in split_sentences(block):
            numbers: list[int] = []
            for m in _MARKER.finditer(sentence):
                numbers += parse_citations(m.group(1))
            text = _MARKER.sub("", sentence)
            text = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(text.split())).strip(" ,;:")
            if len(re.findall(r"[A-Za-z]{2,}", text)) < 3:
                continue
            # Repeats are one sentence citing everything they were cited with.
            merged.setdefault(text, []).extend(numbers or line_default)
    out: list[ParsedSentence] = []
    for text, nums in merged.items():
        numbers = list(dict.fromkeys(nums))
        if allowed is None:
            out.append(ParsedSentence(text, tuple(numbers)))
        else:
            out.append(
                ParsedSentence(
                    text,
                    tuple(n for n in numbers if n in allowed),
                    tuple(n for n in numbers if n not in allowed),
                )
            )
    return out


@dataclass(slots=True)
class WriterResult:
    """What the LLM writer produced, and whether the caller must fall back."""

    claims: list[Claim]
    fallback: bool
    model: str
    reason: str = ""
    raw_output: str = ""
    sentences_generated: int = 0
    fabricated_citations_removed: int = 0
    uncited_sentences: int = 0
    verification: VerificationReport | None = None
    latency_s: float = 0.0
    #: Reference numbers the surviving claims cite, in order of first citation.
    cited: list[int] = field(default_factory=list)

    @property
    def notice(self) -> str | None:
        """A reader-facing line for the article's notices when the writer fell back."""
        if not self.fallback:
            return None
        return message("notice.llm_not_used", reason=self.reason)


def _strip_title(text: str, titles: Iterable[str]) -> str:
    """Drop a leading ``Source title:`` that a model copied from the evidence list."""
    for title in titles:
        head = " ".join(title.split())
        if head and text.startswith(head + ":"):
            return text[len(head) + 1 :].strip()
    return text


def _placeholder_reference(n: int, title: str) -> Reference:
    return Reference.model_validate(
        {"n": n, "type": "Research", "kind": "other", "level": 7, "source_id": n,
         "external_id": f"evidence:{n}", "title": title or f"evidence {n}"}
    )


class ClaimWriter(Protocol):
    """Writes cited answer claims from numbered evidence (`curbside.registry.WRITERS`)."""

    def write(
        self,
        question: str,
        evidence: Evidence,
        *,
        audience: Audience = "clinician",
        on_chunk: Callable[[str], None] | None = None,
    ) -> WriterResult: ...


class LLMWriter:
    """Writes answer claims with an `LLM` and keeps only the ones the verifier accepts."""

    def __init__(
        self,
        llm: LLM,
        verifier: CitationVerifier,
        *,
        min_claims: int = 2,
        max_sentences: int = 5,
        max_tokens: int = 320,
        temperature: float = 0.0,
    ) -> None:
        self.llm = llm
        self.verifier = verifier
        self.min_claims = max(1, min_claims)
        self.max_sentences = max(self.min_claims, max_sentences)
        self.max_tokens = max_tokens
        self.temperature = temperature

    def write(
        self,
        question: str,
        evidence: Evidence,
        *,
        audience: Audience = "clinician",
        on_chunk: Callable[[str], None] | None = None,
    ) -> WriterResult:
        """Claims for `question` from `evidence` ``(ref number, title, passage text)``.

        With `on_chunk`, the reply is streamed and each chunk passed to it as it arrives.
        """
        t0 = time.perf_counter()
        model = self.llm.model
        if not evidence:
            return WriterResult([], True, model, reason="no evidence passages to write from")
        messages = build_messages(
            question, evidence, audience=audience,
            min_sentences=self.min_claims, max_sentences=self.max_sentences,
        )
        try:
            if on_chunk is None:
                raw = self.llm.complete(
                    messages, max_tokens=self.max_tokens, temperature=self.temperature
                )
            else:
                parts: list[str] = []
                for chunk in self.llm.stream(
                    messages, max_tokens=self.max_tokens, temperature=self.temperature
                ):
                    parts.append(chunk)
                    on_chunk(chunk)
                raw = "".join(parts)
        except LLMBadOutput as exc:
            return WriterResult([], True, model, reason=f"the model's output was unusable: {exc}",
                                latency_s=time.perf_counter() - t0)
        except LLMError as exc:
            return WriterResult([], True, model, reason=f"LLM unavailable: {exc}",
                                latency_s=time.perf_counter() - t0)
        return self._verify(raw, evidence, model, t0)

    def _verify(self, raw: str, evidence: Evidence, model: str, t0: float) -> WriterResult:
        passages_by_ref: dict[int, list[str]] = {}
        titles: dict[int, str] = {}
        for n, title, text in evidence:
            passages_by_ref.setdefault(n, []).append(text)
            titles.setdefault(n, title)
        allowed = set(passages_by_ref)
        parsed = parse_output(raw, allowed)
        fabricated = sum(len(p.fabricated) for p in parsed)
        uncited = sum(1 for p in parsed if not p.citations)
        claims = [
            Claim.model_validate(
                {"id": f"llm-{i}", "text": _strip_title(p.text, titles.values()),
                 "citations": p.citations}
            )
            for i, p in enumerate(parsed, start=1)
            if p.citations
        ]
        result = WriterResult(
            [], True, model, raw_output=raw, sentences_generated=len(parsed),
            fabricated_citations_removed=fabricated, uncited_sentences=uncited,
        )
        if claims:
            draft = Article.model_validate(
                {"question": "", "title": "", "created_at": "", "settings_fingerprint": "",
                 "lead": claims,
                 "references": [_placeholder_reference(n, titles[n]) for n in sorted(allowed)]}
            )
            verified, report = self.verifier.verify(
                draft, passages_by_ref, drop_unsupported=True, renumber=False
            )
            result.verification = report
            result.claims = list(verified.lead)
        for c in result.claims:  # the one rule that must never break
            if not c.citations or not set(c.citations) <= allowed:
                raise AssertionError("a claim left verification with an invalid citation")
        result.cited = list(dict.fromkeys(n for c in result.claims for n in c.citations))
        result.latency_s = time.perf_counter() - t0
        if len(result.claims) < self.min_claims:
            result.reason = (
                f"only {len(result.claims)} of {len(parsed)} generated sentences passed citation "
                f"verification (at least {self.min_claims} needed)"
            )
        else:
            result.fallback = False
        return result


def verified_llm_writer(llm: LLM, verifier: CitationVerifier, min_claims: int) -> ClaimWriter:
    """Writer ``llm``: `LLMWriter`, the model's sentences kept only where verified."""
    return LLMWriter(llm, verifier, min_claims=min_claims)


def write_with_llm(
    settings: LLMSettings,
    question: str,
    evidence: Evidence,
    *,
    audience: Audience = "clinician",
    scorer: SupportScorer | None = None,
    threshold: float = 0.55,
    min_claims: int = 2,
    on_chunk: Callable[[str], None] | None = None,
) -> WriterResult:
    """One answer through the configured LLM client (``settings.kind``, see
    `curbside.llm.client.make_llm`); never raises for server problems.

    The entry point for ``curbside ask --writer llm``: when ``result.fallback`` is True, compose
    extractively and add ``result.notice`` to the article's notices; otherwise use
    ``result.claims`` (citations are the evidence's reference numbers) with
    ``writer="llm"`` and ``model=result.model``, then verify the assembled article as usual.
    """
    from curbside.registry import WRITERS

    try:
        llm = make_llm(settings)
    except LLMError as exc:
        return WriterResult([], True, settings.model, reason=str(exc))
    try:
        verifier = CitationVerifier(scorer or SupportScorer(None), threshold=threshold)
        writer = WRITERS.get("llm")(llm, verifier, min_claims)
        return writer.write(question, evidence, audience=audience, on_chunk=on_chunk)
    finally:
        close = getattr(llm, "close", None)
        if callable(close):
            close()


def register_builtin_writers(reg: Registry[WriterFactory]) -> None:
    """The built-in answer writers (named by `curbside.registry.WRITERS`)."""
    reg.register("llm", verified_llm_writer)
