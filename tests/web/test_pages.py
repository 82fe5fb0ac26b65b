"""Server-rendered pages: the article page shape, reader modes, citations, twins, threads."""

from __future__ import annotations

import re

from curbside_web_fixtures import approve, build_article, key_headers
from fastapi.testclient import TestClient

from curbside.article import Article
from curbside.services import Runtime

CAUTION = "Educational purpose only • Exercise caution as content is pending human review"


def _order(html: str, markers: list[str]) -> list[int]:
    pos = [html.find(m) for m in markers]
    assert all(p >= 0 for p in pos), [m for m, p in zip(markers, pos, strict=True) if p < 0]
    return pos


def test_article_page_has_the_reference_parts_in_order(owner: TestClient,
                                                       saved_article: Article) -> None:
    client = owner
    html = client.get(f"/articles/{saved_article.id}").text
    pos = _order(html, [
        f'<h1 class="question">{saved_article.question}</h1>',
        CAUTION,
        "Article review status: <strong>",
        "Last updated:",
        'href="/editorial-policy">View editorial policy',
        "Which best describes you?",
        f'<h2 class="headline">{saved_article.title}</h2>',
        'class="lead"',
        "Premise check",
        "Red flags",
        "Key evidence",
        "Bottom line",
        '<h2 id="refs-h">References</h2>',
        "Professional medical disclaimer",
        "Have a follow-up question?",
    ])
    assert pos == sorted(pos)
    assert "Approved by the Medical Advisory Board" not in html
    for ref in saved_article.references:
        assert f'id="ref-{ref.n}"' in html and ref.type in html
    key = client.headers["X-Curbside-Key"]
    assert f'action="/articles/{saved_article.id}/followups?key={key}"' in html


def test_headings_are_in_order(owner: TestClient, saved_article: Article) -> None:
    html = owner.get(f"/articles/{saved_article.id}").text
    levels = [int(x) for x in re.findall(r"<h([1-6])[ >]", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_every_citation_links_to_its_supporting_passage(client: TestClient, owner: TestClient,
                                                        saved_article: Article) -> None:
    html = owner.get(f"/articles/{saved_article.id}").text
    for claim in saved_article.all_claims():
        span = claim.spans[0]
        href = f"/passages/{span.passage_uid}?start={span.start}&amp;end={span.end}"
        assert href in html, claim.text
        page = client.get(href.replace("&amp;", "&"))
        assert page.status_code == 200
        marked = re.search(r'<mark id="supporting-span">(.*?)</mark>', page.text, re.S)
        assert marked is not None
        assert marked.group(1).replace("&#39;", "'") == claim.text.replace("'", "'")
        twin = client.get(f"/passages/{span.passage_uid}.json",
                          params={"start": span.start, "end": span.end}).json()
        assert twin["passage"]["text"][span.start:span.end] == claim.text


def test_approved_only_when_a_reviewer_approved_this_version(owner: TestClient, rt: Runtime,
                                                            saved_article: Article) -> None:
    client = owner
    assert saved_article.id is not None
    # A status set without a recorded approval must not read "Approved".
    rt.articles.set_version_status(saved_article.id, 1, "approved")
    html = client.get(f"/articles/{saved_article.id}").text
    assert "Approved by the Medical Advisory Board" not in html and CAUTION in html
    rt.articles.set_version_status(saved_article.id, 1, "draft")
    approve(rt, saved_article.id)
    html = client.get(f"/articles/{saved_article.id}").text
    assert re.search(r"Approved by the Medical Advisory Board on \w+ \d{1,2}, \d{4} "
                     r"\(version 1\)", html)
    assert CAUTION not in html
    assert saved_article.title in client.get("/").text  # listed among recent approved articles
    # A new version is not approved: its page shows the caution again.
    rt.articles.save_version(rt.articles.get(saved_article.id).model_copy(  # type: ignore[union-attr]
        update={"status": "draft"}))
    assert CAUTION in client.get(f"/articles/{saved_article.id}").text
    assert "Approved by" in client.get(f"/articles/{saved_article.id}?version=1").text


def test_reader_selector_is_a_plain_get_form(owner: TestClient, saved_article: Article) -> None:
    client = owner
    html = client.get(f"/articles/{saved_article.id}").text
    assert f'method="get" action="/articles/{saved_article.id}"' in html
    assert 'value="clinician" checked' in html
    assert f'name="key" value="{client.headers["X-Curbside-Key"]}"' in html  # kept on switching
    patient = client.get(f"/articles/{saved_article.id}", params={"audience": "patient"}).text
    assert 'value="patient" checked' in patient
    assert "Medical disclaimer" in patient and "Professional medical disclaimer" not in patient
    assert "call your local emergency number" in patient
    student = client.get(f"/articles/{saved_article.id}", params={"audience": "student"}).text
    assert "Professional medical disclaimer" in student
    for page in (html, patient, student):  # red flags in every mode
        assert "Possible spinal infection" in page
    assert 'name="audience" value="patient"' in patient  # follow-up keeps the reader mode


def test_json_twins(owner: TestClient, saved_article: Article) -> None:
    client = owner
    aid = saved_article.id
    twin = client.get(f"/articles/{aid}.json").json()
    assert Article.model_validate(twin).title == saved_article.title
    assert client.get(f"/articles/{aid}.json?audience=patient").json()["audience"] == "patient"
    sid = saved_article.references[0].source_id
    assert client.get(f"/sources/{sid}.json").json()["source"]["id"] == sid
    hits = client.get("/search.json", params={"q": "sacroiliac"}).json()["hits"]
    assert hits
    # The twin takes the API's filters: kind (repeated) and year.
    api = client.get("/api/v1/search", params={"q": "back pain", "kind": ["rct", "review"],
                                               "year": "-2010"}).json()
    web = client.get("/search.json", params={"q": "back pain", "kind": ["rct", "review"],
                                             "year": "-2010"}).json()
    assert web == api and web["hits"]
    assert all(h["source"]["kind"] in ("rct", "review") for h in web["hits"])
    assert client.get("/search.json", params={"q": "x", "year": "1999-1990"}).status_code == 422
    assert client.get("/editorial-policy.json").json()["markdown"].strip()
    assert "recent_approved" in client.get("/index.json").json()


def test_ask_form_redirects_to_the_article(client: TestClient) -> None:
    r = client.post("/ask", data={"question": "What imaging is recommended for suspected "
                                  "axial spondyloarthritis?", "audience": "student"},
                    follow_redirects=False)
    assert r.status_code == 303
    loc = r.headers["location"]
    found = re.fullmatch(r"(/articles/\d+)\?key=([A-Za-z0-9_-]{24})", loc)
    assert found, loc  # the new draft's address carries its reader key
    path, key = found.groups()
    assert client.get(path).status_code == 404  # without the key: private
    page = client.get(loc)
    assert page.status_code == 200 and 'value="student" checked' in page.text
    assert "This draft is private" in page.text
    fu = client.post(f"{path}/followups?key={key}", data={"question": "How is it treated?",
                                                          "audience": "patient"},
                     follow_redirects=False)
    assert fu.status_code == 303
    fu_path, fu_key = fu.headers["location"].split("?key=")
    assert fu_key == key  # a follow-up shares its thread's key
    art = client.get(fu_path + ".json", params={"key": key}).json()
    assert art["thread_id"] and art["audience"] == "patient"
    assert client.get(f"/threads/{art['thread_id']}").status_code == 404
    thread = client.get(f"/threads/{art['thread_id']}", params={"key": key})
    assert thread.status_code == 200
    assert thread.text.count('class="turn"') == 2
    assert "How is it treated?" in thread.text
    assert f"&amp;key={key}" in thread.text  # links to the turns keep the key
    twin = client.get(f"/threads/{art['thread_id']}.json", params={"key": key}).json()
    assert [a["id"] for a in twin["articles"]][-1] == art["id"]


def test_source_page_lists_citing_articles(owner: TestClient, saved_article: Article) -> None:
    ref = saved_article.references[0]
    html = owner.get(f"/sources/{ref.source_id}").text
    assert ref.title in html
    assert f'href="/articles/{saved_article.id}?version=1&amp;key=' in html
    assert "Passages" in html


def test_search_page_and_policy(client: TestClient) -> None:
    html = client.get("/search", params={"q": "sacroiliac joint"}).text
    assert '<label for="q">' in html and "Open passage" in html
    assert client.get("/search").status_code == 200
    policy = client.get("/editorial-policy")
    assert policy.status_code == 200 and "<h1>" in policy.text


def test_pdf_export(client: TestClient, rt: Runtime) -> None:
    art = rt.articles.save_new(build_article(rt, title="Back pain — red flags ≥ 3 weeks"))
    r = client.get(f"/articles/{art.id}.pdf", headers=key_headers(rt, art))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and len(r.content) > 2000
    assert client.get("/articles/999.pdf").status_code == 404


def test_triage_block_says_what_to_do_in_every_mode(owner: TestClient,
                                                    saved_article: Article) -> None:
    """Issue 17: a symptom question's article has a triage block; patient mode says what to
    do now in plain words, worded by the message catalogue (``urgency.<level>``)."""
    from curbside.messages import message

    level = saved_article.urgency
    assert level in ("emergency", "urgent")
    for mode in ("clinician", "patient", "student"):
        html = owner.get(f"/articles/{saved_article.id}", params={"audience": mode}).text
        assert f'class="red-flags triage urgency-{level}"' in html
        said = message(f"urgency.{level}", mode)
        assert said.split("(")[0].strip() in html, mode
    patient = owner.get(f"/articles/{saved_article.id}", params={"audience": "patient"}).text
    assert "What to do now:" in patient
    if level == "emergency":
        assert "Call emergency services now" in patient


def test_triage_block_without_red_flags_still_says_the_level(saved_article: Article) -> None:
    """A routine or undetermined symptom question has no red flag but still a triage block;
    a question that is not about symptoms (urgency "none") has none."""
    from curbside.web import views
    from curbside.web.templating import environment

    macro = environment().get_template("_macros.html").module.red_flags_block  # type: ignore[attr-defined]
    base = saved_article.model_copy(update={"red_flags": []})
    for level in ("routine", "undetermined"):
        art = base.model_copy(update={"urgency": level, "audience": "patient"})
        html = str(macro(art, None, views.urgency_labels("patient")))
        assert f"urgency-{level}" in html and "What to do now" in html
        assert views.urgency_labels("patient")[level].split(";")[0] in html
    none = base.model_copy(update={"urgency": "none"})
    assert "triage" not in str(macro(none, None, views.urgency_labels("clinician")))


def test_a_guideline_lead_shows_its_frame_on_the_page_and_in_the_api(client: TestClient) -> None:
    # the lead frame (compose/frames.py) is a claim of ours: the page, its JSON twin and the
    # REST API's rendering for another reader all show it before the lead sentence
    import html

    framed = None
    for q in ("How should acute low back pain be treated?",
              "What is the first-line treatment for type 2 diabetes in children?"):
        loc = client.post("/ask", data={"question": q, "audience": "clinician"},
                          follow_redirects=False).headers["location"]
        path, key = loc.split("?key=")
        art = client.get(f"{path}.json", params={"key": key}).json()
        if art["lead"] and str(art["lead"][0].get("key") or "").startswith("frame."):
            framed = (path, key, art)
            break
    assert framed, "a guideline-led answer of the starter library gets a frame"
    path, key, art = framed
    frame, lead = art["lead"][0], next(c for c in art["lead"] if not c["ours"])
    assert frame["ours"] and not frame["citations"] and frame["params"]["guidelines"]
    page = client.get(path, params={"key": key}).text
    assert html.escape(frame["text"]) in page
    assert page.index(html.escape(frame["text"])) < page.index(html.escape(lead["text"][:40]))
    patient = client.get(f"/api/v1/articles/{art['id']}", params={"audience": "patient"},
                         headers={"X-Curbside-Key": key}).json()
    assert patient["lead"][0]["key"] == frame["key"]
    assert frame["params"]["guidelines"] in patient["lead"][0]["text"]
