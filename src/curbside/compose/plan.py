"""Which sections an article has, by question type, and which sentences belong in each."""

from __future__ import annotations

import re

# "What is X?" is parsed with the question (understand.question); re-exported for callers.
from curbside.understand.focus import Ask, ask_of
from curbside.understand.question import definition_subject as definition_subject

_PEOPLE = (
    r"(patients|cases|people|adults|children|women|men|individuals|subjects|persons|those|"
    r"the population|population)"
)

SECTION_CUES: dict[str, re.Pattern[str]] = {
    "recommendations": re.compile(
        r"\b(recommend\w*|should|suggest(s|ed)?|first[- ]line|is indicated|are indicated|"
        r"guideline\w*|advis\w+|is preferred|strong(ly)? (recommendation|evidence)|"
        r"clinicians|physicians should)\b",
        re.I,
    ),
    "diagnosis": re.compile(
        r"\b(diagnos\w*|imaging|mri|magnetic resonance|radiograph\w*|x-?rays?|ct|hla-b27|"
        r"criteria|sensitivity|specificity|examination|biops\w+|screen\w*|work-?up|"
        r"test(s|ing)?|provocat\w+|injection test|blocks?|marker\w*|crp|esr)\b",
        re.I,
    ),
    "treatment": re.compile(
        r"\b(treat\w*|therap\w*|drug\w*|medication\w*|nsaids?|anti-?inflammatory|exercis\w*|"
        r"surg\w+|injections?|dose\w*|dosing|management|physiotherap\w+|physical therapy|"
        r"rehabilitation|inhibitors?|biologic\w*|analgesic\w*|opioid\w*|ablation|fusion|"
        r"manipulation|acupuncture|intervention\w*|over-the-counter|"
        # Patient pages say what helps in plain verbs ("Sucking on lozenges ... may ease the
        # pain", "Rest and ice can help"): a relief verb after a modal is a treatment answer.
        r"(?:may|can|could|will|often|usually|also|to) (?:also )?(?:help|ease|relieve|soothe)\b"
        r"(?!\s+(?:explain|identify|determine|predict|guide|clarify|understand|inform|us)\b))",
        re.I,
    ),
    "prognosis": re.compile(
        r"\b(prognos\w*|outcomes?|progress\w*|surviv\w*|mortality|recurr\w*|disabilit\w*|"
        r"natural history|long-term|remission|relaps\w*|chronic\w*)\b",
        re.I,
    ),
    # A bare percentage is not a frequency ("75% to 100% pain relief"); a share of people is.
    "prevalence": re.compile(
        r"\b(prevalen\w*|incidence|(is|are|was|were|remains?|not|very|less|more|most|"
        r"relatively|fairly|quite) (un)?common|(un)?common (cause|in|among|condition|disorder|"
        r"disease|problem|finding)|commonly (seen|found|occur\w*|affect\w*|reported|observed)|"
        r"(is|are) rare|rarely (seen|occur\w*)|accounts? for|proportion of|"
        r"frequen(t|tly|cy) (in|among|of|seen|found|observed|reported)|most frequent\w*|"
        r"(\d+(\.\d+)?\s?(%|percent)|half|a third|a quarter) of (all |the )?"
        + _PEOPLE
        + r"|(one|\d+) in (\w+|\d+) (of (all |the )?)?"
        + _PEOPLE
        + r")",
        re.I,
    ),
    "etiology": re.compile(
        r"\b(caus\w*|risk factors?|associated with|etiolog\w*|aetiolog\w*|due to|mechanism\w*|"
        r"pathogen\w*|contribut\w+)\b",
        re.I,
    ),
    # Limits of the evidence, not of a patient ("self-limited", "limited diagnostic value").
    "limits": re.compile(
        r"\b(insufficient (evidence|data|information)|limited (evidence|data|research)|"
        r"(evidence|data|research|studies|literature)( (for|on|about|of|regarding) [^.;]{1,80}?)?"
        r" (is|are|was|were|remains?) (limited|insufficient|lacking|sparse|weak|inconclusive|"
        r"conflicting|scarce|of (low|poor) quality)|"
        r"low[- ]quality|very low|uncertain\w*|unclear|further research|more research|"
        r"further (studies|trials|investigation)|heterogene\w*|risk of bias|small (sample|"
        r"number|studies|trials)|few (studies|trials)|inconclusive|lack of (evidence|data|"
        r"studies)|no (good|high)[- ]quality)\b",
        re.I,
    ),
}

HEADINGS = {
    "key_evidence": "Key evidence",
    "recommendations": "Guideline recommendations",
    "diagnosis": "Diagnosis and work-up",
    "treatment": "Treatment",
    "prognosis": "Prognosis",
    "prevalence": "How common it is",
    "etiology": "Causes and risk factors",
    "limits": "Limits of the evidence",
}

PLANS: dict[str, list[str]] = {
    "yes_no": ["key_evidence", "diagnosis", "treatment", "prevalence", "limits"],
    "treatment": ["recommendations", "treatment", "key_evidence", "limits"],
    "diagnosis": ["diagnosis", "recommendations", "key_evidence", "limits"],
    "prognosis": ["prognosis", "key_evidence", "treatment", "limits"],
    "prevalence": ["prevalence", "key_evidence", "limits"],
    "etiology": ["etiology", "key_evidence", "limits"],
    "definition": ["key_evidence", "diagnosis", "treatment", "limits"],
    "drug_information": ["recommendations", "treatment", "key_evidence", "limits"],
    "other": ["key_evidence", "recommendations", "diagnosis", "treatment", "limits"],
}


_ASKS_FREQUENCY = re.compile(
    r"\b(common(ly)?|uncommon|prevalen\w*|incidence|how often|frequen\w*|rare|rarely|"
    r"how many (people|patients|children|adults|women|men)|how likely)\b",
    re.I,
)
#: Said (as ours) when the question asks how common something is and no source sentence in
#: the evidence gives a frequency: the gap is part of the answer.
NO_FREQUENCY_KEY = "section.no_frequency"
#: The same gap said first in the lead (issue 15: a how-common question leads with a
#: frequency, or says none was found).
NO_FREQUENCY_GAP_KEY = "gap.no_frequency"
#: Said first in the lead when the question asks for a dose, an amount or a schedule
#: (`Ask.DOSE`) and no candidate sentence gives one: the lead that follows does not answer
#: how much or how often.
NO_DOSE_GAP_KEY = "gap.no_dose"


#: How a question asks about frequency; these words say nothing about its topic, so they
#: don't count when sentences are matched to the question ("Common symptoms of sepsis" is no
#: answer to "How common is atrial fibrillation?").
FREQUENCY_WORDS = frozenset(
    [
        "common", "commonly", "uncommon", "often", "frequent", "frequently", "rare", "rarely",
        "usual", "usually",
    ]
)


def asks_frequency(question: str) -> bool:
    """ "Is X a common cause of Y?", "How often does X happen?"; not "How often should I take
    X?" nor "pneumococcal vaccine how often?", which ask for a schedule (`Ask.DOSE`)."""
    return bool(_ASKS_FREQUENCY.search(question)) and ask_of(question) != Ask.DOSE


def plan_for(question: str, question_type: str) -> list[str]:
    """The sections to fill, in order; a question about frequency always gets "How common
    it is" (second, after the type's first section, unless its plan has it already)."""
    plan = list(PLANS.get(question_type, PLANS["other"]))
    if asks_frequency(question) and "prevalence" not in plan:
        plan.insert(1, "prevalence")
    return plan




def defines(subject: str, sentence: str) -> bool:
    """Whether the sentence defines the subject: "Morphine is an opioid ...", "Sciatica
    refers to ...", "Morphine, an opioid agonist, ...", "Sacroiliac joints (SIJ) are ..."."""
    name = re.escape(subject.strip()).replace(r"\ ", r"\s+")
    return bool(
        re.search(
            rf"\b{name}(e?s)?\s*(\([^)]{{1,40}}\)\s*)?(,\s*(an?|the)\s|(is|are)\s+(an?|the|one|"
            rf"a\s+type|used|made|given|called|caused|characteri[sz]ed|defined)\b|refers?\s+to\b|"
            rf"(is|are)\s+defined\s+as\b|means\b)",
            sentence,
            re.I,
        )
    )


#: Said (as ours) when a definition question finds no sentence that defines its subject.
NO_DEFINITION_KEY = "gap.no_definition"


def matches(section: str, text: str) -> bool:
    cue = SECTION_CUES.get(section)
    return bool(cue and cue.search(text))


def title_case(question: str) -> str:
    """The question as a headline ("Is SI joint pain common?" -> "Is SI Joint Pain Common?")."""
    small = {
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "with",
        "from",
        "into",
        "than",
        "that",
        "via",
    }
    q = " ".join(question.strip().split())
    q = q.rstrip("?.! ")
    words = q.split(" ")
    out = []
    for i, w in enumerate(words):
        if w.isupper() or any(c.isdigit() for c in w) or any(c.isupper() for c in w[1:]):
            out.append(w)  # keep acronyms and mixed case (SI, HLA-B27, axSpA)
        elif i and w.lower() in small:
            out.append(w.lower())
        else:
            out.append(w[:1].upper() + w[1:])
    title = " ".join(out)
    if len(title) > 160:
        title = title[:157].rsplit(" ", 1)[0] + "…"
    return title + ("?" if question.strip().endswith("?") else "")
