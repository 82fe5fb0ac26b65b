"""``curbside eval``: measure retrieval on BEIR-layout data sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from curbside.cli.main import app, console, fail, runtime
from curbside.eval.retrieval import METHODS, BeirError, markdown_table, write_outputs, write_run
from curbside.services.evaluation import eval_retrieval

eval_app = typer.Typer(help="Benchmarks on development data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def retrieval(
    beir: Annotated[Path, typer.Option("--beir", help="BEIR-layout directory.")],
    split: Annotated[str, typer.Option(help="qrels split (qrels/NAME.tsv).")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    out: Annotated[Path, typer.Option(help="Where to write the table, JSON and chart.")] = Path(
        "eval-out"
    ),
    limit: Annotated[int | None, typer.Option(help="Only the first N queries.")] = None,
    run_file: Annotated[
        Path | None,
        typer.Option(help="Also write the ranking as a TREC run file (for trec_eval)."),
    ] = None,
    run_method: Annotated[
        str,
        typer.Option(
            help="Which method the run file holds: bm25, dense, hybrid (the default order of "
            "search) or learned."
        ),
    ] = "hybrid",
) -> None:
    """nDCG@10 (grade gain, as trec_eval and BEIR; the 2^grade-1 gain beside it), Recall@10,
    Recall@100 and MRR for bm25, dense, hybrid and learned in one run, each through the same
    search as `curbside search` (100 candidates per retriever, rerank, diversity). The corpus is
    ingested once into an evaluation home cached by its content and the index settings."""
    if run_file is not None and run_method not in METHODS:
        raise fail(f"--run-method: {run_method!r} is not one of {', '.join(METHODS)}", 2)
    try:
        results = eval_retrieval(runtime(), root=beir, split=split, limit=limit)
    except BeirError as exc:
        raise fail(str(exc), 2) from None
    name = f"{beir.name}-{split}"
    paths = write_outputs(out, name, results)
    if run_file is not None:
        paths["run"] = write_run(run_file, results[run_method], f"curbside-{run_method}")
    if as_json:
        typer.echo(json.dumps({k: v.metrics for k, v in results.items()}, indent=2))
        return
    console.print(markdown_table(name, results))
    console.print(f"[dim]wrote {', '.join(str(p) for p in paths.values())}[/]")
