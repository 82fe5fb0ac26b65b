"""Redaction of direct identifiers (names, dates, record numbers, phones, e-mail, addresses).

Questions can hold a patient's details. Before a question is searched, composed into an article
or stored, `redact` replaces the identifiers the patterns in ``knowledge/phi.yaml`` find with
typed placeholders (``[NAME]``, ``[DATE]``, ``[MRN]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``,
``[SSN]``, ``[URL]``, ``[IP]``, ``[ID]``). Clinical content (ages, doses, blood pressures,
durations, years of studies) is left as it is; see the pattern file for what each one is
written not to catch.

Redaction is idempotent: redacting redacted text changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from curbside.knowledge_files import knowledge_text, parse_knowledge

LABELS = ("NAME", "DATE", "MRN", "PHONE", "EMAIL", "ADDRESS", "SSN", "URL", "IP", "ID")
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(LABELS) + r")\]")
_FRAGMENT = re.compile(r"<<(\w+)>>")
_MAX_PASSES = 4
_NAME_END = r"(?!\w|['’](?!s\b))"  # a whole word; a possessive "'s" may follow


class PhiPatternError(ValueError):
    """The pattern file is invalid; the message names the pattern id and the field."""


class PhiPattern(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    label: str
    reason: str = Field(min_length=10)
    regex: str = Field(min_length=1)
    propagate: bool = False


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    id: str
    label: str
    regex: re.Pattern[str]
    propagate: bool

    @property
    def placeholder(self) -> str:
        return f"[{self.label}]"


class PhiPatternFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    fragments: dict[str, str] = Field(default_factory=dict)
    no_propagate: list[str] = Field(default_factory=list)
    patterns: list[PhiPattern]


@dataclass(frozen=True, slots=True)
class PhiPatterns:
    """The compiled pattern file: patterns in order, and the names never propagated."""

    patterns: tuple[CompiledPattern, ...]
    no_propagate: frozenset[str]


@dataclass(frozen=True, slots=True)
class Found:
    """One identifier that was replaced: which pattern, its placeholder label, the text."""

    pattern: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    found: tuple[Found, ...]

    @property
    def changed(self) -> bool:
        return bool(self.found)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.found:
            out[f.label] = out.get(f.label, 0) + 1
        return out


def _expand(regex: str, fragments: dict[str, str], where: str, depth: int = 0) -> str:
    if depth > 8:
        raise PhiPatternError(f"{where}: fragments nest too deeply (a cycle?)")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in fragments:
            raise PhiPatternError(f"{where}: unknown fragment <<{name}>>")
        return _expand(fragments[name], fragments, where, depth + 1)

    return _FRAGMENT.sub(sub, regex)


def parse_phi_patterns(text: str, *, name: str = "phi.yaml") -> PhiPatterns:
    """Parse, validate and compile the pattern file; errors name the pattern and field."""
    spec = parse_knowledge(text, PhiPatternFile, name=name, error=PhiPatternError,
                           labels={"patterns": "pattern"},
                           expected="expected a mapping with version, fragments, patterns")
    out: list[CompiledPattern] = []
    seen: set[str] = set()
    for p in spec.patterns:
        where = f"{name}: pattern '{p.id}'"
        if p.id in seen:
            raise PhiPatternError(f"{where}, field 'id': duplicate id")
        seen.add(p.id)
        if p.label not in LABELS:
            raise PhiPatternError(f"{where}, field 'label': {p.label!r} is not one of "
                                  f"{', '.join(LABELS)}")
        try:
            rx = re.compile(_expand(p.regex, spec.fragments, where + ", field 'regex'"))
        except re.error as exc:
            raise PhiPatternError(f"{where}, field 'regex': {exc}") from None
        out.append(CompiledPattern(p.id, p.label, rx, p.propagate))
    return PhiPatterns(tuple(out), frozenset(w.lower() for w in spec.no_propagate))


def load_phi_patterns(path: Path | None = None) -> PhiPatterns:
    """The bundled patterns (loaded once), or the file at `path` (not cached)."""
    if path is not None:
        return parse_phi_patterns(path.read_text(encoding="utf-8"), name=str(path))
    return _bundled()


@cache
def _bundled() -> PhiPatterns:
    return parse_phi_patterns(knowledge_text("phi.yaml"))


def _inside_placeholder(text: str, start: int, end: int) -> bool:
    return any(m.start() < end and start < m.end() for m in PLACEHOLDER.finditer(text))


def _apply(pattern: CompiledPattern, text: str, found: list[Found]) -> str:
    out: list[str] = []
    pos = 0
    for m in pattern.regex.finditer(text):
        has_id = "id" in pattern.regex.groupindex and m.group("id") is not None
        start, end = m.span("id") if has_id else m.span()
        if end <= start or start < pos or _inside_placeholder(text, start, end):
            continue
        out.append(text[pos:start])
        out.append(pattern.placeholder)
        found.append(Found(pattern.id, pattern.label, text[start:end]))
        pos = end
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _propagate(text: str, names: list[Found], found: list[Found],
               no_propagate: frozenset[str]) -> str:
    """Replace other mentions of a found name: the whole name (any case) and, when it was
    written capitalised, each capitalised token of three or more letters (exact case). A name
    written in lower case that is also a common word ("will") is not propagated."""
    for f in names:
        value = f.value.strip()
        if value.lower() in no_propagate and not value[:1].isupper():
            continue
        forms = [re.compile(rf"(?<![\w'’]){re.escape(value)}{_NAME_END}", re.IGNORECASE)]
        forms += [
            re.compile(rf"(?<![\w'’]){re.escape(tok)}{_NAME_END}")
            for tok in re.split(r"\s+", value)
            if len(tok) >= 3 and tok[0].isupper() and tok[1:].islower()
        ]
        for rx in forms:
            def sub(m: re.Match[str], f: Found = f) -> str:
                found.append(Found(f.pattern, "NAME", m.group(0)))
                return "[NAME]"

            text = rx.sub(sub, text)
    return text


def redact(text: str, patterns: PhiPatterns | None = None, *,
           known: Redaction | None = None) -> Redaction:
    """`text` with every identifier the patterns find replaced by its placeholder.

    `known`: the redaction of a related text (the question, for its title): the names found
    there are replaced here too, even without a cue.
    """
    spec = patterns if patterns is not None else _bundled()
    found: list[Found] = []
    carried = [f for f in (known.found if known else ()) if f.label == "NAME"]
    for _ in range(_MAX_PASSES):
        before = len(found)
        names: list[Found] = list(carried)
        carried = []
        for p in spec.patterns:
            n = len(found)
            text = _apply(p, text, found)
            if p.propagate:
                names += found[n:]
        if names:
            text = _propagate(text, names, found, spec.no_propagate)
        if len(found) == before:
            break
    return Redaction(text, tuple(found))


def redact_text(text: str) -> str:
    """Shorthand: the redacted text only."""
    return redact(text).text


def strip_placeholders(text: str) -> str:
    """Redacted text with the placeholders taken out (for searching: they are not words)."""
    return " ".join(PLACEHOLDER.sub(" ", text).split())


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's message before a handler writes it.

    Question text is logged at DEBUG only (and redacted there already); this filter is the
    net under every handler the CLI installs, for messages that quote user input by accident.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return True
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_redacting_filter(*loggers: logging.Logger) -> None:
    """Add a `RedactingFilter` to every handler of these loggers (default: the root logger),
    once each."""
    for lg in loggers or (logging.getLogger(),):
        for handler in lg.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
