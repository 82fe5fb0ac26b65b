"""Browser tests: a real `curbside serve` subprocess and headless Debian Chromium (Playwright)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import curbside_web_fixtures as fixtures  # loaded by tests/conftest.py
import httpx
import pytest

library_home = fixtures.library_home

CHROMIUM = Path(os.environ.get("CURBSIDE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    home: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def server(library_home: Path, tmp_path_factory: pytest.TempPathFactory,
           hang_s: float) -> Iterator[Server]:
    """`curbside serve` on a free loopback port, over a copy of the starter library."""
    base = tmp_path_factory.mktemp("server")
    home = base / "home"
    shutil.copytree(library_home, home)
    port = _free_port()
    log = base / "server.log"
    env = {**os.environ, "CURBSIDE_HOME": str(home)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "curbside.cli.entry", "serve", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + hang_s  # only a hang reaches it; a crash ends it early
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=30).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.3)
        # Warm the models once so page timeouts measure the app, not model loading.
        httpx.post(f"{url}/api/v1/ask", json={"question": "low back pain red flags"},
                   timeout=hang_s)
        yield Server(url=url, home=home, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium "
                    "(or set CURBSIDE_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="needs the playwright Python package (pip install "
                                          "playwright; never `playwright install`)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
