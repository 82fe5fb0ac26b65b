"""LLMWriter: citations parsed, fabricated numbers stripped, every claim verified, fallback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import pytest

from curbside.config import LLMSettings
from curbside.llm.client import LLMUnavailable, Message, OpenAICompatibleLLM
from curbside.llm.local_server import free_port
from curbside.llm.writer import LLMWriter, parse_citations, parse_output, write_with_llm
from curbside.verify.citations import CitationVerifier
from curbside.verify.support import SupportScorer

# Self-written generic evidence, numbered like an article's references (3 and 5 on purpose:
# any [1], [2], [4] the model writes is invented).
EVIDENCE = [
    (3, "Exercise trial", "Exercise therapy reduced pain more than usual care in adults with "
     "chronic low back pain. Between 15–30% of participants reported a clinically important "
     "improvement at 12 weeks."),
    (5, "Heat wrap trial", "Heat wraps gave short-term relief of acute low back pain. There was "
     "no significant difference in disability at 4 weeks."),
]


class ScriptedLLM:
    """Returns a fixed reply (unit tests of parsing and verification; no server involved)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.model = "scripted"

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 512,
                 temperature: float = 0.0) -> str:
        return self.reply

    def stream(self, messages: Sequence[Message], *, max_tokens: int = 512,
               temperature: float = 0.0) -> Iterator[str]:
        yield from re.findall(r"\S+\s*", self.reply)


@pytest.fixture(scope="module")
def verifier() -> CitationVerifier:
    return CitationVerifier(SupportScorer(None))


def test_marker_forms() -> None:
    assert parse_citations("1") == [1]
    assert parse_citations("1, 3") == [1, 3]
    assert parse_citations("2-4") == [2, 3, 4]
    assert parse_citations("2–4, 7") == [2, 3, 4, 7]
    out = parse_output("A first claim here [1]. A second claim here.[2, 3] Third claim here [4-5].")
    assert [(p.text, p.citations) for p in out] == [
        ("A first claim here.", (1,)),
        ("A second claim here.", (2, 3)),
        ("Third claim here.", (4, 5)),
    ]


def test_fabricated_numbers_stripped_and_unsupported_dropped(verifier: CitationVerifier) -> None:
    reply = (
        "**Answer:** Exercise therapy reduced pain more than usual care in adults with chronic "
        "low back pain [3, 9]. Heat wraps gave short-term relief of acute low back pain [5].\n"
        "- Between 15-50% of participants improved at 12 weeks [3].\n"
        "Acupuncture cures everything in every patient [12]. Yoga is the best treatment [5]."
        "<end_of_turn>"
    )
    result = LLMWriter(ScriptedLLM(reply), verifier).write("Does exercise help?", EVIDENCE)
    assert not result.fallback
    assert [c.citations for c in result.claims] == [[3], [5]]
    assert result.fabricated_citations_removed == 2  # [9] and [12]
    assert result.sentences_generated == 5
    assert result.uncited_sentences == 1  # the acupuncture sentence lost its only citation
    assert result.verification is not None and result.verification.dropped == 2
    assert result.cited == [3, 5]
    assert all(c.support >= 0.55 for c in result.claims)


def test_too_few_survivors_falls_back(verifier: CitationVerifier) -> None:
    reply = ("Exercise therapy reduced pain more than usual care in adults [3]. "
             "Magic potions work wonders [7].")
    result = LLMWriter(ScriptedLLM(reply), verifier).write("q", EVIDENCE)
    assert result.fallback and "1 of 2" in result.reason
    assert result.notice and "composed from source sentences" in result.notice
    lenient = LLMWriter(ScriptedLLM(reply), verifier, min_claims=1).write("q", EVIDENCE)
    assert not lenient.fallback and len(lenient.claims) == 1


def test_streaming_passes_chunks(verifier: CitationVerifier) -> None:
    seen: list[str] = []
    reply = ("Exercise therapy reduced pain more than usual care in adults with chronic low back "
             "pain [3]. Heat wraps gave short-term relief of acute low back pain [5].")
    result = LLMWriter(ScriptedLLM(reply), verifier).write("q", EVIDENCE, on_chunk=seen.append)
    assert len(seen) > 5 and not result.fallback


@pytest.mark.llm
def test_real_model_fabricated_citations_never_reach_output(
        real_llm_settings: Callable[..., LLMSettings]) -> None:
    scorer = SupportScorer(None)
    with OpenAICompatibleLLM(real_llm_settings()) as llm:
        writer = LLMWriter(llm, CitationVerifier(scorer), max_tokens=120)
        result = writer.write("Does exercise help chronic low back pain?", EVIDENCE)
    assert result.raw_output  # the model did answer
    assert result.sentences_generated >= 1
    # The tiny base model invents reference numbers; none may survive.
    assert result.fabricated_citations_removed >= 1
    for claim in result.claims:
        assert claim.citations and set(claim.citations) <= {3, 5}
        assert claim.support >= 0.55
    assert result.fallback == (len(result.claims) < 2)


def test_server_down_falls_back_with_notice() -> None:
    settings = LLMSettings.model_validate(
        {"base_url": f"http://127.0.0.1:{free_port()}/v1", "max_retries": 0}
    )
    result = write_with_llm(settings, "Does exercise help?", EVIDENCE)
    assert result.fallback and result.claims == []
    assert result.reason.startswith("LLM unavailable")
    assert result.notice is not None and "not used" in result.notice
    with pytest.raises(LLMUnavailable):
        OpenAICompatibleLLM(settings).complete([{"role": "user", "content": "x"}])


def test_unconfigured_server_falls_back() -> None:
    result = write_with_llm(LLMSettings(), "q", EVIDENCE)
    assert result.fallback and "no LLM server configured" in result.reason


def test_unknown_llm_kind_falls_back_naming_the_setting() -> None:
    settings = LLMSettings.model_validate({"base_url": "http://llm.invalid/v1", "kind": "nope"})
    result = write_with_llm(settings, "q", EVIDENCE)
    assert result.fallback and "CURBSIDE_LLM__KIND" in result.reason
    assert "openai-compatible" in result.reason
    assert LLMSettings().kind == "openai-compatible"


def test_no_evidence_falls_back(verifier: CitationVerifier) -> None:
    result = LLMWriter(ScriptedLLM("anything [1]."), verifier).write("q", [])
    assert result.fallback and "no evidence" in result.reason
