"""A command loads only what it runs (issue 14): `curbside ask` must not pay for the web stack,
the review/backup/ingest code or Alembic, and `--help` must not load the engine at all.

These tests look at which modules a fresh interpreter has imported, never at the clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Never needed to answer a question on the command line.
NOT_FOR_ASK = (
    "fastapi", "uvicorn", "starlette", "jinja2", "httpx", "alembic", "mako",
    "drug_named_entity_recognition", "matplotlib",
    "curbside.api", "curbside.web", "curbside.llm", "curbside.review.editorial",
    "curbside.ingest.pipeline", "curbside.services.accounts", "curbside.services.access",
    "curbside.services.backups", "curbside.services.corpus", "curbside.services.review",
    "curbside.cli.review", "curbside.cli.serve", "curbside.cli.sources", "curbside.cli.users",
    "curbside.cli.backup",
)
#: Not needed to parse a command's arguments (help, usage errors): the engine, the models.
NOT_FOR_PARSING = (
    *NOT_FOR_ASK, "sqlalchemy", "onnxruntime", "tokenizers", "usearch",
    "curbside.services.answers", "curbside.services.runtime", "curbside.store",
)

_RUN = """
import json, sys
from curbside.cli import app
try:
    app(sys.argv[2:], prog_name="curbside")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def _loaded(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> list[str]:
    """The modules a fresh interpreter has imported after running ``curbside ARGS``."""
    out = tmp_path / "modules.json"
    run_env = dict(env or os.environ, PYTHONPATH=str(SRC))
    subprocess.run([sys.executable, "-c", _RUN, str(out), *args], env=run_env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    result = json.loads(out.read_text())
    assert result["code"] == 0, result["code"]
    modules: list[str] = result["modules"]
    return modules


def _present(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_help_loads_no_command(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "--help", env=dict(os.environ, CURBSIDE_HOME=str(tmp_path)))
    assert _present(modules, (*NOT_FOR_PARSING, "numpy", "yaml", "pydantic")) == []
    assert [m for m in modules if m.startswith("curbside.cli.")] == ["curbside.cli.main"]


def test_ask_help_loads_only_the_ask_command(tmp_path: Path) -> None:
    env = dict(os.environ, CURBSIDE_HOME=str(tmp_path))
    modules = _loaded(tmp_path, "ask", "--help", env=env)
    assert _present(modules, NOT_FOR_PARSING) == []
    assert [m for m in modules if m.startswith("curbside.cli.")] == [
        "curbside.cli.answers", "curbside.cli.main"]


def test_cold_ask_loads_only_what_it_uses(tmp_path: Path, starter_home: Path) -> None:
    modules = _loaded(tmp_path, "--home", str(starter_home), "ask",
                      "Can I take ibuprofen with warfarin?", "--no-save")
    assert _present(modules, NOT_FOR_ASK) == []
    assert "curbside.services.answers" in modules  # it did answer


_CACHED = """
import json, sys
import pyphen
parsed = []
parse = pyphen.HyphDict.__init__
def counting(self, path):
    parsed.append(str(path))
    parse(self, path)
pyphen.HyphDict.__init__ = counting
from curbside.cli import app
try:
    app(sys.argv[2:], prog_name="curbside")
except SystemExit as exc:
    assert not exc.code, exc.code
from curbside.understand import focus
with open(sys.argv[1], "w") as f:
    json.dump({"hyphenation_parsed": parsed,
               "whole_mesh_index": focus.mesh_index.cache_info().currsize}, f)
"""


def test_cold_ask_reads_derived_data_from_the_cache(tmp_path: Path, starter_home: Path) -> None:
    """Once the cache dir holds them, a cold `ask` neither parses the hyphenation dictionary
    nor loads the whole MeSH index (it looks its few keys up in the cache file)."""
    out = tmp_path / "caches.json"
    env = dict(os.environ, PYTHONPATH=str(SRC))  # the tests' cache dir: usually filled
    args = ["--home", str(starter_home), "ask", "Is metformin safe in chronic kidney disease?",
            "--no-save"]
    for _ in range(2):  # the first run fills the cache dir if need be, the second reads it
        subprocess.run([sys.executable, "-c", _CACHED, str(out), *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
    assert json.loads(out.read_text()) == {"hyphenation_parsed": [], "whole_mesh_index": 0}


_HELP = """
import sys
from typer.testing import CliRunner
from curbside.cli import app, load_commands
from curbside.cli.main import COMMANDS
import typer.main
lazy = CliRunner().invoke(app, ["--help"], terminal_width=100).output
assert not [m for m in sys.modules if m.startswith("curbside.cli.") and m != "curbside.cli.main"]
load_commands()  # every module, as `curbside.cli` imported them before loading was lazy
group = typer.main.get_group(app)
assert list(group.commands) == list(COMMANDS), (list(group.commands), list(COMMANDS))
for name, (module, _help) in COMMANDS.items():
    command = group.commands[name]
    if hasattr(command, "commands"):  # a group: the module of its commands
        command = next(iter(command.commands.values()))
    assert command.callback.__module__ == "curbside.cli." + module, name
loaded = CliRunner().invoke(app, ["--help"], terminal_width=100).output
assert lazy == loaded, (lazy, loaded)
"""


def test_lazy_command_table_matches_the_commands(tmp_path: Path) -> None:
    """`COMMANDS` (what lazy loading imports per command, and what `--help` lists before any
    module loads) names every registered command, under its module, in typer's order, and the
    lazy `--help` is the text the loaded commands give."""
    env = dict(os.environ, PYTHONPATH=str(SRC), CURBSIDE_HOME=str(tmp_path / "home"))
    subprocess.run([sys.executable, "-c", _HELP], env=env, check=True, timeout=600)


def test_services_exports_resolve_lazily() -> None:
    import importlib

    from curbside import services

    assert sorted(services._MODULE_OF) == sorted(services.__all__)
    for name, module in services._MODULE_OF.items():
        real = getattr(importlib.import_module(f"curbside.services.{module}"), name)
        assert getattr(services, name) is real, name
    assert services.access.holds_key is not None  # a submodule read as an attribute
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        services.nope  # noqa: B018


def test_schema_head_without_alembic_matches_alembic(tmp_path: Path) -> None:
    from curbside.store.engine import (
        at_head,
        head_from_scripts,
        head_revision,
        make_engine,
        upgrade,
    )

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert head_from_scripts() == head_revision(engine)
    assert not at_head(engine)  # no schema yet
    upgrade(engine)
    assert at_head(engine)
    upgrade(engine)  # at the head: nothing to do
    assert at_head(engine)
    engine.dispose()


def test_fast_yaml_loader_reads_every_knowledge_file_alike() -> None:
    """`yaml_mapping` parses with libyaml when PyYAML has it: the bundled files must come out
    exactly as the pure-Python loader reads them, and bad YAML keeps the pointing message."""
    import yaml

    from curbside.knowledge_files import yaml_mapping

    folder = SRC / "curbside" / "knowledge"
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yaml_mapping(text, name=path.name, error=ValueError, expected="a mapping") == (
            yaml.safe_load(text)), path.name
    with pytest.raises(ValueError, match=r"(?s)x.yaml: not valid YAML: .*\^"):
        yaml_mapping("a: [1, 2", name="x.yaml", error=ValueError, expected="a mapping")
