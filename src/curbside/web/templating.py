"""Jinja2 environment for the server-rendered pages (autoescaped: stored text is never markup)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from curbside import __version__

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def human_date(value: Any) -> str:
    """``2025-11-12T...`` or a datetime → ``November 12, 2025`` (empty when unknown)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)[:10]
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.strftime('%B')} {value.day}, {value.year}"
    return str(value)


def iso_date(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value or "")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["human_date"] = human_date
    env.filters["iso_date"] = iso_date
    env.globals["app_version"] = __version__
    return env


def render(request: Request, name: str, context: dict[str, Any], *,
           status_code: int = 200) -> HTMLResponse:
    """Render `name` with `context` (plus the request) into an HTML response."""
    template = environment().get_template(name)
    html = template.render({"request": request, **context})
    return HTMLResponse(html, status_code=status_code)
