"""The published article JSON Schema and the documentation stay true."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from curbside.article import Article
from curbside.cli import app, load_commands

REPO = Path(__file__).resolve().parents[1]


def test_published_article_schema_is_current() -> None:
    published = json.loads((REPO / "src/curbside/schemas/article.schema.json").read_text())
    assert published == Article.model_json_schema(), (
        "run: curbside schema --out src/curbside/schemas/article.schema.json"
    )


def _commands(group: object, prefix: str = "") -> list[str]:
    import typer.main

    cmd = typer.main.get_command(group)  # type: ignore[arg-type]
    out = []
    for name, sub in getattr(cmd, "commands", {}).items():
        full = f"{prefix}{name}"
        if getattr(sub, "commands", None):
            out += [f"{full} {n}" for n in sub.commands]
        else:
            out.append(full)
    return out


def test_every_cli_command_is_in_the_readme() -> None:
    load_commands()  # commands load lazily; walk every one
    readme = (REPO / "README.md").read_text()
    for command in _commands(app):
        top = command.split()[0]
        assert re.search(rf"curbside {re.escape(top)}\b", readme), f"README lacks `curbside {top}`"


def test_every_setting_is_documented() -> None:
    from curbside.config import Settings

    readme = (REPO / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description or name in ("chunking", "embedder", "retrieval", "llm"), name
        assert f"CURBSIDE_{name.upper()}" in readme, f"README lacks CURBSIDE_{name.upper()}"


def test_readme_starts_with_the_two_commands() -> None:
    head = (REPO / "README.md").read_text()[:400]
    assert "make demo" in head and "make test" in head


def test_help_runs() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "ingest" in result.output
