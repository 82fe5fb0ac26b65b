"""Question focus: concepts by vocabulary, never a generic word; what is asked."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from curbside.understand.focus import (
    Ask,
    FocusError,
    analyze_focus,
    mesh_index,
    parse_focus_lists,
)


def labels(question: str) -> list[str]:
    return [c.label.lower() for c in analyze_focus(question).concepts]


def test_generic_words_never_make_a_concept() -> None:
    assert labels("Any thoughts on a mild muscle relaxant?") == ["muscle relaxant"]
    f = analyze_focus("Any thoughts on a mild muscle relaxant?")
    assert not f.mentions("Ask patients about suicidal thoughts at every visit.")
    assert f.mentions("Cyclobenzaprine is a muscle relaxant used for acute back pain.")
    # "mom", "take", "weekend", "help" are no concept either; a broad word is the focus
    # only when nothing more specific is
    assert labels("My mom wants to take something this weekend to help her sleep") == ["sleep"]
    assert labels("Is SI joint pain common?") == ["si"]


def test_a_word_written_as_a_symbol_is_a_primary_concept() -> None:
    # BioASQ dev: MeSH reads "lead" as the metal; the gene and the process are the subject
    f = analyze_focus("Does GRHL2 over-expression lead to EMT?")
    assert [c.label for c in f.concepts if c.kind == "symbol"] == ["grhl2", "emt"]
    assert f.on_focus("Over-expression of Grhl2 is sufficient to induce epithelial genes.")
    assert not f.on_focus("Over-expression of the receptor is sufficient to induce genes.")
    f = analyze_focus("Are lamina-associated domains (LADs) associated with transcriptional "
                      "activation?")
    assert "lads" in [c.label for c in f.primary]
    assert f.on_focus("Such LADs have been associated with gene repression.")
    # an ordinary word run beside it is still no gate: "associated" alone never counts
    assert not f.on_focus("Smoking is associated with cancer.")
    # not a Roman numeral, a dose ("500MG"), a question typed in capitals, a known drug or
    # abbreviation
    assert "symbol" not in [c.kind for c in analyze_focus("Is glycogen storage disease type "
                                                          "IX inherited?").concepts]
    assert "symbol" not in [c.kind for c in analyze_focus("Metformin ER 500MG side effects")
                            .concepts]
    assert [c.kind for c in analyze_focus("WHAT IS ASPIRIN USED FOR").concepts] == ["drug"]
    assert [c.kind for c in analyze_focus("Is SI joint pain common?").concepts][0] == (
        "abbreviation")


def test_a_symbol_counts_with_or_without_its_hyphen() -> None:
    # BioASQ dev: "LB-100" was the word "lb", and "BNN20" missed every "BNN-20" sentence, so
    # a sentence naming only the disease or "clinical trials" led
    f = analyze_focus("Has LB-100 been tested in clinical trials?")
    assert "lb-100" in [c.label for c in f.primary]
    for written in ("LB-100", "LB100", "LB 100"):
        assert f.on_focus(f"{written} inhibits protein phosphatase 2A in solid tumours.")
    assert not f.mentions("One lb is 454 g; 100 patients were weighed.")
    f = analyze_focus("Is BNN20 involved in Parkinson's disease?")
    assert "bnn20" in [c.label for c in f.concepts if c.kind == "symbol"]
    bnn = next(c for c in f.concepts if c.label == "bnn20")
    assert bnn in f.mentions("These results suggest BNN-20 as a neuroprotective agent.")
    assert bnn not in f.mentions("BNN cells were counted in 20 fields.")
    f = analyze_focus("Is Pim-1 a protein phosphatase?")
    assert "pim-1" in [c.label for c in f.concepts if c.kind == "symbol"]
    assert f.on_focus("PIM1 phosphorylates a series of substrates.")
    # not in a question typed in capitals, nor a word without a capital ("type-2")
    assert "symbol" not in [c.kind for c in analyze_focus("HAS LB-100 BEEN TESTED?").concepts]
    assert "symbol" not in [c.kind for c in analyze_focus("Is type-2 diabetes curable?")
                            .concepts]


def test_mesh_finds_a_descriptor_with_one_modifier_missing() -> None:
    f = analyze_focus("Am I contagious with respiratory infection?")
    assert [(c.kind, c.ref) for c in f.concepts] == [("mesh", "D012141")]
    assert "respiratory tract infections" in f.concepts[0].forms
    # what is asked ("contagious") is not the topic
    assert not f.mentions("Kawasaki syndrome is not contagious.")
    assert f.mentions("Colds are contagious respiratory infections caused by viruses.")
    assert f.mentions("Respiratory tract infections spread by droplets.")


def test_words_that_say_what_is_asked_are_not_the_topic() -> None:
    # "get rid of", "see a doctor", "avoid" say what is asked; they made concepts of their own
    f = analyze_focus("How do you get rid of a migraine fast?")
    assert [c.label for c in f.concepts] == ["migraine"]
    assert not f.on_focus("Treatment can get rid of head lice in a day.")
    assert f.on_focus("Resting in a dark room eases a migraine.")
    assert [c.label for c in analyze_focus("When should I see a doctor for a cough?")
            .concepts] == ["cough"]
    assert "avoid" not in [c.label for c in analyze_focus(
        "What foods should I avoid with gout?").concepts]
    # "outlook" is a lay word for the prognosis asked about, not a topic
    assert [c.label for c in analyze_focus("What is the outlook for Gout?").concepts] == [
        "gout"]


def test_a_broad_word_of_a_name_never_stands_alone() -> None:
    # "syndrome" was a form of "Wells-Jankovic syndrome": every page on a syndrome was on focus
    f = analyze_focus("What are the symptoms of Wells-Jankovic syndrome ?")
    assert not f.on_focus("What are the symptoms of Ehlers-Danlos syndrome?")
    assert f.on_focus("Wells-Jankovic syndrome causes weak muscles.")
    assert f.on_focus("People with the Jankovic type have weak muscles.")
    assert not analyze_focus("What is Leigh disorder?").on_focus("Every disorder is rare.")


def test_pregnancy_stays_beside_the_condition_and_lay_postpartum_depression() -> None:
    # being pregnant changes the answer: it is not a broad word dropped beside "back pain"
    f = analyze_focus("Is back pain during pregnancy normal?")
    assert [c.label for c in f.primary] == ["back pain", "pregnancy"]
    f = analyze_focus("How common is depression after having a baby?")
    assert f.ask == Ask.FREQUENCY and [c.kind for c in f.primary] == ["synonym"]
    assert f.on_focus("Women can also get postpartum depression after the birth of a baby.")
    assert not f.on_focus("Depression is a common problem among older adults.")


def test_cancer_names_the_mesh_neoplasm() -> None:
    f = analyze_focus("My mom has stage IV colorectal cancer, what are her options?")
    assert f.ask == Ask.TREATMENT
    assert ("mesh", "D015179") in [(c.kind, c.ref) for c in f.concepts]
    assert not f.mentions(
        "A nurse can refer families to paediatric brain tumour programmes for support."
    )
    assert f.mentions("Chemotherapy prolongs survival in metastatic colorectal cancer.")


def test_drugs_abbreviations_and_synonyms_are_concepts() -> None:
    f = analyze_focus("Can I take ibuprofen with lisinopril?")
    assert [c.kind for c in f.concepts] == ["drug", "drug"]
    assert f.ask == Ask.INTERACTION
    assert f.mentions("Motrin may reduce the effect of ACE inhibitors.")  # a brand name
    f = analyze_focus("Is SI joint pain common?")
    assert f.concepts[0].kind == "abbreviation"
    assert f.mentions("Sacroiliac joint dysfunction causes 15% of low back pain.")
    assert not f.mentions("Knee joint pain is common in older adults.")
    f = analyze_focus("Does high blood pressure cause headaches?")
    assert f.mentions("Hypertension is rarely a cause of headache.")


def test_an_injury_named_by_a_modifier_is_one_concept_not_the_body_part() -> None:
    # "sprained ankle" was the body part "ankle", so any sentence on the ankle was on focus
    f = analyze_focus("What should I do for a sprained ankle?")
    assert [c.kind for c in f.primary] == ["synonym"]
    assert f.mentions("Ankle sprains and fractures are common sports injuries.")
    assert not f.mentions("Your ankle bone and the ends of your two lower leg bones make up "
                          "the ankle joint.")
    assert analyze_focus("How long does a broken wrist take to heal?").mentions(
        "A distal radius fracture usually heals in six weeks.")


def test_what_is_asked_never_starts_a_topic() -> None:
    # "symptoms of a urinary tract" read as the MeSH descriptor Lower Urinary Tract Symptoms
    # ("lower" is a stopword), so the infection was not the focus
    f = analyze_focus("What are the symptoms of a urinary tract infection?")
    assert f.ask == Ask.SYMPTOMS
    assert f.mentions("A urinary tract infection can cause a burning feeling when you urinate.")
    assert not f.mentions("Lower urinary tract symptoms are common in older men.")
    f = analyze_focus("What are the early warning signs of diabetes?")
    assert f.ask == Ask.SYMPTOMS
    assert not f.mentions("Early treatment of a stroke limits the damage.")


@pytest.mark.parametrize(
    ("question", "ask"),
    [
        ("Is aspirin effective for preventing stroke?", Ask.YES_NO),
        ("How much vitamin C should I take for a cold?", Ask.DOSE),
        ("What are the side effects of metformin?", Ask.SIDE_EFFECTS),
        ("How common is atrial fibrillation in older adults?", Ask.FREQUENCY),
        ("What causes gout?", Ask.CAUSE),
        ("How is celiac disease diagnosed?", Ask.DIAGNOSIS),
        ("What is the best treatment for plantar fasciitis?", Ask.TREATMENT),
        ("What is the life expectancy with ALS?", Ask.PROGNOSIS),
        ("My baby has a rash and fever, what should I do?", Ask.ACTION),
        ("What is sciatica?", Ask.DEFINITION),
        ("What are the signs of a stroke?", Ask.SYMPTOMS),
        ("What does a heart attack feel like?", Ask.SYMPTOMS),
        ("warning signs of diabetes in children", Ask.SYMPTOMS),
        # "common" inside a name asks nothing about frequency
        ("Why does cold weather cause the common cold?", Ask.CAUSE),
        ("What is common variable immunodeficiency?", Ask.DEFINITION),
        ("How common is the common cold in children?", Ask.FREQUENCY),
        # "how often" about getting or taking something asks for a schedule
        ("pneumococcal vaccine how often?", Ask.DOSE),
        ("how often do you need a tetanus shot", Ask.DOSE),
        ("How often is the flu vaccine given to older adults?", Ask.DOSE),
        ('how often is the tetanus shot "given?"', Ask.DOSE),  # quoted, as asked
        ("How often does lupus cause kidney disease?", Ask.FREQUENCY),
        ("How often do children get ear infections?", Ask.FREQUENCY),
        # patients' words for a treatment question and for a combination
        ("What helps with a sore throat?", Ask.TREATMENT),
        ("What helps a stuffy nose?", Ask.TREATMENT),
        ("What can I take for a headache while pregnant?", Ask.TREATMENT),
        ("How can I lower my cholesterol naturally?", Ask.TREATMENT),
        ("Is it safe to take ibuprofen and acetaminophen together?", Ask.INTERACTION),
        ("Is it safe to take ibuprofen for a headache?", Ask.YES_NO),
        ("What can I do about my back pain?", Ask.ACTION),
    ],
)
def test_what_is_asked(question: str, ask: Ask) -> None:
    assert analyze_focus(question).ask == ask


def test_coverage_weighs_vocabulary_concepts_above_word_runs() -> None:
    f = analyze_focus("Does sacroiliac joint stiffness improve with exercise?")
    kinds = {c.label.lower(): c.kind for c in f.concepts}
    assert kinds.get("stiffness") == "words"
    whole = f.coverage("Sacroiliac joint stiffness eases with regular exercise.")
    part = f.coverage("Morning stiffness is common.")
    assert 0 < part < whole <= 1


def test_mesh_index_and_knowledge_file_checks() -> None:
    index = mesh_index()
    assert len(index) > 20000
    assert all(t.branches for t in list(index.values())[:100])
    with pytest.raises(FocusError, match="asks.nonsense"):
        parse_focus_lists(
            "generic: [a]\nask_words: [b]\nbroad_mesh: [c]\n"
            "asks:\n  nonsense:\n    reason: x\n    patterns: ['y']\n"
        )
    with pytest.raises(FocusError, match=r"asks.dose.patterns\[0\]"):
        parse_focus_lists(
            "generic: [a]\nask_words: [b]\nbroad_mesh: [c]\n"
            "asks:\n  dose:\n    reason: x\n    patterns: ['(']\n"
        )
    with pytest.raises(FocusError, match="'generic'"):
        parse_focus_lists(
            "generic: 3\nask_words: [b]\nbroad_mesh: [c]\n"
            "asks:\n  dose:\n    reason: x\n    patterns: ['y']\n"
        )


def test_odd_input_never_raises() -> None:
    for q in ("", "???", "\x00\x01", "a" * 5000, "🙂 " * 50):
        analyze_focus(q)


def test_mesh_index_cache_round_trips_and_rebuilds_a_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached MeSH index reads back equal to a fresh build (same entries, same order); a
    damaged cache file is rebuilt, and ``CURBSIDE_MESH_CACHE=off`` builds in memory only."""
    from curbside.understand import focus as focus_mod

    monkeypatch.setenv("CURBSIDE_CACHE_DIR", str(tmp_path))
    built = focus_mod._build_mesh_index()
    first = focus_mod.mesh_index.__wrapped__()  # builds and writes the cache
    path = focus_mod.mesh_cache_path()
    assert path is not None and path.is_file() and path.parent == tmp_path
    again = focus_mod.mesh_index.__wrapped__()  # reads the cache
    assert list(first.items()) == list(built.items()) == list(again.items())
    path.write_bytes(b"not a database")
    assert focus_mod.mesh_index.__wrapped__() == built
    assert path.read_bytes() != b"not a database"  # rewritten
    monkeypatch.setenv("CURBSIDE_MESH_CACHE", "off")
    assert focus_mod.mesh_cache_path() is None
    assert focus_mod.mesh_index.__wrapped__() == built


def test_mesh_term_reads_the_cache_file_as_the_index_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mesh_term` (what a question's focus looks up) answers from the cache file exactly as
    `mesh_index()` does: every key, a missing key, and without a cache (``off``)."""
    from curbside.understand import focus as focus_mod

    monkeypatch.setenv("CURBSIDE_CACHE_DIR", str(tmp_path))
    index = focus_mod.mesh_index.__wrapped__()  # writes the cache file
    lookup = focus_mod._mesh_lookup.__wrapped__()
    assert isinstance(lookup, focus_mod._MeshFile)
    assert all(lookup(k) == t for k, t in index.items())
    assert lookup(("no-such-stem",)) is None and lookup(()) is None
    looked_up: list[object] = []
    other = threading.Thread(target=lambda: looked_up.append(lookup(next(iter(index)))))
    other.start()  # the API server answers in several threads: one connection each
    other.join()
    assert looked_up == [next(iter(index.values()))]
    monkeypatch.setenv("CURBSIDE_MESH_CACHE", "off")
    assert focus_mod._mesh_lookup.__wrapped__()(next(iter(index))) == next(iter(index.values()))


@pytest.mark.parametrize(("question", "label", "number"), [
    ("What are the symptoms of Long QT syndrome 1 ?", "long qt syndrome", "1"),
    ("What are the early signs of type 2 diabetes?", "diabetes", "2"),
    ("What is the outlook for stage IV colorectal cancer?", "colorectal cancer", "4"),
    ("What causes mucopolysaccharidosis type VII ?", "mucopolysaccharidosis", "7"),
    ("What is (are) Charcot-Marie-Tooth disease type 2K ?", "charcot marie tooth disease", "2k"),
    ("What are the treatments for trisomy 18 ?", "trisomy", "18"),
])
def test_a_subtype_number_is_read_with_its_concept(question: str, label: str,
                                                     number: str) -> None:
    f = analyze_focus(question)
    assert (label, number) in f.designators


def test_subtype_names_the_same_another_or_none() -> None:
    f = analyze_focus("What are the symptoms of Long QT syndrome 1 ?")
    assert f.subtype("Long QT syndrome 1 causes fainting.") is True
    assert f.subtype("Long QT syndrome 3 causes fainting.") is False
    assert f.subtype("Long QT syndrome causes fainting.") is None
    assert f.subtype("Fainting is common.") is None
    # written as a roman numeral, or after a designator word, it is the same number
    f = analyze_focus("What causes mucopolysaccharidosis type VII ?")
    assert f.subtype("Mucopolysaccharidosis type 7 is caused by GUSB mutations.") is True
    assert f.subtype("Mucopolysaccharidosis type I is caused by IDUA mutations.") is False


@pytest.mark.parametrize("question", [
    "Is aspirin 81 mg safe?",  # a drug's strength
    "My son has had asthma 5 years, what helps?",  # a duration
    "Is Long QT syndrome 1 or 2 worse?",  # several subtypes
    "My baby has a fever 102, what should I do?",  # a reading
    "My child has a fever 39 C, is that high?",  # a reading with its unit
    "What causes back pain?",
])
def test_a_number_that_is_no_subtype_is_not_read_as_one(question: str) -> None:
    assert analyze_focus(question).designators == ()
