"""Every bundled knowledge file declares its schema and passes it; errors name file, entry,
field."""

from __future__ import annotations

from importlib import resources

import pytest
from pydantic import BaseModel, Field

from curbside.knowledge_files import (
    NOT_KNOWLEDGE,
    SCHEMAS,
    KnowledgeError,
    check_knowledge,
    parse_knowledge,
)


def _bundled() -> list[str]:
    folder = resources.files("curbside") / "knowledge"
    out = []
    for p in folder.iterdir():
        if p.name.startswith("."):
            continue
        if p.is_file():
            out.append(p.name)
        elif p.is_dir() and p.name != "__pycache__":  # e.g. messages/: one file per audience
            out += [f"{p.name}/{q.name}" for q in p.iterdir()
                    if q.is_file() and not q.name.startswith(".")]
    return sorted(out)


@pytest.mark.parametrize("name", _bundled())
def test_every_knowledge_file_passes_its_declared_schema(name: str) -> None:
    if name in NOT_KNOWLEDGE:
        return
    assert name in SCHEMAS, (f"knowledge/{name} has no schema: declare one in "
                             "curbside.knowledge_files.SCHEMAS")
    assert check_knowledge(name) is not None


def test_declared_files_exist() -> None:
    assert set(SCHEMAS) | set(NOT_KNOWLEDGE) <= set(_bundled())


def test_a_file_without_a_schema_is_refused() -> None:
    with pytest.raises(KnowledgeError, match=r"new\.yaml: no schema declared"):
        check_knowledge("new.yaml")


class _Item(BaseModel):
    id: str
    size: int = Field(ge=1)


class _File(BaseModel):
    version: int
    items: list[_Item]


@pytest.mark.parametrize(("text", "where"), [
    ("version: 1\nitems:\n  - {id: a, size: 1}\n  - {id: b, size: 0}\n",
     "x.yaml: item 'b', field 'size': "),
    ("version: 1\nitems:\n  - {size: 2}\n", "x.yaml: item '#0', field 'id': "),
    ("version: one\nitems: []\n", "x.yaml: field 'version': "),
    ("- a list\n", "x.yaml: must be a mapping"),
    ("version: [\n", "x.yaml: not valid YAML"),
])
def test_errors_name_the_file_the_entry_and_the_field(text: str, where: str) -> None:
    with pytest.raises(KnowledgeError) as exc:
        parse_knowledge(text, _File, name="x.yaml", labels={"items": "item"})
    assert str(exc.value).startswith(where), str(exc.value)


def test_moved_loaders_name_the_entry_and_the_field() -> None:
    from curbside.render.modes import GlossaryFile
    from curbside.understand.question import QuestionFormsFile

    with pytest.raises(KnowledgeError, match=r"^question_forms\.yaml: requests '#0', field "
                                             r"'pattern': Value error, not a valid regular"):
        parse_knowledge("version: 1\nupdated: 2026-01-01\nrequests:\n"
                        "  - {pattern: 'tell me (about', reason: a request}\n",
                        QuestionFormsFile, name="question_forms.yaml")
    with pytest.raises(KnowledgeError, match=r"^glossary\.yaml: terms, field "
                                             r"'sacroiliitis\.definition': Field required"):
        parse_knowledge("version: 1\nupdated: 2026-01-01\nterms:\n  sacroiliitis: {}\n",
                        GlossaryFile, name="glossary.yaml")
