"""The reviewer UI in headless Chromium: sign in, queue, claims, strike, diff, approve."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from curbside import services
from curbside.app import create_app
from curbside.review.editorial import Actor
from curbside.services import accounts, review

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PW = "reviewer password 1"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(rt: services.Runtime, hang_s: float) -> Iterator[str]:
    import uvicorn

    app = create_app(runtime=rt)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + hang_s  # waits for the server, however loaded the machine
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_reviewer_reviews_claims_and_approves_in_chromium(
        server: str, rt: services.Runtime, article_id: int, people: dict[str, Actor],
        hang_s: float) -> None:
    review.transition_article(rt, article_id=article_id, action="submit", actor=people["editor"])
    accounts.add_user(rt, name="rita", role="reviewer", password=PW)
    # Playwright's sync API refuses to start while another sync session (the tests/browser
    # session fixture) is open in this thread, so this session runs in a thread of its own.
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["errors"] = _drive(server, article_id, hang_s)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            outcome["exc"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=hang_s)
    assert not worker.is_alive(), f"the browser session hung for {hang_s:g} s"
    if "exc" in outcome:
        raise outcome["exc"]  # type: ignore[misc]
    errors = outcome["errors"]
    assert isinstance(errors, list)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert review.public_status(rt, article_id, 2).approved


def _drive(server: str, article_id: int, hang_s: float) -> list[str]:
    with playwright.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM) if CHROMIUM else \
                p.chromium.launch()
        except Exception as exc:  # noqa: BLE001 - no browser on this machine
            pytest.skip(f"no Chromium available: {exc}")
        page = browser.new_page()
        page.set_default_timeout(hang_s * 1000)  # a bound for a hang, not a speed requirement
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(f"{server}/review")
        assert "/review/login" in page.url
        page.fill("#name", "rita")
        page.fill("#password", PW)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(f"{server}/review")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "20-review-queue.png"), full_page=True)
        page.click("text=Exercise for chronic low back pain")
        page.click("button:has-text('Start review')")
        assert "State: under review" in page.inner_text(".review-state")

        page.fill("#comment-c1", "matches the trial abstract")
        page.click("#claim-c1 button:has-text('Accept')")
        assert "rita: accept" in page.inner_text("#claim-c1")
        page.screenshot(path=str(SHOTS / "21-claim-review.png"), full_page=True)
        page.fill("#comment-c3", "not about treatment")
        page.click("#claim-c3 button:has-text('Strike')")
        assert "version 2 of 2" in page.inner_text(".kicker").lower()  # CSS upper-cases it
        assert page.locator("#claim-c3").count() == 0
        assert "rita: accept" in page.inner_text("#claim-c1")  # carried to the new version

        page.click("text=Changes since version 1")
        assert "Imaging is not routinely needed" in page.inner_text(".diff-removed")
        page.screenshot(path=str(SHOTS / "22-version-diff.png"), full_page=True)
        page.click("text=Back to version 2")
        page.fill("#note", "every remaining claim checked")
        page.click("button:has-text('Approve')")
        assert "Approved by the Medical Advisory Board" in page.inner_text(".review-state")
        page.screenshot(path=str(SHOTS / "23-approved.png"), full_page=True)

        page.goto(f"{server}/articles/{article_id}?version=1")
        body = page.inner_text("main")
        assert "Approved by the Medical Advisory Board" not in body  # the struck version
        browser.close()
    return errors
