"""ASGI middleware: body-size limit, security headers, metrics and a question-free access log."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

from curbside.app.metrics import RequestMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("curbside.access")

#: No inline scripts or styles anywhere; /docs gets its own policy (see `app.docs_csp`).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


#: Paths that only signed-in people reach (reviewer pages, their JSON twins, the review API).
PRIVATE_PREFIXES = ("/review", "/api/v1/review")
SESSION_COOKIE = b"curbside_session="  # services.accounts.SESSION_COOKIE
KEY_HEADER = b"x-curbside-key"  # services.access.KEY_HEADER
NO_STORE = (b"cache-control", b"no-store")
#: Article answers differ by reader key and account: shared caches must keep them apart.
VARY = (b"vary", b"Authorization, Cookie, X-Curbside-Key")


def private_request(scope: Scope) -> bool:
    """Whether the response may hold something private, so no cache may keep it.

    True for the reviewer area, for any request that carries a credential (an API token, a
    session cookie, a reader key in the header or the query) and for every non-GET request
    (asking returns the new draft and its key). A draft is never shown without a credential,
    so every response that shows one is covered.
    """
    path = str(scope.get("path", ""))
    if path.startswith(PRIVATE_PREFIXES) or scope.get("method") not in ("GET", "HEAD"):
        return True
    headers = dict(scope.get("headers") or [])
    if b"authorization" in headers or KEY_HEADER in headers:
        return True
    if SESSION_COOKIE in headers.get(b"cookie", b""):
        return True
    query = scope.get("query_string") or b""
    return any(part.split(b"=", 1)[0] == b"key" for part in query.split(b"&"))


def route_template(scope: Scope, routes: Sequence[BaseRoute] = ()) -> str:
    """The matched route's path template, or a fixed label; never the concrete path."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    for route in routes:  # routes that do not record themselves in the scope (/openapi.json)
        match, _ = route.matches(scope)
        if match == Match.FULL:
            found = getattr(route, "path", None)
            return found if isinstance(found, str) else "unmatched"
    return "unmatched"


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        # Read the (bounded) body up front, then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, send)
                return
            chunks.append(body)
            more = bool(message.get("more_body", False))
        body_bytes = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body_bytes, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        path = str(scope.get("path", ""))
        wants_html = not (path.startswith("/api/") or path.endswith(".json"))
        message = f"request body too large (at most {self.max_bytes // 1024} KB)"
        if wants_html:
            body = (f"<!doctype html><html lang=\"en\"><head><title>Request too large</title>"
                    f"</head><body><main><h1>Request too large</h1><p>{message}</p></main>"
                    f"</body></html>").encode()
            ctype = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"status": 413, "code": "too_large", "message": message,
                               "field": None}).encode()
            ctype = b"application/json"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", ctype),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"),
                                *security_headers(path)]})
        await send({"type": "http.response.body", "body": body})


class HeadMiddleware:
    """Answer ``HEAD`` on every GET route: run it as GET and send the headers only.

    HTTP requires HEAD wherever GET works (RFC 9110, 9.3.2); FastAPI's routes list GET alone.
    The answer keeps GET's status and headers (Content-Length included) and drops the body.
    A 405 anywhere lists HEAD in ``Allow`` next to GET. OpenAPI is unchanged: HEAD is
    implied by GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        inner = dict(scope, method="GET") if head else scope

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 405:
                message["headers"] = [_allow_head(k, v) for k, v in message.get("headers", [])]
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, send_wrapper)
        finally:
            if head and "route" in inner:  # for the access log and metrics
                scope["route"] = inner["route"]


def _allow_head(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() != b"allow":
        return name, value
    methods = [m.strip() for m in value.split(b",") if m.strip()]
    if b"GET" in methods and b"HEAD" not in methods:
        methods.insert(methods.index(b"GET") + 1, b"HEAD")
    return name, b", ".join(methods)


def security_headers(path: str, *, docs_csp: str | None = None) -> list[tuple[bytes, bytes]]:
    csp = docs_csp if (docs_csp and path in ("/docs", "/redoc")) else CSP
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]


class ObserveMiddleware:
    """Security headers on every response, request metrics, one access-log line per request.

    The access line is method, route template, status and milliseconds: no path, no query
    string, no body, because questions may carry patient data.
    """

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics, docs_csp: str | None,
                 routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.docs_csp = docs_csp
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        path = str(scope.get("path", ""))
        extra = security_headers(path, docs_csp=self.docs_csp)
        private = private_request(scope)
        if not path.startswith("/static/"):
            extra.append(VARY)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                if private:  # replaces any cache header a route set
                    headers = [(k, v) for k, v in headers if k.lower() != NO_STORE[0]]
                    headers.append(NO_STORE)
                names = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in extra if k not in names]
            await send(message)

        self.metrics.in_flight += 1
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.in_flight -= 1
            elapsed = time.perf_counter() - start
            route = route_template(scope, self.routes)
            method = str(scope.get("method", ""))
            self.metrics.observe(method, route, status, elapsed)
            access_log.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)
