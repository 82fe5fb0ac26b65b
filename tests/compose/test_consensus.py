"""The consensus meter: cue stance, negation scope features, the learned stance model."""

from __future__ import annotations

import json

from curbside.compose.consensus import (
    WEIGHTS_FILE,
    StanceModel,
    clause_negation,
    consensus,
    default_model,
    expand_contractions,
    focus_sentence,
    p_value_counts,
    pair_features,
    sentence_features,
    text_features,
)


def test_negation_scope_marks_the_next_words_only() -> None:
    f = sentence_features("Aspirin did not reduce mortality, but bleeding increased.")
    assert f["w:NOT_reduce"] == 1.0 and f["w:NOT_mortality"] == 1.0
    assert "w:bleeding" in f and "w:NOT_bleeding" not in f  # the comma ends the scope
    assert f["cue:neg"] >= 1 and f["cue:pos"] >= 1


def test_text_features_weigh_the_first_sentence_most() -> None:
    f = text_features(["Alpha improved survival.", "Beta was studied."])
    assert f["w:alpha"] > f["w:beta"] > 0


def test_model_probabilities_and_question_flip() -> None:
    model = StanceModel(
        bias=(0.0, 0.0, -1.0),
        weights={"w:NOT_improve": (-3.0, 3.0, 0.0), "w:improved": (3.0, -3.0, 0.0)},
    )
    p = model.probabilities("Does X help?", ["X did not improve outcomes."])
    assert abs(sum(p.values()) - 1.0) < 1e-9 and p["no"] > p["yes"]
    r = consensus("Does X help?", ["X did not improve outcomes."], model=model)
    assert r.verdict == "contradicts" and r.contradicts == 1 and r.probabilities
    r = consensus("Is X not useful?", ["X did not improve outcomes."], model=model)
    assert r.verdict == "supports"  # the negated question flips the reading
    assert r.supports == 1


def test_cue_less_sentences_stay_insufficient_unless_the_model_is_sure() -> None:
    unsure = StanceModel(bias=(0.2, 0.0, 0.0), weights={}, min_prob_without_cues=0.6)
    on_topic = ["Xylomab was given to 40 children with asthma."]
    q = "Does Xylomab help asthma?"
    assert consensus(q, on_topic, model=unsure).verdict == "insufficient"
    sure = StanceModel(bias=(5.0, 0.0, 0.0), weights={}, min_prob_without_cues=0.6)
    assert consensus(q, on_topic, model=sure).verdict == "supports"
    assert consensus(q, [], model=sure).verdict == "insufficient"


def test_a_basis_that_does_not_address_the_question_is_insufficient() -> None:
    """No cue and none of the question's words: the top source is not about the question."""
    sure = StanceModel(bias=(5.0, 0.0, 0.0), weights={})
    r = consensus("Does Xylomab help asthma?", ["Patients were enrolled."], model=sure)
    assert r.verdict == "insufficient"
    # a stance cue keeps the verdict even without shared words
    r = consensus("Does Xylomab help asthma?", ["It significantly reduced attacks."], model=sure)
    assert r.verdict == "supports"


def test_weak_retrieval_match_needs_a_confident_model() -> None:
    leaning = StanceModel(bias=(0.4, 0.0, 0.0), weights={})  # yes at about 0.43
    basis = ["X significantly improved outcomes."]
    assert consensus("Does X help?", basis, model=leaning, confidence=0.9).verdict == "supports"
    weak = consensus("Does X help?", basis, model=leaning, confidence=0.5)
    assert weak.verdict == "insufficient"
    sure = StanceModel(bias=(3.0, 0.0, 0.0), weights={})
    assert consensus("Does X help?", basis, model=sure, confidence=0.5).verdict == "supports"


def test_pair_features_read_the_first_sentence_and_the_question() -> None:
    f = pair_features(
        "Are home blood pressure readings reliable?",
        ["Home readings were unreliable in elderly patients.", "Further studies are needed."],
        "conclusions",
    )
    assert f["q:prefix_negated"] >= 1  # reliable -> unreliable
    assert f["s1:short"] >= 1 and f["s2:tent"] > 0
    assert f["kind:conclusions"] == 1.0
    g = pair_features(
        "Does X reduce mortality?",
        ["X did not reduce mortality.", "There was no significant difference in mortality."],
        "results",
    )
    assert g["q:repeat_negated"] >= 1 and g["s1:nodiff"] >= 1 and g["kind:results"] == 1.0
    assert pair_features("Does X help?", []) == {}


def test_contractions_are_written_out() -> None:
    assert expand_contractions("It doesn't help and can't harm.") == (
        "It does not help and can not harm."
    )
    assert expand_contractions("X won't; Y cannot.") == "X will not; Y can not."


def test_focus_sentence_is_the_one_sharing_most_question_words() -> None:
    basis = ["Sleep improved.", "Aspirin did not reduce stroke recurrence.", "Costs fell."]
    assert focus_sentence("Does aspirin reduce stroke recurrence?", basis) == 1
    assert focus_sentence("Does aspirin help?", ["Nothing here.", "Nothing either."]) == 0


def test_clause_negation_scopes_to_the_clause() -> None:
    q = "Does aspirin reduce mortality?"
    neg, plain = clause_negation(q, "Aspirin did not reduce mortality.")
    assert neg == 2 / 3 and plain == 1 / 3  # aspirin is outside the negator's reach
    neg, plain = clause_negation(q, "Mortality fell, but aspirin was not tolerated.")
    assert neg == 0.0 and plain == 2 / 3  # the negation is in another clause
    assert clause_negation("Is it?", "Not at all.") == (0.0, 0.0)  # no content words


def test_p_value_counts() -> None:
    text = "Pain fell (p < 0.01); sleep did not change (P = .34); mood (p>0.05); falls p=0.03."
    assert p_value_counts(text) == (2, 2)
    assert p_value_counts("No statistics here.") == (0, 0)


def test_pair_features_focus_and_p_values() -> None:
    f = pair_features(
        "Does aspirin reduce stroke recurrence?",
        ["Bleeding was rare.", "Aspirin didn't reduce stroke recurrence (p = 0.4)."],
        "results",
    )
    assert f["f:first"] == 0.0 and f["f:cneg"] > 0.5 and f["f:neg"] >= 1
    assert f["w:not"] > 0 and "w:n't" not in f  # "didn't" is read as "did not"
    assert f["p:pns"] == 1.0 and f["p:psig"] == 0.0


def test_cue_vote_without_model() -> None:
    r = consensus("Does X help?", ["X improved pain.", "X did not improve sleep."], use_model=False)
    assert r.verdict == "mixed" and r.probabilities is None
    r = consensus("Does X help?", ["X significantly improved pain."], use_model=False)
    assert r.verdict == "supports"


def test_shipped_weights_load_and_decide_plain_cases() -> None:
    if not WEIGHTS_FILE.is_file():  # pragma: no cover - the file ships with the package
        return
    obj = json.loads(WEIGHTS_FILE.read_text())
    assert obj["classes"] == ["yes", "no", "maybe"] and len(obj["weights"]) < 5000
    model = default_model()
    assert model is not None
    yes = consensus(
        "Does exercise reduce pain?",
        ["Exercise significantly reduced pain and improved function."],
    )
    no = consensus(
        "Does X help?",
        ["X did not improve outcomes.", "There was no significant benefit of X."],
    )
    assert yes.verdict == "supports" and no.verdict == "contradicts"
    contracted = consensus(
        "Does the campaign change attitudes to antibiotics?",
        ["The campaign didn't change attitudes to antibiotics."],
    )
    assert contracted.verdict == "contradicts"
    assert 0.0 <= model.min_prob_without_cues < 1.0 and 0.0 < model.min_prob_weak_match < 1.0
    about = obj["about"]
    assert "outside the test set" in about  # fitted on the 500 non-test questions only
