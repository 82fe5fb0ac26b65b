"""Record size caps and an idempotent quarantine (issue 18, items 9 and 10).

The caps are set low here so the "big" records stay small: the behaviour under test is that an
oversized record is quarantined with a reason naming it, before it is parsed where the format
allows, and that everything else in the file is still ingested.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from curbside import services
from curbside.config import IngestSettings, Settings
from curbside.ingest.html import HtmlReader
from curbside.ingest.jsonl import JsonlReader
from curbside.ingest.markdown import MarkdownReader
from curbside.ingest.pubmed_xml import PubmedXmlReader

CAP = 64 * 1024  # 64 KiB for the tests


def _rt(home: Path, **ingest: int) -> services.Runtime:
    return services.open_runtime(Settings(home=home, ingest=IngestSettings(**ingest)))


def _line(i: int, text: str) -> str:
    return json.dumps({"_id": f"d{i}", "title": f"Document {i}", "text": text}) + "\n"


def _sentences(n_chars: int) -> str:
    s = "Exercise therapy reduces chronic low back pain in adults. "
    return s * (n_chars // len(s) + 1)


def test_oversized_jsonl_line_is_quarantined_without_being_read_whole(tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    big = 40 * CAP  # 2.5 MiB record against a 64 KiB cap
    f.write_text(_line(1, "Walking helps.") + _line(2, _sentences(big)) + _line(3, "Rest helps."))
    tracemalloc.start()
    try:
        items = list(JsonlReader(max_record_bytes=CAP).read(f))
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [type(i).__name__ for i in items] == ["SourceRecord", "RejectedRecord", "SourceRecord"]
    rej = items[1]
    assert rej.origin_position == 2 and "over the record size limit of 65536" in rej.reason
    assert "MAX_RECORD_BYTES" in rej.reason and rej.excerpt.startswith('{"_id": "d2"')
    assert peak < 8 * CAP, f"peak {peak} bytes: the long line was held in memory"


def test_line_exactly_at_the_cap_is_read(tmp_path: Path) -> None:
    exact = json.dumps({"_id": "d1", "title": "T", "text": ""})
    exact = json.dumps({"_id": "d1", "title": "T", "text": "y" * (CAP - len(exact))})
    assert len(exact.encode()) == CAP
    f = tmp_path / "exact.jsonl"
    f.write_text(exact + "\n" + exact.replace("d1", "d2").replace('"T"', '"TT"') + "\n")
    items = list(JsonlReader(max_record_bytes=CAP).read(f))
    assert [type(i).__name__ for i in items] == ["SourceRecord", "RejectedRecord"]  # 1 byte over
    assert "is 65537 bytes" in items[1].reason


def test_oversized_jsonl_gz_line_is_quarantined(tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl.gz"
    with gzip.open(f, "wt", encoding="utf-8") as fh:
        fh.write(_line(1, _sentences(3 * CAP)) + _line(2, "Rest helps."))
    items = list(JsonlReader(max_record_bytes=CAP).read(f))
    assert [type(i).__name__ for i in items] == ["RejectedRecord", "SourceRecord"]


@pytest.mark.parametrize(("reader", "name", "body"), [
    (MarkdownReader, "note.md", "---\ntitle: Big note\n---\n\n# Big note\n\n"),
    (HtmlReader, "page.html", "<html><head><title>Big page</title></head><body><p>"),
])
def test_oversized_markdown_and_html_files_are_quarantined(
    tmp_path: Path, reader: type, name: str, body: str
) -> None:
    f = tmp_path / name
    f.write_text(body + _sentences(2 * CAP))
    [rej] = list(reader(max_record_bytes=CAP).read(f))
    assert type(rej).__name__ == "RejectedRecord"
    assert "over the record size limit of 65536 bytes" in rej.reason
    assert rej.origin_file == str(f) and rej.origin_position == 1


def test_oversized_pubmed_xml_record_is_quarantined_and_the_next_read(tmp_path: Path) -> None:
    def article(pmid: str, text: str) -> str:
        return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
                f"<ArticleTitle>Trial {pmid}</ArticleTitle><Abstract><AbstractText>{text}"
                "</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>")

    f = tmp_path / "pubmed.xml"
    f.write_text("<PubmedArticleSet>" + article("111", _sentences(2 * CAP))
                 + article("222", "Exercise helps back pain.") + "</PubmedArticleSet>")
    items = list(PubmedXmlReader(max_record_bytes=CAP).read(f))
    assert [type(i).__name__ for i in items] == ["RejectedRecord", "SourceRecord"]
    assert items[0].record_id == "pmid:111" and "over the record size limit" in items[0].reason
    assert items[1].external_id == "pmid:222"


def test_ingest_quarantines_big_records_and_stores_the_rest(home: Path, tmp_path: Path) -> None:
    f = tmp_path / "mixed.jsonl"
    f.write_text(_line(1, "Walking helps back pain.") + _line(2, _sentences(3 * CAP))
                 + _line(3, "Rest helps back pain."))
    rt = _rt(home, max_record_bytes=CAP)
    rep = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert rep.total("added") == 2 and rep.total("rejected") == 1
    assert rep.total("passages") == 2  # not thousands from the big one
    [q] = services.quarantine(rt)
    assert q["position"] == 2 and "65536" in q["reason"]


def test_too_many_passages_are_quarantined_before_anything_is_stored(
    home: Path, tmp_path: Path
) -> None:
    f = tmp_path / "long.jsonl"
    f.write_text(_line(1, "Walking helps back pain.") + _line(2, _sentences(20_000)))
    rt = _rt(home, max_passages_per_record=5)
    rep = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert rep.total("added") == 1 and rep.total("rejected") == 1 and rep.total("records") == 1
    [q] = services.quarantine(rt)
    assert q["record_id"] == "doc:d2" and "over the limit of 5" in q["reason"]
    assert "MAX_PASSAGES_PER_RECORD" in q["reason"]
    assert services.get_source(rt, ref="doc:d1")[0].external_id == "doc:d1"
    with pytest.raises(services.NotFoundError):
        services.get_source(rt, ref="doc:d2")


def test_a_new_version_over_the_passage_cap_keeps_the_old_version_current(
    home: Path, tmp_path: Path
) -> None:
    f = tmp_path / "doc.jsonl"
    f.write_text(_line(1, "Walking helps back pain."))
    rt = _rt(home, max_passages_per_record=5)
    services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    f.write_text(_line(1, _sentences(20_000)))
    rep = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert rep.total("updated") == 0 and rep.total("rejected") == 1
    src, passages = services.get_source(rt, ref="doc:d1")
    assert src.is_current and src.version == 1 and len(passages) == 1


def test_the_same_bad_records_are_quarantined_once(home: Path, tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(_line(1, "Walking helps back pain.") + "{not json\n"
                 + json.dumps({"_id": "d3"}) + "\n" + "{also not json\n")
    rt = _rt(home)
    first = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert first.total("rejected") == 3 and first.quarantined_new == 3
    second = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert second.total("rejected") == 3 and second.quarantined_new == 0
    assert services.stats(rt)["quarantined"] == 3
    # The same content under another name is the same file: still once.
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(f.read_bytes())
    third = services.ingest(rt, paths=[copy], fmt="jsonl", mapping="beir", embed=False)
    assert third.quarantined_new == 0 and services.stats(rt)["quarantined"] == 3
    # A changed file is new content: its bad records are quarantined again (they may differ).
    f.write_text(f.read_text() + "{a new bad line\n")
    fourth = services.ingest(rt, paths=[f], fmt="jsonl", mapping="beir", embed=False)
    assert fourth.quarantined_new == 4 and services.stats(rt)["quarantined"] == 7


def test_cli_reports_rejected_and_newly_quarantined(home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from curbside.cli import app

    f = tmp_path / "bad.jsonl"
    f.write_text(_line(1, "Walking helps back pain.") + "{not json\n")
    args = ["--home", str(home), "ingest", "-q", "--no-embed", "-f", "jsonl",
            "--mapping", "beir", str(f)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 record(s) rejected, 1 newly quarantined" in first.output
    second = CliRunner().invoke(app, args)
    assert "1 record(s) rejected, 0 newly quarantined (1 already there" in second.output
