"""Candidate sentences: source sentences cut from retrieved passages, with light safe clean-up.

Normalisation never changes numbers, units, negations or hedges: it only drops a leading
connective ("However,", "In conclusion,") and expands an abbreviation the same source defines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from curbside.domain import EVIDENCE_LEVEL, Evidence, SourceKind
from curbside.text.sentences import sentence_spans
from curbside.text.stopwords import STOPWORDS
from curbside.text.tokens import lexical_tokens, stem

_LEADING = re.compile(
    r"^(?:however|in conclusion|in summary|to conclude|conclusions?|overall|in addition|"
    r"additionally|furthermore|moreover|also|finally|importantly|notably|interestingly|"
    r"results?|background|objectives?|methods?)\s*[,:]\s+",
    re.I,
)
_DEFINITION = re.compile(r"\b([A-Za-z][A-Za-z\- ]{3,60}?)\s+\(([A-Z][A-Za-z0-9\-]{1,9})\)")
_MIN_WORDS, _MAX_CHARS = 6, 420
#: A finished sentence ends in a full stop or "!" (a closing bracket or quote may follow).
#: Headings, titles ("Recurrent urinary tract infections (UTIs)") and list lead-ins ending in
#: ":" do not, and read as fragments when quoted as a claim.
_FINISHED = re.compile(r"[.!][\"'\u2019\u201d)\]]*$")
#: Bullets flattened into one line ("Abused drugs include - Amphetamines - Cocaine ...").
_FLAT_BULLETS = re.compile(r"(?:\s[-\u2022*]\s.*){2,}")
#: A label flattened into the sentence: "Summary : Marijuana is ...", "Recommendation 7 : ...".
_LABEL = re.compile(r"^[^.!?:;]{1,80}?\s:\s+(?=[A-Z0-9\"'(])")
#: A structured-abstract heading run into its sentence: "Aims Intake of grapefruit juice ...".
_SECTION_WORD = re.compile(
    r"^(?i:aims?|background|objectives?|purpose|summary|introduction|conclusions?|results?|"
    r"methods?|findings|context|design|setting|interpretation|key points?|treatment|diagnosis|"
    r"prevention|management|description|definition|overview|"
    r"(?:some|good|strong|limited|moderate|insufficient|weak) evidence|"
    r"\d+(?:\.\d+)+)\s+(?=[A-Z][a-z])"
)
#: A guideline's grade or consensus label run into its recommendation, after an optional
#: topic word: "GCP - The guideline development group suggests ...", "Metformin B - ...",
#: "Category 2 - ...", "Class II - ...". Counted in the NGC summaries of the development
#: corpus: single-letter grades A-D, GCP 206, Category 2-4 / M, PP 50, CBR 42, EBR, Class, Level.
_GRADE_LABEL = re.compile(
    r"^(?:[A-Z][a-z]+ )?(?:[A-D]|GCP|GPP|PP|CBR|EBR|Category [0-9A-Z]|Class I{1,3}V?|"
    r"Level [A-C1-4])\s[-\u2013\u2014]\s(?=[A-Z][a-z])"
)
def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words a Title Case heading may hold in lower case ("Recommendations for the Use of ...").
_HEADING_SMALL = _wordset(
    "a an and or and/or of for the in on with to at by from vs versus"
)
_HEADING_NOT_FIRST = _wordset("A An The This These Those In Our It There")
#: Capitalised words that can only start a sentence when they follow a capitalised word.
_SENTENCE_OPENERS = _wordset("The A An This These There It In For If When")
_ABBR = re.compile(r"[A-Z][A-Z0-9-]{1,5}")
_BRACKETED_ABBR = re.compile(r"\([A-Z][A-Za-z0-9-]{0,9}\)")
#: Last words of names ("Crohn's Disease Activity Index scores"): never where a sentence starts.
_NAME_END = _wordset(
    "Index Inventory Scale Score Scores Department Association Society College Institute Center "
    "Centre Questionnaire Test Group Committee Foundation Organization Organisation Service "
    "Services Unit Units Program Programme Survey Study Trial Criteria Classification System "
    "Syndrome Disease Disorder Agency Administration Board Council Network Registry Database "
    "Hospital University Clinic Task Force Panel Guideline Guidelines Act Code Model Class Stage "
    "Grade Type Level Phase Step Tier Category"
)
#: Sentences about the document rather than the evidence. From "(this|the) information" on,
#: the template of rare-disease pages on where their lists come from and how to read them
#: ("Much of this information comes from Orphanet, a European rare disease database.", "The
#: frequency of a sign or symptom is usually listed as a rough estimate ...", "In these cases,
#: the sign or symptom may be rare or common", "a frequency of 25/25 means ...", "The Human
#: Phenotype Ontology provides the following list of signs and symptoms for X", the list being
#: a table the article cannot show; "The Human Phenotype Ontology (HPO) has collected
#: information on how often a sign or symptom occurs in a condition"): once a page on the
#: question's topic may give sentences that share no word with the question, they reached
#: the lead. They are in the page's own answer, so a metric that counts any sentence of it
#: (MedQuAD "own answer") rewards them.
_META = re.compile(r"\b(beyond the scope of|see (the )?(section|table|figure|appendix)|"
                   r"see the [^.]{0,80}\b(summary|guideline|document)\b|"
                   r"(is|are) (described|discussed|summari[sz]ed) (below|above|elsewhere)|"
                   r"(this|the) information (comes|came|is taken|was taken|is obtained) from|"
                   r"(is|are|be) (usually |also )?listed as|(the )?table below|"
                   r"you can use the [^.]{0,40}\bdictionary|"
                   r"the sign or symptom may be rare or common|a frequency of \d+/\d+ means|"
                   r"these frequencies are based on|no information on frequency is|"
                   r"provides the following list|"
                   r"has collected information on how often a sign)\b", re.I)
#: A study's aim or design statement: says what was studied, not what was found.
AIM = re.compile(
    r"^(to (determine|assess|evaluate|examine|investigate|compare|describe|explore|identify|"
    r"study|test|review|analy[sz]e|estimate|measure|characteri[sz]e|establish|clarify|quantify|"
    r"develop|report)\b|(the )?(main |primary |principal )?(aims?|purposes?|objectives?|goals?) "
    r"of (this|the|our|the present|the current)\b|(this|the present|the current|our) (study|"
    r"review|trial|analysis|paper|article) (aimed|aims|sought|seeks|was designed|is designed)|"
    r"we (aimed|sought|set out|hypothesi[sz]ed)|"
    r"(the )?((primary|secondary|main|principal) )?(aims?|objectives?|goals?|purposes?) "
    r"(was|were) to\b|"
    r"(here,? |in this (study|work|paper|review|article),? )?we (examined|investigated|"
    r"evaluated|assessed|explored|studied|analy[sz]ed|compared|describe|present)\b"
    r"(?!(?:\s+\w+){0,2}\s+that\b))|"
    r"\b(this|the present|the current|our) (study|review|trial) (studied|investigated|"
    r"examined|evaluated|assessed|compared) (how|whether|if|the (effect|effects|efficacy|"
    r"safety|impact|role))\b",
    re.I,
)
_BAD_START = re.compile(
    r"^(?:and|or|but|which|that|this|these|those|they|it|he|she|we|our|"
    r"table|figure|fig\.|see )\b",
    re.I,
)
#: The authors' own finding in the first person ("We found that ...", "Our study identified
#: six loci ..."): it says what the source found and needs no sentence before it, unlike one
#: opening with "This" or "They"; so it is not a bad start. A first-person sentence about what
#: was done ("We searched ...", "We enrolled ...") still is.
_FIRST_PERSON_FINDING = re.compile(
    r"^(?:we\s+(?:have\s+|had\s+|also\s+|further\s+|now\s+|here\s+|therefore\s+|thus\s+)?"
    r"(?:recently\s+|previously\s+|first\s+)?(?:found|find|show|showed|shown|demonstrate|"
    r"demonstrated|identified|identify|conclude|concluded|observed|confirmed|recommend|"
    r"suggest|suggested)\b"
    r"|our\s+(?:\w+\s+){0,2}?(?:results?|findings?|data|study|studies|analys[ie]s|"
    r"observations?|work|experiments?|review|trial|model)\s+(?:(?:do|does|did)\s+not\s+|"
    r"\w+\s+)?(?:shows?|showed|shown|"
    r"suggests?|suggested|indicates?|indicated|demonstrates?|demonstrated|supports?|"
    r"confirms?|confirmed|identifie[ds]|identify|reveals?|revealed|provides?|provided)\b)",
    re.I,
)


#: A sentence that leans on the one before it through a study-talk noun ("More studies are
#: needed to confirm this finding.", "The mechanism of this association is unclear."):
#: quoted alone it does not say what was found. Not when a verb of finding follows, which
#: carries the claim itself ("Taken together, these results suggest that ..."). Not "that":
#: mostly a relative pronoun before a verb ("a condition that results when ...").
_REFERS_BACK = re.compile(
    r"\b(?:this|these|those|such) (?:[\w-]+ )?(?:findings?|results?|associations?|"
    r"observations?|relationships?|discrepanc(?:y|ies)|hypothes[ie]s|phenomen(?:on|a)|"
    r"trends?|differences?)\b(?!\s+(?:\w+\s+)?(?:suggest|indicate|show|demonstrate|support|"
    r"confirm|impl(?:y|ies)|highlight|reveal|provide|point|argue|favou?r|strengthen|led|lead|"
    r"allow|enable|establish|underscore|emphasi[sz]e|identif|unveil|add|extend|expand)\w*)",
    re.I,
)
#: A sentence that only asks for more research ("Further studies are needed to determine
#: whether ..."): it says what is not known, which answers nothing on its own.
_RESEARCH_CALL = re.compile(
    r"^(?:however,\s+)?(?:more|further|additional|larger|future|new|prospective|"
    r"well-designed|high-quality)\b(?:[\s,-]+[\w-]+){0,4}?\s+(?:studies|research|trials|"
    r"investigations?|work|evaluation|data|evidence)(?:\s+(?:on|of|in|into|about|with|for|"
    r"to)\b[^.;:]{0,80}?)?\s+(?:(?:is|are|will be|would be|may be)"
    r"\s+)?(?:still\s+)?(?:needed|required|warranted|necessary|awaited)\b",
    re.I,
)


#: A sentence about research under way rather than what is known ("New types of treatment are
#: being tested in clinical trials.", "The NINDS supports an extensive research program on
#: ...", "Now, research is suggesting that certain foods may also prevent gout."): the
#: research pages of consumer-health sites say it of every condition, and it answers a
#: question about that research only (`understand.question.asks_about_research`).
_RESEARCH_TALK = re.compile(
    r"\b(?:(?:is|are) being (?:tested|studied|investigated|explored|evaluated|developed)|"
    r"(?:researchers|scientists|investigators) (?:are|have been|continue to) (?:now |also |"
    r"currently |actively )?(?:studying|investigating|testing|looking|working|trying|"
    r"exploring|developing|evaluating|searching|seeking)\b|"
    r"(?:supports?|conducts?|funds?|sponsors?) (?:and conducts? )?(?:an? )?(?:[\w-]+ ){0,3}"
    r"research\b|research (?:programs?|is aimed|aims|is suggesting|suggests|is being done|"
    r"is ongoing|efforts)|(?:take|taking) part in (?:a )?clinical trials?|clinical trials? "
    r"(?:are|is) (?:part of|done to|being|available|under ?way)|information about clinical "
    r"trials)",
    re.I,
)


def research_talk(text: str) -> bool:
    """A sentence about research under way, not what is known (`_RESEARCH_TALK`)."""
    return bool(_RESEARCH_TALK.search(text))


def needs_context(text: str) -> bool:
    """A sentence that does not stand on its own as an answer: it refers back to another
    sentence's finding (`_REFERS_BACK`) or only calls for more research (`_RESEARCH_CALL`)."""
    return bool(_REFERS_BACK.search(text) or _RESEARCH_CALL.search(text))


@dataclass
class Candidate:
    """One source sentence that could become a claim."""

    text: str
    original: str
    evidence: Evidence
    start: int  # offsets within the passage text
    end: int
    relevance: float = 0.0
    features: dict[str, float] = field(default_factory=dict)
    merged: list[Candidate] = field(default_factory=list)

    @property
    def level(self) -> int:
        return EVIDENCE_LEVEL[SourceKind(self.evidence.source.kind)]

    @property
    def section(self) -> str:
        return (self.evidence.passage.section or "").upper()


def _subsequence(letters: str, text: str) -> bool:
    it = iter(text)
    return all(ch in it for ch in letters)


def definitions(text: str) -> dict[str, str]:
    """Abbreviations a text defines: "sacroiliac joint (SIJ)" -> {"SIJ": "sacroiliac joint"}.

    A simplified Schwartz-Hearst match: the shortest run of preceding words that starts with
    the abbreviation's first letter and contains all its letters in order.
    """
    out: dict[str, str] = {}
    for m in _DEFINITION.finditer(text):
        abbr = m.group(2)
        letters = "".join(c for c in abbr.lower() if c.isalnum())
        words = m.group(1).split()
        if not letters or abbr in out:
            continue
        for n in range(1, min(len(words), len(letters) + 2) + 1):
            tail = " ".join(words[-n:])
            if tail[:1].lower() == letters[0] and _subsequence(letters, tail.lower()):
                if len(tail) > len(abbr):
                    out[abbr] = tail
                break
    return out


def normalise(sentence: str, defined: dict[str, str]) -> str:
    """Drop a leading connective; expand the first use of an abbreviation the source defines."""
    s = _LEADING.sub("", sentence, count=1)
    for abbr, long_form in defined.items():
        if long_form.lower() in s.lower() or f"({abbr})" in s:
            continue
        m = re.search(rf"\b{re.escape(abbr)}\b", s)
        if m:
            s = s[: m.start()] + f"{long_form} ({abbr})" + s[m.end() :]
            break
    first = s.split(" ", 1)[0]
    if s and s[0].islower() and first[1:] == first[1:].lower():  # not "axSpA", "mRNA"
        s = s[0].upper() + s[1:]
    return s


def strip_heading(sentence: str, *, titled: bool) -> str:
    """The sentence without a heading or label the source's text flattened into it.

    Always: a ``"Label : "`` prefix, a structured-abstract heading word ("Aims Intake of ...")
    and a guideline's grade label ("GCP - The guideline ...").
    With `titled` (guidelines and patient information, whose headings are Title Case): a Title
    Case run of at least two capitalised words that does not start with an article or end in a
    small word, followed by a capitalised word and then a lower-case word, where the sentence
    is taken to start ("Serious Infections In patients with ..." -> "In patients with ..."); or
    any capitalised run followed by a capitalised "The", "A", "In" ... ("Prolotherapy The use
    of ..." -> "The use of ...").
    """
    s = sentence
    for label in (_LABEL, _SECTION_WORD, _GRADE_LABEL):
        m = label.match(s)
        if m and len(s[m.end():].split()) >= _MIN_WORDS:
            s = s[m.end():]
    if not titled:
        return s
    spans = [(m.start(), m.group(0)) for m in re.finditer(r"\S+", s)]
    words = [w for _, w in spans]
    capitals = 0
    for i, w in enumerate(words[:-1]):
        if w in _HEADING_SMALL or _BRACKETED_ABBR.fullmatch(w):
            continue
        if not w[:1].isupper():
            break
        nxt = next((x for x in words[i + 1:]
                    if x not in _HEADING_SMALL and not _ABBR.fullmatch(x.strip("(),"))), "")
        starts = nxt[:1].islower() and len(words) - i >= _MIN_WORDS and i >= 1
        if starts and w in _SENTENCE_OPENERS and capitals >= 1:
            # "Prolotherapy The use of ...", "Description A generally accepted ...": a
            # capitalised article or opener mid-sentence starts a new sentence.
            return s[spans[i][0]:]
        if (
            starts
            and i >= 2
            and capitals >= 2
            and len(w) >= 2
            and w[1:].replace("-", "").isalpha()
            and w[1:] == w[1:].lower()
            and w not in _NAME_END
            and words[0] not in _HEADING_NOT_FIRST
            and words[i - 1] not in _HEADING_SMALL
        ):
            return s[spans[i][0]:]
        capitals += 1
    return s


def is_heading(text: str) -> bool:
    """Reads as a heading rather than a sentence: most of its words are capitalised
    ("Discussion of Imaging Modalities by Variant Variant 1: Inflammatory Sacroiliac ...")."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text) if w not in _HEADING_SMALL]
    if len(words) < 4:
        return False
    return sum(1 for w in words if w[0].isupper()) >= 0.6 * len(words)


def is_aim(text: str) -> bool:
    """A study's aim or design statement ("To determine whether ...")."""
    return bool(AIM.search(text))


def not_a_finding(text: str, title: str) -> bool:
    """A study aim, or the source's title repeated as a sentence: never a claim."""
    return is_aim(text) or text.strip().rstrip(".").lower() == title.strip().rstrip(".").lower()


def query_terms(words: Sequence[str]) -> set[str]:
    return {w for w in (t.lower() for t in words) if w not in STOPWORDS and len(w) > 2}


def _term_stems(term: str) -> frozenset[str]:
    return frozenset(stem(w) for w in lexical_tokens(term) if len(w) > 2)


def extract_candidates(
    evidence: Sequence[Evidence], terms: set[str], source_texts: dict[int, str]
) -> list[Candidate]:
    """Every usable sentence of the retrieved passages, scored for relevance to `terms`."""
    # A term matches when all its words are in the sentence: "beta-endorphin" and "alcohol use
    # disorder" are one term each, while the sentence's words are single tokens.
    parts = list(dict.fromkeys(_term_stems(t) for t in terms))
    defined_by: dict[int, dict[str, str]] = {}
    out: list[Candidate] = []
    for rank, ev in enumerate(evidence):
        text = ev.passage.text
        if ev.source.id not in defined_by:
            defined_by[ev.source.id] = definitions(source_texts.get(ev.source.id, text))
        defined = defined_by[ev.source.id]
        titled = ev.source.kind in (SourceKind.GUIDELINE, SourceKind.PATIENT_INFO)
        for a, b in sentence_spans(text):
            core = strip_heading(text[a:b], titled=titled)
            a = b - len(core)
            original = text[a:b]
            if len(original) > _MAX_CHARS or len(original.split()) < _MIN_WORDS:
                continue
            if (
                _BAD_START.match(original) and not _FIRST_PERSON_FINDING.match(original)
                or not original[0].isupper()
                and not original[0].isdigit()
            ):
                continue
            if original.endswith("?") or original.count("(") != original.count(")"):
                continue
            if not _FINISHED.search(original.rstrip()) or _FLAT_BULLETS.search(original):
                continue
            if not_a_finding(original, ev.source.title) or _META.search(original):
                continue  # an aim, the title again, or a note about the document
            if is_heading(original):
                continue
            text_ = normalise(original, defined)
            # Matched on the sentence as shown: an abbreviation the source defines counts as
            # its long form ("beta E" -> "beta-endorphin (beta E)").
            words = {stem(w) for w in lexical_tokens(text_) if len(w) > 2}
            overlap = sum(1 for t in parts if t and t <= words) / max(1, len(parts))
            cand = Candidate(text=text_, original=original, evidence=ev, start=a, end=b)
            cand.features = {
                "overlap": overlap,
                "passage": ev.scores.get("final", 0.0),
                "rank": float(rank),
            }
            out.append(cand)
    if out:
        top = max(c.features["passage"] for c in out) or 1.0
        for c in out:
            c.relevance = 0.55 * c.features["overlap"] + 0.45 * (c.features["passage"] / top)
    return out


def jaccard(a: str, b: str) -> float:
    sa = {w for w in lexical_tokens(a) if w not in STOPWORDS}
    sb = {w for w in lexical_tokens(b) if w not in STOPWORDS}
    return len(sa & sb) / len(sa | sb) if sa and sb else 0.0
