"""Commands that answer: search, ask, index, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from curbside import services
from curbside.cli.main import app, console, err, fail, runtime
from curbside.index.build_engines import BuildEngineError
from curbside.index.vectors import VectorIndexError
from curbside.registry import BUILD_ENGINES, UnknownBackendError
from curbside.render.formats import RENDERERS

index_app = typer.Typer(help="Build or inspect the dense (embedding) index.", no_args_is_help=True)
app.add_typer(index_app, name="index")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (a question or keywords).")],
    k: Annotated[int, typer.Option("-k", help="How many passages.")] = 10,
    explain: Annotated[bool, typer.Option("--explain", help="Show every score.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only sources of this evidence kind (repeat, or comma "
                     "separated): guideline, systematic_review, rct, observational, "
                     "case_report, review, patient_info, other."),
    ] = None,
    year: Annotated[
        str | None,
        typer.Option("--year", help="Only sources published in this year or range: 2015, "
                     "2015-, -2020 or 2015-2020."),
    ] = None,
) -> None:
    """Best evidence passages, ranked by relevance and strength of evidence."""
    try:
        result = services.search(runtime(), query=query, k=k, kinds=kind or (), year=year)
    except services.InvalidInput as exc:
        raise fail(str(exc), 2) from None
    except VectorIndexError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "question_type": str(result.analysis.qtype),
                    "confidence": round(result.confidence, 4),
                    "timings_ms": result.timings_ms,
                    "results": [services.evidence_public(e) for e in result.evidence],
                },
                indent=2,
            )
        )
        return
    if not result.evidence:
        console.print("no matching passages")
    for i, ev in enumerate(result.evidence, 1):
        src = ev.source
        console.print(
            f"[bold]{i:2d}. {ev.score:.3f}[/] [cyan]{src.kind}[/] {src.title[:90]} "
            f"({src.year or 'n.d.'}) [dim]{src.external_id}[/]"
        )
        if ev.passage.section:
            console.print(f"    [dim]{ev.passage.section}[/]")
        console.print(f"    {ev.passage.text[:300]}")
        if explain:
            console.print(
                "    [dim]" + "  ".join(f"{k}={v:.4g}" for k, v in ev.scores.items()) + "[/]"
            )
    if explain:
        a = result.analysis
        kept, left_out = services.keyword_plan(runtime(), query=query)
        no_gap = services.expansions_left_out(runtime(), query=query)
        console.print(
            f"[dim]keyword query: {' OR '.join(kept) or 'nothing'}"
            + (f"; left out as too common: {', '.join(left_out)}" if left_out else "")
            + (
                f"; expansions left out (the library uses the question's own words): "
                f"{', '.join(no_gap)}"
                if no_gap
                else ""
            )
            + "[/]"
        )
        console.print(
            f"[dim]question type: {a.qtype}; expansions: "
            f"{', '.join(x.term for x in a.expansions) or 'none'}; "
            f"confidence {result.confidence:.3f}; "
            f"timings {', '.join(f'{k} {v:.1f} ms' for k, v in result.timings_ms.items())}[/]"
        )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A clinical question.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="text, md, json, html, ris or bibtex.")
    ] = "text",
    audience: Annotated[str, typer.Option(help="clinician, patient or student.")] = "clinician",
    writer: Annotated[str, typer.Option(help="extractive (default) or llm.")] = "extractive",
    save: Annotated[bool, typer.Option("--save/--no-save", help="Store the article.")] = True,
) -> None:
    """Answer a clinical question with a cited article."""
    if fmt not in RENDERERS:
        raise fail(f"unknown format {fmt!r}; choose one of {', '.join(RENDERERS)}", 2)
    rt = runtime()
    rt.load_embedder_in_background()  # overlaps the model load with importing the pipeline
    try:
        article = services.ask(rt, question=question, audience=audience, writer=writer, save=save)
    except services.InvalidInput as exc:
        raise fail(str(exc), 2) from None
    except VectorIndexError as exc:
        raise fail(str(exc)) from None
    typer.echo(RENDERERS[fmt](article), nl=False)
    if save and article.id is not None:
        # On stderr, so `--format json` output stays clean; the key opens the private draft.
        key = services.access_key_of(runtime(), article_id=article.id)
        typer.echo(f"stored as article {article.id} (private until approved); reader key: {key}\n"
                   f"  read it at /articles/{article.id}?key={key} or with the header "
                   f"X-Curbside-Key: {key}", err=True)


@index_app.command("build")
def index_build(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed everything.")] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="Who embeds: 'local' (this process) or 'ray' (Ray Data workers; extra ray). "
            "Default: the setting index_build.engine.",
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="--engine ray: the cluster ('auto', HOST:PORT, ray://HOST:10001); "
            "default: a local Ray runtime for this build.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="--engine ray: how many embedding workers."),
    ] = None,
) -> None:
    """Embed current passages missing from the dense index (resumable)."""
    rt = runtime()
    if address is not None or workers is not None:
        ray_cfg = rt.settings.index_build.ray.model_copy(
            update={k: v for k, v in (("address", address), ("workers", workers))
                    if v is not None}
        )
        rt.settings.index_build = rt.settings.index_build.model_copy(update={"ray": ray_cfg})
    try:
        BUILD_ENGINES.get(engine or rt.settings.index_build.engine)  # before the progress bar
    except UnknownBackendError as exc:
        raise fail(escape(str(exc)), 2) from None
    progress = Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
    )
    with progress:
        task = progress.add_task("embed", total=None, rate="")

        def tick(done: int, total: int) -> None:
            t = progress.tasks[task]
            rate = f"{done / t.elapsed:.0f} passages/s" if t.elapsed else ""
            progress.update(task, completed=done, total=total, rate=rate)

        try:
            out = services.build_index(
                rt, rebuild=rebuild, progress=tick, engine=engine,
                on_wait=lambda m: err.print(f"[yellow]{escape(m)}[/]", soft_wrap=True),
            )
        except BuildEngineError as exc:
            raise fail(escape(str(exc))) from None
    console.print(
        f"embedded {out['embedded']} passages ({out['engine']}); "
        f"index holds {out['vectors']} vectors "
        f"({out['bytes_per_vector']} bytes each) in {out['directory']}"
    )


@index_app.command("status")
def index_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Whether the dense index exists, is current, and how big it is."""
    st = services.index_status(runtime())
    if as_json:
        typer.echo(json.dumps(st, indent=2))
        return
    table = Table(show_header=False)
    for k, v in st.items():
        table.add_row(k, str(v))
    console.print(table)
    if st["missing"]:
        console.print(
            f"[yellow]{st['missing']} passages are not embedded: run `curbside index build`[/]"
        )


@app.command("schema")
def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of the article JSON (`curbside ask --format json`)."""
    from curbside.article import Article

    text = json.dumps(Article.model_json_schema(), indent=2) + "\n"
    if out:
        out.write_text(text)
    else:
        typer.echo(text, nl=False)
