"""``curbside privacy``: remove identifiers from questions stored before redaction existed."""

from __future__ import annotations

from typing import Annotated

import typer

from curbside import services
from curbside.cli.main import app, console, runtime

privacy_app = typer.Typer(help="Identifiers in stored questions.", no_args_is_help=True)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("redact-stored")
def redact_stored(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Count what would change; change nothing.")] = False,
) -> None:
    """Redact names, dates, record numbers, phones, e-mail and addresses from every stored
    article version's question, title, premise and red-flag text (in place) and from thread
    topics. New questions are redacted on arrival; this cleans what an older version stored."""
    rep = services.redact_stored(runtime(), dry_run=dry_run, actor="cli")
    labels = ", ".join(f"{n} {k}" for k, n in sorted(rep.labels.items())) or "none"
    verb = "would change" if rep.dry_run else "changed"
    console.print(f"{rep.versions} stored versions read; {verb} {rep.changed} "
                  f"(identifiers: {labels}); thread topics {verb}: {rep.threads}")
    if rep.scrubbed:
        console.print("free pages and the write-ahead log were rewritten (VACUUM)")
    elif rep.changed and not rep.dry_run:
        console.print("[yellow]note:[/] on PostgreSQL run VACUUM FULL on articles, "
                      "article_versions and threads to drop the old row versions")
