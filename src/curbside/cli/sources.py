"""Commands for the corpus: ingest, sources, stats, db, quarantine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from curbside import services
from curbside.cli.main import app, console, err, fail, runtime
from curbside.ingest.pipeline import COUNT_FIELDS, IngestReport, expand_paths

sources_app = typer.Typer(help="List, show and search stored sources.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(db_app, name="db")

FORMATS = ["auto", "pubmed", "medline", "jsonl", "json", "beir", "markdown", "html"]


class RichIngestObserver:
    """One progress bar per file for a few large files; one bar for the run when a directory
    holds many small ones. Bytes read, rate, ETA and records so far."""

    MANY = 5

    def __init__(self, progress: Progress, paths: list[Path] | None = None) -> None:
        self.progress = progress
        self.tasks: dict[Path, TaskID] = {}
        files = list(expand_paths(paths or []))
        self.single: TaskID | None = None
        self.done_bytes = 0
        self.records = 0
        if len(files) > self.MANY:
            total = sum(f.stat().st_size for f in files if f.is_file())
            self.single = progress.add_task(f"{len(files)} files", total=total or None, records=0)

    def file_started(self, path: Path, total_bytes: int) -> None:
        if self.single is None:
            self.tasks[path] = self.progress.add_task(
                path.name, total=total_bytes or None, records=0
            )

    def advanced(self, path: Path, records: int, bytes_done: int) -> None:
        if self.single is not None:
            self.progress.update(
                self.single, completed=self.done_bytes + bytes_done, records=self.records + records
            )
            return
        task = self.tasks.get(path)
        if task is not None:
            self.progress.update(task, completed=bytes_done, records=records)

    def file_finished(self, path: Path) -> None:
        if self.single is not None:
            if path.is_file():
                self.done_bytes += path.stat().st_size
            t = self.progress.tasks[self.single]
            self.records = int(t.fields.get("records", self.records))
            self.progress.update(self.single, completed=self.done_bytes)
            return
        task = self.tasks.get(path)
        if task is not None:
            t = self.progress.tasks[task]
            self.progress.update(task, completed=t.total or t.completed)


def _print_report(report: IngestReport) -> None:
    table = Table(title=f"Ingest run {report.run_id} ({report.seconds:.1f} s)")
    for col in (
        "file",
        "format",
        "records",
        "added",
        "updated",
        "unchanged",
        "deleted",
        "rejected",
        "passages",
    ):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    shown = (
        report.files
        if len(report.files) <= RichIngestObserver.MANY
        else [f for f in report.files if f.error or f.rejected or f.updated or f.deleted]
    )
    for f in shown:
        table.add_row(Path(f.path).name, f.format, *(str(getattr(f, c)) for c in COUNT_FIELDS))
    if len(shown) < len(report.files):
        table.add_row(
            f"{len(report.files)} files", "", *(str(report.total(c)) for c in COUNT_FIELDS)
        )
    console.print(table)
    for f in report.files:
        if f.error:
            err.print(f"[red]file error:[/] {f.error}")
    for w in report.warnings[:20]:
        err.print(f"[yellow]warning:[/] {w}")
    if len(report.warnings) > 20:
        err.print(f"[yellow]… and {len(report.warnings) - 20} more warnings[/]")
    rejected = report.total("rejected")
    if rejected:
        already = rejected - report.quarantined_new
        note = f" ({already} already there from an earlier run)" if already else ""
        err.print(f"[yellow]{rejected} record(s) rejected, {report.quarantined_new} newly "
                  f"quarantined[/]{note}: see `curbside quarantine`.")


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories to ingest.")
    ] = None,
    fmt: Annotated[
        str, typer.Option(
            "--format", "-f",
            help=f"One of: {', '.join(FORMATS)}; or a mapping preset or plugin reader.",
        )
    ] = "auto",
    mapping: Annotated[
        str | None,
        typer.Option(
            help="JSONL field mapping: a preset (beir, ngc, cohen2006, medquad, pubmedqa, "
            "pubmedqa-noconclusion) or 'id=_id,title=title,text=text'."
        ),
    ] = None,
    starter_library: Annotated[
        bool, typer.Option("--starter-library", help="Ingest the bundled starter library.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    embed: Annotated[
        bool,
        typer.Option(
            "--embed/--no-embed",
            help="Embed new passages now (default) or later with `index build`.",
        ),
    ] = True,
) -> None:
    """Ingest PubMed XML, MEDLINE text, JSONL/BEIR, Markdown or HTML into the store."""
    if fmt not in FORMATS:
        from curbside.ingest.detect import all_formats
        from curbside.registry import READERS

        if fmt not in READERS:  # mapping presets and plugin readers are formats too
            raise fail(f"unknown format {fmt!r}; choose one of {', '.join(all_formats())}", 2)
    if not paths and not starter_library:
        raise fail("give PATH... to ingest, or --starter-library", 2)
    rt = runtime()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )
    targets = ([services.starter_library_path()] if starter_library else []) + list(paths or [])
    observer = RichIngestObserver(progress, targets)
    reports = []

    def waiting(message: str) -> None:
        err.print(f"[yellow]{escape(message)}[/]", soft_wrap=True)

    with progress:
        if starter_library:
            reports.append(services.ingest_starter_library(
                rt, observer=observer, embed=embed, on_wait=waiting))
        if paths:
            reports.append(
                services.ingest(
                    rt, paths=paths, fmt=fmt, mapping=mapping, observer=observer, embed=embed,
                    on_wait=waiting,
                )
            )
    for r in reports:
        _print_report(r)
    if not all(r.ok for r in reports):
        raise fail("nothing could be ingested", 1)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Counts of sources and passages per evidence kind."""
    data = services.stats(runtime())
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    table = Table(title="Curbside library")
    table.add_column("kind")
    table.add_column("sources", justify="right")
    table.add_column("passages", justify="right")
    for kind, n in data["kinds"].items():
        table.add_row(str(kind), str(n), str(data["passages_per_kind"][kind]))
    table.add_row("[bold]total", f"[bold]{data['sources']}", f"[bold]{data['passages']}")
    console.print(table)
    console.print(
        f"versions: {data['source_versions']}  retracted: {data['retracted']}  "
        f"quarantined: {data['quarantined']}  database: {data['database']}"
    )


@sources_app.command("list")
def sources_list(
    kind: Annotated[str | None, typer.Option(help="Only this evidence kind.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
) -> None:
    """List current sources."""
    table = Table()
    for col in ("id", "external id", "kind", "year", "title"):
        table.add_column(col)
    for s in services.list_sources(runtime(), kind=kind, limit=limit, offset=offset):
        table.add_row(str(s.id), s.external_id, str(s.kind), str(s.year or ""), s.title[:90])
    console.print(table)


@sources_app.command("show")
def sources_show(
    ref: Annotated[str, typer.Argument(help="Source id, external id or PMID.")],
) -> None:
    """Show one source: bibliographic data and passages."""
    try:
        src, passages = services.get_source(runtime(), ref=ref)
    except services.NotFoundError as exc:
        raise fail(str(exc)) from None
    console.print(f"[bold]{src.title}[/]")
    console.print(
        f"{src.kind} · {src.container or ''} · {src.year or ''} · {src.external_id} "
        f"(version {src.version}{'' if src.is_current else ', superseded'})"
    )
    if src.pmid:
        console.print(f"PMID {src.pmid}")
    if src.doi:
        console.print(f"DOI {src.doi}")
    if src.url:
        console.print(src.url)
    if src.retracted:
        console.print("[bold red]RETRACTED[/]")
    for p in passages:
        console.print(
            f"\n[dim]#{p.id} {p.section or ''} [{p.char_start}:{p.char_end}][/]\n{p.text}"
        )


@sources_app.command("search")
def sources_search(
    text: Annotated[str, typer.Argument(help="Words to look for.")],
    limit: Annotated[int, typer.Option(help="How many passages.")] = 10,
) -> None:
    """Keyword search (FTS5 bm25) over current passages."""
    hits = services.search_passages_lexical(runtime(), text=text, limit=limit)
    if not hits:
        console.print("no matching passages")
    for passage, src, score in hits:
        console.print(f"[bold]{score:6.2f}[/] [cyan]{src.external_id}[/] {src.title[:80]}")
        console.print(f"       {passage.text[:200]}")


@app.command("quarantine")
def quarantine_list(limit: Annotated[int, typer.Option(help="How many.")] = 50) -> None:
    """Records rejected at ingest, with file, position and reason."""
    rows = services.quarantine(runtime(), limit=limit)
    if not rows:
        console.print("quarantine is empty")
    for r in rows:
        console.print(f"{r['file']}:{r['position']} {r['record_id'] or ''} — {r['reason']}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest migration."""
    rev = services.upgrade_database(runtime())
    console.print(f"database at revision {rev}")
