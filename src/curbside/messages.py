"""Curbside's own sentences: one catalogue per audience, looked up by message key.

Every sentence that is Curbside's own (a verdict line, "insufficient evidence", what the
evidence lacks, section intros, the premise and "when to seek care" lines, notices, urgency
labels) lives in ``curbside/knowledge/messages/<audience>.yaml``, never in code. An article
claim that says one carries its key (`Claim.key`) and the values of its placeholders
(`Claim.params`), so stages compare keys, never sentence text, and a reader mode says the same
key in its own words (`say`).

``clinician.yaml`` is the base catalogue and holds every key. Another audience's file names
``fallback: clinician`` and rewords only the keys it lists; any other key is said as in the
base. The catalogue is checked when it is loaded: every key well formed, every text a non-empty
string, no audience key missing from the base, the same placeholders as the base, and a file
without a fallback has every key of the base. A problem raises `MessageError` naming the file
and the key.

A claim that says several messages in a row (the lead's notes on what the evidence lacks) has
their keys joined by ``+`` (``"gap.no_definition+gap.not_together"``); `say` says each, in
order, joined by a space.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from curbside.article import Article, Claim
from curbside.knowledge_files import yaml_mapping

#: The audiences, each with its catalogue file ``<audience>.yaml``.
AUDIENCES = ("clinician", "patient", "student")
#: The base catalogue: it holds every key, and the others fall back to it.
BASE = "clinician"
#: Joins the keys of a claim that says several messages in a row.
JOIN = "+"

_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class MessageError(ValueError):
    """A catalogue file is malformed, or a key or placeholder is unknown; the message names
    the file (or the key) at fault."""


class Catalogue:
    """The checked texts of every audience: ``texts[audience][key]`` (fallbacks filled in)."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]], own: Mapping[str, frozenset[str]]):
        self.texts = {a: dict(t) for a, t in texts.items()}
        #: The keys each audience's own file words itself (not from its fallback).
        self.own = dict(own)

    def message_keys(self) -> list[str]:
        return list(self.texts[BASE])

    def text(self, key: str, audience: str = BASE) -> str:
        if audience not in self.texts:
            raise MessageError(f"unknown audience '{audience}' (one of {', '.join(self.texts)})")
        try:
            return self.texts[audience][key]
        except KeyError:
            raise MessageError(
                f"unknown message key '{key}' (not in messages/{BASE}.yaml)"
            ) from None


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def load_catalogue(files: Mapping[str, str]) -> Catalogue:
    """Check and load the catalogue from the YAML text of each audience's file."""
    raw: dict[str, dict[str, str]] = {}
    fallback: dict[str, str | None] = {}
    for audience in AUDIENCES:
        name = f"messages/{audience}.yaml"
        if audience not in files:
            raise MessageError(f"{name}: missing (every audience has a catalogue file)")
        data = yaml_mapping(files[audience], name=name, error=MessageError,
                            expected="must be a mapping with 'audience' and 'messages'")
        if data.get("audience") != audience:
            raise MessageError(f"{name}: field 'audience' must be '{audience}'")
        fb = data.get("fallback")
        if audience == BASE and fb is not None:
            raise MessageError(f"{name}: the base catalogue has no fallback")
        if fb is not None and fb != BASE:
            raise MessageError(f"{name}: field 'fallback' must be '{BASE}'")
        fallback[audience] = fb
        messages = data.get("messages")
        if not isinstance(messages, dict):
            raise MessageError(f"{name}: field 'messages' must be a mapping of key to text")
        texts: dict[str, str] = {}
        for key, text in messages.items():
            if not isinstance(key, str) or not _KEY.match(key):
                raise MessageError(
                    f"{name}: key '{key}': must be dotted lower-case words (e.g. 'verdict.mixed')"
                )
            if not isinstance(text, str) or not text.strip():
                raise MessageError(f"{name}: key '{key}': text must be a non-empty string")
            try:
                _placeholders(text)
            except ValueError as exc:
                raise MessageError(f"{name}: key '{key}': bad placeholder: {exc}") from None
            texts[key] = " ".join(text.split())
        raw[audience] = texts
    base = raw[BASE]
    out: dict[str, dict[str, str]] = {}
    for audience, texts in raw.items():
        name = f"messages/{audience}.yaml"
        for key, text in texts.items():
            if key not in base:
                raise MessageError(f"{name}: key '{key}': not in messages/{BASE}.yaml")
            if _placeholders(text) != _placeholders(base[key]):
                raise MessageError(
                    f"{name}: key '{key}': placeholders {sorted(_placeholders(text))} differ "
                    f"from messages/{BASE}.yaml's {sorted(_placeholders(base[key]))}"
                )
        if fallback[audience] is None:
            missing = [k for k in base if k not in texts]
            if missing:
                raise MessageError(
                    f"{name}: key '{missing[0]}': missing (a file without 'fallback' has every "
                    "key)"
                )
        out[audience] = {k: texts.get(k, base[k]) for k in base}
    return Catalogue(out, {a: frozenset(t) for a, t in raw.items()})


def catalogue_files() -> dict[str, str]:
    """The YAML text of each audience's bundled catalogue file."""
    folder = resources.files("curbside") / "knowledge" / "messages"
    out: dict[str, str] = {}
    for audience in AUDIENCES:
        try:
            out[audience] = (folder / f"{audience}.yaml").read_text(encoding="utf-8")
        except FileNotFoundError:
            continue  # reported by load_catalogue, naming the file
    return out


@cache
def catalogue() -> Catalogue:
    """The bundled catalogue, checked (cached)."""
    return load_catalogue(catalogue_files())


def message(key: str, audience: str = BASE, **params: object) -> str:
    """The text of message `key` for `audience`, its placeholders filled from `params`."""
    text = catalogue().text(key, audience)
    try:
        return text.format(**params)
    except KeyError as exc:
        raise MessageError(f"message '{key}': no value for placeholder {exc}") from None


def key_parts(key: str) -> list[str]:
    """The message keys a claim's `key` names (several when joined by ``+``)."""
    return key.split(JOIN)


def join_keys(keys: Sequence[str]) -> str:
    """One claim key for several messages said in a row."""
    return JOIN.join(keys)


def say(key: str, audience: str = BASE, params: Mapping[str, str] | None = None) -> str:
    """The text of a claim's `key` (one key, or several joined by ``+``) for `audience`."""
    return " ".join(message(k, audience, **dict(params or {})) for k in key_parts(key))


def own_claim(key: str, audience: str = BASE, **params: object) -> Claim:
    """A claim of ours saying message `key` (its keys joined by ``+`` for several), never
    cited; its `params` keep the placeholder values so another audience can say it too."""
    values = {k: str(v) for k, v in params.items()}
    return Claim(text=say(key, audience, values), ours=True, key=key, params=values or None)


def says(claim: Claim, key: str) -> bool:
    """Whether `claim` is ours and says message `key` (alone or among joined keys)."""
    return claim.key is not None and key in key_parts(claim.key)


def with_stored_keys(article: Article) -> Article:
    """`article` as stored before claims carried message keys, with its keys filled in.

    Articles stored before `Claim.key` existed have ``key`` null on our own sentences too. A
    claim of ours whose text is, word for word, a base-catalogue message without placeholders
    gets that key, so a reader mode says it in its own words as it did then; any other claim
    is left as it was (its text is shown as stored). This is the one place that reads our
    sentence text back, and only for data written before keys.
    """
    if not any(c.ours and c.key is None for c in article.all_claims()):
        return article
    by_text = {
        text: key for key, text in catalogue().texts[BASE].items() if not _placeholders(text)
    }
    if not any(c.ours and c.key is None and c.text in by_text for c in article.all_claims()):
        return article

    def keyed(c: Claim) -> Claim:
        key = by_text.get(c.text) if c.ours and c.key is None else None
        return c.model_copy(update={"key": key}) if key else c

    return article.model_copy(update={
        "lead": [keyed(c) for c in article.lead],
        "sections": [s.model_copy(update={
            "intro": keyed(s.intro) if s.intro else None, "claims": [keyed(c) for c in s.claims]})
            for s in article.sections],
        "bottom_line": [keyed(c) for c in article.bottom_line],
    })
