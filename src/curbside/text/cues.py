"""Negation and hedge cues: the word lists and compiled patterns the stages read them with.

The patterns differ on purpose, each tuned with the stage that reads it (the stance weights
were fitted with the consensus cues, the verifier's cap with its own); they are kept apart,
named by what they find, and documented with their reader. Stage logic stays in the stage:
the ConText-style negation scope of a question is `curbside.understand.negation`, which
reads its triggers from here.
"""

from __future__ import annotations

import re

from curbside.text.tokens import word_set

# --------------------------------------------------------------------------------------------
# Negation words and patterns
# --------------------------------------------------------------------------------------------

#: Words that negate or fall short. The verifier drops them from content tokens (a claim and
#: its passage are compared on content; negation is checked on its own with `NEGATION`).
NEGATION_WORDS = word_set(
    "no not never without neither nor none cannot nothing nobody lack lacks lacked lacking "
    "absence absent fail fails failed unable nonsignificant non-significant insignificant"
)

#: An auxiliary's negative typed without its apostrophe ("dont", "arent", "doesnt"): typed
#: questions and web pages drop it, and it is read as the contraction. "cant" and "wont" are
#: left out: they are words of their own.
_AUX = r"(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)"
APOSTROPHELESS_NOT = re.compile(rf"\b{_AUX}nt\b", re.I)
#: "n't" as a regex alternative: straight, curled or dropped apostrophe.
_NT = rf"n['\u2019]t\b|\b(?:{_AUX})nt\b"

#: A negation in a sentence, for the verifier's check that a sentence and its passage agree
#: on negation ("lack of", "failed to", "non-significant" included).
NEGATION = re.compile(
    r"\b(?:no|not|never|without|neither|nor|none|cannot|nothing|nobody|"
    r"lack(?:s|ed|ing)?\s+of|absence\s+of|fail(?:s|ed)?\s+to|unable\s+to|"
    r"non-?significant(?:ly)?|insignificant(?:ly)?)\b|" + _NT,
    re.IGNORECASE,
)
#: Phrases with a negation word that do not negate the statement (read with `NEGATION`).
PSEUDO_NEGATION = re.compile(
    r"\b(?:not\s+only|whether\s+or\s+not|no\s+doubt|not\s+least|if\s+not)\b", re.IGNORECASE
)

#: A plain negation word: patient-mode splitting never separates a negated piece from a piece
#: about the same thing, nor cuts a negated clause before "because".
SIMPLE_NEGATION = re.compile(r"\b(?:no|not|never|without|neither|nor|none|cannot)\b|" + _NT, re.I)

#: Written before an absolute word it negates ("not always", "no cure"): the presupposition
#: check prepends it to the word's pattern (`negated_before`).
NEGATED_BEFORE = r"\b(?:not|no|never)\s+(?:\w+\s+)?"


def negated_before(word: re.Pattern[str], sentence: str) -> bool:
    """Whether `word` follows "not", "no" or "never" (one word may sit between) in `sentence`."""
    return bool(re.search(NEGATED_BEFORE + word.pattern, sentence, re.I))


#: Negated findings of a conclusion sentence: the consensus meter's "contradicts" cue ("no
#: significant difference", "not associated", "failed to"). The stance weights use it.
NEGATED_FINDING = re.compile(
    r"\b(no (significant|statistically significant|clear|consistent|convincing|strong|"
    r"meaningful|clinically (important|relevant|significant)|detectable|major|evidence|"
    r"difference|differences|association|relationship|correlation|effect|benefit|increase|"
    r"reduction|improvement|role|impact|advantage|change)|not (significantly |statistically "
    r"significantly |independently |clearly )?(associated|related|correlated|effective|"
    r"superior|different|improve|improved|reduce|reduced|increase|increased|predict|predictive|"
    r"recommended|supported|beneficial|useful|affect|affected|influence|a risk factor|"
    r"necessary|required|justified|linked|change|changed|alter|altered)|did not|does not|do not|"
    r"was not|were not|is not|are not|cannot|could not|failed to|neither|nor|none of|"
    r"unrelated|ineffective|no longer|not be|lack of (effect|association|benefit|evidence)|"
    r"similar (rates|outcomes|results|efficacy)|comparable|equivalent|non-?significant|"
    r"insufficient evidence|against (the )?(routine )?use)\b",
    re.I,
)
#: A negated question ("Is X not associated with Y?") flips the consensus reading. "no" and
#: "without" are left out: "Can X be done without Y?" asks for an affirmative.
QUESTION_NEGATION = re.compile(r"\b(not|never)\b|" + _NT, re.I)
#: Any negating or "falls short" word, broader than `NEGATED_FINDING` (which needs a known
#: phrase): a stance pair feature.
BROAD_NEGATION = re.compile(
    r"\b(not|no|never|neither|nor|without|little|lack\w*|absence|absent|fail\w*|unable|none|"
    r"ineffective|insufficient|inadequate\w*|unnecessary|unreliable|independent of|regardless|"
    r"unaffected|unchanged|similar|comparable|equivalent|low yield|poor\w*|limited|rare\w*|"
    r"only)\b",
    re.I,
)
#: A negator opening a negation's scope within a clause (the stance clause-negation feature).
CLAUSE_NEGATOR = re.compile(
    r"\b(not|no|never|neither|nor|without|little|lack\w*|absence|fail\w*|unable|none)\b", re.I
)
#: Stance tokens that open a negation scope (the following words are marked ``NOT_``).
STANCE_NEGATORS = frozenset(
    ("not", "no", "without", "neither", "nor", "failed", "fail", "n't", "lack", "lacks")
    + ("lacked", "absence", "cannot", "never")
)

# --------------------------------------------------------------------------------------------
# Negation triggers of a question (ConText-style; the scope logic is understand.negation)
# --------------------------------------------------------------------------------------------

#: Pre-negation triggers, longest first when they share a start.
PRE_NEGATION_TRIGGERS = (
    "no evidence of", "no signs of", "no sign of", "no symptoms of", "no history of",
    "no complaints of", "no complaint of", "negative for", "absence of", "free of", "lack of",
    "ruled out for", "no", "not", "never", "without", "denies", "denied", "deny", "denying",
    "lacks", "lacking", "neither", "nor",
)
#: Post-negation triggers (negate what comes before them in the clause).
POST_NEGATION_TRIGGERS = (
    "was ruled out", "were ruled out", "is ruled out", "has been ruled out", "ruled out",
    "is absent", "are absent", "was absent", "were absent", "is negative", "was negative",
    "were negative", "are negative", "not seen", "not present", "not detected",
    "was excluded", "were excluded", "is excluded",
)
#: Look like triggers but are not negations of a finding.
PSEUDO_NEGATION_TRIGGERS = (
    "no increase", "no significant increase", "no change", "no significant change",
    "no further", "no longer", "no more", "no one", "no matter", "no difference",
    "no significant difference", "not only", "not necessarily", "not certain", "not sure",
    "not just", "not always", "not clear", "not known", "not to mention", "not ruled out",
    "not been ruled out", "not be ruled out", "not excluded", "not been excluded",
    "not cause", "not caused", "gram negative", "gram-negative", "whether or not", "or not",
    "if not", "without difficulty", "not drain", "not certain whether", "not enough",
)

# --------------------------------------------------------------------------------------------
# Hedges and contractions
# --------------------------------------------------------------------------------------------

#: Hedges of a conclusion sentence ("may", "unclear", "further research"): they weaken the
#: consensus meter's stance of a sentence.
HEDGE = re.compile(
    r"\b(may|might|could|possibly|unclear|uncertain|further (research|studies|"
    r"trials)|more research|remains? to be|limited evidence|inconclusive|"
    r"controversial|mixed)\b",
    re.I,
)

#: Contractions written out; the apostrophe may also be curled ("don’t").
_CONTRACTIONS = (
    (re.compile(r"\bcan['’]t\b|\bcannot\b", re.I), "can not"),
    (re.compile(r"\bwon['’]t\b", re.I), "will not"),
    (re.compile(r"n['’]t\b", re.I), " not"),
    (APOSTROPHELESS_NOT, r"\1 not"),
)


def expand_contractions(sentence: str) -> str:
    """ "doesn't", "doesn’t" and "doesnt" → "does not", "cannot" → "can not": the negation
    cues are written out in full."""
    for pattern, repl in _CONTRACTIONS:
        sentence = pattern.sub(repl, sentence)
    return sentence


#: An auxiliary verb right before a "not" ("does not improve with rest"): the negation then
#: covers a verb phrase, which ends at the clause's first comma (`understand.findings`).
AUX_BEFORE_NOT = re.compile(
    r"\b(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)\s*$"
)
