"""Fault test: the LLM server dies mid-reply (sends part of a response, then closes the socket).

The server is a real HTTP server of the test's own on loopback: it answers with the headers
and the first part of a chat completion (or of a server-sent-event stream), then closes the
connection, the way a crashed or OOM-killed llama.cpp server leaves a client. The writer must
fall back to the extractive answer with a notice; the API must answer 201 (created), never 500.
"""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from curbside import services
from curbside.config import LLMSettings, Settings
from curbside.llm.client import LLMUnavailable, OpenAICompatibleLLM
from curbside.llm.writer import LLMWriter
from curbside.verify import CitationVerifier
from curbside.verify.support import SupportScorer

HELLO = [{"role": "user", "content": "Write one sentence about walking."}]
Q = "What is the first-line treatment for chronic low back pain?"


def _chunk(text: str) -> bytes:
    body = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


class _DyingHandler(socketserver.StreamRequestHandler):
    """Reads one request, writes part of a reply, closes the socket."""

    def handle(self) -> None:
        length = 0
        while True:
            line = self.rfile.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        request = self.rfile.read(length)
        self.server.requests += 1  # type: ignore[attr-defined]
        if b'"stream": true' in request or b'"stream":true' in request:
            # Two good chunks of a chunked SSE stream, then the connection drops: no [DONE],
            # no finish_reason, no terminating zero-length chunk.
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n")
            self.wfile.write(head)
            for part in (_chunk("Walking helps "), _chunk("low back pain [1]")):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        else:
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content":
                              "Exercise therapy is recommended [1]. " * 20}}]}).encode()
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body))
            self.wfile.write(body[: len(body) // 3])  # a third of the body, then gone
        self.wfile.flush()
        self.request.shutdown(2)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    requests = 0


@pytest.fixture
def dying_server(serve_in_thread: Callable[[_Server], AbstractContextManager[None]]
                 ) -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _DyingHandler)
    with serve_in_thread(srv):
        yield srv


def _url(srv: _Server) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}/v1"


def test_complete_cut_off_mid_body_is_unavailable(dying_server: _Server) -> None:
    llm = OpenAICompatibleLLM(LLMSettings(base_url=_url(dying_server), max_retries=1),
                              backoff_s=0.01)
    with pytest.raises(LLMUnavailable, match="unreachable"):
        llm.complete(HELLO)
    assert dying_server.requests == 2  # retried once, then gave up


def test_stream_cut_off_is_unavailable_not_a_short_answer(dying_server: _Server) -> None:
    llm = OpenAICompatibleLLM(LLMSettings(base_url=_url(dying_server), max_retries=0))
    got: list[str] = []
    with pytest.raises(LLMUnavailable):
        got.extend(llm.stream(HELLO))
    assert "".join(got).startswith("Walking helps")  # the part it sent did arrive


def test_stream_that_stops_without_done_is_not_passed_off_as_complete() -> None:
    """A server that closes a non-chunked stream cleanly after partial data (no [DONE], no
    finish_reason) must not have its half reply taken as the whole one."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # body ends when the connection closes

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(_chunk("Walking helps "))

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
        llm = OpenAICompatibleLLM(LLMSettings(base_url=url, max_retries=0))
        with pytest.raises(LLMUnavailable, match="before the reply was complete"):
            list(llm.stream(HELLO))
    finally:
        srv.shutdown()
        srv.server_close()


def test_writer_streaming_falls_back_when_the_server_dies(dying_server: _Server) -> None:
    llm = OpenAICompatibleLLM(LLMSettings(base_url=_url(dying_server), max_retries=0))
    writer = LLMWriter(llm, CitationVerifier(SupportScorer(None)))
    seen: list[str] = []
    out = writer.write(Q, [(1, "Low back pain guideline", "Exercise therapy helps chronic low "
                            "back pain.")], on_chunk=seen.append)
    assert out.fallback and out.claims == []
    assert out.reason and "LLM unavailable" in out.reason
    assert out.notice and "source sentences" in out.notice


def test_ask_falls_back_to_extractive_with_a_notice(starter_home: Path,
                                                    dying_server: _Server) -> None:
    settings = Settings(home=starter_home, llm=LLMSettings(base_url=_url(dying_server),
                                                           max_retries=0))
    rt = services.open_runtime(settings)
    try:
        a = services.ask(rt, question=Q, writer="llm", save=False)
    finally:
        rt.close()
    assert a.writer == "extractive" and not a.insufficient
    assert any("source sentences" in n for n in a.notices), a.notices
    assert dying_server.requests >= 1


def test_api_ask_answers_201_not_500_when_the_server_dies(starter_home: Path, tmp_path: Path,
                                                  dying_server: _Server) -> None:
    import shutil

    from curbside.app import create_app

    home = tmp_path / "home"  # a copy: this test stores the article it asks for
    shutil.copytree(starter_home, home)
    settings = Settings(home=home, llm=LLMSettings(base_url=_url(dying_server), max_retries=0))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/ask", json={"question": Q, "writer": "llm"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["writer"] == "extractive"
    assert any("source sentences" in n for n in body["notices"])
