"""Load test of ``POST /api/v1/ask`` on loopback: 20 concurrent clients beside a single client.

    python benchmarks/api_load.py [--clients 20] [--requests 400] [--seconds 60] [--home DIR]

Starts ``curbside serve`` in a subprocess on a free 127.0.0.1 port over a Curbside home with the
starter library (a fresh temporary one unless ``--home`` is given), warms it up, then runs a
single-client phase and a concurrent phase (each bounded by request count and wall time), and
prints latency p50/p95/max, throughput and errors as a table. Exit status 1 when any request
failed. Questions cycle through a fixed list of clinical questions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

QUESTIONS = [
    "Is sacroiliac joint imbalance a common cause of low back pain that improves with movement?",
    "What imaging is recommended for suspected axial spondyloarthritis?",
    "What are the red flags in acute low back pain?",
    "How should suspected spinal epidural abscess be managed?",
    "When should a patient with headache have a CT scan?",
    "What is the first-line treatment for type 2 diabetes?",
    "How is chest pain suggestive of acute coronary syndrome evaluated?",
    "What is the initial management of sepsis?",
    "Which patients with suspected pulmonary embolism need CT angiography?",
    "How is atrial fibrillation rate control achieved?",
    "What non-drug treatments help chronic low back pain?",
    "Are NSAIDs effective for ankylosing spondylitis?",
    "When are TNF-alpha inhibitors used in axial spondyloarthritis?",
    "What are the warning signs of stroke?",
    "How is depression in adults screened?",
    "What are the symptoms of meningitis in adults?",
    "Which treatments are recommended for knee osteoarthritis?",
    "How is diabetic ketoacidosis treated in children?",
    "Does acetaminophen help acute low back pain?",
    "What is cauda equina syndrome and how is it diagnosed?",
]


@dataclass
class Phase:
    name: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self) -> list[str]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> str:
            if not lat:
                return "-"
            return f"{lat[min(n - 1, int(round(p * (n - 1))))] * 1000:.0f}"

        rate = n / self.seconds if self.seconds else 0.0
        mean = f"{statistics.fmean(lat) * 1000:.0f}" if lat else "-"
        return [self.name, str(self.clients), str(n + len(self.errors)), str(len(self.errors)),
                f"{rate:.1f}", mean, pct(0.50), pct(0.95), f"{lat[-1] * 1000:.0f}" if lat else "-"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_home(home: Path | None) -> tuple[Path, Path | None]:
    if home is not None:
        return home, None
    tmp = Path(tempfile.mkdtemp(prefix="curbside-load-"))
    h = tmp / "home"
    print(f"ingesting the starter library into {h} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "curbside.cli.entry", "--home", str(h), "ingest",
                    "--starter-library", "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return h, tmp


def start_server(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CURBSIDE_HOME": str(home)}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "curbside.cli.entry", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server did not become ready:\n{log.read_text()}")


async def run_phase(url: str, phase: Phase, *, max_requests: int, max_seconds: float) -> None:
    counter = 0
    deadline = time.monotonic() + max_seconds

    async def client(cid: int) -> None:
        nonlocal counter
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while counter < max_requests and time.monotonic() < deadline:
                i = counter
                counter += 1
                q = QUESTIONS[i % len(QUESTIONS)]
                t0 = time.perf_counter()
                try:
                    r = await http.post("/api/v1/ask", json={"question": q,
                                                             "audience": "clinician"})
                    dt = time.perf_counter() - t0
                    if r.status_code == 201:
                        phase.latencies.append(dt)
                    else:
                        phase.errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    phase.errors.append(f"{type(exc).__name__}: {exc}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(phase.clients)))
    phase.seconds = time.perf_counter() - t0


def print_table(phases: list[Phase]) -> None:
    head = ["phase", "clients", "requests", "errors", "req/s", "mean ms", "p50 ms", "p95 ms",
            "max ms"]
    rows = [head] + [p.row() for p in phases]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for j, r in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20, help="Concurrent clients.")
    ap.add_argument("--requests", type=int, default=400, help="Most requests, concurrent phase.")
    ap.add_argument("--single-requests", type=int, default=40, help="Most single-client requests.")
    ap.add_argument("--seconds", type=float, default=60.0, help="Most seconds per phase.")
    ap.add_argument("--home", type=Path, default=None, help="Existing Curbside home to serve.")
    args = ap.parse_args()

    home, tmp = prepare_home(args.home)
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="curbside-load-log-")) / "server.log"
    proc = start_server(home, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        warm = Phase("warm-up", 1)
        asyncio.run(run_phase(url, warm, max_requests=len(QUESTIONS), max_seconds=120))
        single = Phase("single client", 1)
        asyncio.run(run_phase(url, single, max_requests=args.single_requests,
                              max_seconds=args.seconds))
        many = Phase(f"{args.clients} clients", args.clients)
        asyncio.run(run_phase(url, many, max_requests=args.requests, max_seconds=args.seconds))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nPOST /api/v1/ask on loopback · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} CPUs · Python {platform.python_version()} · one uvicorn worker")
    print_table([single, many])
    errors = single.errors + many.errors
    for e in errors[:10]:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
