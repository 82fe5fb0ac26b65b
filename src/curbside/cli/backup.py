"""``curbside backup`` / ``curbside restore``: the database and the home in one file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curbside.cli.main import app, console, err, fail, runtime, settings
from curbside.services import backups, review


@app.command("backup")
def backup_cmd(
    path: Annotated[Path, typer.Argument(help="Backup file to write (a .tar.gz).")],
    force: Annotated[bool, typer.Option("--force", help="Replace PATH if it exists.")] = False,
) -> None:
    """Back up the database and the home (vector index, key files) into one file.

    SQLite: online backup API; PostgreSQL: pg_dump -Fc. The server may keep running.

    The file holds key files: it is created readable by its owner only.
    """
    try:
        rep = backups.backup(runtime(), path, force=force)
    except backups.BackupError as exc:
        raise fail(str(exc)) from None
    rows = sum(rep.tables.values())
    tables = f"{len(rep.tables)} tables, {rows} rows, " if rep.tables else ""
    console.print(f"backup written: {rep.path} ({rep.backend}, schema {rep.schema_revision}, "
                  f"{tables}{rep.files} home files, {rep.bytes} bytes)")


@app.command("restore")
def restore_cmd(
    path: Annotated[Path, typer.Argument(help="Backup file written by `curbside backup`.")],
    force: Annotated[bool, typer.Option(
        "--force", help="Restore over existing data; it is moved aside (HOME.before-restore-"
                        "TIME) first.")] = False,
) -> None:
    """Restore a backup into the home (and database) after checking it completely.

    Refuses a home that is not empty unless --force. Stop `curbside serve` first.

    Ends with `audit verify` on the restored database.
    """
    try:
        rep = backups.restore(settings(), path, force=force)
    except backups.BackupError as exc:
        raise fail(str(exc)) from None
    if rep.moved_aside:
        console.print(f"previous data moved to {rep.moved_aside}")
    for note in rep.notes:
        console.print(note)
    rows = sum(rep.tables.values())
    console.print(f"restored {rep.source} ({rep.backend}, schema {rep.schema_revision}, "
                  f"{len(rep.tables)} tables, {rows} rows, {rep.files} home files)")
    chain = review.audit_verify(runtime())
    if not chain.ok:
        err.print(f"audit log of the restored data is broken at entry {chain.first_broken_id}: "
                  f"{chain.problem}")
        raise typer.Exit(1)
    console.print(f"audit log intact: {chain.entries} entries, head {chain.head}")
