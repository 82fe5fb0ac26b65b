"""Question type: transparent rules, no model.

A question starting with an auxiliary verb ("Is", "Does", "Can", "Should"...) is a yes/no
question unless it offers a choice ("Is it a drug or a pro-drug?") or is a request ("Can you
describe..."); "..., yes or no?" is one too. Topic cues give the other types (treatment,
diagnosis, prognosis, prevalence, etiology, drug information; definition only when nothing else
fits). The primary type is yes/no when the form says so, otherwise the topic whose cue comes
first in the question (ties: drug information, treatment, diagnosis, prognosis, prevalence,
etiology); the remaining matches are secondary types. "Can I take...?" is a drug-information
question first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from curbside.understand.text import clean, clip, collapse_whitespace


class QuestionType(StrEnum):
    """What a question asks for."""

    YES_NO = "yes_no"
    DIAGNOSIS = "diagnosis"
    TREATMENT = "treatment"
    PROGNOSIS = "prognosis"
    PREVALENCE = "prevalence"
    ETIOLOGY = "etiology"
    DEFINITION = "definition"
    DRUG_INFORMATION = "drug_information"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class QuestionClassification:
    """The primary type, secondary types (no repeats, primary excluded) and the rules that fired."""

    qtype: QuestionType
    secondary: tuple[QuestionType, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def types(self) -> tuple[QuestionType, ...]:
        return (self.qtype, *self.secondary)


_AUX = (
    r"is|are|was|were|am|isn't|aren't|wasn't|weren't|do|does|did|don't|doesn't|didn't|can|"
    r"could|can't|cannot|couldn't|should|shouldn't|would|wouldn't|will|won't|shall|has|have|had|"
    r"hasn't|haven't|hadn't|may|might|must"
)
_AUX_START = re.compile(rf"^(?:{_AUX})\b", re.IGNORECASE)
#: A short lead-in before the question proper: "As of 2019, are ...", "In adults, is ...".
_LEAD_IN = re.compile(
    rf"^(?!(?:what|which|where|when|who|whom|whose|why|how)\b)[^,?]{{1,60}},\s*(?:{_AUX})\b",
    re.IGNORECASE,
)
_YES_OR_NO = re.compile(r"\b(?:yes\s+or\s+no|true\s+or\s+false)\b", re.IGNORECASE)
_REQUEST = re.compile(
    r"^(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:summari[sz]e|describe|list|explain|tell|"
    r"name|give|provide|define|outline|show|compare|find|suggest|recommend|help)\b",
    re.IGNORECASE,
)
_OR_NOT = re.compile(r"\bor\s+not\b", re.IGNORECASE)
#: "... a drug or a pro-drug?", "..., reader or eraser?": an alternative closes the question.
_CHOICE_END = re.compile(r"\bor\s+(?:an?\s+|the\s+)?[\w'()-]+(?:\s+[\w'()-]+)?\s*[?.!]*\s*$",
                         re.IGNORECASE)
#: "... safe in pregnancy or breastfeeding?": alternatives after a preposition are a
#: coordinated complement of a yes/no question, not a choice.
_AFTER_PREPOSITION = re.compile(
    r"\b(?:in|during|for|with|after|before|while|on|at|from|among|to)\s+(?:an?\s+|the\s+)?"
    r"[\w'()-]+\s*,?\s*$",
    re.IGNORECASE,
)
_CAN_I_TAKE = re.compile(
    r"^(?:can|could|may|should)\s+(?:i|we|you|he|she|they|my\s+\w+|a\s+patient|patients|"
    r"people)\s+(?:still\s+)?(?:take|use|drink|combine|mix|give)\b",
    re.IGNORECASE,
)

#: Latin look-alikes for Greek and Cyrillic capitals, used only to read the first word.
_CONFUSABLES = str.maketrans({
    "\u0391": "A", "\u0392": "B", "\u0395": "E", "\u0397": "H", "\u0399": "I", "\u039a": "K",
    "\u039c": "M", "\u039d": "N", "\u039f": "O", "\u03a1": "P", "\u03a4": "T", "\u03a7": "X",
    "\u03a5": "Y", "\u0396": "Z", "\u03bf": "o", "\u0410": "A", "\u0412": "B", "\u0415": "E",
    "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C",
    "\u0422": "T", "\u0425": "X", "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p",
    "\u0441": "c", "\u0455": "s", "\u0456": "i",
})

_TOPIC_RULES: tuple[tuple[QuestionType, re.Pattern[str]], ...] = (
    (
        QuestionType.DRUG_INFORMATION,
        re.compile(
            r"\b(?:dos(?:e|es|age|ages|ing)|side[- ]effects?|adverse (?:effects?|events?|"
            r"reactions?)|interact(?:s|ion|ions|ing)?|contraindicat\w*|(?:can|could|may|should) "
            r"(?:i|we|you) (?:take|use|combine)|safe to (?:take|use|combine)|mechanism of action|"
            r"pharmacokinetic\w*|half[- ]life|overdos\w*|brand names?|generic (?:name|version)|"
            r"take \w+(?: \w+)? with|how (?:much|many mg|often) (?:should|can|do)|"
            r"missed (?:a )?dose|withdrawal from)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QuestionType.TREATMENT,
        re.compile(
            r"\b(?:treat(?:s|ed|ing|ment|ments)?|therap(?:y|ies|eutic)|manag(?:e|ed|ing|ement)|"
            r"drugs? of choice|first[- ]line|second[- ]line|medications? for|drugs? for|"
            r"cur(?:e|es|ed|ing)|remed(?:y|ies)|surgery for|interventions? for|"
            r"get rid of|relie(?:f|ve) (?:of |from )?|prevent(?:s|ed|ing|ion)?|"
            r"rehabilitation|effective (?:for|in|against)|efficacy)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QuestionType.DIAGNOSIS,
        re.compile(
            r"\b(?:diagnos\w*|work[- ]?up|tests? (?:for|to)|testing for|screen(?:ing)? for|"
            r"how (?:to|do you|do i|can you|can i|is it possible to) (?:tell|know|distinguish|"
            r"differentiate|recogni[sz]e|detect|rule out|confirm)|differential|rule out|"
            r"biomarkers? (?:for|of)|imaging (?:for|of|in)|signs? (?:and symptoms )?of|"
            r"symptoms?|presentation|criteria for|classification criteria|sensitivity|"
            r"specificity)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QuestionType.PROGNOSIS,
        re.compile(
            r"\b(?:prognos\w*|outcomes?|survival|surviv(?:e|es|ing)|life expectancy|"
            r"recurr\w*|relaps\w*|mortality|long[- ]term effects?|natural history|"
            r"how long (?:does|will|do|can)|go away|complications?|disability)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QuestionType.PREVALENCE,
        re.compile(
            r"\b(?:how (?:common|rare|frequent)|prevalen\w*|inciden\w*|how many (?:people|"
            r"patients|adults|children|women|men|cases|americans|persons)|frequency of|"
            r"epidemiolog\w*|proportion of|percentage of|how often does)\b",
            re.IGNORECASE,
        ),
    ),
    (
        QuestionType.ETIOLOGY,
        re.compile(
            r"\b(?:caus(?:e|es|ed|ing|ative|ation)|risk factors?|why (?:does|do|is|are|did|would|"
            r"am|can)|etiolog\w*|aetiolog\w*|pathogen(?:esis|etic)|what triggers|triggers? of|"
            r"predispos\w*|genetic basis|inherit\w*|heritab\w*)\b",
            re.IGNORECASE,
        ),
    ),
)
_DEFINITION = re.compile(
    r"^(?:(?:what|who)\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<x>[^?,;]{1,60}?)\s*\??\s*$|"
    r"define\b|definition of\b|what (?:is|are) meant by\b|what does .{1,60} mean\b|"
    r"meaning of\b)",
    re.IGNORECASE,
)
_DEFINITION_BLOCK = re.compile(
    r"\b(?:role|function|effect|effects|difference|relationship|association|mechanism|"
    r"best|most|percentage|number|rate|ratio|level|levels|between|in|of|for|with)\b",
    re.IGNORECASE,
)


def _head(text: str) -> str:
    head = collapse_whitespace(clean(clip(text, 600)))
    first, _, rest = head.partition(" ")
    return (first.translate(_CONFUSABLES) + (" " + rest if rest else "")).lstrip("\"'([{ ")


def _is_yes_no(head: str) -> tuple[bool, str]:
    if _YES_OR_NO.search(head):
        return True, "asks yes or no"
    starts = bool(_AUX_START.match(head)) or bool(_LEAD_IN.match(head))
    if not starts:
        return False, ""
    if _REQUEST.match(head):
        return False, "request ('can you describe...')"
    if _OR_NOT.search(head):
        return True, "auxiliary verb start, 'or not'"
    question = head.split("?", 1)[0] + "?"
    m = _CHOICE_END.search(question)
    if m and not _AFTER_PREPOSITION.search(question[: m.start()]):
        return False, "offers a choice ('... or ...?')"
    return True, "auxiliary verb start"


def classify_question_types(text: str) -> QuestionClassification:
    """Primary and secondary question types of `text`, with the rules that fired."""
    head = _head(text)
    if not head:
        return QuestionClassification(QuestionType.OTHER, (), ("empty",))
    reasons: list[str] = []
    yes_no, why = _is_yes_no(head)
    if why:
        reasons.append(why)
    found: list[tuple[int, int, QuestionType]] = []
    for rank, (qtype, pattern) in enumerate(_TOPIC_RULES):
        m = pattern.search(head)
        if m:
            found.append((m.start(), rank, qtype))
            reasons.append(f"{qtype.value}: '{m.group().lower()}'")
    topics = [qtype for _pos, _rank, qtype in sorted(found)]
    if not topics:
        m = _DEFINITION.match(head)
        if m and not (m.group("x") and _DEFINITION_BLOCK.search(m.group("x"))):
            topics.append(QuestionType.DEFINITION)
            reasons.append("definition form")
    if yes_no and _CAN_I_TAKE.match(head):
        reasons.append("'can I take ...' asks about a drug")
        primary = QuestionType.DRUG_INFORMATION
        secondary = [t for t in topics if t is not primary] + [QuestionType.YES_NO]
    elif yes_no:
        primary = QuestionType.YES_NO
        secondary = topics
    elif topics:
        primary, secondary = topics[0], topics[1:]
    else:
        primary, secondary = QuestionType.OTHER, []
    return QuestionClassification(primary, tuple(dict.fromkeys(secondary)), tuple(reasons))


def classify_question(text: str) -> QuestionType:
    """The primary type of the question `text` (see `classify_question_types` for the rest)."""
    return classify_question_types(text).qtype
