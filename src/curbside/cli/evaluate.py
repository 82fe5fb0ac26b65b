"""``curbside eval``: measure retrieval on BEIR-layout data sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from curbside.cli.main import app, console, fail, runtime
from curbside.eval.retrieval import BeirError, markdown_table, write_outputs
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
) -> None:
    """nDCG@10, Recall@10, Recall@100 and MRR for bm25, dense and hybrid in one run."""
    try:
        results = eval_retrieval(runtime(), root=beir, split=split, limit=limit)
    except BeirError as exc:
        raise fail(str(exc), 2) from None
    name = f"{beir.name}-{split}"
    paths = write_outputs(out, name, results)
    if as_json:
        typer.echo(json.dumps({k: v.metrics for k, v in results.items()}, indent=2))
        return
    console.print(markdown_table(name, results))
    console.print(f"[dim]wrote {', '.join(str(p) for p in paths.values())}[/]")
