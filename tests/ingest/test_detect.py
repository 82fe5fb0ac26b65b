"""detect_format, auto_mapping, make_reader, iter_input_files (synthetic files + dev data)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from curbside.ingest.base import ReaderError
from curbside.ingest.detect import (
    UnknownFormatError,
    all_formats,
    auto_mapping,
    detect_format,
    iter_input_files,
    make_reader,
)
from curbside.ingest.html import HtmlReader
from curbside.ingest.jsonl import JsonlReader, JsonObjectReader
from curbside.ingest.mappings import PRESETS, FieldMapping
from curbside.ingest.markdown import MarkdownReader


def _touch(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.mark.parametrize(("name", "data", "fmt"), [
    ("a.xml", b'<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>',
     "pubmed"),
    ("a.xml.gz", b"<PubmedArticleSet>\n</PubmedArticleSet>", "pubmed"),
    ("a.nbib", b"PMID- 1\n", "medline"),
    ("a.txt", b"\nPMID- 90000001\nOWN - NLM\n", "medline"),
    ("corpus.jsonl", b'{"_id": "1", "title": "", "text": "x"}\n', "beir"),
    ("docs.jsonl", b'{"_id": "1", "title": "t", "text": "x"}\n', "beir"),
    ("docs.jsonl", b'{"id": "1", "title": "t"}\n', "jsonl"),
    ("docs.jsonl.gz", b'{"id": "1", "title": "t"}\n', "jsonl"),
    ("x.json", b"{}", "json"),
    ("x.json.gz", b"{}", "json"),
    ("g.md", b"# T\n", "markdown"),
    ("g.markdown", b"# T\n", "markdown"),
    ("g.html", b"<html></html>", "html"),
    ("g.HTM", b"<html></html>", "html"),
])
def test_detect_format(tmp_path: Path, name: str, data: bytes, fmt: str) -> None:
    assert detect_format(_touch(tmp_path / name, data)) == fmt


@pytest.mark.parametrize(("name", "data"), [
    ("notes.txt", b"just some text\n"),
    ("other.xml", b"<?xml version='1.0'?><root/>"),
    ("table.csv", b"a,b\n1,2\n"),
])
def test_detect_unknown_names_file_and_formats(tmp_path: Path, name: str, data: bytes) -> None:
    path = _touch(tmp_path / name, data)
    with pytest.raises(UnknownFormatError) as err:
        detect_format(path)
    msg = str(err.value)
    assert str(path) in msg
    for fmt in ("pubmed", "medline", "jsonl", "json", "markdown", "html"):
        assert fmt in msg


def test_detect_directory_and_missing(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match="is a directory"):
        detect_format(tmp_path)
    with pytest.raises(ReaderError, match="nothere.jsonl: no such file"):
        detect_format(tmp_path / "nothere.jsonl")
    damaged = tmp_path / "x.xml.gz"
    damaged.write_bytes(b"not gzip at all")
    with pytest.raises(ReaderError, match="x.xml.gz"):
        detect_format(damaged)


def test_unknown_format_error_is_a_reader_error() -> None:
    assert issubclass(UnknownFormatError, ReaderError)


@pytest.mark.parametrize(("name", "preset"), [
    ("guidelines_ngc.jsonl.gz", "ngc"),
    ("medline_cohen2006.jsonl.gz", "cohen2006"),
    ("medquad_answers.jsonl.gz", "medquad"),
    ("pubmedqa_pqal.json.gz", "pubmedqa"),
    ("corpus.jsonl", "beir"),
])
def test_auto_mapping_known_files(name: str, preset: str) -> None:
    assert auto_mapping(Path("/somewhere") / name) is PRESETS[preset]


def test_auto_mapping_unknown() -> None:
    assert auto_mapping(Path("corpus_notes.md")) is None
    assert auto_mapping(Path("mine.jsonl")) is None


def test_make_reader() -> None:
    assert isinstance(make_reader("markdown"), MarkdownReader)
    assert isinstance(make_reader("html"), HtmlReader)
    r = make_reader("jsonl", "id=_id,title=t")
    assert isinstance(r, JsonlReader) and r.mapping.title == "t"
    r = make_reader("jsonl", "ngc")
    assert isinstance(r, JsonlReader) and r.mapping is PRESETS["ngc"]
    assert isinstance(make_reader("json", PRESETS["pubmedqa"]), JsonObjectReader)
    beir = make_reader("beir")
    assert isinstance(beir, JsonlReader) and beir.mapping is PRESETS["beir"]
    qa = make_reader("pubmedqa-noconclusion")
    assert isinstance(qa, JsonObjectReader) and qa.mapping is PRESETS["pubmedqa-noconclusion"]
    custom = FieldMapping(id="k")
    assert make_reader("medquad", custom).mapping is custom  # type: ignore[attr-defined]
    with pytest.raises(UnknownFormatError, match="unknown format 'docx'"):
        make_reader("docx")
    with pytest.raises(ValueError, match="unknown field mapping key"):
        make_reader("jsonl", "nope=1")
    assert set(all_formats()) >= {"pubmed", "medline", "beir", "ngc", "pubmedqa"}


def test_make_reader_lazy_pubmed_and_medline() -> None:
    pubmed = make_reader("pubmed")
    medline = make_reader("medline")
    assert pubmed.format == "pubmed"
    assert medline.format == "medline"


def test_iter_input_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ("b.jsonl", "a.md", "sub/c.xml.gz", "skip.csv", ".hidden/d.md", ".e.md"):
        (tmp_path / rel).write_bytes(b"x")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_input_files(tmp_path)]
    assert got == ["a.md", "b.jsonl", "sub/c.xml.gz"]
    single = tmp_path / "a.md"
    assert list(iter_input_files(single)) == [single]


@pytest.mark.data
def test_detect_dev_data(shared_data: Path) -> None:
    corpus = shared_data / "corpus"
    expected = {
        "guidelines_ngc.jsonl.gz": ("jsonl", "ngc"),
        "medline_cohen2006.jsonl.gz": ("jsonl", "cohen2006"),
        "medquad_answers.jsonl.gz": ("jsonl", "medquad"),
        "pubmedqa_pqal.json.gz": ("json", "pubmedqa"),
        "medline_sample.txt": ("medline", None),
        "pubmed_sample.xml": ("pubmed", None),
    }
    for name, (fmt, preset) in expected.items():
        path = corpus / name
        assert detect_format(path) == fmt, name
        mapping = auto_mapping(path)
        assert mapping is (PRESETS[preset] if preset else None), name
    for bench in ("nfcorpus", "bioasq"):
        path = shared_data / "benchmarks" / bench / "corpus.jsonl"
        assert detect_format(path) == "beir"
        assert auto_mapping(path) is PRESETS["beir"]
    # Every corpus file reads through make_reader(detect_format, auto_mapping) without error.
    for path in iter_input_files(corpus):
        reader = make_reader(detect_format(path), auto_mapping(path))
        first = next(iter(reader.read(path)))
        assert getattr(first, "external_id", None) or getattr(first, "reason", None)
