"""Root Typer app, global options and the shared runtime for commands."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from curbside import __version__
from curbside.config import Settings
from curbside.privacy import install_redacting_filter
from curbside.services import Runtime, open_runtime
from curbside.services.faults import storage_error


class CurbsideGroup(TyperGroup):
    """The root command: a storage fault in any subcommand (read-only home, full disk, damaged
    database, busy writer) becomes one ``error:`` line and its exit code, not a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # typer's Exit/Abort and usage errors are not storage faults
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
    settings = Settings(home=home) if home else Settings()
    level = [settings.log_level, "INFO", "DEBUG"][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    install_redacting_filter()
    state.settings = settings
    state.runtime = None


def settings() -> Settings:
    if state.settings is None:
        state.settings = Settings()
    return state.settings


def runtime() -> Runtime:
    """Open the database once per command (schema upgraded on first use)."""
    if state.runtime is None:
        state.runtime = open_runtime(settings())
    return state.runtime


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)
