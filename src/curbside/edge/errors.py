"""`ApiError`: an error with its HTTP status, raised by the API and the web routes alike.

`curbside.app.errors` turns it (and every service error) into the JSON shape `ErrorPublic` or
the friendly error page; this module only names the statuses and documents them for OpenAPI.
"""

from __future__ import annotations

from typing import Any

from curbside.edge.schemas import ErrorPublic

#: What each error status means, for the OpenAPI `responses` of the routes that return it.
ERROR_DESCRIPTIONS = {
    400: "Malformed request body (not JSON, or not UTF-8).",
    401: "No valid API token: send 'Authorization: Bearer TOKEN'.",
    403: "Refused: your role may not do this, or the version's state does not allow it.",
    404: "Not found (also for an id outside 1..2^63-1 in the path).",
    413: "Request body over 64 KB.",
    422: "Invalid input; `field` names it.",
    503: ("Not available: storage is read-only, full or damaged, the audit key is missing, or "
          "the index is not ready; `code` says which."),
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route really returns (all `ErrorPublic`)."""
    return {code: {"model": ErrorPublic, "description": ERROR_DESCRIPTIONS[code]}
            for code in codes}


class ApiError(Exception):
    """An error with its HTTP status, a code and a message fit to show the user."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def invalid_input_error(exc: Exception) -> ApiError:
    """Map a service's InvalidInput (field, message) or a ValueError to a 422."""
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", None) or str(exc) or "invalid input"
    return ApiError(422, "invalid_input", str(message), str(field) if field else None)
