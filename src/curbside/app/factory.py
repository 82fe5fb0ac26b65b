"""The FastAPI app factory: REST API under ``/api/v1`` plus the server-rendered web pages."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from curbside import __version__
from curbside.api.review_routes import router as review_api_router
from curbside.api.routes import router as api_router
from curbside.app.errors import install_error_handlers
from curbside.app.metrics import RequestMetrics
from curbside.app.middleware import BodyLimitMiddleware, HeadMiddleware, ObserveMiddleware
from curbside.config import Settings
from curbside.services import Runtime, open_runtime
from curbside.web.review_routes import router as review_web_router
from curbside.web.routes import router as web_router
from curbside.web.templating import STATIC

MAX_BODY_BYTES = 64 * 1024


def _docs_page() -> tuple[str, str]:
    """Swagger UI HTML (assets served locally: offline) and a CSP allowing its inline script."""
    html = get_swagger_ui_html(
        openapi_url="/openapi.json", title="Curbside API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon-32x32.png",
    ).body
    text = bytes(html).decode()
    hashes = []
    for script in re.findall(r"<script>(.*?)</script>", text, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    csp = (f"default-src 'self'; script-src 'self' {' '.join(hashes)}; "
           "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
           "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    return text, csp


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. Settings default to the environment; the runtime opens at startup.

    Pass `runtime` to share an already opened one (tests); the app then leaves it open.
    """
    settings = settings or (runtime.settings if runtime else Settings())
    owns_runtime = runtime is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.runtime is None:
            app.state.runtime = open_runtime(settings)
        try:
            yield
        finally:
            if owns_runtime and app.state.runtime is not None:
                app.state.runtime.close()
                app.state.runtime = None

    app = FastAPI(
        title="Curbside API",
        version=__version__,
        summary="Cited answer articles from an offline clinical evidence library.",
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.metrics = RequestMetrics()
    docs_html, docs_csp = _docs_page()

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(docs_html)

    app.include_router(api_router)
    app.include_router(review_api_router)
    app.include_router(web_router)
    app.include_router(review_web_router)
    try:
        import swagger_ui_bundle  # assets for /docs, so the API docs work offline

        app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
                  name="swagger")
    except ImportError:  # pragma: no cover - a dependency; /openapi.json works regardless
        pass
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    install_error_handlers(app)
    # Added last = outermost: observe everything, including 413s from the body limit.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(ObserveMiddleware, metrics=app.state.metrics, docs_csp=docs_csp,
                       routes=app.router.routes)
    return app
