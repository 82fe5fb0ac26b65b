"""MarkdownReader and HtmlReader. All documents here are synthetic fixtures (made-up ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.domain import RejectedRecord, SourceKind, SourceRecord
from curbside.ingest.base import ReaderError
from curbside.ingest.html import HtmlReader
from curbside.ingest.markdown import MarkdownReader, ensure_terminal_punctuation

GUIDELINE_MD = """\
---
external_id: "ngc:ngc-99999"
kind: guideline
container: Example Society
year: 2015
authors: [Doe J, Roe R]
pmid: 90000001
doi: https://doi.org/10.9999/syn.1
mesh_terms: [Hypertension]
ngc_id: ngc-99999
developer: Example Society - Medical Specialty Society
topics: [cardiology, primary care]
released: 2015-03-01
---
# Synthetic hypertension guideline

Short intro with **bold** and a [link](https://example.org) &amp; entity.

## Recommendations

- Measure blood pressure in both arms
- Offer *ambulatory* monitoring to confirm the diagnosis.
- Treat stage 2 hypertension?
  1. Start an ACE inhibitor
  2. Add a calcium-channel blocker:

### Rating scheme

| Grade | Meaning |
|-------|---------|
| A     | Strong  |

#### Minor heading

Closing paragraph
spanning two lines.

```
code block is skipped
```
"""


def _one(items: list[object]) -> SourceRecord:
    assert len(items) == 1
    rec = items[0]
    assert isinstance(rec, SourceRecord), rec
    return rec


def test_ensure_terminal_punctuation() -> None:
    assert ensure_terminal_punctuation("Give aspirin") == "Give aspirin."
    assert ensure_terminal_punctuation("Is it? ") == "Is it?"
    assert ensure_terminal_punctuation("as follows:") == "as follows:"
    assert ensure_terminal_punctuation("(see above.)") == "(see above.)"
    assert ensure_terminal_punctuation("") == ""


# ------------------------------------------------------------------------- Markdown
def test_markdown_front_matter_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "htn.md"
    path.write_text(GUIDELINE_MD, encoding="utf-8")
    r = _one(list(MarkdownReader().read(path)))
    assert r.external_id == "ngc:ngc-99999"
    assert r.kind is SourceKind.GUIDELINE
    assert r.title == "Synthetic hypertension guideline"  # from the # heading
    assert r.container == "Example Society" and r.year == 2015
    assert r.authors == ["Doe J", "Roe R"]
    assert r.pmid == "90000001" and r.doi == "10.9999/syn.1"
    assert r.mesh_terms == ["Hypertension"]
    assert r.meta["ngc_id"] == "ngc-99999"
    assert r.meta["topics"] == ["cardiology", "primary care"]
    assert r.meta["released"] == "2015-03-01"  # YAML date made JSON-safe
    assert r.origin_file == str(path) and r.origin_position == 1

    by_label = {s.label: s.text for s in r.sections}
    assert list(by_label) == [None, "RECOMMENDATIONS", "RATING SCHEME"]
    assert by_label[None] == "Short intro with bold and a link & entity."
    assert by_label["RECOMMENDATIONS"].split("\n") == [
        "Measure blood pressure in both arms.",
        "Offer ambulatory monitoring to confirm the diagnosis.",
        "Treat stage 2 hypertension?",
        "Start an ACE inhibitor.",
        "Add a calcium-channel blocker:",
    ]
    rating = by_label["RATING SCHEME"].split("\n")
    assert rating[:2] == ["Grade; Meaning.", "A; Strong."]
    assert "Minor heading." in rating
    assert "Closing paragraph spanning two lines." in rating
    assert all("code block" not in s.text for s in r.sections)


def test_markdown_without_front_matter_uses_file_id(tmp_path: Path) -> None:
    path = tmp_path / "note-on-statins.md"
    path.write_text("# Statins in the elderly: a systematic review\n\nText.\n", encoding="utf-8")
    r = _one(list(MarkdownReader().read(path)))
    assert r.external_id == "file:note-on-statins"
    assert r.title == "Statins in the elderly: a systematic review"
    assert r.kind is SourceKind.SYSTEMATIC_REVIEW  # title cue via classify_source
    assert [(s.label, s.text) for s in r.sections] == [(None, "Text.")]


def test_markdown_front_matter_title_wins_and_h1_then_is_a_label(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: FM &amp; title\n---\n## Background\n\nB.\n\n# Methods\n\nM.\n")
    r = _one(list(MarkdownReader().read(path)))
    assert r.title == "FM & title"
    assert [(s.label, s.text) for s in r.sections] == [("BACKGROUND", "B."), ("METHODS", "M.")]


def test_markdown_bad_inputs(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.md"
    bad_yaml.write_text("---\ntitle: [unclosed\n---\nText.\n")
    [rej] = list(MarkdownReader().read(bad_yaml))
    assert isinstance(rej, RejectedRecord) and "front matter" in rej.reason
    assert rej.origin_file == str(bad_yaml)

    empty = tmp_path / "empty.md"
    empty.write_text("---\nexternal_id: doc:e1\ntitle: Nothing here\n---\n# Heading only\n")
    [rej] = list(MarkdownReader().read(empty))
    assert isinstance(rej, RejectedRecord) and rej.reason == "document has no text"
    assert rej.record_id == "doc:e1"

    bad_kind = tmp_path / "kind.md"
    bad_kind.write_text("---\nkind: blogpost\n---\nText.\n")
    [rej] = list(MarkdownReader().read(bad_kind))
    assert isinstance(rej, RejectedRecord) and "unknown kind 'blogpost'" in rej.reason

    with pytest.raises(ReaderError, match="missing.md: no such file"):
        list(MarkdownReader().read(tmp_path / "missing.md"))


def test_markdown_invalid_utf8_replaced(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes(b"# Caf\xe9 guidance\n\nNa\xefve text.\n")
    r = _one(list(MarkdownReader().read(path)))
    assert r.title == "Caf\ufffd guidance"


# ------------------------------------------------------------------------- HTML
ARTICLE_HTML = """\
<!doctype html>
<html lang="en">
<head>
  <title>Site | Synthetic trial page</title>
  <meta charset="utf-8">
  <meta name="citation_title" content="A randomized trial of drug A &amp; drug B">
  <meta name="citation_journal_title" content="Journal of Synthetic Tests">
  <meta name="citation_journal_abbrev" content="J Synth Tests">
  <meta name="citation_publication_date" content="2019/05/02">
  <meta name="citation_pmid" content="90000002">
  <meta name="citation_doi" content="10.9999/syn.2">
  <meta name="citation_author" content="Doe, Jane">
  <meta name="citation_author" content="Roe, Rick">
  <meta name="dc.title" content="Ignored DC title">
  <link rel="canonical" href="https://example.org/trial">
  <style>p { color: red }</style>
  <script>var tracking = "should not appear";</script>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/x">Menu item</a></nav>
  <h1>A randomized trial of drug A &amp; drug B</h1>
  <p>Lead paragraph with <b>bold</b> and <i>italic</i> text.</p>
  <h2>Methods</h2>
  <p>We randomised <sup>1</sup>patients.</p>
  <ul><li>Arm one got drug A</li><li>Arm two got drug B.</li></ul>
  <h3>Outcomes</h3>
  <table><tr><th>Outcome</th><th>Result</th></tr><tr><td>Death</td><td>Fewer</td></tr></table>
  <div>Loose div text<p>Nested paragraph.</p>tail text</div>
  <footer>Copyright footer</footer>
</body>
</html>
"""


def test_html_citation_meta_and_sections(tmp_path: Path) -> None:
    path = tmp_path / "trial.html"
    path.write_text(ARTICLE_HTML, encoding="utf-8")
    r = _one(list(HtmlReader().read(path)))
    assert r.title == "A randomized trial of drug A & drug B"
    assert r.external_id == "pmid:90000002" and r.pmid == "90000002"
    assert r.container == "Journal of Synthetic Tests" and r.container_abbrev == "J Synth Tests"
    assert r.year == 2019 and r.doi == "10.9999/syn.2"
    assert r.authors == ["Doe, Jane", "Roe, Rick"]
    assert r.url == "https://example.org/trial" and r.language == "en"
    assert r.kind is SourceKind.RCT
    by_label = {s.label: s.text for s in r.sections}
    assert list(by_label) == [None, "METHODS", "OUTCOMES"]
    assert by_label[None] == "Lead paragraph with bold and italic text."
    assert by_label["METHODS"].split("\n") == [
        "We randomised 1patients.", "Arm one got drug A.", "Arm two got drug B."]
    assert by_label["OUTCOMES"].split("\n") == [
        "Outcome; Result.", "Death; Fewer.", "Loose div text", "Nested paragraph.", "tail text"]
    everything = " ".join(s.text for s in r.sections)
    for dropped in ("tracking", "Menu item", "Copyright footer", "color: red"):
        assert dropped not in everything


def test_html_curbside_meta_overrides_and_fallback_title(tmp_path: Path) -> None:
    path = tmp_path / "g.htm"
    path.write_text("""<html><head><title>Page title</title>
<script type="application/json" id="curbside-meta">
{"external_id": "ngc:ngc-88888", "kind": "guideline", "year": 2011, "developer": "Org",
 "authors": ["X Y"]}
</script></head>
<body><h2>Recommendations</h2><p>Do X.</p></body></html>""", encoding="utf-8")
    r = _one(list(HtmlReader().read(path)))
    assert r.external_id == "ngc:ngc-88888" and r.kind is SourceKind.GUIDELINE
    assert r.title == "Page title" and r.year == 2011 and r.authors == ["X Y"]
    assert r.meta == {"developer": "Org"}
    assert [(s.label, s.text) for s in r.sections] == [("RECOMMENDATIONS", "Do X.")]


def test_html_bad_inputs(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("   ")
    [rej] = list(HtmlReader().read(empty))
    assert isinstance(rej, RejectedRecord) and "empty" in rej.reason

    notext = tmp_path / "notext.html"
    notext.write_text("<html><head><title>T</title><script>x()</script></head><body></body></html>")
    [rej] = list(HtmlReader().read(notext))
    assert isinstance(rej, RejectedRecord) and rej.reason == "document has no text"
    assert rej.record_id == "file:notext"

    badmeta = tmp_path / "badmeta.html"
    badmeta.write_text('<html><head><script type="application/json" id="curbside-meta">'
                       '{oops</script></head><body><p>x</p></body></html>')
    [rej] = list(HtmlReader().read(badmeta))
    assert isinstance(rej, RejectedRecord) and "curbside-meta" in rej.reason

    with pytest.raises(ReaderError, match="nope.html: no such file"):
        list(HtmlReader().read(tmp_path / "nope.html"))


def test_html_declared_latin1_charset(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    path.write_bytes(b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head>'
                     b"<body><p>Na\xefve patients.</p></body></html>")
    r = _one(list(HtmlReader().read(path)))
    assert r.title == "Caf\u00e9"
    assert r.sections[0].text == "Na\u00efve patients."
