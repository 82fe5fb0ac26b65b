"""JsonlReader / JsonObjectReader and FieldMapping presets.

Inline records are synthetic fixtures (made-up ids, placeholder titles). Tests marked `data` read
the first records of the real development files in ../shared/data through their presets.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from curbside.config import ChunkSettings
from curbside.domain import ReadItem, RejectedRecord, SourceKind, SourceRecord
from curbside.ingest.base import ReaderError
from curbside.ingest.chunking import chunk_sections
from curbside.ingest.jsonl import JsonlReader, JsonObjectReader
from curbside.ingest.mappings import PRESETS, FieldMapping, clean_title, get_preset


def _write_lines(path: Path, lines: Sequence[str | bytes]) -> Path:
    data = b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def _records(items: list[ReadItem]) -> list[SourceRecord]:
    return [i for i in items if isinstance(i, SourceRecord)]


def _rejects(items: list[ReadItem]) -> list[RejectedRecord]:
    return [i for i in items if isinstance(i, RejectedRecord)]


# ------------------------------------------------------------------------- FieldMapping.parse
def test_parse_basic_mapping() -> None:
    m = FieldMapping.parse("id=_id,title=title,text=text,namespace=doc")
    assert (m.id, m.title, m.text, m.id_namespace) == ("_id", "title", "text", "doc")


def test_parse_preset_name_and_override() -> None:
    assert FieldMapping.parse("ngc") is PRESETS["ngc"]
    m = FieldMapping.parse("preset=beir,title=headline,section.CONCLUSIONS=concl,meta.src=a.b")
    assert m.id == "_id" and m.pmid_from_id is True
    assert m.title == "headline"
    assert m.named_sections == (("CONCLUSIONS", "concl"),)
    assert ("src", "a.b") in m.meta


def test_parse_kind_and_flags() -> None:
    m = FieldMapping.parse("id=k,kind=guideline,allow_title_only=false,on_duplicate=suffix")
    assert m.kind is SourceKind.GUIDELINE
    assert m.allow_title_only is False
    assert m.on_duplicate_id == "suffix"


@pytest.mark.parametrize(("text", "needle"), [
    ("id=x,bogus=y", "unknown field mapping key 'bogus'"),
    ("id=x,kind=nonsense", "unknown kind 'nonsense'"),
    ("nosuchpreset", "unknown mapping preset 'nosuchpreset'"),
    ("id", "unknown mapping preset"),
    ("", "empty field mapping"),
])
def test_parse_errors_are_clear(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        FieldMapping.parse(text)


def test_get_preset_lists_presets() -> None:
    with pytest.raises(ValueError, match="ngc"):
        get_preset("zzz")


def test_clean_title_tidies_punctuation() -> None:
    assert clean_title("Who is at risk for Parasites - Taeniasis? ?") == (
        "Who is at risk for Parasites - Taeniasis?")
    assert clean_title("A &amp; B: <i>study</i> , done .") == "A & B: study, done."


def test_comparison_signs_survive_cleaning(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "p.jsonl", [json.dumps(
        {"id": "1", "title": "T", "text": "Mortality fell (P < 0.05) in patients aged > 65."})])
    [r] = list(JsonlReader().read(path))
    assert isinstance(r, SourceRecord)
    assert r.sections[0].text == "Mortality fell (P < 0.05) in patients aged > 65."


# ------------------------------------------------------------------------- JsonlReader
def test_jsonl_maps_fields_and_dotted_paths(tmp_path: Path) -> None:
    mapping = FieldMapping.parse(
        "id=meta.id,namespace=doc,title=t,text=body.abstract,container=j.name,year=date,"
        "authors=au,doi=ids.doi,url=link,pt=types,mesh=mesh,meta.topic=topic"
    )
    rec = {"meta": {"id": "A-1"}, "t": "Aspirin &amp; <i>clopidogrel</i>",
           "body": {"abstract": "Some   text here."}, "j": {"name": "J Test"},
           "date": "2004 Mar", "au": ["Doe J", "Roe R"], "ids": {"doi": "doi:10.1/x"},
           "link": "https://example.org/a", "types": "Randomized Controlled Trial; Journal Article",
           "mesh": ["Aspirin"], "topic": "cardio"}
    path = _write_lines(tmp_path / "a.jsonl", [json.dumps(rec)])
    [r] = list(JsonlReader(mapping).read(path))
    assert isinstance(r, SourceRecord)
    assert r.external_id == "doc:A-1"
    assert r.title == "Aspirin & clopidogrel"
    assert [(s.label, s.text) for s in r.sections] == [(None, "Some text here.")]
    assert r.container == "J Test" and r.year == 2004
    assert r.authors == ["Doe J", "Roe R"]
    assert r.doi == "10.1/x" and r.url == "https://example.org/a"
    assert r.publication_types == ["Randomized Controlled Trial", "Journal Article"]
    assert r.kind is SourceKind.RCT
    assert r.mesh_terms == ["Aspirin"] and r.meta == {"topic": "cardio"}
    assert r.origin_file == str(path) and r.origin_position == 1


def test_jsonl_bad_lines_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "bad.jsonl", [
        json.dumps({"id": "1", "title": "Good one", "text": "Body."}),
        "",                                            # blank: skipped silently
        '{"id": "2", "title": "broken"',              # invalid JSON
        json.dumps({"title": "No id", "text": "x"}),  # missing id
        json.dumps({"id": "4", "title": "", "text": "   "}),  # no title and no text
        json.dumps([1, 2, 3]),                         # not an object
        json.dumps({"id": "6", "text": "Only text."}),
    ])
    items = list(JsonlReader().read(path))
    assert [r.external_id for r in _records(items)] == ["doc:1", "doc:6"]
    rej = {r.origin_position: r for r in _rejects(items)}
    assert set(rej) == {3, 4, 5, 6}
    assert rej[3].reason.startswith("invalid JSON") and rej[3].origin_file == str(path)
    assert "broken" in rej[3].excerpt
    assert "missing record id" in rej[4].reason
    assert "no title and no text" in rej[5].reason and rej[5].record_id == "doc:4"
    assert "expected a JSON object" in rej[6].reason


def test_jsonl_invalid_utf8_is_replaced_not_rejected(tmp_path: Path) -> None:
    line = b'{"id": "u1", "title": "Caf\xe9 study", "text": "Na\xefve patients."}'
    path = _write_lines(tmp_path / "latin.jsonl", [line])
    [r] = list(JsonlReader().read(path))
    assert isinstance(r, SourceRecord)
    assert r.title == "Caf\ufffd study"
    assert r.meta["utf8_replaced"] == 2


def test_jsonl_title_only_policy(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "t.jsonl", [json.dumps({"id": "1", "title": "Only a title"})])
    [kept] = list(JsonlReader().read(path))
    assert isinstance(kept, SourceRecord) and kept.sections == []
    [rej] = list(JsonlReader(FieldMapping(allow_title_only=False)).read(path))
    assert isinstance(rej, RejectedRecord) and rej.reason.startswith("no text")


def test_jsonl_gz_and_list_sections_with_labels(tmp_path: Path) -> None:
    mapping = FieldMapping.parse("id=pmid,namespace=pmid,pmid=pmid,title=q,text=,"
                                 "sections=ctx,labels=lab,section.conclusions=ans")
    rec = {"pmid": "90000001", "q": "Does it work ?", "ctx": ["Why.", "How.", "  "],
           "lab": ["background", "methods", "results"], "ans": "It works."}
    path = _write_lines(tmp_path / "x.jsonl.gz", [json.dumps(rec)])
    [r] = list(JsonlReader(mapping).read(path))
    assert isinstance(r, SourceRecord)
    assert r.title == "Does it work?"
    assert [(s.label, s.text) for s in r.sections] == [
        ("BACKGROUND", "Why."), ("METHODS", "How."), ("CONCLUSIONS", "It works.")]
    assert r.pmid == "90000001" and r.external_id == "pmid:90000001"


def test_jsonl_duplicate_ids_suffixed_when_asked(tmp_path: Path) -> None:
    titles = ("First", "Second", "Second")
    lines = [json.dumps({"id": "d1", "title": t, "text": "x"}) for t in titles]
    path = _write_lines(tmp_path / "d.jsonl", lines)
    keep = [r.external_id for r in _records(list(JsonlReader().read(path)))]
    assert keep == ["doc:d1"] * 3
    suffixed = _records(list(JsonlReader(FieldMapping(on_duplicate_id="suffix")).read(path)))
    assert [r.external_id for r in suffixed] == ["doc:d1", "doc:d1~second", "doc:d1~second-2"]
    assert suffixed[1].meta["duplicate_of"] == "doc:d1"


def test_jsonl_null_markers_and_nan_year(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "n.jsonl", [
        json.dumps({"id": "1", "title": "T", "text": "nan", "year": "nan", "authors": ""})])
    mapping = FieldMapping.parse("year=year,authors=authors")
    [r] = list(JsonlReader(mapping).read(path))
    assert isinstance(r, SourceRecord)
    assert r.sections == [] and r.year is None and r.authors == []


def test_jsonl_unreadable_paths_raise_reader_error(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="no such file"):
        list(JsonlReader().read(tmp_path / "missing.jsonl"))
    with pytest.raises(ReaderError, match="is a directory"):
        list(JsonlReader().read(tmp_path))
    bad = tmp_path / "trunc.jsonl.gz"
    full = gzip.compress(b"".join(
        json.dumps({"id": str(i), "title": "T", "text": "x" * 50}).encode() + b"\n"
        for i in range(200)))
    bad.write_bytes(full[: len(full) // 2])
    with pytest.raises(ReaderError, match="trunc.jsonl.gz"):
        list(JsonlReader().read(bad))


def test_jsonl_streams_lazily(tmp_path: Path) -> None:
    lines = [json.dumps({"id": str(i), "title": f"T{i}", "text": "x"}) for i in range(1000)]
    path = _write_lines(tmp_path / "big.jsonl", lines)
    it = JsonlReader().read(path)
    first = list(itertools.islice(it, 3))
    assert [r.external_id for r in _records(first)] == ["doc:0", "doc:1", "doc:2"]


# ------------------------------------------------------------------------- JsonObjectReader
def test_json_object_keyed_by_id(tmp_path: Path) -> None:
    doc = {"90000001": {"QUESTION": "Is A better than B?", "CONTEXTS": ["Ctx one.", "Ctx two."],
                        "LABELS": ["BACKGROUND", "RESULTS"], "MESHES": ["Humans"],
                        "YEAR": "2010", "LONG_ANSWER": "A is better.", "final_decision": "yes"},
           "90000002": {"QUESTION": "Q2?", "CONTEXTS": [], "LABELS": [], "YEAR": "2011"}}
    path = tmp_path / "qa.json.gz"
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    items = list(JsonObjectReader(PRESETS["pubmedqa"]).read(path))
    r = items[0]
    assert isinstance(r, SourceRecord)
    assert r.external_id == "pmid:90000001" and r.pmid == "90000001" and r.year == 2010
    assert [s.label for s in r.sections] == ["BACKGROUND", "RESULTS", "CONCLUSIONS"]
    assert r.meta["final_decision"] == "yes" and r.mesh_terms == ["Humans"]
    # Second record has a title but no text: kept (allow_title_only) with no sections.
    assert isinstance(items[1], SourceRecord) and items[1].origin_position == 2

    noc = list(JsonObjectReader(PRESETS["pubmedqa-noconclusion"]).read(path))[0]
    assert isinstance(noc, SourceRecord)
    assert [s.label for s in noc.sections] == ["BACKGROUND", "RESULTS"]
    assert "final_decision" not in noc.meta
    assert all("A is better" not in s.text for s in noc.sections)


def test_json_list_of_objects_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"id": "1", "title": "One", "text": "x"}, {"title": "no id"}, 5]))
    items = list(JsonObjectReader().read(path))
    assert isinstance(items[0], SourceRecord) and items[0].external_id == "doc:1"
    assert isinstance(items[1], RejectedRecord) and items[1].origin_position == 2
    assert isinstance(items[2], RejectedRecord) and "expected a JSON object" in items[2].reason

    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ')
    with pytest.raises(ReaderError, match="broken.json: invalid JSON document"):
        list(JsonObjectReader().read(broken))
    with pytest.raises(ReaderError, match="too big"):
        list(JsonObjectReader(max_bytes=4).read(path))


# ------------------------------------------------------------------------- presets (synthetic)
def test_ngc_preset_synthetic(tmp_path: Path) -> None:
    rec = {"ngc_id": "ngc-99999", "title": "Synthetic guideline on thing management.",
           "year": 2012, "developer": "Example Society - Medical Specialty Society",
           "status": "This is the current release of the guideline.",
           "major_recommendations": "Do the thing (Grade A).",
           "disease_condition": "Thing disorder", "date_released": "2012 Jan",
           "bibliographic_source": "Example Society. Synthetic guideline. 2012.",
           "copyright_statement": "c",
           "fields": {"Potential Harms": "Rare harm.", "Contraindications": "Not stated",
                      "Target Population": "Adults"}}
    path = _write_lines(tmp_path / "guidelines_ngc.jsonl", [json.dumps(rec)])
    [r] = list(JsonlReader(PRESETS["ngc"]).read(path))
    assert isinstance(r, SourceRecord)
    assert r.external_id == "ngc:ngc-99999" and r.kind is SourceKind.GUIDELINE
    assert r.container == "Example Society" and r.year == 2012
    assert [s.label for s in r.sections] == [
        "RECOMMENDATIONS", "DISEASE/CONDITION", "TARGET POPULATION", "POTENTIAL HARMS"]
    assert r.meta["developer"] == "Example Society - Medical Specialty Society"
    assert r.meta["date_released"] == "2012 Jan" and "status" in r.meta


def test_cohen_preset_synthetic(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "c.jsonl", [
        json.dumps({"pubmedID": "90000001", "title": "A randomized trial of X.",
                    "authors": "A Author; B Author", "abstract": "Abs.", "year": "1999.0",
                    "review_topic": "T"}),
        json.dumps({"pubmedID": "90000002", "title": "Title only cohort study.",
                    "authors": "", "abstract": "", "year": "2001.0"}),
        json.dumps({"pubmedID": "90000003", "title": "", "authors": "", "abstract": "",
                    "year": ""}),
    ])
    items = list(JsonlReader(PRESETS["cohen2006"]).read(path))
    a, b, c = items
    assert isinstance(a, SourceRecord) and a.pmid == "90000001" and a.year == 1999
    assert a.authors == ["A Author", "B Author"] and a.kind is SourceKind.RCT
    assert isinstance(b, SourceRecord) and b.sections == [] and b.kind is SourceKind.OBSERVATIONAL
    assert isinstance(c, RejectedRecord) and c.record_id == "pmid:90000003"
    assert c.origin_position == 3


def test_medquad_preset_synthetic(tmp_path: Path) -> None:
    base = {"qtype": "information", "source": "MPlusHealthTopics", "url": "https://x.example/a",
            "collection": "4_MPlus_Health_Topics_QA", "doc_id": "0000001", "cuis": ["C1"]}
    path = _write_lines(tmp_path / "m.jsonl", [
        json.dumps({**base, "qid": "0000001-1", "question": "What is (are) Thing ?",
                    "focus": "Thing", "answer": "Thing is a thing."}),
        json.dumps({**base, "qid": "0000001-1", "question": "What is (are) Other ?",
                    "focus": "Other", "answer": "Other."}),
    ])
    a, b = list(JsonlReader(PRESETS["medquad"]).read(path))
    assert isinstance(a, SourceRecord) and isinstance(b, SourceRecord)
    assert a.external_id == "medquad:4_MPlus_Health_Topics_QA/0000001-1"
    assert b.external_id != a.external_id and b.external_id.startswith(a.external_id + "~")
    assert a.kind is SourceKind.PATIENT_INFO and a.container == "MedlinePlus"
    assert a.title == "What is (are) Thing?" and a.url == "https://x.example/a"
    assert a.meta["focus"] == "Thing" and a.meta["question"] == "What is (are) Thing ?"


def test_medquad_preset_cuts_the_hpo_table_into_its_own_section(tmp_path: Path) -> None:
    # GARD flattens a table into the answer; glued to the note after it, table and note were
    # one "sentence" that could lead an article.
    note = ("The Human Phenotype Ontology (HPO) has collected information on how often a sign "
            "or symptom occurs in a condition. In these cases, the sign or symptom may be rare.")
    table = ("Signs and Symptoms Approximate number of patients (when available) Arrhythmia "
             "90% Anemia 7.5%")
    prose = "People with long QT syndrome may faint. You can use the dictionary."
    base = {"qtype": "symptoms", "source": "GARD", "url": "https://x.example/a",
            "collection": "2_GARD_QA", "doc_id": "1", "focus": "Long QT syndrome",
            "question": "What are the symptoms of Long QT syndrome ?"}
    path = _write_lines(tmp_path / "m.jsonl", [
        json.dumps({**base, "qid": "1-1", "answer": f"{prose} {table} {note}"}),
        json.dumps({**base, "qid": "1-2", "answer": f"{prose} {table}"}),  # at the end
        json.dumps({**base, "qid": "1-3", "answer": f"{table} {note}"}),  # at the start
        json.dumps({**base, "qid": "1-4", "answer": prose}),  # no table: one section
    ])
    a, b, c, d = list(JsonlReader(PRESETS["medquad"]).read(path))
    assert isinstance(a, SourceRecord) and isinstance(b, SourceRecord)
    assert isinstance(c, SourceRecord) and isinstance(d, SourceRecord)
    assert [(s.label, s.text) for s in a.sections] == [
        (None, prose), ("HPO TABLE", table), (None, note)]
    assert [(s.label, s.text) for s in b.sections] == [(None, prose), ("HPO TABLE", table)]
    assert [(s.label, s.text) for s in c.sections] == [("HPO TABLE", table), (None, note)]
    assert [(s.label, s.text) for s in d.sections] == [(None, prose)]
    # no passage crosses a section, so no sentence holds the table and the note together
    drafts = chunk_sections(a.sections, external_id=a.external_id, version=1,
                            settings=ChunkSettings())
    assert not any("90%" in p.text and "HPO" in p.text for p in drafts)


def test_beir_preset_sets_pmid_only_for_numeric_ids(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "corpus.jsonl", [
        json.dumps({"_id": "90000001", "title": "", "text": "Snippet."}),
        json.dumps({"_id": "MED-1", "title": "T", "text": "Text."}),
    ])
    a, b = list(JsonlReader(PRESETS["beir"]).read(path))
    assert isinstance(a, SourceRecord) and isinstance(b, SourceRecord)
    assert a.external_id == "doc:90000001" and a.pmid == "90000001"
    assert b.external_id == "doc:MED-1" and b.pmid is None


# ------------------------------------------------------------------------- real data
def _first(reader: JsonlReader | JsonObjectReader, path: Path, n: int) -> list[ReadItem]:
    return list(itertools.islice(reader.read(path), n))


@pytest.mark.data
def test_data_ngc(shared_data: Path) -> None:
    items = _first(JsonlReader(PRESETS["ngc"]), shared_data / "corpus/guidelines_ngc.jsonl.gz", 50)
    recs = _records(items)
    assert len(recs) == 50
    first = recs[0]
    assert first.external_id == "ngc:ngc-2052"
    assert first.title.startswith("Practice parameter: thymectomy for autoimmune myasthenia")
    assert first.year == 2000 and first.container == "American Academy of Neurology"
    for r in recs:
        assert r.kind is SourceKind.GUIDELINE
        assert r.sections[0].label == "RECOMMENDATIONS" and len(r.sections[0].text) > 100
        assert r.year is not None and 1985 <= r.year <= 2019
        assert r.external_id.startswith("ngc:ngc-")
        assert "status" in r.meta and "bibliographic_source" in r.meta
        assert all(s.text.strip().lower() not in {"none provided", "not stated"}
                   for s in r.sections)


@pytest.mark.data
def test_data_medquad(shared_data: Path) -> None:
    items = _first(JsonlReader(PRESETS["medquad"]),
                   shared_data / "corpus/medquad_answers.jsonl.gz", 300)
    recs = _records(items)
    assert len(recs) == 300
    assert recs[0].external_id == "medquad:1_CancerGov_QA/0000001_1-1"
    assert recs[0].title == "What is (are) Adult Acute Lymphoblastic Leukemia?"
    assert recs[0].container == "National Cancer Institute (cancer.gov)"
    assert len({r.external_id for r in recs}) == len(recs)  # 0000013_2-1 repeats in the file
    for r in recs:
        assert r.kind is SourceKind.PATIENT_INFO
        assert r.url and r.url.startswith("http")
        assert r.sections and len(r.sections[0].text) > 20


@pytest.mark.data
def test_data_pubmedqa(shared_data: Path) -> None:
    path = shared_data / "corpus/pubmedqa_pqal.json.gz"
    recs = _records(_first(JsonObjectReader(PRESETS["pubmedqa"]), path, 100))
    assert len(recs) == 100
    first = recs[0]
    assert first.external_id == "pmid:21645374" and first.pmid == "21645374"
    assert first.year == 2011 and "Mitochondria" in first.mesh_terms
    assert [s.label for s in first.sections] == ["BACKGROUND", "RESULTS", "CONCLUSIONS"]
    assert first.meta["final_decision"] == "yes"
    for r in recs:
        assert r.sections[-1].label == "CONCLUSIONS"
        assert all(s.label for s in r.sections)
        assert r.meta["final_decision"] in {"yes", "no", "maybe"}
    noc = _records(_first(JsonObjectReader(PRESETS["pubmedqa-noconclusion"]), path, 100))
    assert all("CONCLUSIONS" not in {s.label for s in r.sections} for r in noc)


@pytest.mark.data
def test_data_cohen(shared_data: Path) -> None:
    items = _first(JsonlReader(PRESETS["cohen2006"]),
                   shared_data / "corpus/medline_cohen2006.jsonl.gz", 400)
    recs, rejects = _records(items), _rejects(items)
    first = recs[0]
    assert first.external_id == "pmid:10024335" and first.pmid == "10024335"
    assert first.authors[:2] == ["P Nazzaro", "M Manzari"] and first.year == 1999
    assert "review_topic" not in first.meta  # repeated PMIDs across topics stay one version
    assert rejects, "records with neither title nor abstract must be rejected"
    assert {r.origin_position for r in rejects} >= {20}  # record_id 20 has no title/abstract
    assert all("no title and no text" in r.reason for r in rejects)
    with_authors = [r for r in recs if r.authors]
    assert len(with_authors) > 0.9 * len(recs)
    assert all(r.pmid and r.pmid.isdigit() for r in recs)


@pytest.mark.data
def test_data_beir(shared_data: Path) -> None:
    nf = _records(_first(JsonlReader(PRESETS["beir"]),
                         shared_data / "benchmarks/nfcorpus/corpus.jsonl", 20))
    assert nf[0].external_id == "doc:MED-10" and nf[0].pmid is None
    bio = _records(_first(JsonlReader(PRESETS["beir"]),
                          shared_data / "benchmarks/bioasq/corpus.jsonl", 20))
    assert bio[0].external_id == "doc:11399017" and bio[0].pmid == "11399017"
