"""Curbside's own sentences: one catalogue per audience, claims carry keys (issue 14, item 3)."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from curbside import messages, services
from curbside.article import Article, ArticleSection, Claim, Consensus, PremiseFinding
from curbside.compose.bottom_line import PREMISE_KEY, write_bottom_line
from curbside.messages import (
    AUDIENCES,
    Catalogue,
    MessageError,
    catalogue,
    catalogue_files,
    load_catalogue,
    message,
    own_claim,
    say,
    with_stored_keys,
)
from curbside.render.modes import render_for_audience

SRC = Path(__file__).resolve().parents[1] / "src" / "curbside"


def _fill(text: str) -> dict[str, str]:
    return {name: f"<{name}>" for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_renders_in_every_audience() -> None:
    cat = catalogue()
    assert len(cat.message_keys()) >= 20
    for key in cat.message_keys():
        for audience in AUDIENCES:
            params = _fill(cat.text(key))
            text = message(key, audience, **params)
            assert text.strip() and "{" not in text, (key, audience)
            assert all(v in text for v in params.values()), (key, audience)


def test_audiences_without_their_own_wording_fall_back_to_the_clinician_text() -> None:
    assert message("verdict.mixed", "patient") == message("verdict.mixed", "clinician")
    assert message("verdict.supports", "patient") != message("verdict.supports", "clinician")
    for key in catalogue().message_keys():  # no student wording yet
        params = _fill(catalogue().text(key))
        assert message(key, "student", **params) == message(key, "clinician", **params)


def test_unknown_key_or_missing_value_names_it() -> None:
    with pytest.raises(MessageError, match="'verdict.maybe'"):
        message("verdict.maybe")
    with pytest.raises(MessageError, match="'verdict.maybe'"):
        say("gap.not_together+verdict.maybe", "patient")
    with pytest.raises(MessageError, match=r"intro\.evidence_from.*'n'"):
        message("intro.evidence_from")
    with pytest.raises(MessageError, match="audience 'nurse'"):
        message("verdict.mixed", "nurse")


def _files(**changes: str) -> dict[str, str]:
    files = catalogue_files()
    files.update(changes)
    return files


@pytest.mark.parametrize(
    ("audience", "text", "error"),
    [
        ("patient", "audience: patient\nfallback: clinician\nmessages:\n  verdict.maybe: Hm.\n",
         r"messages/patient.yaml: key 'verdict.maybe': not in messages/clinician.yaml"),
        ("patient", "audience: patient\nfallback: clinician\nmessages:\n"
                    "  intro.evidence_from: 'From {count} sources:'\n",
         r"messages/patient.yaml: key 'intro.evidence_from': placeholders \['count'\]"),
        ("student", "audience: student\nmessages:\n  verdict.mixed: Mixed.\n",
         r"messages/student.yaml: key '[a-z_.]+': missing \(a file without 'fallback'"),
        ("student", "audience: patient\nfallback: clinician\nmessages: {}\n",
         r"messages/student.yaml: field 'audience' must be 'student'"),
        ("patient", "audience: patient\nfallback: clinician\nmessages:\n  Verdict: x\n",
         r"messages/patient.yaml: key 'Verdict': must be dotted"),
        ("patient", "audience: patient\nfallback: clinician\nmessages:\n  verdict.mixed: ''\n",
         r"messages/patient.yaml: key 'verdict.mixed': text must be a non-empty string"),
        ("patient", "- a list\n", r"messages/patient.yaml: must be a mapping"),
    ],
)
def test_a_bad_catalogue_fails_at_load_naming_the_file_and_key(
    audience: str, text: str, error: str
) -> None:
    with pytest.raises(MessageError, match=error):
        load_catalogue(_files(**{audience: text}))


def test_a_missing_catalogue_file_is_named() -> None:
    files = catalogue_files()
    del files["student"]
    with pytest.raises(MessageError, match="messages/student.yaml: missing"):
        load_catalogue(files)


def test_patient_mode_says_our_sentences_from_the_patient_catalogue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = catalogue()
    texts = {a: dict(t) for a, t in base.texts.items()}
    texts["patient"]["verdict.mixed"] = "Some say yes, some say no."
    monkeypatch.setattr(messages, "catalogue", lambda: Catalogue(texts, base.own))
    art = Article(
        question="Does X help?", title="Does X help?", created_at="2026-01-01",
        settings_fingerprint="t", references=[],
        lead=[own_claim("gap.no_definition+gap.not_together")],
        sections=[ArticleSection(heading="Key evidence", kind="key_evidence",
                                 intro=own_claim("intro.evidence_from", n=2),
                                 claims=[Claim(text="X helped.", citations=[1])])],
        bottom_line=[own_claim("verdict.mixed")],
    )  # fmt: skip
    out = render_for_audience(art, "patient")
    assert [c.text for c in out.bottom_line] == ["Some say yes, some say no."]
    assert out.bottom_line[0].key == "verdict.mixed"
    assert out.sections[1].intro is not None and out.sections[1].intro.text == (
        "Evidence from 2 sources:")
    assert out.lead[0].key == "gap.no_definition+gap.not_together"
    assert render_for_audience(art, "clinician").bottom_line[0].text == message("verdict.mixed")


def test_claims_of_ours_carry_keys_and_source_sentences_none(
    starter_rt: services.Runtime,
) -> None:
    questions = (
        "Is SI joint imbalance a common cause of low back pain and stiffness that improves "
        "with movement and exercise?",
        "What is the capital of France?",  # refused: the insufficient lead and bottom line
        "What is sacroiliitis?",
    )
    seen: set[str] = set()
    for q in questions:
        for audience in AUDIENCES:
            art = services.ask(starter_rt, question=q, audience=audience, save=False)
            for c in art.all_claims():
                assert (c.key is not None) == c.ours, (q, audience, c.text)
                if c.key is None:
                    continue
                seen.update(messages.key_parts(c.key))
                if audience != "patient":  # the patient mode splits and lay-words ours too
                    assert c.text == say(c.key, audience, c.params), (q, audience, c.key)
    assert {"verdict.insufficient", "lead.insufficient", "care.if_unsure"} <= seen
    assert PREMISE_KEY in seen or any(k.startswith("care.") for k in seen)


def test_an_article_stored_before_keys_loads_and_gets_them() -> None:
    stored = {
        "question": "Does X help?", "title": "Does X help?", "created_at": "2025-01-01",
        "settings_fingerprint": "x",
        "bottom_line": [{"text": message("verdict.supports"), "ours": True},
                        {"text": "X helped.", "citations": [1], "ours": False}],
        "lead": [{"text": "Something of ours no longer in the catalogue.", "ours": True}],
    }  # fmt: skip
    art = Article.model_validate(stored)
    assert all(c.key is None for c in art.all_claims())
    keyed = with_stored_keys(art)
    assert [c.key for c in keyed.bottom_line] == ["verdict.supports", None]
    assert keyed.lead[0].key is None  # left as it was, shown as stored
    patient = render_for_audience(keyed, "patient")
    assert patient.bottom_line[0].text == message("verdict.supports", "patient")
    assert with_stored_keys(keyed) is keyed


def test_the_bottom_line_takes_the_premise_findings_as_input() -> None:
    meter = Consensus(verdict="supports", supports=2)
    answer = [Claim(text="X helped.", citations=[1])]
    finding = PremiseFinding(assumption="a", finding="b.", citations=[2])
    m, bottom = write_bottom_line(meter, answer)
    assert m == meter and [c.key for c in bottom] == ["verdict.supports", None]
    m, bottom = write_bottom_line(meter, answer, [finding])
    assert m is not None and m.verdict == "mixed" and m.contradicts == 1
    assert [c.key for c in bottom] == [PREMISE_KEY, None]


# -- no stage compares our sentence text ------------------------------------------------------
def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))]


def test_no_module_holds_a_copy_of_our_sentences() -> None:
    """Our sentences are only in the catalogue: no string in the code repeats one (so no
    stage can compare a claim's text with it), and no module keeps a ``*_TEXT`` constant."""
    cat = catalogue()
    pieces = {
        literal.strip()
        for audience in AUDIENCES
        for key in cat.message_keys()
        for literal, _, _, _ in string.Formatter().parse(cat.text(key, audience))
        if len(literal.strip()) >= 24
    }
    found = []
    for path, tree in _modules():
        if path.parent.name == "web":
            # the page's own labels (urgency badges, disclaimers) are interface text, not
            # article sentences; some repeat an urgency label (see the issue 14 report)
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = " ".join(node.value.split())
                found += [(path.name, p[:40]) for p in pieces if p in text or (
                    len(text) >= 24 and text in p)]
            if isinstance(node, ast.Assign) and node in tree.body:
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.endswith("_TEXT"):
                        found.append((path.name, target.id))
    assert not found


def test_no_module_compares_a_said_message() -> None:
    """Stages compare `Claim.key` (`messages.says`), never what a message says."""
    said = {"message", "say"}
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            for operand in [node.left, *node.comparators]:
                for sub in ast.walk(operand):
                    if isinstance(sub, ast.Call) and (
                        (isinstance(sub.func, ast.Name) and sub.func.id in said)
                        or (isinstance(sub.func, ast.Attribute) and sub.func.attr in said)
                    ):
                        found.append((path.name, node.lineno))
    assert not found


def test_the_schema_describes_the_key_and_old_json_validates() -> None:
    props = Article.model_json_schema()["$defs"]["Claim"]["properties"]
    assert "message key" in props["key"]["description"]
    assert Claim.model_validate({"text": "A sentence.", "ours": False}).key is None
