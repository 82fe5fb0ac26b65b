"""A client for any OpenAI-compatible chat server (llama.cpp, vLLM, Ollama, OpenAI).

`OpenAICompatibleLLM` posts to ``{base_url}/chat/completions`` with httpx:

- a per-request timeout (``settings.timeout_s``);
- retries with exponential backoff on connection errors, HTTP 429 and 5xx (``max_retries``);
  a timeout is not retried (the server is up but too slow; retrying only multiplies the wait);
- a process-wide limit on concurrent requests per server (``settings.concurrency``), shared by
  every client pointed at the same base URL;
- streaming through server-sent events (``"stream": true``).

The API key stays a `SecretStr` until it goes into the Authorization header; it is never logged
and never part of ``repr``. Message text (which may hold patient details) is never logged either.

Failures become `LLMUnavailable` (no server configured, unreachable, timed out, refused the
request) or `LLMBadOutput` (answered with something that is not a chat completion).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import httpx

from curbside.config import LLMSettings

if TYPE_CHECKING:
    from curbside.registry import LLMClientFactory, Registry

__all__ = [
    "LLM",
    "LLMBadOutput",
    "LLMError",
    "LLMUnavailable",
    "Message",
    "OpenAICompatibleLLM",
    "make_llm",
]

log = logging.getLogger(__name__)

Message = Mapping[str, str]


class LLMError(RuntimeError):
    """Base class of the LLM client's errors."""


class LLMUnavailable(LLMError):
    """No usable server: not configured, unreachable, timed out, or refused the request."""


class LLMBadOutput(LLMError):
    """The server answered, but not with a usable chat completion."""


@runtime_checkable
class LLM(Protocol):
    """A chat model: whole completions or a stream of text chunks."""

    @property
    def model(self) -> str: ...

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0
    ) -> str:
        """The assistant's reply to `messages`."""
        ...

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0
    ) -> Iterator[str]:
        """The reply as it is generated, chunk by chunk."""
        ...


def make_llm(settings: LLMSettings) -> LLM:
    """The client ``settings.kind`` names in `curbside.registry.LLM_CLIENTS` (built-in:
    ``openai-compatible``); an unknown or broken backend is `LLMUnavailable`."""
    from curbside.registry import LLM_CLIENTS, BackendError

    try:
        factory = LLM_CLIENTS.get(settings.kind)
    except BackendError as exc:
        raise LLMUnavailable(str(exc)) from exc
    return factory(settings)


_SEMAPHORES: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_SEMAPHORES_LOCK = threading.Lock()


def _semaphore(base_url: str, concurrency: int) -> threading.BoundedSemaphore:
    key = (base_url, max(1, concurrency))
    with _SEMAPHORES_LOCK:
        sem = _SEMAPHORES.get(key)
        if sem is None:
            sem = _SEMAPHORES[key] = threading.BoundedSemaphore(key[1])
        return sem


_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class OpenAICompatibleLLM:
    """`LLM` over HTTP; see the module docstring."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        backoff_s: float = 0.5,
    ) -> None:
        if not settings.base_url:
            raise LLMUnavailable(
                "no LLM server configured (set CURBSIDE_LLM__BASE_URL, e.g. "
                "http://127.0.0.1:8080/v1)"
            )
        self.base_url = settings.base_url.rstrip("/")
        self._model = settings.model
        self.timeout_s = settings.timeout_s
        self.max_retries = max(0, settings.max_retries)
        self.backoff_s = backoff_s
        self._semaphore = _semaphore(self.base_url, settings.concurrency)
        headers = {"Accept": "application/json"}
        if settings.api_key is not None and settings.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s),
            transport=transport,
        )

    @property
    def model(self) -> str:
        return self._model

    def __repr__(self) -> str:
        return f"OpenAICompatibleLLM(base_url={self.base_url!r}, model={self._model!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAICompatibleLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def _payload(
        self, messages: Sequence[Message], max_tokens: int, temperature: float, stream: bool
    ) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    def _unavailable(self, exc: Exception) -> LLMUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            return LLMUnavailable(
                f"LLM server at {self.base_url} timed out after {self.timeout_s:g}s "
                f"({type(exc).__name__})"
            )
        return LLMUnavailable(f"LLM server at {self.base_url} unreachable: {type(exc).__name__}")

    def _with_retries(self, send: Any) -> Any:
        """Call ``send(attempt)``; retry connection errors, 429 and 5xx with backoff."""
        delay = self.backoff_s
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                return send(attempt)
            except httpx.TimeoutException as exc:
                if isinstance(exc, httpx.ConnectTimeout) and not last:
                    log.debug("LLM connect timeout, attempt %d; retrying", attempt + 1)
                else:
                    raise self._unavailable(exc) from exc
            except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
                if last:
                    raise self._unavailable(exc) from exc
                log.debug("LLM %s, attempt %d; retrying", type(exc).__name__, attempt + 1)
            except httpx.TransportError as exc:
                raise self._unavailable(exc) from exc
            except _RetryableStatus as exc:
                if last:
                    raise LLMUnavailable(
                        f"LLM server at {self.base_url} answered HTTP {exc.status}"
                    ) from None
                log.debug("LLM HTTP %d, attempt %d; retrying", exc.status, attempt + 1)
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_status(self, resp: httpx.Response) -> None:
        if resp.status_code in _RETRYABLE_STATUS:
            raise _RetryableStatus(resp.status_code)
        if resp.status_code >= 400:
            raise LLMUnavailable(
                f"LLM server at {self.base_url} refused the request: HTTP {resp.status_code}"
            )

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0
    ) -> str:
        payload = self._payload(messages, max_tokens, temperature, stream=False)

        def send(attempt: int) -> httpx.Response:
            log.debug("LLM request model=%s attempt=%d", self._model, attempt + 1)
            resp = self._client.post("/chat/completions", json=payload)
            self._check_status(resp)
            return resp

        with self._semaphore:
            resp: httpx.Response = self._with_retries(send)
        return _content(resp)

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0
    ) -> Iterator[str]:
        payload = self._payload(messages, max_tokens, temperature, stream=True)
        with self._semaphore:
            ctx, resp = self._with_retries(lambda attempt: self._open_stream(payload, attempt))
            try:
                yield from _sse_chunks(resp, self._unavailable)
            finally:
                ctx.__exit__(None, None, None)

    def _open_stream(
        self, payload: dict[str, Any], attempt: int
    ) -> tuple[Any, httpx.Response]:
        log.debug("LLM stream request model=%s attempt=%d", self._model, attempt + 1)
        ctx = self._client.stream("POST", "/chat/completions", json=payload)
        resp = ctx.__enter__()
        try:
            self._check_status(resp)
        except BaseException:
            ctx.__exit__(None, None, None)
            raise
        return ctx, resp


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _content(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        n = len(resp.content)
        raise LLMBadOutput(f"LLM server answered with non-JSON ({n} bytes)") from exc
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise LLMBadOutput("LLM server answer is not a chat completion (no message)") from exc
    if content is None:
        return ""
    if not isinstance(content, str):
        raise LLMBadOutput("LLM server answer content is not text")
    return content


def _sse_chunks(resp: httpx.Response, unavailable: Any) -> Iterator[str]:
    """Text deltas of an OpenAI-style server-sent-event stream.

    A stream must end with ``data: [DONE]`` or a chunk with a ``finish_reason``: one that
    just stops (the server died mid-reply and closed the connection) raises `LLMUnavailable`
    rather than passing a cut-off reply off as the whole answer.
    """
    saw_data = False
    finished = False
    try:
        for line in resp.iter_lines():
            line = line.strip()
            if not line or line.startswith(":"):
                continue
            if not line.startswith("data:"):
                if line.startswith(("event:", "id:", "retry:")):
                    continue
                raise LLMBadOutput("LLM stream is not server-sent events")
            body = line[5:].strip()
            if body == "[DONE]":
                return
            saw_data = True
            try:
                data = json.loads(body)
                choice = data["choices"][0] if data.get("choices") else {}
                delta = choice.get("delta") or {}
                text = delta.get("content")
                finished = finished or bool(choice.get("finish_reason"))
            except (json.JSONDecodeError, AttributeError, TypeError, IndexError) as exc:
                raise LLMBadOutput("LLM stream chunk is not a chat completion chunk") from exc
            if isinstance(text, str) and text:
                yield text
    except httpx.TransportError as exc:
        raise unavailable(exc) from exc
    if not saw_data:
        raise LLMBadOutput("LLM stream ended without any data")
    if not finished:
        raise LLMUnavailable("LLM server closed the stream before the reply was complete")


def register_builtin_llm_clients(reg: Registry[LLMClientFactory]) -> None:
    """The built-in LLM clients (named by `curbside.registry.LLM_CLIENTS`)."""
    reg.register("openai-compatible", OpenAICompatibleLLM)
