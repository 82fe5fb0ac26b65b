"""End to end in headless Chromium: ask → article → switch reader → citation → follow-up → JSON.

Screenshots land in artifacts/screenshots/. Accessibility: axe-core (tests/browser/node_modules,
installed by `npm ci` in tests/browser) must find no serious or critical violations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
Server = Any  # tests/browser/conftest.py: Server (url, home, log, output())

QUESTION = ("Is sacroiliac joint imbalance a common cause of low back pain that improves with "
            "movement?")


def _axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, "
                           "{resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_ask_read_switch_cite_follow_up(server: Server, browser: Any, shots: Path,
                                       hang_s: float) -> None:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(hang_s * 1000)  # only a hang reaches it
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(server.url + "/")
    page.screenshot(path=str(shots / "00-home.png"), full_page=True)
    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_label("Clinician").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    # The new draft is private: its address carries the asker's reader key.
    page.wait_for_url(re.compile(r"/articles/\d+\?key=[\w-]{24}$"))
    article_url = page.url
    article_path, key = article_url.split("?key=")
    assert httpx.get(article_path, timeout=60).status_code == 404  # nobody else reads it
    assert page.get_by_text("This draft is private").is_visible()
    assert page.locator("h1.question").inner_text() == QUESTION
    assert page.get_by_text("Educational purpose only • Exercise caution as content is "
                            "pending human review").is_visible()
    assert page.get_by_role("heading", name="References").is_visible()
    assert page.get_by_text("Professional medical disclaimer").is_visible()
    page.screenshot(path=str(shots / "01-article-clinician.png"), full_page=True)

    # Reader selector: choosing a radio applies it (JS); the URL carries ?audience=.
    page.get_by_label("Patient or caregiver").check()
    page.wait_for_url(re.compile(r"audience=patient"))
    assert page.get_by_role("heading", name="Medical disclaimer").is_visible()
    assert page.get_by_role("radio", name="Patient or caregiver").is_checked()
    page.screenshot(path=str(shots / "02-article-patient.png"), full_page=True)

    # A citation opens a pop-over with the supporting passage, its span highlighted.
    cite = page.locator("a.cite[data-popover]").first
    cite.click()
    pop = page.locator("#citation-popover")
    pop.wait_for()
    assert pop.locator("mark").inner_text().strip()
    page.screenshot(path=str(shots / "03-citation-popover.png"))
    page.keyboard.press("Escape")
    assert pop.count() == 0
    cite.click()
    page.locator("#citation-popover a.pop-open").click()
    page.wait_for_url(re.compile(r"/passages/\w+\?start=\d+&end=\d+"))
    assert page.locator("mark#supporting-span").inner_text().strip()
    page.screenshot(path=str(shots / "04-passage.png"), full_page=True)

    # Follow-up: a new article in the same thread.
    page.goto(article_url)
    page.get_by_label("Ask a follow-up question about this article").fill(
        "What imaging should be ordered first?")
    page.get_by_role("button", name="Ask follow-up").click()
    page.wait_for_url(lambda u: bool(re.search(rf"/articles/\d+\?key={key}$", u))
                      and u != article_url)
    followup_url = page.url
    followup_path = followup_url.split("?")[0]
    page.screenshot(path=str(shots / "05-follow-up.png"), full_page=True)
    page.get_by_role("link", name="Whole thread").click()
    page.wait_for_url(re.compile(r"/threads/\d+"))
    assert page.locator("li.turn").count() == 2
    page.screenshot(path=str(shots / "06-thread.png"), full_page=True)

    # JSON twin of the follow-up article.
    resp = page.goto(f"{followup_path}.json?key={key}")
    assert resp is not None and resp.headers["content-type"].startswith("application/json")
    assert resp.headers["cache-control"] == "no-store"
    art = json.loads(resp.text())
    assert art["id"] == int(followup_path.rsplit("/", 1)[1]) and art["thread_id"]
    assert not errors, errors
    ctx.close()

    # The server never logged the question text; its access lines are route templates.
    log = server.output()
    assert "sacroiliac" not in log.lower() and "imaging should" not in log
    assert key not in log
    assert "POST /ask 303" in log and "GET /articles/{article_id:int} 200" in log


def test_works_without_javascript(server: Server, browser: Any, shots: Path,
                                  hang_s: float) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.set_default_timeout(hang_s * 1000)  # only a hang reaches it
    page.goto(server.url + "/")
    page.get_by_label("Your question").fill("I have low back pain with fever and I inject "
                                            "drugs, should I worry?")
    page.get_by_label("Student").check()
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_url(re.compile(r"/articles/\d+\?key=[\w-]+$"))
    assert page.locator("section.red-flags").is_visible()
    page.screenshot(path=str(shots / "07-no-js-red-flags-student.png"), full_page=True)
    page.get_by_label("Patient or caregiver").check()
    page.get_by_role("button", name="Apply").click()  # the plain GET form
    page.wait_for_url(re.compile(r"audience=patient"))
    assert page.get_by_role("radio", name="Patient or caregiver").is_checked()
    assert page.locator("section.red-flags").is_visible()  # red flags in every reader mode
    page.locator("a.cite").first.click()  # no pop-over: the passage page itself
    page.wait_for_url(re.compile(r"/passages/"))
    assert page.locator("mark#supporting-span").count() == 1
    page.screenshot(path=str(shots / "09-no-js-passage.png"), full_page=True)
    ctx.close()


def test_keyboard_navigation(server: Server, browser: Any, hang_s: float) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(hang_s * 1000)  # only a hang reaches it
    page.goto(server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    for _ in range(30):  # the question box is reachable by keyboard
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    assert page.evaluate("document.activeElement.id") == "question"
    ctx.close()


def test_no_serious_accessibility_violations(server: Server, browser: Any, shots: Path,
                                             hang_s: float) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core not installed at {AXE}: run `npm ci` in tests/browser")
    art = httpx.post(f"{server.url}/api/v1/ask", json={"question": QUESTION},
                     timeout=hang_s).json()
    key = art["access_key"]
    fu = httpx.post(f"{server.url}/api/v1/articles/{art['id']}/followups",
                    json={"question": "How is it treated?"}, timeout=hang_s,
                    headers={"X-Curbside-Key": key}).json()
    span = next(c["spans"][0] for c in art["lead"] + art["bottom_line"] if c["spans"])
    src = art["references"][0]["source_id"]
    pages = {
        "home": "/", "article": f"/articles/{art['id']}?key={key}",
        "article-patient": f"/articles/{art['id']}?audience=patient&key={key}",
        "thread": f"/threads/{fu['thread_id']}?key={key}",
        "passage": f"/passages/{span['passage_uid']}?start={span['start']}&end={span['end']}",
        "source": f"/sources/{src}", "search": "/search?q=sacroiliac+joint",
        "policy": "/editorial-policy", "not-found": "/articles/999999",
    }
    # axe is injected as a script, which the page's CSP (rightly) forbids: bypass it here only.
    ctx = browser.new_context(bypass_csp=True)
    page = ctx.new_page()
    page.set_default_timeout(hang_s * 1000)  # only a hang reaches it
    found: dict[str, Any] = {}
    for name, path in pages.items():
        page.goto(server.url + path)
        bad = _axe_violations(page)
        if bad:
            found[name] = bad
    page.goto(server.url + "/search?q=sacroiliac+joint")
    page.screenshot(path=str(shots / "08-search.png"), full_page=True)
    ctx.close()
    assert not found, json.dumps(found, indent=1)
