"""The bundled starter library: every note is well formed and every identifier is real.

The first group of tests needs nothing but the package. The ``data`` tests check each note's
identifying details (NGC id, PMID, MedQuAD question id, titles, years, developers, URLs) against
the development data in ../shared/data and skip when it is absent.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import frontmatter
import pytest

from curbside.starter import notes_dir

VALID_KINDS = {
    "guideline",
    "systematic_review",
    "rct",
    "observational",
    "case_report",
    "review",
    "patient_info",
    "other",
}
COMMON_KEYS = {"external_id", "kind", "title", "topics", "summary_of"}
REQUIRED_TOPICS = {"low back pain", "sacroiliac joint pain", "axial spondyloarthritis"}
TERMINAL = (".", "!", "?")


def _note_paths() -> list[Path]:
    return sorted(notes_dir().glob("*.md"))


@functools.lru_cache(maxsize=1)
def _notes() -> tuple[tuple[Path, Any], ...]:
    return tuple((p, frontmatter.load(str(p))) for p in _note_paths())


def _namespace(post: Any) -> str:
    return str(post.metadata["external_id"]).split(":", 1)[0]


# --------------------------------------------------------------------------- structure


def test_notes_dir_exists_and_holds_40_to_80_notes() -> None:
    assert notes_dir().is_dir()
    n = len(_note_paths())
    assert 40 <= n <= 80, f"{n} notes"


@pytest.mark.parametrize("path", _note_paths(), ids=lambda p: p.name)
def test_note_front_matter(path: Path) -> None:
    post = frontmatter.load(str(path))
    meta = post.metadata
    missing = COMMON_KEYS - meta.keys()
    assert not missing, f"missing keys {missing}"
    assert meta["kind"] in VALID_KINDS
    assert isinstance(meta["topics"], list) and meta["topics"]
    assert all(isinstance(t, str) and t == t.strip().lower() for t in meta["topics"])
    assert str(meta["summary_of"]).strip()
    ns, _, ident = str(meta["external_id"]).partition(":")
    if ns == "ngc":
        assert {"ngc_id", "container", "year"} <= meta.keys()
        assert ident == meta["ngc_id"]
        assert path.name == f"{meta['ngc_id']}.md"
        assert meta["kind"] == "guideline"
        assert "pmid" not in meta
    elif ns == "pmid":
        assert {"pmid", "year"} <= meta.keys()
        assert isinstance(meta["pmid"], str) and meta["pmid"].isdigit()
        assert ident == meta["pmid"]
        assert path.name == f"pmid-{meta['pmid']}.md"
        assert "ngc_id" not in meta
    elif ns == "medquad":
        assert {"qid", "url", "container"} <= meta.keys()
        collection, _, qid = ident.partition("/")
        assert collection and qid == meta["qid"]
        assert meta["kind"] == "patient_info"
        assert path.name.startswith("medquad-")
    else:
        pytest.fail(f"unknown external_id namespace {ns!r}")
    if "year" in meta:
        assert isinstance(meta["year"], int) and 1950 <= meta["year"] <= 2030


@pytest.mark.parametrize("path", _note_paths(), ids=lambda p: p.name)
def test_note_body_sentences_are_complete(path: Path) -> None:
    post = frontmatter.load(str(path))
    lines = [ln.strip() for ln in post.content.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("# "), "body must start with '# <title>'"
    assert lines[0][2:].strip() == str(post.metadata["title"]).strip()
    headings = [ln for ln in lines if ln.startswith("## ")]
    assert headings, "body needs at least one '## Section' heading"
    sentences = 0
    for ln in lines:
        if ln.startswith("#"):
            continue
        text = ln[2:].strip() if ln.startswith(("- ", "* ")) else ln
        assert text.endswith(TERMINAL), f"no terminal punctuation: {ln!r}"
        sentences += 1
    assert sentences >= 3, f"only {sentences} statements"


def test_external_ids_are_unique() -> None:
    ids = Counter(str(post.metadata["external_id"]) for _, post in _notes())
    dupes = [k for k, v in ids.items() if v > 1]
    assert not dupes


def test_topic_coverage() -> None:
    topics = Counter(t for _, post in _notes() for t in post.metadata["topics"])
    assert len(topics) >= 8, sorted(topics)
    assert topics.keys() >= REQUIRED_TOPICS, REQUIRED_TOPICS - topics.keys()
    # the demo question (SI joint / inflammatory back pain) needs real depth
    core = [p for p, post in _notes() if REQUIRED_TOPICS & set(post.metadata["topics"])]
    assert len(core) >= 12


def test_kinds_include_patient_info_and_guidelines() -> None:
    kinds = Counter(post.metadata["kind"] for _, post in _notes())
    assert kinds["guideline"] >= 20
    assert kinds["patient_info"] >= 3


# --------------------------------------------------------------------------- data checks


def _norm_title(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip().lower()
    return s.rstrip(".").strip()


@functools.lru_cache(maxsize=2)
def _ngc(data: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    with gzip.open(data / "corpus" / "guidelines_ngc.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out[rec["ngc_id"]] = rec
    return out


def _parse_medline(text: str) -> dict[str, dict[str, str]]:
    """PMID -> {title, year, journal} from MEDLINE (.nbib) text."""
    out: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n\s*\n(?=PMID- )", text):
        fields: dict[str, str] = {}
        tag = ""
        for line in block.splitlines():
            if len(line) > 4 and line[4] == "-" and line[:4].strip():
                tag = line[:4].strip()
                if tag not in fields:
                    fields[tag] = line[6:].strip()
                else:
                    tag = ""  # keep only the first occurrence of repeated tags
            elif tag and line.startswith("      "):
                fields[tag] += " " + line.strip()
        if "PMID" in fields:
            m = re.match(r"\d{4}", fields.get("DP", ""))
            out[fields["PMID"]] = {
                "title": fields.get("TI", ""),
                "year": m.group(0) if m else "",
                "journal": fields.get("JT", ""),
            }
    return out


@functools.lru_cache(maxsize=2)
def _pubmed(data: Path) -> dict[str, dict[str, str]]:
    """PMID -> {title, year, journal} from the title-bearing PubMed files."""
    out: dict[str, dict[str, str]] = {}
    with gzip.open(data / "corpus" / "medline_cohen2006.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            year = rec.get("year") or ""
            out.setdefault(
                str(rec["pubmedID"]),
                {
                    "title": rec.get("title") or "",
                    "year": str(int(float(year))) if year else "",
                    "journal": "",
                },
            )
    sample = data / "corpus" / "medline_sample.txt"
    if sample.exists():
        out.update(_parse_medline(sample.read_text(encoding="utf-8")))
    return out


@functools.lru_cache(maxsize=2)
def _medquad(data: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with gzip.open(data / "corpus" / "medquad_answers.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            out.setdefault((rec["collection"], rec["qid"]), rec)
    return out


@pytest.mark.data
def test_ngc_notes_match_data(shared_data: Path) -> None:
    ngc = _ngc(shared_data)
    problems = []
    for path, post in _notes():
        meta = post.metadata
        if _namespace(post) != "ngc":
            continue
        rec = ngc.get(meta["ngc_id"])
        if rec is None:
            problems.append(f"{path.name}: {meta['ngc_id']} not in data")
            continue
        if meta["title"] != rec["title"]:
            problems.append(f"{path.name}: title {meta['title']!r} != {rec['title']!r}")
        if meta["year"] != rec["year"]:
            problems.append(f"{path.name}: year {meta['year']} != {rec['year']}")
        if meta["container"] != rec["developer"]:
            problems.append(f"{path.name}: developer {meta['container']!r} != {rec['developer']!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.data
def test_pubmed_notes_match_data(shared_data: Path) -> None:
    pubmed = _pubmed(shared_data)
    problems = []
    for path, post in _notes():
        meta = post.metadata
        if _namespace(post) != "pmid":
            continue
        rec = pubmed.get(meta["pmid"])
        if rec is None:
            problems.append(f"{path.name}: PMID {meta['pmid']} not in data")
            continue
        if _norm_title(meta["title"]) != _norm_title(rec["title"]):
            problems.append(f"{path.name}: title {meta['title']!r} != {rec['title']!r}")
        if str(meta["year"]) != rec["year"]:
            problems.append(f"{path.name}: year {meta['year']} != {rec['year']}")
        if "container" in meta and meta["container"] != rec["journal"]:
            problems.append(f"{path.name}: journal {meta['container']!r} != {rec['journal']!r}")
        if "url" in meta:
            problems.append(f"{path.name}: PubMed notes carry no url (none in the data)")
    assert not problems, "\n".join(problems)


@pytest.mark.data
def test_medquad_notes_match_data(shared_data: Path) -> None:
    medquad = _medquad(shared_data)
    problems = []
    for path, post in _notes():
        meta = post.metadata
        if _namespace(post) != "medquad":
            continue
        collection, _, qid = str(meta["external_id"]).split(":", 1)[1].partition("/")
        rec = medquad.get((collection, qid))
        if rec is None:
            problems.append(f"{path.name}: {collection}/{qid} not in data")
            continue
        if meta["url"] != rec["url"]:
            problems.append(f"{path.name}: url {meta['url']!r} != {rec['url']!r}")
        if meta["title"] != rec["focus"]:
            problems.append(f"{path.name}: title {meta['title']!r} != focus {rec['focus']!r}")
        if meta["container"] != rec["source"]:
            problems.append(f"{path.name}: source {meta['container']!r} != {rec['source']!r}")
    assert not problems, "\n".join(problems)
