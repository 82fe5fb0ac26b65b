"""Presuppositions read from a question's form, and their check against retrieved sentences.

1. `presuppositions(question)` finds what the question takes for granted from its grammar, by
   the forms of ``knowledge/presuppositions.yaml``: a since/given-that/because clause, the
   proposition of a why-question, "X is the only option", "X always/never Y", "X is a common
   cause of Y", "how much X should I take to cure Y", "the best way to stop X from causing Y",
   "after X gave me Y". A reported claim ("my doctor says X") presupposes X; a presupposition
   whose subject is the asker or a pronoun ("I always feel tired") is experience, not a claim,
   and is skipped.
2. `check_presupposition(p, sentences)` looks for a retrieved sentence that contradicts it on
   the same concepts (most of the presupposition's content words, lightly stemmed, one of
   them a word of its subject: `claim_parts` ends the subject at its verb, so "garlic can
   cure high blood pressure" is not about a sentence on blood pressure alone):
   - *negated*: the sentence negates the presupposition's own content ("X does not cause Y",
     a negation scope of `understand.negation` covering one of its words, or the consensus
     meter's cue reading "contradicts": "no significant difference in Y");
   - *opposite*: a quantifier's opposite ("a common cause" vs "a rare cause"), or a verb's
     opposite after the subject ("the vaccine triggers the immune system to respond" vs
     "vaccines weaken the immune system");
   - *absolute*: the presupposition says "only", "always", "never", "cure"... that no sentence
     about the same concepts states, while one of them qualifies it (a hedge, a partial effect,
     an alternative). A sentence that states the absolute word itself supports it.
   - *relation*: for a causal claim ("X causes / gives you / makes Y"), a sentence stating
     one of ``relation_opposites`` between X and Y, each named by concept through the
     question-focus vocabulary (`with_concepts`, `understand.focus`: drug dictionary,
     abbreviations, lay synonyms, MeSH; "the influenza vaccine" names "the flu shot"): "X
     does not cause Y", "X lowers the risk of Y", "Y is not caused by X", "no evidence that
     X causes Y" (`relation_opposite`); not where a sentence states the claim itself.
   When no retrieved sentence is about the same concepts, nothing is said: the evidence is
   silent, not contradicting (`is_silent` says when the article may say that none of the
   sources found states it). A contradiction is also dropped when a sentence at least as close
   to the presupposition states it plainly (mixed evidence is not a premise finding).

Words are matched after light stemming (`verify.support.content_tokens`); a hyphenated word
of a presupposition also by all its parts ("(18)F-FDG" by "FDG"; `with_hyphen_words`).
"make" is a relation only before an object and its state ("sugar makes kids hyperactive"),
not in "family physicians make good sentinels".

The loader checks the data file's schema and names the entry and field it rejects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from curbside.compose.consensus import sentence_stance
from curbside.domain import Evidence
from curbside.knowledge_files import DateText, RegexText, knowledge_text, parse_knowledge
from curbside.text.cues import SIMPLE_NEGATION, expand_contractions, negated_before
from curbside.text.sentences import split_sentences
from curbside.text.tokens import STOPWORDS, clean, clip, collapse_whitespace, words
from curbside.understand.focus import Concept, Focus, analyze_focus
from curbside.understand.negation import find_negations
from curbside.verify.support import content_tokens

#: A presupposition needs this many content words (stemmed) to be checked at all: fewer ("X
#: works") is matched by almost any sentence about X.
MIN_CONTENT = 2
#: Share of the presupposition's content words a sentence must contain to be "about the same
#: concepts". Tuned on the tune half of benchmarks/false_premise.py (see its docstring): 0.6
#: caught 10 and 9 of 54 false premises (why, since) with no false flag, 0.4 caught 18 and 18
#: with 1 of 82 true premises flagged in each form.
MIN_COVERAGE = 0.4
#: The absolute-word check reads a hedge or an alternative as a contradiction, a weaker signal
#: than a negation: it needs more of the presupposition's words in the sentence ("may help
#: prevent HPV infection" is not about "HPV always causes cervical cancer"). The PubMedQA set
#: has almost no absolute words, so this is set from the consumer examples in the tests.
MIN_COVERAGE_ABSOLUTE = 0.6
#: At least this many shared content words, whatever the share; one more for a presupposition
#: of `LONG_CORE` content words or more (two shared outcome words, "sex" and "outcome", matched
#: a sentence about another operation on the tune half).
MIN_SHARED = 2
LONG_CORE = 5
#: The first this many content words of a presupposition stand for its subject ("ki-67 play a
#: role in ..."): a sentence about the same concepts must name one of them. Without it, a
#: sentence about another subject with the same outcome words ("no significant difference in
#: response to chemotherapy") flagged a true presupposition on the tune half.
SUBJECT_WORDS = 3
#: At most this many retrieved passages are read (the retriever's top ones).
MAX_PASSAGES = 12
#: Longer "sentences" are runs the splitter could not cut (a guideline's list of graded
#: recommendations): not shown as a finding and not read.
MAX_SENTENCE_WORDS = 80


class PresuppositionError(ValueError):
    """The presuppositions file is invalid; the message names the entry and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormSpec(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    pattern: RegexText
    template: str = Field(min_length=1)
    #: "strip": a possessive first word names a thing ("my statin"), dropped; "skip": the
    #: subject is the asker's (a person), the presupposition is experience and skipped.
    possessed_subject: Literal["strip", "skip"] = "skip"
    #: Groups that frame the claim ("option", "treatment"): shown, but a sentence about the
    #: same concepts need not repeat them.
    frame: list[str] = Field(default_factory=list)
    #: A stated claim: not presupposed when its sentence opens as a question.
    declarative: bool = False
    reason: str = Field(min_length=8)


class WordList(_Strict):
    words: list[str] = Field(min_length=1)
    reason: str = Field(min_length=8)


class AbsoluteSpec(_Strict):
    word: str = Field(min_length=2)
    counter: list[str] = Field(min_length=1)
    #: Say that no source found states the claim when no sentence naming its subject and
    #: object states the word.
    unsaid_notice: bool = False
    #: Phrases that state the absolute claim in a sentence (default: the word itself).
    support: list[str] = Field(default_factory=list)
    #: Phrases that deny the claim for its object, whatever the subject ("no cure for Y").
    object_counter: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=4)


class OppositeSpec(_Strict):
    word: str = Field(min_length=2)
    opposite: list[str] = Field(min_length=1)
    #: A verb: its opposite must follow a word of the claim's subject in the sentence.
    after_subject: bool = False
    reason: str = Field(min_length=4)


class RelationSpec(_Strict):
    phrases: list[str] = Field(min_length=1)
    #: Where the claim's subject and object stand around the phrase (see the data file).
    order: Literal["subject_first", "object_first", "claim_after"]
    reason: str = Field(min_length=8)


class CausalVerbs(_Strict):
    words: list[str] = Field(min_length=1)
    #: Irregular forms, matched as written.
    as_written: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=8)


class VerbList(_Strict):
    words: list[str] = Field(min_length=1)
    ambiguous: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=8)


class PresuppositionFile(_Strict):
    version: int
    updated: DateText
    forms: list[FormSpec] = Field(min_length=1)
    verb_forms: dict[str, str] = Field(default_factory=dict)
    irregular_plurals: dict[str, str] = Field(default_factory=dict)
    relation_words: WordList | None = None
    third_person_verbs: WordList | None = None
    claim_verbs: VerbList | None = None
    population_words: WordList | None = None
    personal_subjects: WordList
    reporting_cues: WordList
    question_openers: WordList
    not_findings: WordList
    modifier_negations: WordList
    reader_pronouns: dict[str, str] = Field(default_factory=dict)
    absolutes: list[AbsoluteSpec] = Field(default_factory=list)
    opposites: list[OppositeSpec] = Field(default_factory=list)
    make_not_causal: WordList | None = None
    causal_verbs: CausalVerbs | None = None
    relation_opposites: list[RelationSpec] = Field(default_factory=list)
    subject_reversers: WordList | None = None


def _phrases_rx(phrases: Sequence[str], *, inflect: bool = False) -> re.Pattern[str]:
    """Any of `phrases` as whole words ("cure" also as "cures", "cured" with `inflect`)."""
    alts = sorted({re.escape(p.strip()).replace(r"\ ", r"\s+") for p in phrases if p.strip()},
                  key=len, reverse=True)
    tail = r"(?:s|es|d|ed)?" if inflect else ""
    return re.compile(r"(?<![\w%])(?:" + "|".join(alts) + ")" + tail + r"(?![\w])", re.I)


@dataclass(frozen=True, slots=True)
class Form:
    id: str
    pattern: re.Pattern[str]
    template: str
    groups: tuple[str, ...]
    strip_possessive: bool
    frame: tuple[str, ...]
    declarative: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Absolute:
    word: str
    rx: re.Pattern[str]
    counter: re.Pattern[str]
    support: re.Pattern[str]
    object_counter: re.Pattern[str] | None
    unsaid_notice: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Opposite:
    word: str
    rx: re.Pattern[str]
    opposite: re.Pattern[str]
    after_subject: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Relation:
    """One `relation_opposites` entry: its phrases and where subject and object stand."""

    rx: re.Pattern[str]
    order: str
    negative: bool
    reason: str


@dataclass(frozen=True, slots=True)
class PresuppositionData:
    forms: tuple[Form, ...]
    verb_forms: Mapping[str, str]
    plurals: Mapping[str, str]
    relations: frozenset[str]
    #: Base verbs put in the third person after "does" (`third_person_verbs`).
    third_person: frozenset[str]
    #: Words that end a claim's subject (`claim_verbs`, inflected; see `claim_parts`).
    claim_verbs: frozenset[str]
    #: Stems of the words that name who a claim is about (`population_words`).
    population: frozenset[str]
    personal: frozenset[str]
    reporting: re.Pattern[str]
    openers: frozenset[str]
    not_findings: re.Pattern[str]
    modifier_negations: frozenset[str]
    pronouns: Mapping[str, str]
    absolutes: tuple[Absolute, ...]
    opposites: tuple[Opposite, ...]
    #: "make" followed by one of these is not a relation (`make_not_causal`).
    make_copula: re.Pattern[str] | None = None
    #: The verbs of a causal claim, inflected (`causal_verbs`).
    causal: re.Pattern[str] | None = None
    #: What states the opposite of a causal claim (`relation_opposites`), one entry per
    #: phrase list; `negative` where the phrases carry their own negation.
    relation_opposites: tuple[Relation, ...] = ()
    #: Words before a subject that make it not the clause's subject (`subject_reversers`).
    reversers: frozenset[str] = frozenset()


def parse_presuppositions(text: str, *, name: str = "presuppositions.yaml") -> PresuppositionData:
    """Parse and check the presuppositions YAML; `PresuppositionError` names entry and field."""
    spec = parse_knowledge(text, PresuppositionFile, name=name, error=PresuppositionError,
                           expected="expected a mapping with version, updated and forms")
    forms: list[Form] = []
    seen: set[str] = set()
    for f in spec.forms:
        if f.id in seen:
            raise PresuppositionError(f"{name}: forms '{f.id}', field 'id': duplicate id")
        seen.add(f.id)
        rx = re.compile(f.pattern, re.I)
        groups = tuple(re.findall(r"\{(\w+)\}", f.template))
        missing = [g for g in groups if g not in rx.groupindex]
        if missing:
            raise PresuppositionError(
                f"{name}: forms '{f.id}', field 'template': group '{missing[0]}' is not a named "
                "group of the pattern")
        bad = [g for g in f.frame if g not in rx.groupindex]
        if bad:
            raise PresuppositionError(
                f"{name}: forms '{f.id}', field 'frame': group '{bad[0]}' is not a named group "
                "of the pattern")
        forms.append(Form(f.id, rx, f.template, groups, f.possessed_subject == "strip",
                          tuple(f.frame), f.declarative, f.reason))
    return PresuppositionData(
        forms=tuple(forms),
        verb_forms={k.lower(): v for k, v in spec.verb_forms.items()},
        plurals={k.lower(): v.lower() for k, v in spec.irregular_plurals.items()},
        relations=frozenset(content_tokens(" ".join(spec.relation_words.words)))
        if spec.relation_words else frozenset(),
        third_person=frozenset(w.lower() for w in spec.third_person_verbs.words)
        if spec.third_person_verbs else frozenset(),
        claim_verbs=_claim_verbs(spec.claim_verbs),
        population=frozenset(content_tokens(" ".join(spec.population_words.words)))
        if spec.population_words else frozenset(),
        personal=frozenset(w.lower() for w in spec.personal_subjects.words),
        reporting=_phrases_rx(spec.reporting_cues.words),
        openers=frozenset(w.lower() for w in spec.question_openers.words),
        not_findings=_phrases_rx(spec.not_findings.words),
        modifier_negations=frozenset(w.lower() for w in spec.modifier_negations.words),
        pronouns={k.lower(): v for k, v in spec.reader_pronouns.items()},
        absolutes=tuple(Absolute(a.word, _phrases_rx([a.word], inflect=True),
                                 _phrases_rx(a.counter),
                                 _phrases_rx(a.support or [a.word], inflect=not a.support),
                                 _phrases_rx(a.object_counter) if a.object_counter else None,
                                 a.unsaid_notice, a.reason) for a in spec.absolutes),
        opposites=tuple(Opposite(o.word, _phrases_rx([o.word], inflect=o.after_subject),
                                 _phrases_rx(o.opposite), o.after_subject, o.reason)
                        for o in spec.opposites),
        make_copula=re.compile(r"\bmak(?:e|es|ing)\s+(?:" + "|".join(
            re.escape(w.lower()) for w in spec.make_not_causal.words) + r")\b", re.I)
        if spec.make_not_causal else None,
        causal=_phrases_rx(_causal_forms(spec.causal_verbs.words)
                           + spec.causal_verbs.as_written)
        if spec.causal_verbs else None,
        relation_opposites=tuple(
            Relation(_phrases_rx(r.phrases), r.order,
                     all(_NEGATIVE_PHRASE.search(ph) for ph in r.phrases), r.reason)
            for r in spec.relation_opposites),
        reversers=frozenset(w.lower() for w in spec.subject_reversers.words)
        if spec.subject_reversers else frozenset(),
    )


#: A phrase that carries its own negation ("does not cause", "no evidence that").
_NEGATIVE_PHRASE = re.compile(r"\b(?:not|no|cannot|never)\b|n't\b", re.I)


def _causal_forms(verbs: Sequence[str]) -> list[str]:
    """Each causal verb with its regular inflections and -ing form ("lead to" -> "leads to",
    "leading to"); irregular forms ("gave", "led to") are listed in the data as written."""
    out: list[str] = []
    for v in verbs:
        head, _, rest = v.strip().lower().partition(" ")
        ing = (head[:-1] if head.endswith("e") and not head.endswith("ee") else head) + "ing"
        out += [f"{f} {rest}".strip() for f in sorted(_inflections(head) | {ing})]
    return out


def _third_person_form(verb: str) -> str:
    """``push`` -> pushes, ``worry`` -> worries, ``make`` -> makes (the case is kept)."""
    low = verb.lower()
    if low.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if low.endswith("y") and low[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _inflections(verb: str) -> set[str]:
    """``cause`` -> cause, causes, caused; ``worry`` -> worries, worried; ``push`` -> pushes."""
    v = verb.lower()
    out = {v, v + "s", v + "d" if v.endswith("e") else v + "ed", _third_person_form(v)}
    if v.endswith("y") and v[-2:-1] not in "aeiou":
        out.add(v[:-1] + "ied")
    return out


def _claim_verbs(spec: VerbList | None) -> frozenset[str]:
    """The words that end a claim's subject: each verb inflected; an ambiguous one only
    inflected ("damages", not "damage")."""
    if spec is None:
        return frozenset()
    out: set[str] = set()
    for w in spec.words:
        out |= _inflections(w)
    for w in spec.ambiguous:
        out |= _inflections(w) - {w.lower()}
    return frozenset(out)


@cache
def load_presuppositions() -> PresuppositionData:
    """The bundled ``knowledge/presuppositions.yaml`` (cached)."""
    return parse_presuppositions(knowledge_text("presuppositions.yaml"))


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presupposition:
    """What the question takes for granted, in the reader's words, and the form that says so."""

    text: str
    form: str
    absolutes: tuple[str, ...] = ()
    #: Words of the form's frame ("option"), not needed in a sentence about the same concepts.
    frame_words: tuple[str, ...] = ()


#: Possessive determiners dropped before a thing's name ("my statin") by forms that say so.
_POSSESSIVES = frozenset({"my", "our", "his", "her", "their", "your"})
_SENTENCE = re.compile(r"[^.?!]+[.?!]*")
_WORD_AS_WRITTEN = re.compile(r"[\w']+|[^\w\s]+|\s+")


def _after_reporting(text: str, data: PresuppositionData) -> str:
    """``"my doctor says antibiotics cure X"`` -> ``"antibiotics cure X"`` (the last cue)."""
    last = None
    for m in data.reporting.finditer(text):
        last = m
    if last is None or not text[last.end():].strip():
        return text
    return text[last.end():].strip()


def _opens_question(text: str, data: PresuppositionData) -> bool:
    """Whether `text` opens as a question ("Is X ...", "Does X ...", "Why ...")."""
    first = text.split()[0].lower().strip(",;:") if text.split() else ""
    return first in data.openers


def _reader_words(text: str, data: PresuppositionData) -> str:
    """First person as second person: ``"cure my cold"`` -> ``"cure your cold"``."""
    out = []
    for tok in _WORD_AS_WRITTEN.findall(text):
        out.append(data.pronouns.get(tok.lower(), tok))
    return "".join(out)


def _fill(form: Form, m: re.Match[str], data: PresuppositionData) -> str:
    values = {}
    for g in form.groups:
        v = collapse_whitespace(m.group(g) or "")
        values[g] = data.verb_forms.get(v.lower(), v)
    text = collapse_whitespace(form.template.format(**values)).strip(" ,;:.!?")
    if (m.groupdict().get("aux") or "").lower() == "does":
        text = _third_person(text, data)
    return text


def _third_person(text: str, data: PresuppositionData) -> str:
    """``"sugar make kids hyperactive"`` -> ``"sugar makes kids hyperactive"``: the first of
    `third_person_verbs` after the first word, inflected."""
    toks = text.split(" ")
    for i, tok in enumerate(toks[1:], start=1):
        low = tok.lower()
        if low in data.third_person:
            toks[i] = _third_person_form(tok)
            break
    return " ".join(toks)


def presuppositions(question: str,
                    data: PresuppositionData | None = None) -> list[Presupposition]:
    """The presuppositions the question's forms carry, each once, in question order."""
    d = data or load_presuppositions()
    q = collapse_whitespace(clip(clean(question)))
    out: list[Presupposition] = []
    seen: set[tuple[str, ...]] = set()
    for sm in _SENTENCE.finditer(q):
        sent = sm.group().strip()
        if not sent:
            continue
        for form in d.forms:
            m = form.pattern.search(sent)
            if m is None:
                continue
            if form.declarative and _opens_question(sent[:m.end()], d):
                continue
            text = _after_reporting(_fill(form, m, d), d)
            if form.declarative and _opens_question(text, d):
                continue  # "..., should my baby always wear a hat?" asks; it does not assume
            if form.strip_possessive and text.split()[0].lower() in _POSSESSIVES:
                text = text.split(" ", 1)[1] if " " in text else ""
            if not text or text.split()[0].lower() in d.personal \
                    or (words(text) or [""])[0] in d.personal:
                continue
            if len(set(_claim_tokens(text, d))) < MIN_CONTENT:
                continue
            text = _reader_words(text, d)
            key = tuple(words(text.lower()))
            if any(_ends_with(key, k) or _ends_with(k, key) for k in seen):
                # the same claim read by two forms, one with a word before it ("Since
                # antibiotics always cure ear infections, ..." by the since and "always"
                # forms)
                continue
            seen.add(key)
            found = tuple(a.word for a in d.absolutes if a.rx.search(text))
            frame = tuple(w for g in form.frame for w in (m.group(g) or "").split())
            out.append(Presupposition(text=text, form=form.id, absolutes=found,
                                      frame_words=frame))
    return out


def _ends_with(key: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    return bool(tail) and key[-len(tail):] == tail


#: A possessive ending ("a child's cough" is about a child).
_POSSESSIVE_S = re.compile(r"(?<=[A-Za-z])['\u2019]s\b")


def _tokens(text: str, data: PresuppositionData) -> list[str]:
    """The verifier's content words (`verify.support.content_tokens`) with a possessive "'s"
    dropped and irregular plurals in their singular (``irregular_plurals``: "children" ->
    "child"), so "a child's cough" and "cough medicines ... children" share their words. A
    hyphenated word also gives its parts ("(18)F-FDG" -> "f-fdg", "fdg"): a sentence that
    writes "FDG" alone names it."""
    out = []
    for t in content_tokens(_POSSESSIVE_S.sub("", text)):
        out.append(data.plurals.get(t, t))
        if "-" in t:
            out += _hyphen_parts(t, data)
    return out


def _claim_tokens(text: str, data: PresuppositionData) -> list[str]:
    """`_tokens` of a presupposition: a hyphenated word stays one word ("(18)F-FDG" ->
    "18", "f-fdg"); a sentence names it when it names all its parts (`with_hyphen_words`),
    so its parts do not count as concepts of their own."""
    return [data.plurals.get(t, t) for t in content_tokens(_POSSESSIVE_S.sub("", text))]


def _hyphen_parts(token: str, data: PresuppositionData) -> list[str]:
    """The content parts of a hyphenated token of two characters or more ("f-fdg" -> "fdg")."""
    return [data.plurals.get(t, t) for part in token.split("-") if len(part) >= 2
            for t in content_tokens(part)]


def with_hyphen_words(p: Presupposition, sentences: Sequence[_Sentence],
                      data: PresuppositionData) -> list[_Sentence]:
    """`sentences`, each also holding the presupposition's hyphenated words whose parts it
    names ("FDG uptake ..." names "(18)F-FDG", whose parts of two characters or more are
    "fdg"). All parts are needed: "FLT3-ITD" does not name "FLT3-ITD-mutant"."""
    need = {t: frozenset(_hyphen_parts(t, data))
            for t in _claim_tokens(p.text, data) if "-" in t}
    need = {t: ps for t, ps in need.items() if ps}
    if not need:
        return list(sentences)
    out = []
    for s in sentences:
        extra = frozenset(t for t, ps in need.items() if ps <= s.tokens)
        out.append(s if extra <= s.tokens else _Sentence(s.text, s.evidence, s.tokens | extra))
    return out


_RAW_WORD = re.compile(r"[\w'-]+")


def claim_split(text: str, data: PresuppositionData | None = None) -> tuple[int, int] | None:
    """Where a claim's subject ends and the rest begins: the bounds of the first of
    `claim_verbs` after its first word. None where there is none."""
    d = data or load_presuppositions()
    for i, m in enumerate(_RAW_WORD.finditer(text)):
        if i >= 1 and m.group().lower() in d.claim_verbs:
            return m.start(), m.end()
    return None


def claim_parts(text: str, data: PresuppositionData | None = None,
                ) -> tuple[frozenset[str], frozenset[str]] | None:
    """The content words of a claim's subject and of what it says of it: the subject ends at
    the first of `claim_verbs` after its first word ("garlic | can cure high blood pressure",
    "cold weather | causes colds"). None where no such word is found or the subject has no
    content word."""
    d = data or load_presuppositions()
    split = claim_split(text, d)
    if split is None:
        return None
    subject = frozenset(_claim_tokens(text[:split[0]], d))
    return (subject, frozenset(_claim_tokens(text[split[1]:], d))) if subject else None


# --------------------------------------------------------------------------------------------
# Evidence check
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contradiction:
    """A retrieved sentence that contradicts a presupposition, and how."""

    presupposition: Presupposition
    sentence: str
    evidence: Evidence
    kind: str  # negated | opposite | absolute | relation
    coverage: float


@dataclass(frozen=True, slots=True)
class _Sentence:
    text: str
    evidence: Evidence
    tokens: frozenset[str]


def evidence_sentences(evidence: Sequence[Evidence],
                       data: PresuppositionData | None = None) -> list[_Sentence]:
    """The sentences of the top retrieved passages that state a finding (not an aim or an
    open question), with their stemmed content words."""
    d = data or load_presuppositions()
    out: list[_Sentence] = []
    seen: set[str] = set()
    for ev in list(evidence)[:MAX_PASSAGES]:
        for s in split_sentences(ev.passage.text):
            s = collapse_whitespace(s)
            if len(s) < 12 or s in seen or d.not_findings.search(s) \
                    or len(s.split()) > MAX_SENTENCE_WORDS:
                continue
            seen.add(s)
            out.append(_Sentence(s, ev, frozenset(_tokens(s, d))))
    return out


def _negates(sentence: str, core: frozenset[str], data: PresuppositionData) -> bool:
    """Whether the sentence negates the presupposition's content: a negation scope (not opened
    by a noun-phrase negation such as "without") covering one of its words that the sentence
    does not also state outside the negation, or the consensus meter's cues reading
    "contradicts" ("no significant difference in Y") in the sentence's main clause, before
    any relative clause. A negation of something else in the same sentence ("high blood
    pressure damages these blood vessels, so the kidneys are not able to filter the blood";
    "bone disorder, which occurs when vitamin D is not turned into calcitriol") does not
    negate the claim."""
    text = expand_contractions(sentence)
    for span in find_negations(text):
        if span.trigger.lower() in data.modifier_negations:
            continue
        inside = core & frozenset(_tokens(" ".join(span.terms), data))
        outside = frozenset(_tokens(text.replace(span.text, " ", 1), data))
        if inside - outside:
            return True
    main = _RELATIVE_CLAUSE.split(sentence, maxsplit=1)[0]
    return "contradicts" in (sentence_stance(main).label,
                             sentence_stance(expand_contractions(main)).label)


#: Where a sentence's main clause ends: a relative or temporal clause, or a consequence or
#: concession after a comma.
_RELATIVE_CLAUSE = re.compile(
    r",?\s+(?:which|who|whom|whose|when|where|while|whereas)\s"
    r"|,\s+(?:so|because|although|though|since)\s", re.I)


def _plain(sentence: str, core: frozenset[str], data: PresuppositionData) -> bool:
    """Whether the sentence states the presupposition's content without negating it: it
    reads "supports" and holds no clause negation at all. A negation whose scope misses the
    presupposition's words still qualifies the sentence ("Antibiotics do not fight infections
    caused by viruses, such as colds or flu" is not a plain statement that antibiotics cure
    the flu); only a noun-phrase negation ("without") leaves it plain."""
    if _negates(sentence, core, data):
        return False
    if any(span.trigger.lower() not in data.modifier_negations
           for span in find_negations(expand_contractions(sentence))):
        return False
    return sentence_stance(sentence).label == "supports"


def check_presupposition(p: Presupposition, sentences: Sequence[_Sentence],
                         data: PresuppositionData | None = None) -> Contradiction | None:
    """The retrieved sentence that contradicts `p` on the same concepts, or None (also when
    the evidence is silent or mixed)."""
    d = data or load_presuppositions()
    core, relation = _core(p, d)
    if len(core) < MIN_CONTENT:
        return None
    p_negative = any(sp.trigger.lower() not in d.modifier_negations
                     for sp in find_negations(expand_contractions(p.text))) or \
        sentence_stance(expand_contractions(p.text)).label == "contradicts"

    sentences = with_hyphen_words(p, sentences, d)
    found = _contradiction(p, sentences, d, core, relation, p_negative)
    if found is None and not p_negative:
        found = relation_opposite(p, sentences, d)
    return found


def _contradiction(p: Presupposition, sentences: Sequence[_Sentence],  # noqa: C901
                   d: PresuppositionData, core: frozenset[str], relation: frozenset[str],
                   p_negative: bool) -> Contradiction | None:
    """`check_presupposition`'s word-level checks: an object denied, an absolute word
    qualified, a quantifier's or verb's opposite, the same content negated."""
    claim = core | relation
    about = _about(p, core, relation, sentences, d)
    for word in p.absolutes:
        c = _object_denied(p, word, sentences, d)
        if c is not None:
            return c
    if not about:
        return None  # the evidence is silent on this presupposition
    about.sort(key=lambda x: -x[0])

    # Absolute words: "only", "always", "never", "cure"...
    # (a weaker signal than a negation: the relation words count here too)
    close = [(cov, s) for cov, s in about
             if len(claim & s.tokens) / len(claim) >= MIN_COVERAGE_ABSOLUTE]
    for word in p.absolutes:
        a = next(x for x in d.absolutes if x.word == word)
        if any(a.support.search(s.text) and not _negated_word(s.text, a.support)
               for _, s in about):
            continue  # a sentence about the same concepts states it: supported
        for cov, s in close:
            if a.counter.search(s.text):
                return Contradiction(p, s.text, s.evidence, "absolute", cov)

    # Quantifier opposites ("a common cause" vs "a rare cause") and a verb's opposite after
    # the subject ("vaccines weaken the immune system" vs "the vaccine triggers the immune
    # system to respond").
    subject = _subject(p, core, d)
    for o in d.opposites:
        if not o.rx.search(p.text):
            continue
        for cov, s in about:
            m = o.opposite.search(s.text)
            if m is None or (o.after_subject and not (
                    subject & frozenset(_tokens(s.text[:m.start()], d))
                    and not _negated_word(s.text, o.opposite))):
                continue
            return Contradiction(p, s.text, s.evidence, "opposite", cov)

    # Opposite polarity on the same content.
    if p_negative or "never" in p.absolutes:
        return None  # a negative presupposition is left to the absolute check
    verb_opposites = [o.opposite for o in d.opposites if o.after_subject and o.rx.search(p.text)]
    best: tuple[float, _Sentence] | None = None
    for cov, s in about:
        if any(rx.search(s.text) for rx in verb_opposites):
            continue  # "does not boost the immune system" does not deny that X weakens it
        if _negates(s.text, claim & s.tokens, d):
            best = (cov, s)
            break
    if best is None:
        return None
    cov, s = best
    if any(c >= cov and _plain(t.text, claim & t.tokens, d) for c, t in about):
        return None  # a sentence as close states it plainly: mixed, not contradicted
    return Contradiction(p, s.text, s.evidence, "negated", cov)


def _core(p: Presupposition, data: PresuppositionData) -> tuple[frozenset[str], frozenset[str]]:
    """The presupposition's content words less its absolute and frame words, split into the
    concepts (core) and the relation words ("cause", "improve")."""
    absolute_stems: set[str] = set()
    for a in data.absolutes:
        if a.word in p.absolutes:
            absolute_stems |= set(_tokens(a.word, data))
    frame = set(_tokens(" ".join(p.frame_words), data))
    words_ = frozenset(_claim_tokens(p.text, data)) - absolute_stems - frame
    relations = data.relations
    if data.make_copula is not None and data.make_copula.search(p.text):
        # "family physicians make good sentinels": a copula, neither a concept nor a relation
        make = frozenset(_tokens("make makes", data))
        words_, relations = words_ - make, relations - make
    return words_ - relations, words_ & relations


def _about(p: Presupposition, core: frozenset[str], relation: frozenset[str],
           sentences: Sequence[_Sentence], data: PresuppositionData,
           ) -> list[tuple[float, _Sentence]]:
    """The sentences about the presupposition's concepts, with their coverage: enough of its
    core words, one of its subject's among them."""
    subject = _subject(p, core, data)
    need = MIN_SHARED + (len(core) >= LONG_CORE)
    about: list[tuple[float, _Sentence]] = []
    for s in sentences:
        shared = core & s.tokens
        # A relation word counts where the sentence repeats it, and is not missed where not.
        said = relation & s.tokens
        cov = (len(shared) + len(said)) / (len(core) + len(said))
        if len(shared) >= need and cov >= MIN_COVERAGE and subject & s.tokens:
            about.append((cov, s))
    return about


def _subject(p: Presupposition, core: frozenset[str],
             data: PresuppositionData) -> frozenset[str]:
    """The words of `p`'s subject (`claim_parts`) among its core words, the first
    ``SUBJECT_WORDS`` of them; without a subject found, the first ``SUBJECT_WORDS`` core
    words stand for it."""
    ordered = [t for t in dict.fromkeys(_claim_tokens(p.text, data)) if t in core]
    parts = claim_parts(p.text, data)
    named = [t for t in ordered if parts and t in parts[0]]
    return frozenset((named or ordered)[:SUBJECT_WORDS])


def with_concepts(p: Presupposition, sentences: Sequence[_Sentence],
                  data: PresuppositionData) -> list[_Sentence]:
    """`sentences`, each also holding the presupposition's own words for every concept of it
    that the sentence names in other words: the question-focus concepts of `p`
    (`understand.focus`: the drug dictionary, abbreviations, lay synonyms, MeSH), so "The
    influenza vaccine ..." names "the flu shot" and counts as its words ("flu", "shot").
    Only forms in other words count: a form whose focus key is part of the concept's own
    (focus leaves generic words out: "medical care" is keyed by "care") would let any
    sentence on "care" name "medical care". Runs of plain words add nothing."""
    focus = analyze_focus(p.text)
    other: list[Concept] = []
    for c in focus.concepts:
        if c.kind == "words" or not c.keys:
            continue
        own = c.keys[0]
        forms = tuple(f for f in c.forms
                      if (k := Concept(f, (f,), c.kind).keys) and not k[0] <= own)
        if forms:
            other.append(Concept(c.label, forms, c.kind, c.ref))
    if not other:
        return list(sentences)
    named = Focus(question=p.text, concepts=tuple(other), ask=focus.ask)
    words_of = {c.label: frozenset(_claim_tokens(c.label, data)) for c in other}
    out = []
    for s in sentences:
        extra = frozenset().union(*(words_of[c.label] for c in named.mentions(s.text)))
        out.append(s if extra <= s.tokens else _Sentence(s.text, s.evidence, s.tokens | extra))
    return out


@dataclass(frozen=True, slots=True)
class _Word:
    """A word of a sentence as written, its position, and its content stems (none for a
    stop word)."""

    text: str
    start: int
    end: int
    stems: tuple[str, ...]


_WORD_RX = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
#: Where a clause ends, for the relation opposites: a sentence's punctuation or a contrast.
_CLAUSE_END = re.compile(r"[;:()]|\s[-\u2013\u2014]\s|,?\s+(?:but|however|whereas|while|although|"
                         r"though|yet)\s", re.I)


def _words(text: str, data: PresuppositionData) -> list[_Word]:
    return [_Word(m.group().lower(), m.start(), m.end(), tuple(_claim_tokens(m.group(), data)))
            for m in _WORD_RX.finditer(text)]


def _concept_forms(p: Presupposition, lo: int, hi: int,
                   data: PresuppositionData) -> list[tuple[str, ...]]:
    """The stem sequences that name the concepts of `p.text[lo:hi]` (a claim's subject or
    object): the forms of its question-focus concepts whose words stand there (each concept
    at the first place of `p.text` not taken by an earlier one, in the focus's order, so in
    "the flu shot gives you the flu" the concept "flu" is the object's), and the part's
    content words as written."""
    taken: list[tuple[int, int]] = []
    forms: list[tuple[str, ...]] = []
    for c in analyze_focus(p.text).concepts:
        rx = re.compile(r"(?<![\w-])" + re.escape(c.label) + r"(?![\w-])", re.I)
        m = next((m for m in rx.finditer(p.text)
                  if not any(m.start() < b and a < m.end() for a, b in taken)), None)
        if m is None:
            continue
        taken.append((m.start(), m.end()))
        if lo <= m.start() < hi:
            forms += [tuple(_claim_tokens(f, data)) for f in c.forms]
    forms.append(tuple(_claim_tokens(p.text[lo:hi], data)))
    return [f for f in dict.fromkeys(forms) if f]


def _occurrences(forms: Sequence[tuple[str, ...]], ws: Sequence[_Word],
                 lo: int, hi: int) -> list[tuple[int, int]]:
    """(first word, last word) index of each place in `ws[lo:hi]` where one of `forms`
    stands as consecutive content words (stop words between them skipped)."""
    content = [i for i in range(lo, hi) for _ in ws[i].stems[:1]]
    seq = [ws[i].stems[0] for i in content]
    out = []
    for f in forms:
        n = len(f)
        for k in range(len(seq) - n + 1):
            if tuple(seq[k:k + n]) == f:
                out.append((content[k], content[k + n - 1]))
    return out


def _own_subject(ws: Sequence[_Word], first: int, last: int, stop_at: int,
                 data: PresuppositionData) -> bool:
    """Whether the subject named at `ws[first..last]` is the clause's own: no reverser or
    preposition right before it (determiners skipped: "quitting the habit"), and not a
    modifier of a noun after it ("HPV vaccine"), unless that next word is where `stop_at`
    (the relation phrase) begins."""
    i = first - 1
    while i >= 0 and ws[i].text in _DETERMINERS:
        i -= 1
    if i >= 0 and (ws[i].text in data.reversers
                   or (i >= 1 and f"{ws[i - 1].text} {ws[i].text}" in data.reversers)):
        return False
    nxt = last + 1
    return not (nxt < len(ws) and nxt < stop_at and ws[nxt].stems
                and ws[nxt].text not in STOPWORDS)


_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "my",
                          "our", "their", "his", "her", "its", "some", "any"})


def _causal_parts(p: Presupposition, data: PresuppositionData) -> tuple[int, int] | None:
    """Where a causal claim's subject ends and its object begins in `p.text` ("vaccines" |
    "autism in children"), or None when `p` is not causal (no `causal_verbs` after its first
    word, or "make" used as a copula)."""
    if data.causal is None:
        return None
    m = next((m for m in data.causal.finditer(p.text) if m.start() > 0), None)
    if m is None or (data.make_copula is not None and data.make_copula.search(p.text)):
        return None
    end = len(_AUX_TAIL.sub("", p.text[:m.start()]).rstrip())
    if not _claim_tokens(p.text[:end], data) or not _claim_tokens(p.text[m.end():], data):
        return None
    return end, m.end()


#: A modal or auxiliary before the causal verb belongs to neither side ("the flu shot can").
_AUX_TAIL = re.compile(r"(?:\s+(?:can|could|may|might|will|would|does|do|did|always|"
                       r"really|actually|often|sometimes))+\s*$", re.I)


def relation_opposite(p: Presupposition, sentences: Sequence[_Sentence],
                      data: PresuppositionData | None = None) -> Contradiction | None:
    """A retrieved sentence stating one of ``relation_opposites`` between a causal claim's
    subject and object, each named by concept ("Getting the flu vaccine every year is the
    best way to lower your chance of getting the flu" against "the flu shot gives you the
    flu"; "Stress and spicy foods do not cause ulcers" against "stress causes ulcers").
    None where a retrieved sentence states the claim itself (mixed evidence)."""
    d = data or load_presuppositions()
    parts = _causal_parts(p, d)
    if parts is None or not d.relation_opposites:
        return None
    subj = _concept_forms(p, 0, parts[0], d)
    obj_forms = _concept_forms(p, parts[1], len(p.text), d)
    people = [f for f in obj_forms if set(f) <= d.population]
    obj = [f for f in obj_forms if f not in people] or obj_forms
    found: Contradiction | None = None
    for s in sentences:
        ws = _words(s.text, d)
        if _states_claim(s.text, ws, subj, obj, d):
            return None  # mixed: a sentence says the claim itself
        if found is None and _opposes(s.text, ws, subj, obj, d):
            found = Contradiction(p, s.text, s.evidence, "relation", 1.0)
    return found


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """The character bounds of the clause around `text[start:end]`."""
    lo = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    after = _CLAUSE_END.search(text, end)
    return lo, after.start() if after else len(text)


def _index_span(ws: Sequence[_Word], lo: int, hi: int) -> tuple[int, int]:
    """The word indexes `ws[first:last]` of the characters `lo:hi`."""
    first = next((i for i, w in enumerate(ws) if w.start >= lo), len(ws))
    last = next((i for i, w in enumerate(ws) if w.start >= hi), len(ws))
    return first, last


def _opposes(text: str, ws: Sequence[_Word], subj: Sequence[tuple[str, ...]],
             obj: Sequence[tuple[str, ...]], data: PresuppositionData) -> bool:
    """Whether one clause of the sentence states a `relation_opposites` phrase with the
    claim's subject and object where its `order` puts them."""
    for rel in data.relation_opposites:
        for m in rel.rx.finditer(text):
            if not rel.negative and negated_before(re.compile(re.escape(m.group())),
                                                   text[:m.end()]):
                continue  # "does not lower the risk of" is not an opposite
            c_lo, c_hi = _index_span(ws, *_clause(text, m.start(), m.end()))
            p_lo, p_hi = _index_span(ws, m.start(), m.end())
            if rel.order == "subject_first":
                if any(_own_subject(ws, a, b, p_lo, data)
                       for a, b in _occurrences(subj, ws, c_lo, p_lo)) \
                        and _occurrences(obj, ws, p_hi, c_hi):
                    return True
            elif rel.order == "object_first":
                if _occurrences(obj, ws, c_lo, p_lo) and any(
                        a <= p_hi + 2 for a, _ in _occurrences(subj, ws, p_hi, c_hi)):
                    return True
            elif _claim_in(text, ws, subj, obj, p_hi, c_hi, data):
                return True
    return False


def _claim_in(text: str, ws: Sequence[_Word], subj: Sequence[tuple[str, ...]],
              obj: Sequence[tuple[str, ...]], lo: int, hi: int,
              data: PresuppositionData) -> bool:
    """Whether `ws[lo:hi]` says "<subject> <causal verb> <object>" in that order."""
    if data.causal is None:
        return False
    for _, b in _occurrences(subj, ws, lo, hi):
        start = ws[b].end
        end = ws[hi - 1].end if hi > lo else start
        for m in data.causal.finditer(text, start, end):
            v = next((i for i, w in enumerate(ws) if w.start >= m.end()), hi)
            if _occurrences(obj, ws, v, hi):
                return True
    return False


def _states_claim(text: str, ws: Sequence[_Word], subj: Sequence[tuple[str, ...]],
                  obj: Sequence[tuple[str, ...]], data: PresuppositionData) -> bool:
    """Whether a clause of the sentence says the causal claim itself, not negated and not
    after one of the relation-opposite phrases ("no evidence that X causes Y")."""
    if data.causal is None:
        return False
    for m in data.causal.finditer(text):
        lo, hi = _clause(text, m.start(), m.end())
        clause = text[lo:m.end()]
        if SIMPLE_NEGATION.search(clause) or any(r.rx.search(clause)
                                                 for r in data.relation_opposites):
            continue
        c_lo, c_hi = _index_span(ws, lo, hi)
        if _claim_in(text, ws, subj, obj, c_lo, c_hi, data):
            return True
    return False


def is_silent(p: Presupposition, sentences: Sequence[_Sentence],
              data: PresuppositionData | None = None) -> bool:
    """Whether no retrieved sentence can state `p`, in any words; False for a presupposition
    too short to check. Silent when:

    - no sentence names even two of its concepts (``MIN_SHARED``);
    - or it relates two things (one of ``relation_words``: "cause", "make", "give") and no
      source names both its subject and its object (`claim_parts`) in its retrieved
      passages, words naming who (``population_words``: "children") not counting as the
      object where it has others ("vaccines cause autism in children" over pages on
      vaccinating children and others on autism). A source that states a causal link names
      the outcome; an evaluation's object need not recur ("chaalia/Pan Masala is harmful for
      health": on the tune half, this test without the relation put the notice on 10 more
      true premises; sentence by sentence instead of by source, on 13);
    - or it carries an absolute word marked ``unsaid_notice`` ("cure", "only") that no
      sentence naming its subject and object states ("garlic can cure high blood pressure"
      over sentences saying garlic lowers it).

    Stricter than "not about it" (`_about`'s coverage test): on the PubMedQA false-premise
    set's tune half, a third of the true premises had no sentence "about" them while their
    own abstract, retrieved, says them in other words."""
    d = data or load_presuppositions()
    core, relation = _core(p, d)
    if len(core) < MIN_CONTENT:
        return False
    sentences = with_concepts(p, with_hyphen_words(p, sentences, d), d)
    if not any(len(core & s.tokens) >= MIN_SHARED for s in sentences):
        return True
    parts = claim_parts(p.text, d)
    if parts is None:
        return False
    subject = parts[0] & core
    obj = (parts[1] & core) - subject
    obj = (obj - d.population) or obj
    if relation and subject and not obj and parts[1] & core:
        return _silent_on_shared_word(p, subject - parts[1], sentences, d)
    if not subject or not obj:
        return False
    sources: dict[str, set[str]] = {}
    for s in sentences:
        sources.setdefault(s.evidence.source.external_id, set()).update(s.tokens)
    if relation and not any(subject & t and obj & t for t in sources.values()):
        return True
    naming = [s for s in sentences if subject & s.tokens and obj & s.tokens]
    for word in p.absolutes:
        a = next(x for x in d.absolutes if x.word == word)
        if a.unsaid_notice and not any(a.support.search(s.text)
                                       and not _negated_word(s.text, a.support)
                                       for s in naming):
            return True
    return False


def _silent_on_shared_word(p: Presupposition, own: frozenset[str],
                           sentences: Sequence[_Sentence], data: PresuppositionData) -> bool:
    """`is_silent`'s causal test for a claim whose object's words are all words of its
    subject ("cold weather causes colds", "the flu shot gives you the flu"): a source names
    the subject by its other words (`own`: "weather", "shot", or those of a concept named in
    other words, "flu vaccine"), and the object only by the words the question wrote for it
    ("colds", not the "cold" of "cold weather"), outside the subject's own phrase."""
    split = claim_split(p.text, data)
    if not own or split is None:
        return False
    subject_words = [w for w in _WORD_RX.findall(p.text[:split[0]]) if _claim_tokens(w, data)]
    object_words = [w for w in _WORD_RX.findall(p.text[split[1]:]) if _claim_tokens(w, data)
                    and not set(_claim_tokens(w, data)) <= data.population]
    if not subject_words or not object_words:
        return False
    phrase = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in subject_words) + r"\b", re.I)
    named = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in object_words) + r")\b", re.I)
    sources: dict[str, list[bool]] = {}
    for s in sentences:
        has = sources.setdefault(s.evidence.source.external_id, [False, False])
        has[0] = has[0] or bool(own & s.tokens)
        has[1] = has[1] or bool(named.search(phrase.sub(" ", s.text)))
    return not any(a and b for a, b in sources.values())


def _object_denied(p: Presupposition, word: str, sentences: Sequence[_Sentence],
                   data: PresuppositionData) -> Contradiction | None:
    """A sentence denying the absolute claim for its object ("There is no cure for the common
    cold" against "vitamin C can cure your cold"): it names every content word after the
    absolute word."""
    a = next(x for x in data.absolutes if x.word == word)
    m = a.rx.search(p.text)
    if a.object_counter is None or m is None:
        return None
    obj = frozenset(_claim_tokens(p.text[m.end():], data))
    if not obj:
        return None
    core = frozenset(_claim_tokens(p.text, data))
    best: tuple[float, _Sentence] | None = None
    for s in sentences:
        if obj <= s.tokens and a.object_counter.search(s.text):
            cov = len(core & s.tokens) / len(core)
            if best is None or cov > best[0]:
                best = (cov, s)  # the closest sentence: "cold" also names "cold sores"
    return Contradiction(p, best[1].text, best[1].evidence, "absolute", best[0]) if best else None


def _negated_word(sentence: str, rx: re.Pattern[str]) -> bool:
    """Whether the absolute word itself sits in a negation's scope ("not always", "no cure")."""
    for span in find_negations(expand_contractions(sentence)):
        if rx.search(span.text):
            return True
    return negated_before(rx, sentence)


def contradictions(question: str, evidence: Sequence[Evidence],
                   data: PresuppositionData | None = None) -> list[Contradiction]:
    """One contradiction at most per presupposition of `question` (form-based)."""
    d = data or load_presuppositions()
    pres = presuppositions(question, d)
    if not pres or not evidence:
        return []
    sents = evidence_sentences(evidence, d)
    out = []
    for p in pres:
        c = check_presupposition(p, sents, d)
        if c is not None:
            out.append(c)
    return out
