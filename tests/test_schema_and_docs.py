"""The published article JSON Schema and the documentation stay true."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from curbside.article import Article
from curbside.cli import app, load_commands

REPO = Path(__file__).resolve().parents[1]


def test_published_article_schema_is_current() -> None:
    published = json.loads((REPO / "src/curbside/schemas/article.schema.json").read_text())
    assert published == Article.model_json_schema(), (
        "run: curbside schema --out src/curbside/schemas/article.schema.json"
    )


DOCS = REPO / "docs"
GUIDE = DOCS / "guide.md"
README_MAX_LINES = 150


def _load_config_doc_generator() -> ModuleType:
    path = REPO / "scripts" / "gen_config_docs.py"
    spec = importlib.util.spec_from_file_location("gen_config_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(group: object) -> list[str]:
    """Every leaf command of the CLI, with its groups: "ingest", "review approve", "users
    tokens revoke"."""
    import typer.main

    load_commands()  # commands load lazily; walk every one

    def walk(cmd: Any, prefix: str) -> list[str]:
        out = []
        for name, sub in getattr(cmd, "commands", {}).items():
            if getattr(sub, "commands", None):
                out += walk(sub, f"{prefix}{name} ")
            else:
                out.append(f"{prefix}{name}")
        return out

    return walk(typer.main.get_command(group), "")  # type: ignore[arg-type]


def test_every_cli_command_is_in_the_guide() -> None:
    guide = GUIDE.read_text()
    commands = _commands(app)
    assert "users tokens revoke" in commands and "review approve" in commands
    missing = [c for c in commands if not re.search(rf"curbside {re.escape(c)}\b", guide)]
    assert not missing, f"docs/guide.md lacks {', '.join(f'`curbside {c}`' for c in missing)}"


def test_every_command_in_the_guide_reference_exists() -> None:
    guide = GUIDE.read_text()
    reference = guide[guide.index("## Command reference"):]
    listed = re.findall(r"^\| `curbside ([a-z -]+?)(?: [A-Z_]+)*` \|", reference, re.M)
    assert listed, "no command table in the guide's command reference"
    unknown = sorted(set(listed) - set(_commands(app)))
    assert not unknown, f"the guide lists commands the CLI lacks: {unknown}"


def test_every_setting_has_a_description() -> None:
    from pydantic import BaseModel

    from curbside.config import Settings

    def check(model: type[BaseModel], path: str) -> None:
        for name, field in model.model_fields.items():
            nested = field.annotation
            if isinstance(nested, type) and issubclass(nested, BaseModel):
                assert field.description or nested.__doc__, f"{path}{name}: no description"
                check(nested, f"{path}{name}.")
            else:
                assert field.description, f"{path}{name}: no description"

    check(Settings, "")


def test_configuration_reference_is_generated_from_the_settings() -> None:
    generated = _load_config_doc_generator().render()
    current = (DOCS / "configuration.md").read_text()
    assert current == generated, (
        "docs/configuration.md is stale: run python scripts/gen_config_docs.py"
    )


def test_configuration_reference_names_the_variables_pydantic_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The environment variable the reference gives for each number and switch is the one
    pydantic-settings reads (prefix and nested delimiter as configured)."""
    from curbside.config import Settings

    gen = _load_config_doc_generator()
    reference = (DOCS / "configuration.md").read_text()
    checked = 0
    for path, field in gen.leaves(Settings):
        env = gen.env_name(path)
        assert f"`{env}`" in reference, f"docs/configuration.md lacks {env}"
        if field.annotation in (int, float) and isinstance(field.default, int | float):
            value = _other_number(field)
        elif field.annotation is bool:
            value = not field.default
        else:
            continue
        monkeypatch.setenv(env, str(value).lower())
        got: Any = Settings()
        for name in path:
            got = getattr(got, name)
        assert got == value, f"{env}={value} did not set {'.'.join(path)}"
        monkeypatch.delenv(env)
        checked += 1
    assert checked >= 10


def _other_number(field: Any) -> float:
    """A value other than the field's default that its bounds allow: default + 1, or, where
    an upper bound forbids that, halfway between the default and the lower bound (or 0)."""
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    value = field.default + 1
    if hi is not None and value > hi:
        value = (field.default + (lo if lo is not None else 0)) / 2
        if field.annotation is int:
            value = int(value) if int(value) != field.default else field.default - 1
    return value


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    body = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", body, re.M)}


def _doc_files() -> list[Path]:
    return [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]


def test_every_link_in_the_docs_resolves() -> None:
    broken = []
    for doc in _doc_files():
        text = re.sub(r"^```.*?^```", "", doc.read_text(), flags=re.M | re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked offline
            file_part, _, anchor = target.partition("#")
            linked = (doc.parent / file_part).resolve() if file_part else doc
            where = f"{doc.relative_to(REPO)} -> {target}"
            if not linked.exists():
                broken.append(f"{where}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text()):
                broken.append(f"{where}: no such heading")
    assert not broken, "\n".join(broken)


def test_readme_starts_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make demo" in readme[:400] and "make test" in readme[:400]
    assert first_block.split("\n")[1].startswith("make demo")
    assert first_block.split("\n")[2].startswith("make test")


def test_readme_is_a_short_front_page() -> None:
    lines = (REPO / "README.md").read_text().count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move detail into docs/"
    )
    readme = (REPO / "README.md").read_text()
    for page in ("guide", "configuration", "operations", "architecture", "benchmarks"):
        assert f"(docs/{page}.md)" in readme, f"README does not link docs/{page}.md"


def test_help_runs() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "ingest" in result.output
