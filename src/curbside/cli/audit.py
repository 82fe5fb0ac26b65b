"""``curbside audit``: verify the hash chain of the audit log, export it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curbside.cli.main import app, console, err, fail, runtime
from curbside.services import review
from curbside.store.audit import AuditKeyError

audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


#: `audit verify` exit codes: 0 intact, 1 tampered, 3 cannot decide (key/checkpoints missing).
EXIT_BROKEN, EXIT_CANNOT_VERIFY = 1, 3


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", help="Hash of the newest entry recorded elsewhere (the checkpoint "
                              "file already catches removal of the newest entries).")] = None,
) -> None:
    """Check every entry's keyed MAC and link, and the checkpoints; report the first break.

    Exit 0 intact, 1 tampered (edited, deleted, rewritten or truncated), 3 the audit key or
    checkpoint file is missing or not genuine.
    """
    try:
        rep = review.audit_verify(runtime())
    except AuditKeyError as exc:
        raise fail(f"cannot verify the audit log: {exc}", EXIT_CANNOT_VERIFY) from None
    if not rep.ok:
        raise fail(f"audit log broken at entry {rep.first_broken_id}: {rep.problem} "
                   f"({rep.entries} entries checked)", EXIT_BROKEN)
    if expect_head and expect_head != rep.head:
        raise fail(f"audit log head {rep.head} differs from the expected {expect_head}: "
                   "entries were removed from the end or the log was replaced", EXIT_BROKEN)
    console.print(f"audit log intact: {rep.entries} entries, head {rep.head} "
                  f"({rep.checkpoints} checkpoints checked)", soft_wrap=True)
    for note in rep.notes:
        err.print(f"note: {note}")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Verify the log, then record and print its head (keep a copy elsewhere too).

    The head goes to the checkpoint file that `verify` checks; a copy kept elsewhere can be
    checked with `verify --expect-head`.
    """
    try:
        rep = review.audit_checkpoint(runtime())
    except AuditKeyError as exc:
        raise fail(f"cannot checkpoint the audit log: {exc}", EXIT_CANNOT_VERIFY) from None
    if not rep.ok:
        raise fail(f"not checkpointed: audit log broken at entry {rep.first_broken_id}: "
                   f"{rep.problem}", EXIT_BROKEN)
    if not rep.head_id:
        console.print("the audit log is empty: nothing to checkpoint")
        return
    console.print(f"checkpoint: entry {rep.head_id}, head {rep.head}", soft_wrap=True)


@audit_app.command("export")
def audit_export(
    csv_file: Annotated[Path, typer.Option("--csv", help="Write the log to this CSV file.")],
) -> None:
    """Export every entry (with its hashes) as CSV, formula cells neutralised.

    Cells a spreadsheet would run as a formula (starting with = + - @ tab or CR) get a
    leading '.
    """
    with csv_file.open("w", encoding="utf-8", newline="") as fh:
        n = review.audit_export_csv(runtime(), fh)
    console.print(f"wrote {n} entries to {csv_file}")
