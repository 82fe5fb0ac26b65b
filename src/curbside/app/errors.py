"""Error mapping: one JSON shape (`ErrorPublic`) for the API and JSON twins, a friendly page
for HTML. Service errors become their status here (storage faults and an unavailable index:
503), so no route maps them itself."""

from __future__ import annotations

import logging
import sqlite3
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from curbside import services
from curbside.app.middleware import route_template
from curbside.edge.errors import ApiError
from curbside.edge.schemas import ErrorPublic
from curbside.services.faults import ServiceUnavailable, StorageError, storage_error
from curbside.store.audit import AuditKeyError
from curbside.web.templating import render

log = logging.getLogger(__name__)

TITLES = {400: "Bad request", 401: "Sign in required", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 413: "Request too large", 422: "Please check your input",
          500: "Something went wrong", 503: "Not available"}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith(".json") or path in ("/openapi.json",)


def error_response(request: Request, err: ApiError) -> Response:
    if wants_json(request):
        body = ErrorPublic(status=err.status, code=err.code, message=err.message, field=err.field)
        return JSONResponse(body.model_dump(), status_code=err.status)
    return render(request, "error.html", {
        "status": err.status, "title": TITLES.get(err.status, "Error"), "message": err.message,
        "field": err.field,
    }, status_code=err.status)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None, bool]:
    """(message, field, in_path) of the first error."""
    errors: list[Any] = list(exc.errors())
    if not errors:
        return "invalid input", None, False
    first = errors[0]
    in_path = tuple(first.get("loc", ()))[:1] == ("path",)
    loc = [str(x) for x in first.get("loc", ()) if x not in ("body", "query", "path")]
    field = ".".join(loc) or None
    msg = str(first.get("msg", "invalid input"))
    msg = msg.removeprefix("Value error, ")
    if first.get("type") == "literal_error" and loc and loc[-1] == "audience":
        msg = "unknown reader mode; choose one of: clinician, patient, student"
    return (f"{field}: {msg}" if field else msg), field, in_path


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, field, in_path = _validation_message(exc)
        if in_path:  # /articles/abc, /articles/0, /articles/2**63: the address names nothing
            return error_response(request, ApiError(404, "not_found", message, field))
        return error_response(request, ApiError(422, "invalid_input", message, field))

    async def on_not_found(request: Request, exc: Exception) -> Response:
        return error_response(request, ApiError(404, "not_found", str(exc) or "not found"))

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        # A part the use case needs is missing or broken (the index): 503 saying what to do.
        assert isinstance(exc, ServiceUnavailable)
        log.error("%s on %s %s: %s", type(exc).__name__, request.method,
                  route_template(request.scope), exc)
        return error_response(request, ApiError(503, exc.code, str(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        resp = error_response(request, ApiError(exc.status_code, code, detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    async def on_storage(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StorageError)
        log.error("storage fault on %s %s: %s", request.method, route_template(request.scope),
                  exc.message)
        return error_response(request, ApiError(503, exc.code, exc.message))

    async def on_audit_key(request: Request, exc: Exception) -> Response:
        # Audited actions refuse rather than write entries that could not be verified later.
        log.error("audit key unavailable on %s %s", request.method, route_template(request.scope))
        return error_response(request, ApiError(503, "audit_key_unavailable", str(exc)))

    async def on_driver_error(request: Request, exc: Exception) -> Response:
        # Database and OS errors: a storage fault (read-only home, full disk, damaged database)
        # is a 503 that says what to do; anything else is a bug, answered as one.
        fault = storage_error(exc, request.app.state.settings)
        if fault is not None:
            return await on_storage(request, fault)
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Frames only: exception messages (e.g. SQL parameters) may carry question text.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s on %s %s\n%s", type(exc).__name__, request.method,
                  route_template(request.scope), frames)
        return error_response(request, ApiError(500, "internal_error",
                                                "An unexpected error occurred."))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(services.NotFoundError, on_not_found)
    app.add_exception_handler(ServiceUnavailable, on_unavailable)
    app.add_exception_handler(StorageError, on_storage)
    app.add_exception_handler(AuditKeyError, on_audit_key)
    app.add_exception_handler(DBAPIError, on_driver_error)
    app.add_exception_handler(sqlite3.Error, on_driver_error)
    app.add_exception_handler(OSError, on_driver_error)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
