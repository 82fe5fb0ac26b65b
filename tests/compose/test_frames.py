"""The frame before the lead (issue 15, item 3): only when true by construction, built from
the stored guidelines' metadata (`compose.frames`)."""

from __future__ import annotations

import html
import re

import pytest

from curbside import services
from curbside.article import Article, Claim, Reference
from curbside.compose.frames import (
    FRAME_MANY,
    FRAME_ONE,
    developers,
    frame_lead,
    guideline_label,
    is_frame,
)
from curbside.messages import message, own_claim, say
from curbside.render.formats import render_html, render_markdown, render_text
from curbside.render.modes import render_for_audience
from curbside.starter import notes_dir

NGC_TWO = ("American College of Rheumatology - Medical Specialty Society Spondylitis Association "
           "of America - Nonprofit Organization")
NICE = ("National Institute for Health and Care Excellence (NICE) - National Government Agency "
        "[Non-U.S.]")
#: A developer whose own name holds " - ".
DASHED = ("American Academy of Otolaryngology - Head and Neck Surgery Foundation - Medical "
          "Specialty Society")


def _ref(n: int, type_: str = "Guideline", container: str | None = NICE,
         year: int | None = 2017) -> Reference:
    kind = {"Guideline": "guideline", "Research": "rct"}.get(type_, "patient_info")
    return Reference(n=n, type=type_, kind=kind, level=1, source_id=n,  # type: ignore[arg-type]
                     external_id=f"x:{n}", title=f"T{n}", container=container, year=year)


def _article(citations: list[int], refs: list[Reference], **kw: object) -> Article:
    return Article(
        question="How is X treated?", title="How is X treated?",
        created_at="2026-12-07T00:00:00Z", settings_fingerprint="t",
        lead=[Claim(text="X should be treated with Y.", citations=citations, support=0.9)],
        references=refs, **kw,  # type: ignore[arg-type]
    )


def test_developers_reads_ngc_strings_and_plain_names() -> None:
    assert developers(NGC_TWO) == ["American College of Rheumatology",
                                   "Spondylitis Association of America"]
    assert developers(DASHED) == ["American Academy of Otolaryngology - Head and Neck Surgery "
                                  "Foundation"]
    assert developers("American College of Physicians") == ["American College of Physicians"]
    assert developers("  ") == []
    # text that is not all "<name> - <type>" pairs is one name, as stored
    assert developers("ACR - Medical Specialty Society and friends") == [
        "ACR - Medical Specialty Society and friends"]


def test_every_bundled_guideline_developer_parses() -> None:
    found = 0
    for path in sorted(notes_dir().glob("ngc-*.md")):
        m = re.search(r'^container: "(.+)"$', path.read_text(encoding="utf-8"), re.M)
        assert m, path.name
        names = developers(m.group(1))
        assert names and all(" - " not in n or "Otolaryngology" in n for n in names), path.name
        found += 1
    assert found >= 20


def test_label_names_developers_and_year_from_metadata() -> None:
    assert guideline_label(_ref(1)) == "NICE (2017)"
    assert guideline_label(_ref(1, container=NGC_TWO, year=2016)) == (
        "American College of Rheumatology and Spondylitis Association of America (2016)")
    three = NGC_TWO + " Spondyloarthritis Research and Treatment Network - Professional Association"
    assert guideline_label(_ref(1, container=three, year=None)) == (
        "American College of Rheumatology et al.")
    assert guideline_label(_ref(1, container=None)) is None
    assert guideline_label(_ref(1, type_="Research", container="JAMA")) is None


def test_frame_only_when_every_cited_reference_is_a_named_guideline() -> None:
    acp = _ref(2, container="American College of Physicians - Medical Specialty Society",
               year=2016)
    one = frame_lead(_article([1], [_ref(1)]))
    assert [c.key for c in one.lead] == [FRAME_ONE, None]
    assert one.lead[0].text == message(FRAME_ONE, guidelines="NICE (2017)")
    assert one.lead[0].ours and not one.lead[0].citations
    two = frame_lead(_article([1, 2], [_ref(1), acp]))
    assert two.lead[0].key == FRAME_MANY
    assert two.lead[0].params == {"guidelines": "NICE (2017) and American College of "
                                                "Physicians (2016)"}
    # one cited reference that is research, a patient page or an unnamed guideline: no frame
    for other in (_ref(2, "Research", "JAMA"), _ref(2, "Patient information", "MedlinePlus"),
                  _ref(2, container=None)):
        assert not any(is_frame(c) for c in frame_lead(_article([1, 2], [_ref(1), other])).lead)
    # a reference number with no reference (dangling): no frame
    assert frame_lead(_article([7], [_ref(1)])).lead[0].key is None
    # not for an LLM writer's sentence, an insufficient article or an uncited lead
    assert frame_lead(_article([1], [_ref(1)], writer="llm")).lead[0].key is None
    assert frame_lead(_article([1], [_ref(1)], insufficient=True)).lead[0].key is None
    assert frame_lead(_article([], [_ref(1)])).lead[0].key is None


def test_frame_sits_before_the_lead_sentence_and_is_rebuilt_not_repeated() -> None:
    art = _article([1], [_ref(1)])
    art.lead.insert(0, own_claim("gap.no_definition"))
    framed = frame_lead(art)
    assert [c.key for c in framed.lead] == ["gap.no_definition", FRAME_ONE, None]
    assert frame_lead(framed).lead == framed.lead  # idempotent
    # the lead now cites research (e.g. an edited or re-verified article): the frame goes
    research = framed.model_copy(update={"references": [_ref(1, "Research", "JAMA")]})
    assert [c.key for c in frame_lead(research).lead] == ["gap.no_definition", None]
    # a stale frame naming another developer is replaced by the true one
    stale = framed.model_copy(update={"references": [_ref(1, container="ACR - Medical "
                                                                   "Specialty Society")]})
    assert frame_lead(stale).lead[1].params == {"guidelines": "ACR (2017)"}


def test_every_audience_says_the_frame_with_the_same_names() -> None:
    # "Physicians" is a plain-words swap ("doctors") of the patient mode: never in a name
    acp = _ref(1, container="American College of Physicians - Medical Specialty Society")
    framed = frame_lead(_article([1], [acp]))
    for audience in ("clinician", "patient", "student"):
        out = render_for_audience(framed, audience)
        assert out.lead[0].key == FRAME_ONE
        names = {"guidelines": "American College of Physicians (2017)"}
        assert out.lead[0].text == say(FRAME_ONE, audience, names)
        assert "American College of Physicians (2017)" in out.lead[0].text


@pytest.mark.slow
def test_asked_articles_frame_exactly_the_guidelines_their_lead_cites(starter_rt: object) -> None:
    questions = [
        "How should acute low back pain be treated?",
        "What is the first-line treatment for type 2 diabetes in children?",
        "Is sacroiliac joint imbalance a common cause of low back pain that improves with "
        "movement?",
        "What are the symptoms of Reye syndrome?",
    ]
    framed = 0
    for q in questions:
        for audience in ("clinician", "patient"):
            art = services.ask(starter_rt, question=q, save=False, audience=audience)  # type: ignore[arg-type]
            frames = [c for c in art.lead if is_frame(c)]
            lead = next((c for c in art.lead if not c.ours), None)
            refs = {r.n: r for r in art.references}
            cited = [refs[n] for n in lead.citations] if lead else []
            named = bool(cited) and all(guideline_label(r) for r in cited)
            assert len(frames) == (1 if named else 0), (q, audience)
            if not frames:
                continue
            framed += 1
            # the frame comes right before the lead sentence and names each cited guideline
            at = art.lead.index(frames[0])
            assert art.lead[at + 1] is lead
            for r in cited:
                assert str(guideline_label(r)) in frames[0].text
                if r.year:
                    assert f"({r.year})" in frames[0].text
            # every output format shows it before the lead sentence
            for text, esc in ((" ".join(render_text(art, width=10_000).split()), str),
                              (render_markdown(art), str), (render_html(art), html.escape)):
                assert esc(frames[0].text) in text
                assert text.index(esc(frames[0].text)) < text.index(esc(lead.text[:30]))
    assert framed >= 1, "a guideline-led answer of the starter library gets a frame"
