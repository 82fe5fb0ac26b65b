from curbside.config import ChunkSettings
from curbside.domain import Section
from curbside.ingest.chunking import SECTION_SEPARATOR, chunk_sections, source_text
from curbside.text.sentences import sentence_spans, split_sentences


def test_does_not_split_on_abbreviations_numbers_and_p_values() -> None:
    text = (
        "Smith et al. reported a 2.5 mg dose vs. placebo (p < 0.05). "
        "See Fig. 2, e.g. the survival curve, i.e. the main result. "
        "J. Smith and S. aureus were named. Results improved! Was it robust? Yes."
    )
    assert split_sentences(text) == [
        "Smith et al. reported a 2.5 mg dose vs. placebo (p < 0.05).",
        "See Fig. 2, e.g. the survival curve, i.e. the main result.",
        "J. Smith and S. aureus were named.",
        "Results improved!",
        "Was it robust?",
        "Yes.",
    ]


def test_splits_after_units_and_closing_brackets() -> None:
    text = 'Patients received 5 mg. Outcomes were better (n = 40). Quotes end "here." Next one.'
    assert split_sentences(text) == [
        "Patients received 5 mg.",
        "Outcomes were better (n = 40).",
        'Quotes end "here."',
        "Next one.",
    ]


def test_lowercase_continuation_is_not_a_boundary() -> None:
    assert split_sentences("The dose was approx. ten tablets. Then it stopped.") == [
        "The dose was approx. ten tablets.",
        "Then it stopped.",
    ]


def test_spans_are_exact_offsets() -> None:
    text = "  First one.  Second one?\nThird.  "
    for a, b in sentence_spans(text):
        assert text[a:b] == text[a:b].strip()
    assert [text[a:b] for a, b in sentence_spans(text)] == ["First one.", "Second one?", "Third."]


def test_empty_and_whitespace() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n ") == []


def test_chunks_keep_sections_offsets_and_stable_ids() -> None:
    sections = [
        Section("Low back pain is common. Most episodes improve within weeks.", "BACKGROUND"),
        Section(" ".join(f"Sentence number {i} is here." for i in range(60)), "RESULTS"),
        Section("Exercise therapy is recommended.", "CONCLUSIONS"),
    ]
    settings = ChunkSettings(target_chars=200, max_chars=400)
    drafts = chunk_sections(sections, external_id="doc:1", version=1, settings=settings)
    full = source_text(sections)
    assert SECTION_SEPARATOR in full
    labels = [d.section for d in drafts]
    assert labels[0] == "BACKGROUND" and labels[-1] == "CONCLUSIONS"
    assert labels.count("RESULTS") > 1
    for d in drafts:
        assert full[d.char_start : d.char_end] == d.text
        assert len(d.text) <= settings.max_chars
        assert d.text.endswith(".")  # whole sentences only
    again = chunk_sections(sections, external_id="doc:1", version=1, settings=settings)
    assert [d.uid for d in drafts] == [d.uid for d in again]
    other = chunk_sections(sections, external_id="doc:1", version=2, settings=settings)
    assert not {d.uid for d in drafts} & {d.uid for d in other}


def test_run_on_sentence_is_cut_within_max_chars() -> None:
    sections = [Section("word " * 500)]
    drafts = chunk_sections(
        sections,
        external_id="doc:2",
        version=1,
        settings=ChunkSettings(target_chars=100, max_chars=150),
    )
    assert len(drafts) > 5
    full = source_text(sections)
    assert all(
        len(d.text) <= 150 and full[d.char_start : d.char_end].strip() == d.text for d in drafts
    )
