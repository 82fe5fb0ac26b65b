"""Reading the bundled knowledge files (``curbside/knowledge/*``): one place for the text, for
the first checks every YAML loader makes (valid YAML, a mapping) and for the schema check
(`load_knowledge`: a pydantic model per file; errors name the file, the entry and the field).
`SCHEMAS` declares the checker of every bundled file; the tests load each one through it."""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError

#: libyaml's safe loader when PyYAML was built with it: the same documents, about 8x faster
#: (the bundled files take ~0.3 s of CPU with the pure-Python one, a cold `ask` reads most).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def cache_dir() -> Path:
    """``$CURBSIDE_CACHE_DIR`` or the user cache directory for Curbside: where what is derived
    from bundled data once (the drug index, the MeSH index, the optimised embedding model,
    the hyphenation patterns) is kept, each file keyed by what it was built from."""
    env = os.environ.get("CURBSIDE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("curbside", appauthor=False))


def knowledge_text(name: str) -> str:
    """The text of the bundled knowledge file `name` (e.g. ``"focus.yaml"``)."""
    return (resources.files("curbside") / "knowledge" / name).read_text(encoding="utf-8")


def knowledge_bytes(name: str) -> bytes:
    """The bytes of the bundled knowledge file `name` (e.g. a ``.gz`` table)."""
    return (resources.files("curbside") / "knowledge" / name).read_bytes()


def yaml_mapping(text: str, *, name: str, error: type[Exception], expected: str) -> dict[Any, Any]:
    """`text` parsed as a YAML mapping; otherwise `error` with ``"{name}: not valid YAML: ..."``
    or ``"{name}: {expected}"``."""
    try:
        data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        try:  # the pure-Python parser's messages point at the fault with a caret
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise error(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{name}: {expected}")
    return data


#: A date written in a knowledge file (``updated: 2026-12-06``), kept as its text.
DateText = Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) else str(v))]


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


#: A regular expression written in a knowledge file: checked to compile, kept as its text.
RegexText = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]


class KnowledgeError(ValueError):
    """A knowledge file that fails its schema; the message names the file, entry and field."""


Model = TypeVar("Model", bound=BaseModel)

#: Keys that name an entry of a list in a knowledge file, in the order they are tried.
_ENTRY_KEYS = ("id", "term", "word", "name", "vital")


def _where(data: Any, loc: tuple[int | str, ...], labels: Mapping[str, str]) -> str:
    """Where a pydantic error is: ``"pattern 'cauda_equina', field 'triggers.0'"`` for an entry
    of a top-level list, ``"personal_subjects, field 'words'"`` for a field of a top-level
    section, ``"field 'version'"`` for a top-level field."""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(data, dict):
        key = str(loc[0])
        label = labels.get(key, key)
        items = data.get(key)
        entry = f"#{loc[1]}"
        if isinstance(items, list) and loc[1] < len(items) and isinstance(items[loc[1]], dict):
            item = items[loc[1]]
            entry = str(next((item[k] for k in _ENTRY_KEYS if item.get(k)), entry))
        fld = ".".join(str(x) for x in loc[2:]) or f"({label})"
        return f"{label} '{entry}', field '{fld}'"
    if len(loc) >= 2:  # a field of a top-level section
        return f"{loc[0]}, field '{'.'.join(str(x) for x in loc[1:])}'"
    return f"field '{'.'.join(str(x) for x in loc) or '(file)'}'"


def parse_knowledge(text: str, schema: type[Model], *, name: str,
                    error: type[Exception] = KnowledgeError,
                    labels: Mapping[str, str] | None = None,
                    expected: str | None = None) -> Model:
    """`text` (YAML) checked against the pydantic `schema`; otherwise `error` naming the file,
    the entry and the field: ``"findings.yaml: finding 'fever', field 'patterns.0': ..."``.
    `labels` names the entries of a top-level list (``{"findings": "finding"}``); an entry is
    named by its ``id``, ``term``, ``word``, ``name`` or ``vital``, else by its position
    (``#3``)."""
    data = yaml_mapping(text, name=name, error=error,
                        expected=expected or f"must be a mapping (schema {schema.__name__})")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        if not loc and first["type"] == "value_error":  # a check of the whole file
            raise error(f"{name}: {first['ctx']['error']}") from None
        raise error(f"{name}: {_where(data, loc, labels or {})}: {first['msg']}") from None


def load_knowledge(name: str, schema: type[Model], *, error: type[Exception] = KnowledgeError,
                   labels: Mapping[str, str] | None = None) -> Model:
    """The bundled knowledge file `name` checked against `schema` (see `parse_knowledge`)."""
    return parse_knowledge(knowledge_text(name), schema, name=name, error=error, labels=labels)


#: Every bundled knowledge file and what checks it, as ``"module:attribute"``: a pydantic model
#: (the file is checked with `load_knowledge`), a parser ``f(text)`` or ``f(text, *, name)``
#: that makes the file's checks itself, or a loader ``f()`` of the bundled file. A file in
#: ``knowledge/`` that is neither here nor in `NOT_KNOWLEDGE` fails the tests, so a new
#: knowledge file must declare its schema.
SCHEMAS: dict[str, str] = {
    "findings.yaml": "curbside.understand.findings.knowledge:FindingsFile",
    "glossary.yaml": "curbside.render.modes:GlossaryFile",
    "guideline_developers.yaml": "curbside.compose.frames:GuidelineDevelopersFile",
    "question_forms.yaml": "curbside.understand.question:QuestionFormsFile",
    "expansion.yaml": "curbside.retrieve.expansion:ExpansionFile",
    # pydantic schemas checked by parse_knowledge, then cross-checks (known terms, groups...)
    "patterns.yaml": "curbside.safety.patterns:parse_patterns",
    "phi.yaml": "curbside.privacy.redact:parse_phi_patterns",
    "presuppositions.yaml": "curbside.safety.presuppositions:parse_presuppositions",
    # hand-written checks that name the entry and field (not yet pydantic models)
    "vital_signs.yaml": "curbside.safety.vital_rules:parse_vital_rules",
    "urgency.yaml": "curbside.safety.urgency:parse_urgency_table",
    "focus.yaml": "curbside.understand.focus:parse_focus_lists",
    "abbreviations.yaml": "curbside.text.vocabulary:abbreviation_entries",
    "synonyms.yaml": "curbside.text.vocabulary:synonym_entries",
    "plain_words.yaml": "curbside.text.vocabulary:plain_word_pairs",
    # built files, not hand-written YAML
    "condition_profiles.jsonl": "curbside.safety.differential:_index",
    "differential_model.json": "curbside.safety.differential:load_reranker",
    "condition_vectors.npz": "curbside.safety.differential:load_condition_vectors",
    "differential_cues.yaml": "curbside.safety.differential:load_cues",
    "condition_presentations.yaml": "curbside.safety.differential:load_presentations",
    "mesh_terms.tsv.gz": "curbside.understand.focus:mesh_index",
    "stopwords.yaml": "curbside.text.stopwords:parse_stopwords",
    # one catalogue in three files, checked together (same keys and placeholders as the base)
    "messages/clinician.yaml": "curbside.messages:catalogue",
    "messages/patient.yaml": "curbside.messages:catalogue",
    "messages/student.yaml": "curbside.messages:catalogue",
}

#: Bundled files that are not knowledge read by code, and why.
NOT_KNOWLEDGE: dict[str, str] = {
    "MESH_NOTICE.md": "the licence notice of mesh_terms.tsv.gz, for people to read",
}


def check_knowledge(name: str) -> object:
    """The bundled file `name` loaded through the checker `SCHEMAS` names for it (its errors
    name the file, the entry and the field); KnowledgeError when it declares none."""
    if name not in SCHEMAS:
        raise KnowledgeError(f"{name}: no schema declared (add it to "
                             "curbside.knowledge_files.SCHEMAS)")
    module, _, attr = SCHEMAS[name].partition(":")
    checker = getattr(importlib.import_module(module), attr)
    if isinstance(checker, type) and issubclass(checker, BaseModel):
        return load_knowledge(name, checker)
    params = inspect.signature(checker).parameters
    if not params:
        return checker()
    if "name" in params:
        return checker(knowledge_text(name), name=name)
    return checker(knowledge_text(name))
