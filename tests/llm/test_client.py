"""OpenAICompatibleLLM against a real llama.cpp server (and, for bad output, a stand-in stub)."""

from __future__ import annotations

import http.server
import logging
import socket
import time
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from curbside.config import LLMSettings
from curbside.llm.client import (
    LLMBadOutput,
    LLMUnavailable,
    OpenAICompatibleLLM,
)
from curbside.llm.local_server import free_port

SECRET = "sk-curbside-test-0123456789-DO-NOT-LOG"
HELLO = [{"role": "user", "content": "Write one sentence about walking."}]


def settings(base_url: str | None, **kw: object) -> LLMSettings:
    return LLMSettings.model_validate({"base_url": base_url, **kw})


@pytest.mark.llm
def test_complete_returns_text(real_llm_settings: Callable[..., LLMSettings]) -> None:
    with OpenAICompatibleLLM(real_llm_settings()) as llm:
        out = llm.complete(HELLO, max_tokens=12)
    assert isinstance(out, str) and out


@pytest.mark.llm
def test_streaming_yields_chunks(real_llm_settings: Callable[..., LLMSettings]) -> None:
    with OpenAICompatibleLLM(real_llm_settings()) as llm:
        chunks = list(llm.stream(HELLO, max_tokens=12))
    assert len(chunks) >= 2
    assert all(isinstance(c, str) and c for c in chunks)


def test_timeout_becomes_unavailable() -> None:
    """A server that accepts the connection and never answers: the read times out.

    (This used to race a 0.05 s timeout against the real model; on a fast enough machine the
    model could win. A peer that never answers makes the outcome independent of speed.)
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # the kernel completes the handshake; nobody ever reads or replies
        port = silent.getsockname()[1]
        llm = OpenAICompatibleLLM(settings(f"http://127.0.0.1:{port}/v1", timeout_s=0.2,
                                           max_retries=2), backoff_s=0.001)
        with pytest.raises(LLMUnavailable, match="timed out after 0.2s"):
            llm.complete(HELLO, max_tokens=200)
        with pytest.raises(LLMUnavailable, match="timed out"):
            list(llm.stream(HELLO, max_tokens=200))


@pytest.mark.llm
def test_api_key_never_logged(real_llm_settings: Callable[..., LLMSettings],
                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    llm = OpenAICompatibleLLM(real_llm_settings(api_key=SecretStr(SECRET)))
    llm.complete(HELLO, max_tokens=4)
    list(llm.stream(HELLO, max_tokens=4))
    down = OpenAICompatibleLLM(
        settings(f"http://127.0.0.1:{free_port()}/v1", api_key=SecretStr(SECRET), max_retries=1),
        backoff_s=0.01,
    )
    with pytest.raises(LLMUnavailable) as err:
        down.complete(HELLO)
    assert caplog.records  # something was logged (httpx, httpcore, ours)
    assert SECRET not in caplog.text
    assert SECRET not in str(err.value) and SECRET not in repr(llm)


def test_server_down_is_unavailable_after_retries() -> None:
    port = free_port()
    llm = OpenAICompatibleLLM(settings(f"http://127.0.0.1:{port}/v1", max_retries=2),
                              backoff_s=0.05)
    t0 = time.perf_counter()
    with pytest.raises(LLMUnavailable, match="unreachable"):
        llm.complete(HELLO)
    assert time.perf_counter() - t0 >= 0.05 + 0.1  # backed off 0.05 s then 0.1 s
    with pytest.raises(LLMUnavailable):
        list(llm.stream(HELLO))


def test_not_configured_is_unavailable() -> None:
    with pytest.raises(LLMUnavailable, match="no LLM server configured"):
        OpenAICompatibleLLM(settings(None))


def test_retries_5xx_then_succeeds() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503)
        return httpx.Response(200, json={"choices": [{"message": {"content": "ok"}}]})

    llm = OpenAICompatibleLLM(settings("http://llm.invalid/v1", max_retries=2),
                              transport=httpx.MockTransport(handler), backoff_s=0.001)
    assert llm.complete(HELLO) == "ok"
    assert len(calls) == 3


def test_4xx_is_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401)

    llm = OpenAICompatibleLLM(settings("http://llm.invalid/v1"),
                              transport=httpx.MockTransport(handler), backoff_s=0.001)
    with pytest.raises(LLMUnavailable, match="HTTP 401"):
        llm.complete(HELLO)
    assert len(calls) == 1


def test_malformed_output_is_bad_output(garbage_server: http.server.HTTPServer) -> None:
    base = f"http://127.0.0.1:{garbage_server.server_address[1]}/v1"
    llm = OpenAICompatibleLLM(settings(base))
    with pytest.raises(LLMBadOutput, match="non-JSON"):
        llm.complete(HELLO)
    with pytest.raises(LLMBadOutput):
        list(llm.stream(HELLO))
    garbage_server.mode = "wrong-shape"  # type: ignore[attr-defined]
    with pytest.raises(LLMBadOutput, match="not a chat completion"):
        llm.complete(HELLO)


def test_concurrency_limit_is_process_wide() -> None:
    a = OpenAICompatibleLLM(settings("http://shared.invalid/v1", concurrency=3))
    b = OpenAICompatibleLLM(settings("http://shared.invalid/v1", concurrency=3))
    assert a._semaphore is b._semaphore


class _SlowHealth(http.server.BaseHTTPRequestHandler):
    """/health answers 200, but only after longer than the old 2 s per-poll timeout."""

    delay_s = 2.5

    def do_GET(self) -> None:  # noqa: N802
        time.sleep(self.delay_s)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_start_waits_for_a_slow_health_answer_and_stops_at_once_on_exit(hang_s: float) -> None:
    """Issue 18, item 12: a loaded machine answers /health slowly; that is not "never ready".

    (The old loop gave each poll 2 s, so a server that always needs longer was never ready.)
    """
    import subprocess
    import sys
    import threading

    from curbside.llm.local_server import LocalServerError, wait_until_healthy

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _SlowHealth)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    try:
        wait_until_healthy(f"http://127.0.0.1:{srv.server_address[1]}/health", alive, hang_s)
    finally:
        alive.kill()
        alive.wait()
        srv.shutdown()
        srv.server_close()
    # A server process that dies ends the wait with its exit code, without waiting for the bound.
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    with pytest.raises(LocalServerError, match="exited with code 3"):
        wait_until_healthy(f"http://127.0.0.1:{free_port()}/health", dead, hang_s)
