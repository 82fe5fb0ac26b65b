"""``curbside serve``: the web app and REST API on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from curbside.cli.main import app, console, runtime, settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web app and REST API (docs at /docs, API under /api/v1)."""
    import logging

    import uvicorn

    from curbside.app import create_app
    from curbside.privacy import install_redacting_filter

    cfg = settings()
    access = logging.getLogger("curbside.access")  # method, route template, status, ms only
    if not access.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    install_redacting_filter(access)
    if cfg.environment == "production" and cfg.secret_key is None:
        raise typer.BadParameter("set CURBSIDE_SECRET_KEY in production", param_hint="env")
    # Open (and upgrade) the database here first: a damaged or unopenable one is then one
    # clear error line and exit code (see README, Exit codes), not uvicorn's startup traceback.
    runtime()
    console.print(f"Curbside on http://{host}:{port}/  (API docs: /docs, data: {cfg.home})")
    # access_log=False: uvicorn's access line contains the query string, which can hold a
    # question; the app logs method, route template and status instead (curbside.access).
    if workers > 1:
        import os

        os.environ["CURBSIDE_HOME"] = str(cfg.home)  # each worker builds its own settings
        uvicorn.run("curbside.app:create_app", factory=True, host=host, port=port,
                    workers=workers, access_log=False, log_level="warning")
    else:
        uvicorn.run(create_app(cfg), host=host, port=port, access_log=False,
                    log_level="warning")
