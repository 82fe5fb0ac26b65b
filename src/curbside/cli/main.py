"""Root Typer app, global options and the shared runtime for commands."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from curbside import __version__

if TYPE_CHECKING:  # loaded when a command runs, so `--help` and `ask` start light
    from curbside.config import Settings
    from curbside.services.runtime import Runtime

#: Every top-level command -> the module under ``curbside.cli`` that registers it and the first
#: paragraph of its help, in the order ``curbside --help`` lists them (commands, then command
#: groups, as typer orders them). A command's module is imported only when that command runs,
#: so `curbside ask` never loads the server, review, backup or ingest code, and `--help` lists
#: the commands from here without importing any (tests/test_cold_start.py checks both agree).
COMMANDS: dict[str, tuple[str, str]] = {
    "search": ("answers", "Best evidence passages, ranked by relevance and strength of evidence."),
    "ask": ("answers", "Answer a clinical question with a cited article."),
    "schema": ("answers",
               "Print the JSON Schema of the article JSON (`curbside ask --format json`)."),
    "backup": ("backup",
               "Back up the database and the home (vector index, key files) into one file."),
    "restore": ("backup",
                "Restore a backup into the home (and database) after checking it completely."),
    "serve": ("serve", "Serve the web app and REST API (docs at /docs, API under /api/v1)."),
    "ingest": ("sources",
               "Ingest PubMed XML, MEDLINE text, JSONL/BEIR, Markdown or HTML into the store."),
    "stats": ("sources", "Counts of sources and passages per evidence kind."),
    "quarantine": ("sources", "Records rejected at ingest, with file, position and reason."),
    "triage": ("triage", "Triage a question or vignette: urgency, reasons, the conditions it "
               "raises and a coded\ndifferential with the source sentences that matched."),
    "index": ("answers", "Build or inspect the dense (embedding) index."),
    "audit": ("audit", "The append-only, hash-chained audit log."),
    "eval": ("evaluate", "Benchmarks on development data sets."),
    "privacy": ("privacy", "Identifiers in stored questions."),
    "review": ("review", "Editorial review: queue, submit, approve, claims, diffs."),
    "sources": ("sources", "List, show and search stored sources."),
    "db": ("sources", "Database schema."),
    "users": ("users", "Accounts: add, list, disable, roles, API tokens."),
}


def load_commands(*names: str) -> None:
    """Import the modules that register these commands (every command when none is named, in
    the order the package imported them before loading was lazy, so typer orders them alike)."""
    modules = {COMMANDS[n][0] for n in names or COMMANDS}
    for module in sorted(modules):
        importlib.import_module(f"curbside.cli.{module}")


class CurbsideGroup(TyperGroup):
    """The root command: a storage fault in any subcommand (read-only home, full disk, damaged
    database, busy writer) becomes one ``error:`` line and its exit code, not a traceback.

    Commands load lazily: `get_command` imports only the module of the command that runs, and
    help lists the commands not loaded yet from `COMMANDS`."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            if self._listing:
                return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
            load_commands(cmd_name)
            self._add_registered()
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in COMMANDS:  # a typo: suggest from every command
            load_commands()
            self._add_registered()
        return super().resolve_command(ctx, args)

    def _add_registered(self) -> None:
        """Add the commands registered on `app` since this group was built."""
        built = typer.main.get_group(app)
        for name, command in built.commands.items():
            self.commands.setdefault(name, command)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # typer's Exit/Abort and usage errors are not storage faults
            from curbside.services.faults import storage_error

            fault = storage_error(exc, settings())
            if fault is None:
                raise
            err.print(f"[bold red]error:[/] {escape(fault.message)}", soft_wrap=True)
            raise typer.Exit(fault.exit_code) from None


app = typer.Typer(
    name="curbside",
    cls=CurbsideGroup,
    help="Curbside: an offline clinical evidence engine that answers with cited articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


class State:
    settings: Settings | None = None
    runtime: Runtime | None = None


state = State()


def _version(value: bool) -> None:
    if value:
        console.print(f"curbside {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Data directory (default: $CURBSIDE_HOME or a per-user dir).",
            envvar="CURBSIDE_HOME",
        ),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Curbside: an offline clinical evidence engine that answers with cited articles."""
    from curbside.config import Settings
    from curbside.privacy import install_redacting_filter

    settings = Settings(home=home) if home else Settings()
    level = [settings.log_level, "INFO", "DEBUG"][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    install_redacting_filter()
    state.settings = settings
    state.runtime = None


def settings() -> Settings:
    if state.settings is None:
        from curbside.config import Settings

        state.settings = Settings()
    return state.settings


def runtime() -> Runtime:
    """Open the database once per command (schema upgraded on first use)."""
    if state.runtime is None:
        from curbside.services.runtime import open_runtime

        state.runtime = open_runtime(settings())
    return state.runtime


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
