"""PubmedXmlReader: streaming PubMed XML into SourceRecord / DeleteRecord / RejectedRecord.

Inline records below are synthetic test fixtures: PMIDs 900000xx are made-up test ids, and the
titles, journal and author names are placeholders, not real references.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from curbside.domain import DeleteRecord, RejectedRecord, SourceKind, SourceRecord
from curbside.ingest.base import ReaderError
from curbside.ingest.pubmed_xml import PubmedXmlReader

HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n'
    "<PubmedArticleSet>\n"
)
TAIL = "</PubmedArticleSet>\n"


def article(
    pmid: str | None = "90000001",  # synthetic test id
    title: str = "Synthetic test record one.",
    abstract: str = "<AbstractText>Plain synthetic abstract text.</AbstractText>",
    pub_date: str = "<Year>2020</Year>",
    pub_types: tuple[str, ...] = ("Journal Article",),
    extra_article: str = "",
    extra_citation: str = "",
    pubmed_data: str = "",
) -> str:
    pmid_el = f'<PMID Version="1">{pmid}</PMID>' if pmid is not None else ""
    abstract_el = f"<Abstract>{abstract}</Abstract>" if abstract else ""
    pts = "".join(f"<PublicationType>{p}</PublicationType>" for p in pub_types)
    return f"""<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    {pmid_el}
    <DateCompleted><Year>2021</Year><Month>01</Month><Day>02</Day></DateCompleted>
    <Article PubModel="Print">
      <Journal>
        <JournalIssue CitedMedium="Print"><Volume>7</Volume><Issue>2</Issue>
          <PubDate>{pub_date}</PubDate></JournalIssue>
        <Title>Synthetic journal of test fixtures</Title>
        <ISOAbbreviation>Synth J Test</ISOAbbreviation>
      </Journal>
      <ArticleTitle>{title}</ArticleTitle>
      <Pagination><MedlinePgn>1-9</MedlinePgn></Pagination>
      {abstract_el}
      <AuthorList CompleteYN="Y">
        <Author ValidYN="Y"><LastName>Tester</LastName><ForeName>Alpha</ForeName>
          <Initials>A</Initials></Author>
        <Author ValidYN="Y"><CollectiveName>Synthetic Test Group</CollectiveName></Author>
        <Author ValidYN="N"><LastName>Wrongname</LastName><Initials>X</Initials></Author>
      </AuthorList>
      <Language>eng</Language>
      <PublicationTypeList>{pts}</PublicationTypeList>
      {extra_article}
    </Article>
    <MeshHeadingList>
      <MeshHeading><DescriptorName UI="D000001" MajorTopicYN="N">Humans</DescriptorName>
        <QualifierName UI="Q000001">therapy</QualifierName></MeshHeading>
    </MeshHeadingList>
    {extra_citation}
  </MedlineCitation>
  <PubmedData>{pubmed_data}</PubmedData>
</PubmedArticle>
"""


def write(tmp_path: Path, body: str, name: str = "set.xml") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + body + TAIL, encoding="utf-8")
    return p


def read(path: Path) -> list[SourceRecord | DeleteRecord | RejectedRecord]:
    return list(PubmedXmlReader().read(path))


def only_record(path: Path) -> SourceRecord:
    items = read(path)
    assert len(items) == 1, items
    assert isinstance(items[0], SourceRecord), items[0]
    return items[0]


def test_format_name() -> None:
    assert PubmedXmlReader.format == "pubmed"


def test_basic_fields(tmp_path: Path) -> None:
    rec = only_record(write(tmp_path, article(
        extra_article='<ELocationID EIdType="doi" ValidYN="Y">10.9999/synthetic.1</ELocationID>',
        pubmed_data='<ArticleIdList><ArticleId IdType="pubmed">90000001</ArticleId>'
                    '<ArticleId IdType="pmc">PMC0000001</ArticleId></ArticleIdList>',
    )))
    assert rec.external_id == "pmid:90000001"
    assert rec.pmid == "90000001"
    assert rec.title == "Synthetic test record one."
    assert rec.container == "Synthetic journal of test fixtures"
    assert rec.container_abbrev == "Synth J Test"
    assert rec.year == 2020
    assert rec.authors == ["Tester A", "Synthetic Test Group"]  # ValidYN="N" author dropped
    assert rec.doi == "10.9999/synthetic.1"
    assert rec.publication_types == ["Journal Article"]
    assert rec.mesh_terms == ["Humans"]
    assert rec.language == "eng"
    assert rec.url == "https://pubmed.ncbi.nlm.nih.gov/90000001/"
    assert rec.sections[0].label is None
    assert rec.sections[0].text == "Plain synthetic abstract text."
    assert rec.kind == SourceKind.OTHER
    assert rec.retracted is False
    assert rec.meta == {"volume": "7", "issue": "2", "pages": "1-9", "pmcid": "PMC0000001"}
    assert rec.origin_file == str(tmp_path / "set.xml")
    assert rec.origin_position == 1


def test_structured_abstract_labels(tmp_path: Path) -> None:
    abstract = (
        '<AbstractText Label="Background" NlmCategory="BACKGROUND">Why.</AbstractText>'
        '<AbstractText NlmCategory="METHODS">How.</AbstractText>'
        '<AbstractText Label="RESULTS" NlmCategory="RESULTS">What.</AbstractText>'
        '<AbstractText Label="CONCLUSIONS AND RELEVANCE" NlmCategory="CONCLUSIONS">So.'
        "</AbstractText>"
        '<AbstractText NlmCategory="UNASSIGNED">Trailer.</AbstractText>'
    )
    rec = only_record(write(tmp_path, article(abstract=abstract)))
    assert [(s.label, s.text) for s in rec.sections] == [
        ("BACKGROUND", "Why."),
        ("METHODS", "How."),
        ("RESULTS", "What."),
        ("CONCLUSIONS AND RELEVANCE", "So."),
        (None, "Trailer."),
    ]


def test_medline_date_year(tmp_path: Path) -> None:
    date = "<MedlineDate>1998 Dec-1999 Jan</MedlineDate>"
    rec = only_record(write(tmp_path, article(pub_date=date)))
    assert rec.year == 1998


def test_year_falls_back_to_article_date_then_date_completed(tmp_path: Path) -> None:
    with_article_date = article(
        pub_date="<Season>Spring</Season>",
        extra_article='<ArticleDate DateType="Electronic"><Year>2019</Year></ArticleDate>',
    )
    assert only_record(write(tmp_path, with_article_date)).year == 2019
    assert only_record(write(tmp_path, article(pub_date=""), "b.xml")).year == 2021


def test_title_entities_and_inline_markup(tmp_path: Path) -> None:
    title = "Effects of <i>drug A</i> &amp; drug B on CD4<sup>+</sup>  cells&#8212;a test."
    abstract = (
        "<AbstractText>Risk was lower (p &lt; 0.05) in those aged &gt; 65 years; "
        "H<sub>2</sub>O and <b>bold</b> text.</AbstractText>"
    )
    rec = only_record(write(tmp_path, article(title=title, abstract=abstract)))
    assert rec.title == "Effects of drug A & drug B on CD4+ cells\u2014a test."
    # decoded '<' and '>' in real text must survive (no tag stripping on parsed text)
    assert rec.sections[0].text == (
        "Risk was lower (p < 0.05) in those aged > 65 years; H2O and bold text."
    )


def test_delete_citation(tmp_path: Path) -> None:
    body = article() + (
        '<DeleteCitation><PMID Version="1">90000011</PMID>'  # synthetic test ids
        '<PMID Version="1">90000012</PMID></DeleteCitation>'
    )
    items = read(write(tmp_path, body))
    assert isinstance(items[0], SourceRecord)
    assert items[1:] == [
        DeleteRecord("pmid:90000011", str(tmp_path / "set.xml"), 2),
        DeleteRecord("pmid:90000012", str(tmp_path / "set.xml"), 2),
    ]


def test_retracted_publication(tmp_path: Path) -> None:
    cc = (
        "<CommentsCorrectionsList>"
        '<CommentsCorrections RefType="RetractionIn"><RefSource>Synth J Test. 2021</RefSource>'
        '<PMID Version="1">90000003</PMID></CommentsCorrections>'
        '<CommentsCorrections RefType="CommentIn"><RefSource>x</RefSource>'
        '<PMID Version="1">90000004</PMID></CommentsCorrections>'
        "</CommentsCorrectionsList>"
    )
    rec = only_record(write(tmp_path, article(
        pub_types=("Journal Article", "Retracted Publication"), extra_citation=cc)))
    assert rec.retracted is True
    assert rec.retraction_in == ["90000003"]
    assert rec.retraction_of == []


def test_retraction_in_alone_marks_retracted(tmp_path: Path) -> None:
    cc = (
        '<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        '<RefSource>x</RefSource><PMID Version="1">90000003</PMID>'
        "</CommentsCorrections></CommentsCorrectionsList>"
    )
    rec = only_record(write(tmp_path, article(extra_citation=cc)))
    assert rec.retracted is True
    assert rec.retraction_in == ["90000003"]


def test_retraction_notice(tmp_path: Path) -> None:
    cc = (
        '<CommentsCorrectionsList><CommentsCorrections RefType="RetractionOf">'
        '<RefSource>Synth J Test. 2020</RefSource><PMID Version="1">90000001</PMID>'
        "</CommentsCorrections></CommentsCorrectionsList>"
    )
    rec = only_record(write(tmp_path, article(
        pmid="90000003", title="Retraction notice: synthetic test record one.", abstract="",
        pub_types=("Retraction of Publication",), extra_citation=cc)))
    assert rec.retracted is False
    assert rec.retraction_of == ["90000001"]
    assert rec.publication_types == ["Retraction of Publication"]
    assert rec.sections == []


def test_record_without_pmid_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    items = read(write(tmp_path, article(pmid=None) + article(pmid="90000002")))
    assert isinstance(items[0], RejectedRecord)
    assert "PMID" in items[0].reason
    assert items[0].origin_position == 1
    assert items[0].excerpt
    assert isinstance(items[1], SourceRecord)
    assert items[1].pmid == "90000002"
    assert items[1].origin_position == 2


def test_empty_abstract_is_fine_but_no_title_and_no_abstract_is_rejected(tmp_path: Path) -> None:
    items = read(write(tmp_path, article(abstract="") + article(
        pmid="90000002", title="", abstract="<AbstractText>   </AbstractText>")))
    assert isinstance(items[0], SourceRecord)
    assert items[0].sections == []
    assert isinstance(items[1], RejectedRecord)
    assert items[1].record_id == "pmid:90000002"
    assert "title" in items[1].reason


def test_vernacular_title_used_when_english_title_unavailable(tmp_path: Path) -> None:
    rec = only_record(write(tmp_path, article(
        title="[Not Available].",
        extra_article="<VernacularTitle>Titre synth\u00e9tique de test.</VernacularTitle>")))
    assert rec.title == "Titre synth\u00e9tique de test."


def test_doi_from_article_id_list_not_from_references(tmp_path: Path) -> None:
    pubmed_data = (
        '<ArticleIdList><ArticleId IdType="pubmed">90000001</ArticleId>'
        '<ArticleId IdType="doi">10.9999/synthetic.2</ArticleId></ArticleIdList>'
        "<ReferenceList><Reference><Citation>x</Citation><ArticleIdList>"
        '<ArticleId IdType="doi">10.9999/cited.reference</ArticleId>'
        "</ArticleIdList></Reference></ReferenceList>"
    )
    assert only_record(write(tmp_path, article(pubmed_data=pubmed_data))).doi == (
        "10.9999/synthetic.2")
    no_doi = "<ReferenceList><Reference><Citation>x</Citation><ArticleIdList>" \
        '<ArticleId IdType="doi">10.9999/cited.reference</ArticleId>' \
        "</ArticleIdList></Reference></ReferenceList>"
    assert only_record(write(tmp_path, article(pubmed_data=no_doi), "b.xml")).doi is None


def test_kind_from_publication_types_and_title(tmp_path: Path) -> None:
    body = (
        article(pmid="90000001", pub_types=("Journal Article", "Randomized Controlled Trial"))
        + article(pmid="90000002", pub_types=("Journal Article", "Meta-Analysis"))
        + article(pmid="90000003", pub_types=("Practice Guideline",))
        + article(pmid="90000004", title="A synthetic cohort study.")
    )
    kinds = [r.kind for r in read(write(tmp_path, body)) if isinstance(r, SourceRecord)]
    assert kinds == [SourceKind.RCT, SourceKind.SYSTEMATIC_REVIEW, SourceKind.GUIDELINE,
                     SourceKind.OBSERVATIONAL]


def test_truncated_file_yields_good_records_then_rejection(tmp_path: Path) -> None:
    full = HEAD + article("90000001") + article("90000002") + article("90000003") + TAIL
    # keep the first two records whole and part of the third
    text = full[: full.index("90000003") + 200]
    p = tmp_path / "truncated.xml"
    p.write_text(text, encoding="utf-8")
    items = read(p)
    assert [type(i) for i in items] == [SourceRecord, SourceRecord, RejectedRecord]
    rej = items[-1]
    assert isinstance(rej, RejectedRecord)
    assert rej.origin_file == str(p)
    assert rej.origin_position == 3
    assert "line" in rej.reason and "XML error" in rej.reason
    assert str(p) in rej.reason


def test_invalid_utf8_rejects_the_rest_with_file_and_line(tmp_path: Path) -> None:
    good = (HEAD + article("90000001")).encode("utf-8")
    bad = article("90000002", title="Broken \x00BYTE title.").encode("utf-8").replace(
        b"\x00BYTE", b"\xff\xfe")
    p = tmp_path / "bad-utf8.xml"
    p.write_bytes(good + bad + article("90000003").encode() + TAIL.encode())
    items = read(p)
    assert [type(i) for i in items] == [SourceRecord, RejectedRecord]
    rej = items[1]
    assert isinstance(rej, RejectedRecord)
    assert str(p) in rej.reason and "line" in rej.reason
    assert rej.origin_position == 2
    # the reason names the line of the bad bytes, whatever the parser's buffering
    data = p.read_bytes()
    line = data[: data.index(b"\xff\xfe")].count(b"\n") + 1
    assert f"not valid UTF-8 at line {line}," in rej.reason


def test_invalid_utf8_before_any_record_raises(tmp_path: Path) -> None:
    p = tmp_path / "bad-start.xml"
    p.write_bytes((HEAD + article("90000001", title="X \x00")).encode().replace(b"\x00", b"\xff")
                  + TAIL.encode())
    with pytest.raises(ReaderError, match="bad-start.xml"):
        read(p)


def test_gzip_file(tmp_path: Path) -> None:
    p = tmp_path / "pubmed25n0001.xml.gz"
    with gzip.open(p, "wt", encoding="utf-8") as f:
        f.write(HEAD + article("90000001") + article("90000002") + TAIL)
    items = read(p)
    assert [i.pmid for i in items if isinstance(i, SourceRecord)] == ["90000001", "90000002"]


def test_truncated_gzip_yields_records_then_rejection(tmp_path: Path) -> None:
    p = tmp_path / "cut.xml.gz"
    records = "".join(article(str(90000100 + i)) for i in range(200))  # synthetic ids
    payload = gzip.compress((HEAD + records + TAIL).encode())
    p.write_bytes(payload[: len(payload) // 2])
    items = read(p)
    assert isinstance(items[0], SourceRecord)
    assert isinstance(items[-1], RejectedRecord)
    assert all(isinstance(i, SourceRecord) for i in items[:-1])


def test_not_xml_raises(tmp_path: Path) -> None:
    p = tmp_path / "notes.xml"
    p.write_text("PMID- 90000001\nTI  - this is MEDLINE text, not XML\n", encoding="utf-8")
    with pytest.raises(ReaderError, match="notes.xml"):
        read(p)


def test_empty_file_raises(tmp_path: Path) -> None:
    p = tmp_path / "empty.xml"
    p.write_bytes(b"")
    with pytest.raises(ReaderError):
        read(p)


def test_other_xml_raises(tmp_path: Path) -> None:
    p = tmp_path / "other.xml"
    p.write_text("<?xml version='1.0'?><rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(ReaderError, match="root element <rss>"):
        read(p)


def test_empty_article_set_yields_nothing(tmp_path: Path) -> None:
    assert read(write(tmp_path, "")) == []


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ReaderError):
        read(tmp_path / "nope.xml")


def test_book_article(tmp_path: Path) -> None:
    body = """<PubmedBookArticle><BookDocument>
      <PMID Version="1">90000021</PMID>
      <Book><Publisher><PublisherName>Synthetic Press</PublisherName></Publisher>
        <BookTitle>Synthetic handbook of tests</BookTitle><PubDate><Year>2022</Year></PubDate>
        <AuthorList Type="editors"><Author><LastName>Editor</LastName><Initials>E</Initials>
        </Author></AuthorList></Book>
      <ArticleTitle>Synthetic chapter</ArticleTitle>
      <Language>eng</Language>
      <AuthorList Type="authors"><Author><LastName>Writer</LastName><Initials>W</Initials>
      </Author></AuthorList>
      <PublicationType UI="D016454">Review</PublicationType>
      <Abstract><AbstractText Label="Continuing Education Activity">Text.</AbstractText>
      </Abstract>
    </BookDocument><PubmedBookData/></PubmedBookArticle>"""
    rec = only_record(write(tmp_path, body))
    assert rec.pmid == "90000021"
    assert rec.title == "Synthetic chapter"
    assert rec.container == "Synthetic handbook of tests"
    assert rec.year == 2022
    assert rec.authors == ["Writer W"]
    assert rec.kind == SourceKind.REVIEW
    assert rec.sections[0].label == "CONTINUING EDUCATION ACTIVITY"


def test_many_records_positions(tmp_path: Path) -> None:
    body = "".join(article(str(90000100 + i)) for i in range(500))  # synthetic test ids
    items = read(write(tmp_path, body))
    assert len(items) == 500
    assert [i.origin_position for i in items] == list(range(1, 501))


@pytest.mark.data
def test_real_sample(shared_data: Path) -> None:
    items = read(shared_data / "corpus" / "pubmed_sample.xml")
    assert len(items) == 1
    rec = items[0]
    assert isinstance(rec, SourceRecord)
    assert rec.external_id == "pmid:20000000"
    assert rec.title.startswith("Long-term impact of municipal sewage irrigation")
    assert rec.container == "Journal of environmental sciences (China)"
    assert rec.container_abbrev == "J Environ Sci (China)"
    assert rec.year == 2009
    assert rec.authors == ["Tabari M", "Salehi A"]
    assert rec.language == "eng"
    assert "Sewage" in rec.mesh_terms and "Metals, Heavy" in rec.mesh_terms
    assert len(rec.sections) == 1 and rec.sections[0].label is None
    assert "(P < 0.01)" in rec.sections[0].text
    assert rec.sections[0].text.endswith("needs to be monitored.")
    assert rec.doi is None
    assert rec.kind == SourceKind.OTHER


@pytest.mark.data
def test_real_sample_gzipped(shared_data: Path, tmp_path: Path) -> None:
    p = tmp_path / "sample.xml.gz"
    p.write_bytes(gzip.compress((shared_data / "corpus" / "pubmed_sample.xml").read_bytes()))
    items = read(p)
    assert len(items) == 1 and isinstance(items[0], SourceRecord)
    assert items[0].pmid == "20000000"
