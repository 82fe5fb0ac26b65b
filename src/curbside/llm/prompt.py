"""The grounded prompt: numbered evidence passages, short sentences, every one cited.

The model sees only the passages retrieved for the question, numbered with the reference
numbers the article will use (``[3] title: text``), and is asked for a few short sentences that
each end with the numbers of the passages they come from. It is told not to write warnings, red
flags or urgent advice: those come from the knowledge patterns, never from the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from curbside.article import Audience
from curbside.llm.client import Message

__all__ = ["AUDIENCE_STYLE", "build_messages", "format_evidence"]

AUDIENCE_STYLE: dict[str, str] = {
    "clinician": "Write for a clinician: precise, concise, clinical terms are fine.",
    "patient": "Write for a patient: plain everyday words, short sentences, no jargon.",
    "student": "Write for a medical student: clear, and name the key clinical terms.",
}

SYSTEM = """You answer clinical questions using ONLY the numbered evidence passages you are given.
Rules:
- Use only facts stated in the passages. Never add outside knowledge.
- Write {min_sentences} to {max_sentences} short sentences, one fact per sentence.
- End every sentence with the number of the passage it comes from in square brackets, \
for example [{example}]. Cite only numbers from this list: {numbers}.
- Copy numbers, doses and percentages exactly as the passages give them.
- If the passages do not answer the question, say so in one sentence.
- Do not write warnings, red flags or urgent advice, headings, lists or a reference list.
{style}

Example of the format (the content is made up; it is not evidence):
Evidence passages:
[8] Trial A: Drug A lowered fever faster than placebo in 40 adults.
[9] Review B: Drug A caused stomach upset in 5% of users.
Question: Does drug A work for fever?
Answer: Drug A lowered fever faster than placebo in a small trial [8]. About 5% of users had \
stomach upset [9]."""


def format_evidence(
    evidence: Sequence[tuple[int, str, str]], *, max_chars_per_passage: int = 900,
    max_total_chars: int = 6000,
) -> str:
    """``[n] title: text`` lines, each passage and the whole block cut to fit the context."""
    lines: list[str] = []
    total = 0
    for n, title, text in evidence:
        body = " ".join(text.split())
        if len(body) > max_chars_per_passage:
            body = body[:max_chars_per_passage].rsplit(" ", 1)[0] + " ..."
        head = " ".join(title.split())
        line = f"[{n}] {head}: {body}" if head else f"[{n}] {body}"
        if lines and total + len(line) > max_total_chars:
            break
        lines.append(line)
        total += len(line)
    return "\n".join(lines)


def build_messages(
    question: str,
    evidence: Sequence[tuple[int, str, str]],
    *,
    audience: Audience = "clinician",
    min_sentences: int = 2,
    max_sentences: int = 5,
    max_chars_per_passage: int = 900,
    max_total_chars: int = 6000,
) -> list[Message]:
    """System and user messages for one grounded answer."""
    numbers = [n for n, _, _ in evidence]
    system = SYSTEM.format(
        min_sentences=min_sentences,
        max_sentences=max_sentences,
        example=numbers[0] if numbers else 1,
        numbers=", ".join(f"[{n}]" for n in numbers) or "(none)",
        style=AUDIENCE_STYLE.get(audience, AUDIENCE_STYLE["clinician"]),
    )
    block = format_evidence(
        evidence, max_chars_per_passage=max_chars_per_passage, max_total_chars=max_total_chars
    )
    user = f"Evidence passages:\n{block}\n\nQuestion: {question.strip()}\n\nAnswer:"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
