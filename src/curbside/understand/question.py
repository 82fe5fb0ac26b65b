"""Question type: transparent rules, no model.

A question starting with an auxiliary verb ("Is", "Does", "Can", "Should"...) is a yes/no
question unless it offers a choice ("Is it a drug or a pro-drug?") or is a request ("Can you
describe..."); "..., yes or no?" is one too. Topic cues give the other types (treatment,
diagnosis, prognosis, prevalence, etiology, drug information; definition only when nothing else
fits). The primary type is yes/no when the form says so, otherwise the topic whose cue comes
first in the question (ties: drug information, treatment, diagnosis, prognosis, prevalence,
etiology); the remaining matches are secondary types. "Can I take...?" is a drug-information
question first.

Whether a yes/no *verdict* answers the question (`asks_for_verdict`, the gate of the consensus
meter and of the verdict line) is decided here too, once: yes/no questions by the rules above,
less the forms listed in ``knowledge/question_forms.yaml`` that look like yes/no questions but
ask for something else ("Do you have information about X", "Is there a cure for X?", "Are
there side effects of X?", "Any thoughts on X?") or whose affirmative reading the stance model
would invert ("Can I take X with Y?"); plus research-title questions ("Spinal subdural
hematoma: a sequela of a ruptured aneurysm?", "X: is it safe?", "X, a cause of Y?").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from curbside.knowledge_files import DateText, RegexText, load_knowledge
from curbside.text.tokens import clean, clip, collapse_whitespace


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
    #: Whether a yes/no verdict answers the question (see `asks_for_verdict`).
    verdict: bool = False

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


@dataclass(frozen=True, slots=True)
class _Form:
    pattern: re.Pattern[str]
    reason: str


class QuestionFormSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pattern: RegexText
    reason: str = Field(min_length=5)


class QuestionFormsFile(BaseModel):
    """``knowledge/question_forms.yaml``: the lists of question forms, each with its reason."""

    model_config = ConfigDict(extra="forbid")

    version: int
    updated: DateText
    requests: list[QuestionFormSpec] = Field(default_factory=list)
    asks_for_the_thing: list[QuestionFormSpec] = Field(default_factory=list)
    not_yes_no_openings: list[QuestionFormSpec] = Field(default_factory=list)
    combination_questions: list[QuestionFormSpec] = Field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _forms() -> dict[str, tuple[_Form, ...]]:
    """The question forms of ``knowledge/question_forms.yaml``, checked, compiled, by list."""
    data = load_knowledge("question_forms.yaml", QuestionFormsFile)
    out: dict[str, tuple[_Form, ...]] = {}
    for key in ("requests", "asks_for_the_thing", "not_yes_no_openings", "combination_questions"):
        rows: list[QuestionFormSpec] = getattr(data, key)
        out[key] = tuple(
            _Form(re.compile(r"^(?:" + r.pattern + ")", re.IGNORECASE), r.reason) for r in rows
        )
    return out


def _form(kind: str, text: str) -> _Form | None:
    return next((f for f in _forms()[kind] if f.pattern.match(text)), None)

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


#: Research-title questions: "Title: clause?", "Title. Clause?", "Title--clause?". A clause
#: starting with an auxiliary verb is read by the yes/no rules; otherwise the part after the
#: separator states a claim ("...: a feasible option?", "...--an occupational disease?").
_TITLE_SEP = re.compile(r"(?::\s*|\.\s+|\s*--\s*|\s+[-\u2013\u2014]\s+)(?=[^\s?])")
#: "X, a cause of Y?", "X as a diagnostic tool in Y?": an appositive claim without a separator.
_APPOSITIVE = re.compile(r"(?:,\s+(?:an?|another|the)\s|\bas\s+(?:an?|the)\s)\S", re.IGNORECASE)
_WH_START = re.compile(
    r"^\W*(?:what|which|who|whom|whose|when|where|why|how|list|name|describe)\b", re.IGNORECASE
)


def _is_yes_no(head: str) -> tuple[bool, str]:
    """Whether `head` is a yes/no question by its form, and the rule that decided."""
    if _YES_OR_NO.search(head):
        return True, "asks yes or no"
    if _AUX_START.match(head):
        clause = head
    elif _LEAD_IN.match(head):
        clause = head.split(",", 1)[1].strip()
    else:
        return False, ""
    if f := _form("requests", clause):
        return False, f"request: {f.reason}"
    if f := _form("asks_for_the_thing", clause):
        return False, f"asks for the thing: {f.reason}"
    if _OR_NOT.search(clause):
        return True, "auxiliary verb start, 'or not'"
    question = clause.split("?", 1)[0] + "?"
    m = _CHOICE_END.search(question)
    if m and not _AFTER_PREPOSITION.search(question[: m.start()]):
        return False, "offers a choice ('... or ...?')"
    return True, "auxiliary verb start"


def _title_form(head: str) -> tuple[bool, str]:
    """A research-title question ("Title: is it safe?", "Title: a sequela of X?")."""
    q = head.strip()
    if not q.endswith("?") or _WH_START.match(q):
        return False, ""
    body = q.rstrip("?").strip()
    seps = list(_TITLE_SEP.finditer(body))
    if seps:
        tail = body[seps[-1].end():].strip()
        if len(body[: seps[-1].start()].split()) >= 1 and re.search(r"[A-Za-z]{2}", tail):
            if _WH_START.match(tail):
                return False, ""
            if _AUX_START.match(tail) or _LEAD_IN.match(tail):
                yes, why = _is_yes_no(tail + "?")
                return yes, f"title form, {why}" if why else ""
            return True, "title form ('Title: a claim?')"
    if _APPOSITIVE.search(body) and len(body.split()) >= 5:
        return True, "title form ('X, a claim?')"
    return False, ""


def _asks_for_verdict(head: str, yes_no: bool) -> tuple[bool, str]:
    """Whether a yes/no verdict answers `head` (given its yes/no form), and why not."""
    if f := _form("not_yes_no_openings", head):
        return False, f"no verdict: {f.reason}"
    if yes_no:
        clause = head if _AUX_START.match(head) else head.split(",", 1)[-1].strip()
        if f := _form("combination_questions", clause):
            return False, f"no verdict: {f.reason}"
        return True, "verdict: yes/no question"
    ok, why = _title_form(head)
    return ok, (f"verdict: {why}" if ok else "")


def classify_question_types(text: str) -> QuestionClassification:
    """Primary and secondary question types of `text`, with the rules that fired."""
    head = _head(text)
    if not head:
        return QuestionClassification(QuestionType.OTHER, (), ("empty",))
    reasons: list[str] = []
    yes_no, why = _is_yes_no(head)
    if _form("not_yes_no_openings", head):
        yes_no = False
    if why:
        reasons.append(why)
    verdict, why = _asks_for_verdict(head, yes_no)
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
    return QuestionClassification(
        primary, tuple(dict.fromkeys(secondary)), tuple(reasons), verdict
    )


def classify_question(text: str) -> QuestionType:
    """The primary type of the question `text` (see `classify_question_types` for the rest)."""
    return classify_question_types(text).qtype


def asks_for_verdict(text: str) -> bool:
    """Whether a yes/no verdict (supports / does not support / mixed) answers `text`: the one
    decision behind the consensus meter and the verdict line (see the module docstring)."""
    return classify_question_types(text).verdict


_SUBJECT = re.compile(
    r"^\W*(?:(?:what|who)\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?:meant by\s+)?|define\s+|"
    r"(?:the\s+)?(?:definition|meaning)\s+of\s+(?:an?\s+|the\s+)?|"
    r"what\s+does\s+(?=.{1,60}\bmean\b))(?P<x>[^?,;.]{1,60}?)(?:\s+mean)?\s*[?.!]*\s*$",
    re.I,
)


#: Words that make "What is X ...?" ask about something other than what X is.
_NOT_A_NAME = re.compile(
    r"\b(used|use|to|for|by|with|when|after|before|during|cause[sd]?|treat\w*|do|does|done|"
    r"made|given|taken|found|called|involved|associated|better|best|worse|most|least|"
    r"difference|between|like|should|can|will)\b",
    re.I,
)


def definition_subject(question: str) -> str | None:
    """What a definition question asks about: "What is morphine?" -> "morphine"."""
    m = _SUBJECT.match(" ".join(question.split()))
    if not m or _NOT_A_NAME.search(m.group("x")) or len(m.group("x").split()) > 6:
        return None  # "What are acoustic reporter genes used to detect?" asks something else
    return m.group("x").strip()


#: A question about research or trials: a sentence about research under way may answer it
#: (`compose.candidates.research_talk`); for any other question it answers nothing.
_ASKS_RESEARCH = re.compile(
    r"\b(?:research\w*|trials?|stud(?:y|ies)|experimental|investigational|new treatments?)\b",
    re.IGNORECASE,
)


def asks_about_research(question: str) -> bool:
    """Whether the question asks about research or trials (`_ASKS_RESEARCH`)."""
    return bool(_ASKS_RESEARCH.search(question))
