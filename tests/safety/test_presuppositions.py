"""Presuppositions from the question's form, the data file's schema check, and the check of
each presupposition against small hand-built evidence: a contradicting sentence flags; a
silent, agreeing or mixed one does not."""

from __future__ import annotations

import pytest

from curbside.domain import Evidence, Passage, Source, SourceKind
from curbside.safety.premises import audit_premises, evidence_premises, silent_premises
from curbside.safety.presuppositions import (
    PresuppositionError,
    claim_parts,
    evidence_sentences,
    load_presuppositions,
    parse_presuppositions,
    presuppositions,
    with_concepts,
    with_hyphen_words,
)


@pytest.mark.parametrize(("question", "form", "text"), [
    ("Since antibiotics cure viral infections, which one should I take for the flu?",
     "since_clause", "antibiotics cure viral infections"),
    ("Given that statins cause memory loss, should I stop mine?",
     "since_clause", "statins cause memory loss"),
    ("Should I stop my inhaler because steroids stunt growth in children?",
     "since_clause_after", "steroids stunt growth in children"),
    ("My doctor says surgery is the only option for my torn meniscus. What should I expect?",
     "only_option", "surgery is the only option for your torn meniscus"),
    ("Ibuprofen always causes stomach ulcers, so what can I take instead?",
     "always_never", "Ibuprofen always causes stomach ulcers"),
    ("Tylenol never damages the liver, right?", "always_never",
     "Tylenol never damages the liver"),
    ("Stress is a common cause of hair loss, so what vitamins help?", "common_cause",
     "Stress is a common cause of hair loss"),
    ("Antidepressants are the only option for depression, which one is best?", "only_option",
     "Antidepressants are the only option for depression"),
    ("Why does vaccination cause autism?", "why_question", "vaccination causes autism"),
    ("How come cracking knuckles causes arthritis?", "why_question",
     "cracking knuckles causes arthritis"),
    ("How does garlic lower blood pressure?", "how_does_question", "garlic lowers blood pressure"),
    ("How much vitamin C should I take to cure my cold?", "dose_to_cure",
     "vitamin C can cure your cold"),
    ("How long does it take... how much garlic does it take to cure high blood pressure?",
     "dose_does_it_take", "garlic can cure high blood pressure"),
    ("What's the best way to stop my statin from causing diabetes?", "best_way_to_stop",
     "statin can cause diabetes"),
    ("After the flu shot gave me the flu, should I get it again next year?", "after_x_gave_me",
     "the flu shot can cause the flu"),
])
def test_each_form(question: str, form: str, text: str) -> None:
    found = [(p.form, p.text) for p in presuppositions(question)]
    assert (form, text) in found


def test_absolute_words_are_recorded() -> None:
    (p,) = presuppositions("How much vitamin C should I take to cure my cold?")
    assert p.absolutes == ("cure",)
    (p,) = presuppositions("My doctor says surgery is the only option for my knee.")
    assert p.absolutes == ("only",) and "option" in p.frame_words


@pytest.mark.parametrize("question", [
    "Does vitamin C cure colds?",
    "Is surgery the only option for a torn meniscus?",
    "Does ibuprofen always cause stomach ulcers?",
    "Is stress a common cause of hair loss?",
    "How long does sciatica last?",
    "What causes mechanical low back pain?",
    "Can I take ibuprofen with lisinopril?",
    "How do you treat gout?",
    "Why can't I sleep at night?",
    "I always feel tired after lunch, why?",
    "My son never eats vegetables, is that a problem?",
    "Since I have diabetes, can I eat bananas?",
    "As a diabetic, can I eat bananas?",
    "What is the best treatment for ankylosing spondylitis?",
    "Is ibuprofen effective for low back pain?",
    "How much ibuprofen can I take in a day?",
])
def test_questions_that_presuppose_nothing(question: str) -> None:
    assert presuppositions(question) == []


def _ev(text: str, n: int = 1) -> Evidence:
    src = Source(id=n, external_id=f"pmid:{n}", version=1, kind=SourceKind.GUIDELINE, title="T",
                 container=None, container_abbrev=None, year=2020, authors=[], pmid=str(n),
                 doi=None, url=None, publication_types=[], mesh_terms=[], retracted=False,
                 is_current=True, content_hash="h", meta={}, ingested_at="")
    p = Passage(id=n, uid=f"u{n}", source_id=n, ord=0, section=None, text=text, char_start=0,
                char_end=len(text))
    return Evidence(passage=p, source=src)


@pytest.mark.parametrize(("question", "sentence", "kind"), [
    ("How much vitamin C should I take to cure my cold?",
     "Vitamin C supplementation does not prevent colds, but it may slightly shorten a cold.",
     "absolute"),
    ("Since antibiotics cure viral infections, which one should I take for the flu?",
     "Antibiotics do not work against viral infections such as colds and flu.", "negated"),
    ("My doctor says surgery is the only option for my torn meniscus. What should I expect?",
     "Physical therapy is an alternative to surgery for a degenerative meniscus tear.",
     "absolute"),
    ("Ibuprofen always causes stomach ulcers, so what can I take instead?",
     "NSAIDs such as ibuprofen can cause stomach ulcers in some people.", "absolute"),
    ("Tylenol never damages the liver, right?",
     "An overdose of acetaminophen (Tylenol) can damage the liver.", "absolute"),
    ("How much vitamin C should I take to cure my cold?",
     "There is no cure for the common cold.", "absolute"),
    ("Surgery is the only treatment for gallstones, so when should I have it?",
     "The usual treatment for gallstones is surgery to remove the gallbladder.", "absolute"),
    ("Antidepressants are the only option for depression, which one is best?",
     "Cognitive behavioural therapy is an alternative to antidepressants for depression.",
     "absolute"),
    ("Why does vaccination cause autism?", "Vaccination does not cause autism.", "negated"),
    ("Why does vaccination cause autism?",
     "Large studies found no link between vaccination and autism.", "negated"),
    ("Stress is a common cause of hair loss, so what vitamins help?",
     "Stress is a rare cause of permanent hair loss.", "opposite"),
    ("After the flu shot gave me the flu, should I get it again next year?",
     "The flu shot cannot cause the flu because it contains inactivated virus.", "negated"),
])
def test_contradicting_sentence_flags_and_is_cited(question: str, sentence: str,
                                                    kind: str) -> None:
    ev = _ev(sentence)
    (c,) = evidence_premises(question, [_ev("Unrelated text about knee braces.", 2), ev])
    assert c.evidence is ev and c.finding == sentence
    assert c.trigger.startswith(f"evidence:{kind}:")


@pytest.mark.parametrize(("question", "sentence"), [
    # silent: nothing about the presupposition's concepts
    ("How much vitamin C should I take to cure my cold?", "Vitamin C is found in citrus fruit."),
    ("Why does vaccination cause autism?", "Measles vaccination is given at 12 months."),
    # agreeing
    ("Why does vaccination cause autism?", "Vaccination causes autism."),
    ("What's the best way to stop my statin from causing diabetes?",
     "Statins slightly increase the risk of diabetes."),
    ("My doctor says surgery is the only option for my torn meniscus. What should I expect?",
     "Surgery is the only option for a torn meniscus that locks the knee; other options fail."),
    ("How much vitamin C should I take to cure my cold?",
     "High-dose vitamin C can cure the common cold."),
    # a hedge about a neighbouring topic is not about the presupposition
    ("Since HPV always causes cervical cancer, what are my chances?",
     "Circumcision may help prevent infection with the human papillomavirus (HPV) and penile "
     "cancer."),
    # "only" in another sense does not support, and nothing qualifies the claim
    ("Surgery is the only treatment for gallstones, so when should I have it?",
     "Surgery for gallstones is only needed when they cause symptoms."),
    # the asked proposition is never a premise
    ("Does vitamin C supplementation prevent the common cold in adults?",
     "Vitamin C supplementation does not prevent the common cold in adults."),
])
def test_silent_or_agreeing_evidence_does_not_flag(question: str, sentence: str) -> None:
    assert evidence_premises(question, [_ev(sentence)]) == []


def test_mixed_evidence_does_not_flag() -> None:
    q = "Since coffee raises blood pressure in adults, how much is safe?"
    no = _ev("Coffee does not raise blood pressure in adults.", 1)
    yes = _ev("Coffee significantly raises blood pressure in adults.", 2)
    assert evidence_premises(q, [no]) != []
    assert evidence_premises(q, [no, yes]) == []


@pytest.mark.parametrize(("question", "sentence", "silent"), [
    # nothing about both concepts: silent
    ("Why does sugar make kids hyperactive?", "Sugar-sweetened drinks add calories.",
     ["sugar makes kids hyperactive"]),
    ("Since cracking my knuckles causes arthritis, how do I stop?",
     "Arthritis of the hand is common in older adults.",
     ["cracking your knuckles causes arthritis"]),
    # a sentence about its concepts, whichever way it leans, is not silence
    ("Why does sugar make kids hyperactive?", "Sugar does not make kids hyperactive.", []),
    ("Why does sugar make kids hyperactive?", "Sugar makes some kids hyperactive.", []),
    # the asked proposition is not taken for granted; a personal clause is not checked
    ("Does sugar make kids hyperactive?", "Sugar-sweetened drinks add calories.", []),
    ("Since I have diabetes, what should I eat?", "Fruit is part of a healthy diet.", []),
])
def test_silent_premises(question: str, sentence: str, silent: list[str]) -> None:
    assert silent_premises(question, [_ev(sentence)]) == silent


@pytest.mark.parametrize(("question", "text"), [
    # after "does" the shown assumption agrees with its subject; "do" and "did" leave it
    ("Why does sugar make kids hyperactive?", "sugar makes kids hyperactive"),
    ("Why does coffee give me headaches?", "coffee gives you headaches"),
    ("Why does work stress cause headaches?", "work stress causes headaches"),
    ("Why do vaccines cause autism?", "vaccines cause autism"),
    ("Why did the flu shot give me the flu?", "the flu shot give you the flu"),
])
def test_the_assumption_agrees_with_its_subject_and_is_said_once(question: str,
                                                                 text: str) -> None:
    from curbside.safety.premises import question_presuppositions

    assert [p.text for p in question_presuppositions(question)] == [text]


def test_no_evidence_is_not_silence() -> None:
    assert silent_premises("Why does sugar make kids hyperactive?", []) == []


def test_audit_includes_form_premises_without_patterns() -> None:
    q = "Since antibiotics cure viral infections, which one should I take for the flu?"
    ev = _ev("Antibiotics do not work against viral infections such as colds and flu.")
    cands = audit_premises(q, [ev], patterns=[])
    assert [c.assumption for c in cands] == ["antibiotics cure viral infections"]
    assert audit_premises(q, [], patterns=[]) == []  # no evidence, no finding


def test_bundled_file_loads_and_every_form_has_a_reason() -> None:
    data = load_presuppositions()
    assert data.forms and all(f.reason for f in data.forms)
    assert {a.word for a in data.absolutes} >= {"only", "always", "never", "cure", "all",
                                                  "guaranteed"}


_GOOD = """
version: 1
updated: 2026-12-06
forms:
  - id: since_clause
    pattern: '^since\\s+(?P<p>[^,]+),'
    template: '{p}'
    reason: "a since-clause is given"
personal_subjects: {words: [i], reason: "experience, not a claim"}
reporting_cues: {words: [says], reason: "the reported claim is given"}
question_openers: {words: [is], reason: "a question asks"}
not_findings: {words: [whether], reason: "an aim is no finding"}
modifier_negations: {words: [without], reason: "negates a noun phrase"}
"""


def test_parse_minimal_file() -> None:
    data = parse_presuppositions(_GOOD)
    assert [f.id for f in data.forms] == ["since_clause"]


@pytest.mark.parametrize(("bad", "where"), [
    (_GOOD.replace("'{p}'", "'{q}'"), "forms 'since_clause', field 'template'"),
    (_GOOD.replace("(?P<p>[^,]+)", "(?P<p>[^,]+"), "forms 'since_clause', field 'pattern'"),
    (_GOOD.replace('reason: "a since-clause is given"', "reason: x"),
     "forms 'since_clause', field 'reason'"),
    (_GOOD.replace("    reason: \"a since", "    colour: red\n    reason: \"a since"),
     "forms 'since_clause', field 'colour'"),
    (_GOOD + "absolutes:\n  - word: only\n    reason: excludes alternatives\n",
     "absolutes 'only', field 'counter'"),
    (_GOOD.replace("personal_subjects: {words: [i], ", "personal_subjects: {words: [], "),
     "personal_subjects, field 'words'"),
    (_GOOD + "relation_opposites:\n  - phrases: [does not cause]\n    order: sideways\n"
             "    reason: a relation opposite\n",
     "relation_opposites '#0', field 'order'"),
    (_GOOD + "causal_verbs: {words: [cause], reason: x}\n",
     "causal_verbs, field 'reason'"),
])
def test_schema_errors_name_entry_and_field(bad: str, where: str) -> None:
    with pytest.raises(PresuppositionError) as exc:
        parse_presuppositions(bad)
    assert where in str(exc.value)


# --- stop 26: consumer false premises the audit missed over the development corpus ----------

@pytest.mark.parametrize(("question", "sentences", "finding"), [
    # a clause negation that misses the presupposition's words still keeps the sentence from
    # stating it plainly, so the other sentence's negation is not outweighed ("mixed")
    ("Since antibiotics cure the flu, how many days should I take them?",
     ["Antibiotics do not fight infections caused by viruses, such as - Colds - Flu - Most "
      "coughs and bronchitis - Sore throats, unless caused by strep",
      "Don't use antibiotics for viruses like colds or flu."],
     "Don't use antibiotics for viruses like colds or flu."),
    # "a child's cough" and "children" are the same concept (possessive, irregular plural)
    ("Since cough medicine is the best treatment for a child's cough, which one should I buy?",
     ["Do not give cough medicines to children under four."],
     "Do not give cough medicines to children under four."),
    # relation words ("help", "get better", "faster") need not be repeated; their negation
    # counts
    ("Why do antibiotics help a viral sore throat get better faster?",
     ["Tonsillitis makes your tonsils sore and swollen and causes a sore throat.",
      "Given that antibiotics do not help resolve viral infections, they are not indicated."],
     "Given that antibiotics do not help resolve viral infections, they are not indicated."),
    # ... but where the sentence repeats the relation it is closer than one that does not
    ("Since stress causes stomach ulcers, how can I relax to heal mine?",
     ["Stress and spicy foods do not cause ulcers, but can make them worse.",
      "Gastric ischaemia due to shock is the most important risk factor for stress ulcer "
      "bleeding."],
     "Stress and spicy foods do not cause ulcers, but can make them worse."),
])
def test_consumer_false_premises_are_flagged(question: str, sentences: list[str],
                                             finding: str) -> None:
    evs = [_ev(s, i) for i, s in enumerate(sentences, start=1)]
    (c,) = evidence_premises(question, evs)
    assert c.finding == finding


def test_a_question_clause_is_not_an_absolute_claim() -> None:
    q = "Since you lose most of your body heat through your head, should my baby always wear a hat?"
    assert presuppositions(q) == []
    ev = _ev("Wearing sunglasses and a hat with a brim may help to delay cataracts.")
    assert evidence_premises(q, [ev]) == []


def test_irregular_plurals_are_data_and_checked() -> None:
    d = load_presuppositions()
    assert d.plurals["children"] == "child"
    assert "help" in d.relations and "cause" not in d.plurals
    with pytest.raises(PresuppositionError, match="irregular_plurals"):
        parse_presuppositions(_GOOD.replace("forms:", "irregular_plurals: [a, b]\nforms:"))


@pytest.mark.parametrize(("question", "sentence"), [
    # a negation of another word in another clause, the claim's words stated plainly before it
    ("Why does high blood pressure damage the kidneys?",
     "Diabetes and high blood pressure damage these blood vessels, so the kidneys are not able "
     "to filter the blood as well as they used to."),
    # a negation inside a relative clause about something else
    ("Why does vitamin D deficiency weaken bones?",
     "Damaged kidneys can slow growth by causing mineral and bone disorder, which occurs when "
     "vitamin D is not turned into calcitriol, which starves the bones of calcium."),
    # a run the splitter could not cut is not read as one sentence
    ("Since exercise helps low back pain, which exercises are best?",
     "For patients with chronic low back pain, the Work Group suggests offering an exercise "
     "program. ( Weak For; Reviewed ) " * 6 + "There is insufficient evidence ( Not "
     "Applicable ) for lumbar supports"),
])
def test_true_consumer_premises_are_not_flagged(question: str, sentence: str) -> None:
    assert evidence_premises(question, [_ev(sentence)]) == []


# --- stop 29: the claim's subject, what no source says, a verb's opposite --------------------

@pytest.mark.parametrize(("text", "subject"), [
    ("garlic can cure high blood pressure", {"garlic"}),
    ("cold weather causes colds", {"cold", "weather"}),
    ("vaccines weaken the immune system", {"vaccin"}),
    # an ambiguous verb ends the subject only inflected: "heart damage" is one subject
    ("heart damage causes arrhythmia", {"heart", "damag"}),
    ("high blood pressure damages the kidneys", {"high", "blood", "pressur"}),
])
def test_claim_parts_end_the_subject_at_its_verb(text: str, subject: set[str]) -> None:
    parts = claim_parts(text)
    assert parts is not None and parts[0] == subject


def test_claim_verbs_are_data_and_ambiguous_ones_match_inflected() -> None:
    d = load_presuppositions()
    assert {"cause", "causes", "caused", "damages", "damaged"} <= d.claim_verbs
    assert "damage" not in d.claim_verbs and "lower" not in d.claim_verbs
    assert claim_parts("a statement with no verb of the list at all") is None


def test_a_sentence_without_the_subject_is_not_about_the_claim() -> None:
    # before: "high" and "blood" (two of the first three content words) made this sentence
    # about "garlic can cure high blood pressure", and its "reduce" qualified the cure
    q = "How much garlic should I eat to cure high blood pressure?"
    ev = _ev("Diet changes and medicines reduce high blood pressure.")
    assert evidence_premises(q, [ev]) == []
    assert silent_premises(q, [ev]) == ["garlic can cure high blood pressure"]


@pytest.mark.parametrize(("question", "sentences", "silent"), [
    # an absolute word no sentence naming subject and object states: none says it
    ("How much garlic should I eat to cure high blood pressure?",
     ["Garlic has been studied in people with high blood pressure.",
      "Garlic is a plant used in cooking."],
     ["garlic can cure high blood pressure"]),
    # ... stated: not silent (and not contradicted)
    ("How much garlic should I eat to cure high blood pressure?",
     ["Garlic can cure high blood pressure."], []),
    # a causal claim no source names subject and object of; "children" does not count
    ("Why do vaccines cause autism in children?",
     ["Children should get their vaccines on schedule.",
      "Autism is a developmental disorder that appears in young children."],
     ["vaccines cause autism in children"]),
    # one source naming both, in different sentences: not silent
    ("Why do vaccines cause autism in children?",
     ["Vaccines are given in childhood. Autism is often diagnosed in children later."], []),
    # "never" is said in other words ("do not"): no notice for it
    ("Since antibiotics never work against viruses, what can I take for a cold?",
     ["Antibiotics do not work against viruses."], []),
])
def test_what_no_source_says(question: str, sentences: list[str], silent: list[str]) -> None:
    evs = [_ev(s, i) for i, s in enumerate(sentences, start=1)]
    assert evidence_premises(question, evs) == []
    assert silent_premises(question, evs) == silent


def test_a_partial_effect_of_the_subject_qualifies_a_cure() -> None:
    q = "How much garlic should I eat to cure high blood pressure?"
    s = "Garlic supplements lower blood pressure slightly in people with high blood pressure."
    (c,) = evidence_premises(q, [_ev(s)])
    assert c.finding == s and c.trigger == "evidence:absolute:dose_to_cure"


@pytest.mark.parametrize(("sentence", "flagged"), [
    ("When given to a healthy person, the vaccine triggers the immune system to respond and "
     "thus build immunity.", True),
    # the opposite before the subject: the subject does not act
    ("To strengthen the immune system, vaccines are given with an adjuvant.", False),
    # the opposite negated
    ("The vaccine does not boost the immune system in older adults.", False),
    # the claim itself
    ("Some vaccines weaken the immune system for a few days.", False),
])
def test_a_verbs_opposite_after_the_subject(sentence: str, flagged: bool) -> None:
    q = "Since vaccines weaken the immune system, should I skip the flu shot?"
    found = evidence_premises(q, [_ev(sentence)])
    assert bool(found) is flagged
    if flagged:
        assert found[0].finding == sentence and found[0].trigger.startswith("evidence:opposite")


@pytest.mark.parametrize(("question", "texts"), [
    # two forms read one claim, one with "Since" before it: said once
    ("Since antibiotics always cure ear infections, how fast do they work?",
     ["antibiotics always cure ear infections"]),
    # an interrogative "which" is no relative clause; "why to" asks a purpose
    ("Hampton's hump is characteristic to which disease?", []),
    ("why to take vicodin", []),
])
def test_one_claim_once_and_no_claim_from_a_question_word(question: str,
                                                          texts: list[str]) -> None:
    from curbside.safety.premises import question_presuppositions

    assert [p.text for p in question_presuppositions(question)] == texts


# --- stop 30: concepts by vocabulary, relation opposites, hyphens, the copula "make" --------

def _premises(question: str, sentences: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(finding, trigger) of each cited premise finding, and the not-said notices."""
    evs = [_ev(s, i) for i, s in enumerate(sentences, start=1)]
    return ([(c.finding, c.trigger) for c in evidence_premises(question, evs)],
            silent_premises(question, evs))


@pytest.mark.parametrize(("question", "sentence"), [
    # the subject named in other words (the lay-synonym list: "influenza vaccine" is the
    # flu shot), a relation that cannot hold
    ("Why does the flu shot give you the flu?",
     "The influenza vaccine cannot give you the flu."),
    # lowering the risk of the object is the opposite of causing it
    ("Why does the flu shot give you the flu?",
     "Getting the flu vaccine every year is the best way to lower your chance of getting the "
     "flu."),
    ("Since the flu shot causes the flu, should I skip it this year?",
     "The flu vaccine helps prevent the flu."),
    # the object first, the subject after "is not caused by"
    ("Why does the flu shot give you the flu?",
     "The flu is not caused by the influenza vaccine."),
    # the claim named after "no evidence that", its subject in other words
    ("Why does the flu shot give you the flu?",
     "There is no evidence that the influenza vaccine gives people the flu."),
])
def test_a_relation_opposite_is_a_cited_finding(question: str, sentence: str) -> None:
    found, notices = _premises(question, ["Unrelated text about knee braces.", sentence])
    assert found == [(sentence, f"evidence:relation:{presuppositions(question)[0].form}")]
    assert notices == []


@pytest.mark.parametrize(("question", "sentence"), [
    # the subject modifies another noun: the vaccine lowers the risk, not HPV
    ("Since HPV causes cervical cancer, should my daughter get the vaccine?",
     "The HPV vaccine lowers the risk of cervical cancer."),
    # an act that undoes the subject, or a preposition before it
    ("Why does smoking cause lung cancer?", "Quitting smoking lowers the risk of lung cancer."),
    ("Why does untreated strep throat cause rheumatic fever?",
     "Antibiotics for strep throat prevent rheumatic fever."),
    # the relation itself negated is no opposite
    ("Why does the flu shot give you the flu?",
     "The flu vaccine does not lower the risk of getting the flu in older adults."),
    # in another clause than the subject
    ("Why does alcohol cause breast cancer?",
     "Alcohol is a known carcinogen, but exercise lowers the risk of breast cancer."),
])
def test_no_relation_opposite_when_the_subject_is_not_the_clauses_own(question: str,
                                                                        sentence: str) -> None:
    assert _premises(question, [sentence])[0] == []


def test_a_sentence_stating_the_claim_makes_the_relation_mixed() -> None:
    q = "Why does the flu shot give you the flu?"
    lower = ("Getting the flu vaccine every year is the best way to lower your chance of "
             "getting the flu.")
    assert _premises(q, [lower])[0]
    assert _premises(q, [lower, "The flu shot gives some people the flu."])[0] == []


def test_the_relation_phrases_are_data_with_their_order() -> None:
    d = load_presuppositions()
    orders = {r.order for r in d.relation_opposites}
    assert orders == {"subject_first", "object_first", "claim_after"}
    assert all(r.reason for r in d.relation_opposites)
    assert d.causal is not None and d.causal.search("it gave") and d.causal.search("leads to")
    assert {"quitting", "for", "no"} <= d.reversers


def test_a_concept_named_in_other_words_counts_as_the_claims_words() -> None:
    d = load_presuppositions()
    (p,) = presuppositions("Why does the flu shot give you the flu?", d)
    sents = evidence_sentences([_ev("The influenza vaccine is given every autumn.")], d)
    (s,) = with_concepts(p, sents, d)
    assert {"flu", "shot"} <= s.tokens
    # a form keyed by the concept's own words less a generic one ("medical care" is keyed by
    # "care") does not name it: any sentence on care would
    (q,) = presuppositions("Why do family physicians know the costs of medical care?", d)
    sents = evidence_sentences([_ev("Primary care physicians provide personalized care.")], d)
    (t,) = with_concepts(q, sents, d)
    assert "medical" not in t.tokens


def test_a_shared_word_between_subject_and_object() -> None:
    q = "Why does cold weather cause colds?"
    # "cold" of "cold weather" and "cold germs" is not the object "colds": no source names it
    assert _premises(q, ["Cold weather can lead to hypothermia.",
                         "You can get a cold by touching surfaces with cold germs on them."]) \
        == ([], ["cold weather causes colds"])
    # a source naming the weather and colds as written: not silent
    assert _premises(q, ["Colds are more common in cold weather."]) == ([], [])


def test_a_hyphenated_subject_is_named_by_its_parts() -> None:
    parts = claim_parts("(18)F-FDG predicts survival in lymphoma")
    assert parts is not None and parts[0] == {"18", "f-fdg"}
    q = "Since (18)F-FDG predicts survival in lymphoma, what does this mean for patients?"
    assert _premises(q, ["FDG did not predict survival in lymphoma."])[0] == [
        ("FDG did not predict survival in lymphoma.", "evidence:negated:since_clause")]
    # all its parts are needed: "FLT3-ITD" does not name "FLT3-ITD-mutant" (measured: with
    # each part a word of its own, a guideline's "includes, but is not limited to, ... testing
    # for FLT3-ITD" flagged a development question without a false premise)
    d = load_presuppositions()
    (p,) = presuppositions("Since FLT3-ITD-mutant AML relapses early, what does this mean?", d)
    sents = evidence_sentences([_ev("Testing for FLT3-ITD is recommended in AML.")], d)
    (s,) = with_hyphen_words(p, sents, d)
    assert "flt3-itd-mutant" not in s.tokens
    sents = evidence_sentences([_ev("FLT3 ITD mutant AML relapses early.")], d)
    (s,) = with_hyphen_words(p, sents, d)
    assert "flt3-itd-mutant" in s.tokens


@pytest.mark.parametrize(("question", "notices"), [
    # "make good X" says what the subject is: no causal claim, so no not-said notice
    ("Since family physicians make good sentinels for influenza, what does this mean for "
     "patients?", []),
    # "make someone <adjective>" is causal: the notice stays
    ("Why does sugar make kids hyperactive?", ["sugar makes kids hyperactive"]),
])
def test_make_is_causal_only_before_an_object_and_its_state(question: str,
                                                            notices: list[str]) -> None:
    sentences = ["Family physicians report influenza-like illness every week.",
                 "Influenza surveillance relies on laboratories.",
                 "Sugar is found in many foods.", "Kids need sleep to learn."]
    assert _premises(question, sentences) == ([], notices)
