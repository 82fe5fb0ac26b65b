"""``curbside audit``: verify the hash chain of the audit log, export it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curbside.cli.main import app, console, fail, runtime
from curbside.services import review

audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", help="Hash of the newest entry recorded earlier (detects removal of "
                              "the newest entries).")] = None,
) -> None:
    """Check every entry's hash and link; report the first broken entry."""
    rep = review.audit_verify(runtime())
    if not rep.ok:
        raise fail(f"audit log broken at entry {rep.first_broken_id}: {rep.problem} "
                   f"({rep.entries} entries checked)")
    if expect_head and expect_head != rep.head:
        raise fail(f"audit log head {rep.head} differs from the expected {expect_head}: "
                   "entries were removed from the end or the log was replaced")
    console.print(f"audit log intact: {rep.entries} entries, head {rep.head}")


@audit_app.command("export")
def audit_export(
    csv_file: Annotated[Path, typer.Option("--csv", help="Write the log to this CSV file.")],
) -> None:
    """Export every entry (with its hashes) as CSV."""
    with csv_file.open("w", encoding="utf-8", newline="") as fh:
        n = review.audit_export_csv(runtime(), fh)
    console.print(f"wrote {n} entries to {csv_file}")
