"""A real local llama.cpp server (xllamacpp + the small Gemma 3 270M GGUF) for the llm tests.

Started once per session on 127.0.0.1 and a free port and stopped at teardown. Tests that need it
skip, with the reason, when it cannot start. Nothing here races the clock: the start waits until
``/health`` answers or the server process dies (bounded only by ``HANG_S`` against a hang), and
requests to the real model get the same generous timeout, because a loaded CI machine can take
minutes for one answer (issue 18, item 12).
"""

from __future__ import annotations

import contextlib
import http.server
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from curbside.config import LLMSettings
from curbside.llm.local_server import LocalServer, LocalServerError, free_port


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory, hang_s: float) -> Iterator[LocalServer]:
    log = Path(tmp_path_factory.mktemp("llama")) / "server.log"
    server = LocalServer(start_timeout_s=hang_s, log_path=log)
    try:
        server.start()
    except LocalServerError as exc:
        pytest.skip(f"local llama.cpp server could not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def real_llm_settings(llm_server: LocalServer, hang_s: float) -> Callable[..., LLMSettings]:
    """LLMSettings for the real server whose request timeout only catches a hang."""

    def make(**overrides: object) -> LLMSettings:
        return LLMSettings.model_validate(
            {"base_url": llm_server.base_url, "timeout_s": hang_s, **overrides}
        )

    return make


class _GarbageHandler(http.server.BaseHTTPRequestHandler):
    """Answers every POST with HTTP 200 and a body that is not a chat completion."""

    bodies = {
        "/v1/chat/completions": b"<html>not json at all",
    }

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        request = self.rfile.read(length)
        if b'"stream": true' in request or b'"stream":true' in request:
            body = b"data: {this is not json}\n\n"
            ctype = "text/event-stream"
        elif self.server.mode == "wrong-shape":  # type: ignore[attr-defined]
            body, ctype = b'{"choices": []}', "application/json"
        else:
            body, ctype = b"<html>not json at all", "text/html"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def garbage_server() -> Iterator[http.server.HTTPServer]:
    """STAND-IN for one case only: a server that answers 200 with malformed output.

    A real llama.cpp server never sends malformed JSON, so this tiny stub is the only way to
    exercise `LLMBadOutput`; every other llm test talks to the real server.
    """
    srv = http.server.HTTPServer(("127.0.0.1", free_port()), _GarbageHandler)
    srv.mode = "not-json"  # type: ignore[attr-defined]
    with serving(srv):
        yield srv


@contextlib.contextmanager
def serving(srv: socketserver.BaseServer) -> Iterator[None]:
    """Run a test's own loopback server in a thread; shut it down and close it afterwards."""
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield
    finally:
        srv.shutdown()
        srv.server_close()


ServeInThread = Callable[[socketserver.BaseServer], contextlib.AbstractContextManager[None]]


@pytest.fixture
def serve_in_thread() -> ServeInThread:
    """`serving`, for test modules' own stub-server fixtures (conftest is not importable)."""
    return serving
