"""``curbside triage TEXT``: urgency and conditions raised for a question or vignette."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from curbside import services
from curbside.cli.main import app, console, fail


@app.command("triage")
def triage_command(
    text: Annotated[str, typer.Argument(help="Question or case vignette (quote it).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    top: Annotated[int, typer.Option(help="How many conditions to list.")] = 10,
    patient: Annotated[bool, typer.Option(
        "--patient", help="Also say what to do, in plain words.")] = False,
) -> None:
    """Triage a question or vignette: urgency, reasons, the conditions it raises and a coded
    differential with the source sentences that matched.

    Urgency is emergency, urgent, routine (only when a routine pattern fired) or undetermined
    (no pattern, no vital-sign or age rule and no urgent condition in the differential
    matched: never read it as routine)."""
    try:
        result = services.triage_text(text)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(services.triage_public(result)))
        return
    colour = {"emergency": "bold red", "urgent": "yellow", "routine": "green",
              "undetermined": "bold magenta"}[result.urgency]
    console.print(f"Urgency: [{colour}]{result.urgency.upper()}[/] \u2014 {result.label}")
    if patient:
        console.print(result.patient_advice)
    for r in result.reasons:
        console.print(f"  - {r}")
    table = Table(title="Conditions raised")
    for col in ("#", "condition", "urgency", "raised", "matched", "sources"):
        table.add_column(col)
    for i, c in enumerate(result.differential(top), 1):
        table.add_row(str(i), c.name, c.urgency, "yes" if c.fired else "partial",
                      ", ".join(c.matched), ", ".join(c.citations))
    console.print(table)
    if result.diagnoses:
        dx = Table(title="Differential (urgency table)")
        for col in ("#", "condition", "ICD-10-CM", "urgency", "p", "matched sentence", "source"):
            dx.add_column(col)
        for i, d in enumerate(result.diagnoses[:top], 1):
            m = d["matched"][0] if d["matched"] else {"text": "", "cite": ""}
            dx.add_row(str(i), d["name"], d["icd10cm"], d["urgency"], f"{d['probability']:.2f}",
                       m["text"][:120], m["cite"])
        console.print(dx)
    if result.negated:
        console.print("Negated: " + ", ".join(result.negated))
