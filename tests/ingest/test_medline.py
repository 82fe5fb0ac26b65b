"""MedlineTextReader: MEDLINE text (.nbib/.txt) into SourceRecord / RejectedRecord.

Inline records below are synthetic test fixtures: PMIDs 900000xx are made-up test ids, and the
titles, journal and author names are placeholders, not real references. Tests marked `data` use
the real export in ../shared/data/corpus/medline_sample.txt.
"""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from curbside.domain import RejectedRecord, Section, SourceKind, SourceRecord
from curbside.ingest.base import ReaderError
from curbside.ingest.evidence import classify_source
from curbside.ingest.medline import MedlineTextReader, split_structured_abstract

# Synthetic record (PMID 90000001 is a made-up test id).
SYNTHETIC = """\
PMID- 90000001
OWN - NLM
STAT- MEDLINE
DP  - 1998 Dec-1999 Jan
TI  - Synthetic test record about drug A and drug B: a randomized trial of
      nothing in particular.
LID - 10.9999/synthetic.1 [doi]
AB  - BACKGROUND: Why it was done. METHODS: How it was done, with HIV: testing
      in adults. RESULTS: What was found (p < 0.05 in those aged > 65).
      CONCLUSIONS: So what.
FAU - Tester, Alpha
AU  - Tester A
CN  - Synthetic Test Group
FAU - Other, Beta B
AU  - Other BB
LA  - eng
LA  - fre
PT  - Journal Article
PT  - Randomized Controlled Trial
TA  - Synth J Test
JT  - Synthetic journal of test fixtures
VI  - 7
IP  - 2
PG  - 1-9
MH  - Humans
MH  - *Drug Therapy/adverse effects/*methods
MH  - Prescription Drugs/*pharmacology
AID - S0000-0000(00)00000-0 [pii]
AID - 10.9999/synthetic.1 [doi]
PMC - PMC0000001
"""


def write(tmp_path: Path, text: str, name: str = "export.txt") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def read(path: Path) -> list[SourceRecord | RejectedRecord]:
    items = list(MedlineTextReader().read(path))
    assert all(isinstance(i, SourceRecord | RejectedRecord) for i in items)
    return items  # type: ignore[return-value]


def test_format_name() -> None:
    assert MedlineTextReader.format == "medline"


def test_synthetic_record_fields(tmp_path: Path) -> None:
    p = write(tmp_path, SYNTHETIC)
    [rec] = read(p)
    assert isinstance(rec, SourceRecord)
    assert rec.external_id == "pmid:90000001" and rec.pmid == "90000001"
    # continuation lines are joined with one space
    assert rec.title == ("Synthetic test record about drug A and drug B: a randomized trial of "
                         "nothing in particular.")
    assert rec.year == 1998
    assert rec.doi == "10.9999/synthetic.1"
    assert rec.authors == ["Tester A", "Synthetic Test Group", "Other BB"]
    assert rec.language == "eng"
    assert rec.meta["languages"] == ["eng", "fre"]
    assert rec.publication_types == ["Journal Article", "Randomized Controlled Trial"]
    assert rec.kind == SourceKind.RCT
    assert rec.container == "Synthetic journal of test fixtures"
    assert rec.container_abbrev == "Synth J Test"
    assert rec.mesh_terms == ["Humans", "Drug Therapy", "Prescription Drugs"]
    assert rec.url == "https://pubmed.ncbi.nlm.nih.gov/90000001/"
    assert rec.meta["volume"] == "7" and rec.meta["pages"] == "1-9"
    assert rec.meta["pmcid"] == "PMC0000001"
    assert rec.origin_file == str(p) and rec.origin_position == 1
    assert rec.retracted is False
    assert [(s.label, s.text) for s in rec.sections] == [
        ("BACKGROUND", "Why it was done."),
        ("METHODS", "How it was done, with HIV: testing in adults."),
        ("RESULTS", "What was found (p < 0.05 in those aged > 65)."),
        ("CONCLUSIONS", "So what."),
    ]


def test_split_structured_abstract() -> None:
    assert split_structured_abstract(
        "OBJECTIVE: A. MATERIALS AND METHODS: B. QUESTIONS/PURPOSES: C? SETTING & PARTICIPANTS: D."
    ) == [Section("A.", "OBJECTIVE"), Section("B.", "MATERIALS AND METHODS"),
          Section("C?", "QUESTIONS/PURPOSES"), Section("D.", "SETTING & PARTICIPANTS")]
    # only an abstract that starts with a label is split
    plain = "We studied HIV. AIDS: a term. Results were fine."
    assert split_structured_abstract(plain) == [Section(plain)]
    # PubMed's "UNLABELLED" first part has no label
    assert split_structured_abstract("UNLABELLED: Intro. AVAILABILITY: Online.") == [
        Section("Intro."), Section("Online.", "AVAILABILITY")]
    # a two-letter word is not a label
    assert split_structured_abstract("CI: wide.") == [Section("CI: wide.")]
    assert split_structured_abstract("   ") == []


def test_doi_from_aid_when_no_lid(tmp_path: Path) -> None:
    text = SYNTHETIC.replace("LID - 10.9999/synthetic.1 [doi]\n", "").replace(
        "AID - 10.9999/synthetic.1 [doi]", "AID - 10.9999/synthetic.aid [doi]")
    [rec] = read(write(tmp_path, text))
    assert isinstance(rec, SourceRecord)
    assert rec.doi == "10.9999/synthetic.aid"


def test_retraction_tags(tmp_path: Path) -> None:
    # synthetic test ids 90000002 (retracted article) and 90000003 (its notice)
    text = (
        "PMID- 90000002\nTI  - Synthetic retracted record.\nPT  - Journal Article\n"
        "PT  - Retracted Publication\n"
        "RIN - Synth J Test. 2021 Jan;7(2):10. PMID: 90000003\n"
        "\n"
        "PMID- 90000003\nTI  - Retraction notice: synthetic retracted record.\n"
        "PT  - Retraction of Publication\n"
        "ROF - Synth J Test. 2020;6(1):1-9. PMID: 90000002\n"
        "\n"
        "PMID- 90000004\nTI  - Synthetic record retracted only by RIN.\n"
        "RIN - Synth J Test. 2022. PMID: 90000005\n"
    )
    a, notice, b = read(write(tmp_path, text))
    assert isinstance(a, SourceRecord) and isinstance(notice, SourceRecord)
    assert isinstance(b, SourceRecord)
    assert a.retracted and a.retraction_in == ["90000003"]
    assert not notice.retracted and notice.retraction_of == ["90000002"]
    assert b.retracted and b.retraction_in == ["90000005"]


def test_missing_pmid_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    text = "PMID- \nTI  - Synthetic record without id.\n\n" + SYNTHETIC
    rej, rec = read(write(tmp_path, text))
    assert isinstance(rej, RejectedRecord)
    assert "PMID" in rej.reason and rej.origin_position == 1 and rej.excerpt
    assert isinstance(rec, SourceRecord) and rec.origin_position == 2


def test_record_without_pmid_tag_is_rejected(tmp_path: Path) -> None:
    text = "TI  - Synthetic record without PMID tag.\n\n" + SYNTHETIC
    rej, rec = read(write(tmp_path, text))
    assert isinstance(rej, RejectedRecord) and "PMID" in rej.reason
    assert isinstance(rec, SourceRecord)


def test_no_title_no_abstract_rejected_but_title_only_fine(tmp_path: Path) -> None:
    text = ("PMID- 90000006\nPT  - Letter\n\n"  # synthetic test ids
            "PMID- 90000007\nTI  - Synthetic letter without abstract.\nPT  - Letter\n")
    rej, rec = read(write(tmp_path, text))
    assert isinstance(rej, RejectedRecord) and rej.record_id == "pmid:90000006"
    assert isinstance(rec, SourceRecord) and rec.sections == [] and rec.kind == SourceKind.REVIEW


def test_records_without_blank_line_crlf_and_bom(tmp_path: Path) -> None:
    text = "\ufeff" + (SYNTHETIC + SYNTHETIC.replace("90000001", "90000008")).replace(
        "\n", "\r\n")
    p = tmp_path / "export.nbib"
    p.write_bytes(text.encode("utf-8"))
    items = read(p)
    assert [i.pmid for i in items if isinstance(i, SourceRecord)] == ["90000001", "90000008"]
    assert isinstance(items[0], SourceRecord) and items[0].title.endswith("in particular.")


def test_gzip(tmp_path: Path) -> None:
    p = tmp_path / "export.txt.gz"
    p.write_bytes(gzip.compress((SYNTHETIC + "\n" + SYNTHETIC).encode()))
    assert len(read(p)) == 2


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(SYNTHETIC.encode().replace(b"Synthetic test record", b"Synthetic \xff record"))
    [rec] = read(p)
    assert isinstance(rec, SourceRecord) and "\ufffd" in rec.title


def test_not_medline_raises(tmp_path: Path) -> None:
    p = write(tmp_path, "<?xml version='1.0'?>\n<PubmedArticleSet/>\n", "x.txt")
    with pytest.raises(ReaderError, match="not MEDLINE"):
        read(p)


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path, "\n\n")) == []


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ReaderError):
        read(tmp_path / "nope.txt")


def test_classify_source_rules_used_by_readers() -> None:
    assert classify_source(["Journal Article", "Randomized Controlled Trial"]) == SourceKind.RCT
    assert classify_source(["Meta-Analysis", "Journal Article"]) == SourceKind.SYSTEMATIC_REVIEW
    assert classify_source(["Systematic Review"]) == SourceKind.SYSTEMATIC_REVIEW
    assert classify_source(["Practice Guideline"]) == SourceKind.GUIDELINE
    assert classify_source(["Review", "Journal Article"]) == SourceKind.REVIEW
    assert classify_source(["Evaluation Studies", "Journal Article"]) == SourceKind.OBSERVATIONAL


@pytest.mark.data
def test_real_sample(shared_data: Path) -> None:
    items = read(shared_data / "corpus" / "medline_sample.txt")
    assert len(items) == 284
    assert all(isinstance(i, SourceRecord) for i in items)
    recs = [i for i in items if isinstance(i, SourceRecord)]
    assert len({r.external_id for r in recs}) == 284
    assert [r.origin_position for r in recs] == list(range(1, 285))
    first = recs[0]
    assert first.pmid == "28422961"
    assert first.title == ("Characterization of the mechanism of drug-drug interactions from "
                           "PubMed using MeSH terms.")
    assert first.doi == "10.1371/journal.pone.0173548"
    assert first.year == 2017
    assert first.container == "PloS one" and first.container_abbrev == "PLoS One"
    assert first.authors == ["Lu Y", "Figler B", "Huang H", "Tu YC", "Wang J", "Cheng F"]
    assert "Drug Interactions" in first.mesh_terms and "PubMed" in first.mesh_terms
    assert all("*" not in m and "/" not in m for r in recs for m in r.mesh_terms)
    assert all(r.year and 1940 <= r.year <= 2017 for r in recs)
    assert all(r.title for r in recs)
    # a structured abstract is split into labelled sections
    by_pmid = {r.pmid: r for r in recs}
    assert [s.label for s in by_pmid["26892337"].sections] == [
        "BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    # "UNLABELLED: ..." -> first section without a label
    assert [s.label for s in by_pmid["15919728"].sections] == [
        None, "AVAILABILITY", "SUPPLEMENTARY INFORMATION"]
    # collective author (CN) kept in order
    assert by_pmid["26227021"].authors[-1] == "Updating Guidelines Working Group"
    # no continuation text leaks a tag
    assert not any(s.text.startswith(("AB  -", "TI  -")) for r in recs for s in r.sections)


@pytest.mark.data
def test_real_sample_kinds(shared_data: Path) -> None:
    recs = [r for r in read(shared_data / "corpus" / "medline_sample.txt")
            if isinstance(r, SourceRecord)]
    kinds = Counter(r.kind for r in recs)
    by_pmid = {r.pmid: r for r in recs}
    # publication-type driven kinds on real records
    assert by_pmid["26912123"].kind == SourceKind.REVIEW  # PT Review
    assert by_pmid["25075918"].kind == SourceKind.REVIEW  # PT Letter
    assert by_pmid["27930574"].kind == SourceKind.OBSERVATIONAL  # PT Observational Study
    assert by_pmid["16944614"].kind == SourceKind.CASE_REPORT  # PT Case Reports (+ Review)
    for r in recs:
        pts = {p.lower() for p in r.publication_types}
        if "review" in pts and not pts & {"case reports", "comparative study"}:
            assert r.kind == SourceKind.REVIEW, r.pmid
    # mostly methods papers about MEDLINE indexing: most are "other", none is a meta-analysis
    assert kinds[SourceKind.OTHER] > len(recs) / 2
    assert kinds[SourceKind.REVIEW] >= 20
    assert kinds[SourceKind.OBSERVATIONAL] >= 15
    assert kinds[SourceKind.SYSTEMATIC_REVIEW] == 0
