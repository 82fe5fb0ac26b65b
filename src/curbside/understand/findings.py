"""Clinical findings in free-text questions and case vignettes.

`extract_findings(text)` reads a question or a vignette and returns what it states about the
patient: findings (symptoms, signs, history items and modifiers such as "improves with
exercise" or "worse at night"), each with its canonical term, surface text, offsets and whether
it is negated; durations ("for 3 months", "since last week", "> 30 minutes"); age (digits or
words: "fifty-two-year-old", "52 yo", "52M"); sex; pregnancy; vital signs in odd forms
("38.5C", "101 F", "bp 80/50", "HR 120", "sats 88%") with the findings they imply (fever,
hypotension, tachycardia...); and conflicts (a finding both stated and denied, a man said to be
pregnant, two ages...). Conflicting findings are all reported, never silently resolved.

Negation reuses the ConText-style rules of `curbside.understand.negation` ("no chest pain",
"denies fever", "without weight loss", "chest pain was ruled out"). A term whose own wording
carries the negation ("not improved by rest") is negated only by a trigger before it.

The lexicon is transparent data (canonical term -> regular expressions); `KNOWN_TERMS` is what
knowledge patterns may name in their triggers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from curbside.understand.negation import find_negations

Sex = Literal["male", "female"]

_W = r"(?:[\w'-]+\s+)"  # one word and its trailing space


def _any(*alts: str) -> str:
    return "(?:" + "|".join(alts) + ")"


#: canonical term -> (kind, regexes). Kinds: symptom, sign, modifier, history, context.
_LEXICON: dict[str, tuple[str, list[str]]] = {
    # -- back pain and inflammatory features ------------------------------------------------
    "back pain": ("symptom", [
        r"(?:low(?:er)?\s+)?back\s*(?:pain|ache)", r"backache", r"lumbago", r"lumbar\s+pain",
        r"pain\s+in\s+" + _W + r"{0,3}(?:lower\s+)?back\b", r"\bback\s+(?:hurts|is\s+painful)",
        r"sacroiliac\s+(?:joint\s+)?pain", r"\bsi[- ]joint\s+pain", r"spinal\s+pain",
        r"back\s+stiffness", r"(?:sacroiliac|\bsi)\s+joint\s+(?:dysfunction|imbalance|problems?)",
    ]),
    "buttock pain": ("symptom", [r"buttock\s+pain", r"pain\s+in\s+" + _W + r"{0,2}buttocks?"]),
    "alternating buttock pain": ("symptom", [
        r"alternating\s+buttock", r"buttock\s+pain\s+" + _W + r"{0,2}alternat",
    ]),
    "stiffness": ("symptom", [r"\bstiff(?:ness)?\b"]),
    "morning stiffness": ("symptom", [
        r"morning\s+stiffness", r"stiff(?:ness)?\s+" + _W + r"{0,3}in\s+the\s+mornings?",
        r"stiff\s+(?:when|on|after)\s+(?:waking|getting\s+up)",
    ]),
    "improves with exercise": ("modifier", [
        _any(r"improv\w*", r"better", r"eas(?:es|ed|ing)", r"relieved", r"reliefs?",
             r"less(?:ens)?",
             r"loosens?(?:\s+up)?", r"goes\s+away", r"settles?", r"helped")
        + r"\s+" + _W + r"{0,3}?(?:with|by|after|on|during|when)\s+" + _W + r"{0,2}?"
        + _any(r"exercis\w*", r"movement", r"moving", r"activity", r"activities", r"walking",
               r"motion", r"stretching", r"being\s+active"),
        _any(r"exercise", r"movement", r"moving(?:\s+around)?", r"activity", r"walking")
        + r"\s+" + _any(r"helps", r"improves", r"eases", r"relieves", r"makes\s+it\s+better"),
        r"improvement\s+with\s+(?:movement|exercise|activity)",
    ]),
    "not improved by rest": ("modifier", [
        _any(r"not", r"no", r"doesn'?t", r"does\s+not", r"never", r"isn'?t")
        + r"\s+" + _W + r"{0,1}?" + _any(r"improv\w*", r"better", r"relie\w*", r"eas\w*",
                                         r"help\w*")
        + r"\s+" + _W + r"{0,1}?(?:with|by|after|on)\s+rest(?:ing)?",
        r"rest\s+(?:does\s+not|doesn'?t)\s+help", r"not\s+(?:with\s+)?rest\b",
        r"worse\s+" + _W + r"{0,1}?(?:with|at|after|during)\s+" + _any(
            r"rest", r"inactivity", r"immobility", r"prolonged\s+sitting", r"sitting\s+still"),
        r"(?:improv\w*|better)\s+with\s+exercise\s+but\s+not\s+(?:with\s+)?rest",
    ]),
    "improves with rest": ("modifier", [
        _any(r"improv\w*", r"better", r"eas(?:es|ed|ing)", r"relieved", r"settles?", r"helped")
        + r"\s+" + _W + r"{0,2}?(?:with|by|after|on)\s+" + _W + r"{0,2}?rest(?:ing)?\b",
        r"rest\s+(?:helps|relieves|eases|improves)",
    ]),
    "worse with activity": ("modifier", [
        _any(r"worse", r"aggravat\w*", r"exacerbat\w*", r"brought\s+on", r"provoked",
             r"triggered", r"increases?")
        + r"\s+" + _W + r"{0,2}?(?:by|with|on|during|after|when)\s+" + _W + r"{0,1}?"
        + _any(r"exercis\w*", r"exertion", r"activity", r"movement", r"moving", r"walking",
               r"lifting", r"bending", r"standing", r"twisting"),
    ]),
    "exertional": ("modifier", [
        r"on\s+exertion", r"\bexertional\b", r"with\s+exertion", r"climbing\s+stairs",
        r"walking\s+(?:up\s*hill|upstairs|up\s+stairs)", r"after\s+walking\s+\d+",
    ]),
    "at rest": ("modifier", [r"\bat\s+rest\b", r"even\s+(?:when\s+)?resting", r"while\s+resting"]),
    "night pain": ("modifier", [
        _any(r"pain", r"ache", r"stiffness", r"symptoms?") + r"\s+" + _W + r"{0,4}?"
        + _any(r"at\s+night", r"during\s+the\s+night", r"nocturnal(?:ly)?", r"overnight"),
        r"wak(?:es?|ing|ened)\s+" + _W + r"{0,3}?(?:up\s+)?(?:at\s+night|from\s+sleep|"
        r"in\s+the\s+(?:second\s+half\s+of\s+the\s+|early\s+hours|middle\s+of\s+the\s+)?night)",
        r"night\s+pain", r"nocturnal\s+pain", r"night[- ]time\s+pain", r"worse\s+at\s+night",
        r"second\s+half\s+of\s+the\s+night",
    ]),
    "insidious onset": ("modifier", [
        r"insidious", r"gradual(?:ly)?\s+(?:onset|start|began|started|came\s+on|worsen\w*)",
        r"came\s+on\s+(?:slowly|gradually)", r"slowly\s+(?:progressive|worsening|came\s+on)",
        r"gradual\s+onset",
    ]),
    "sudden onset": ("modifier", [
        r"\bsudden(?:ly)?\b", r"\babrupt(?:ly)?\b", r"came\s+on\s+(?:suddenly|all\s+at\s+once)",
        r"acute\s+onset", r"out\s+of\s+the\s+blue", r"within\s+seconds",
    ]),
    "responds to NSAIDs": ("modifier", [
        _any(r"improv\w*", r"respond\w*", r"better", r"relieved", r"eases")
        + r"\s+" + _W + r"{0,4}?" + _any(r"nsaids?", r"ibuprofen", r"naproxen",
                                         r"anti-?inflammator\w*", r"diclofenac"),
    ]),
    "psoriasis": ("history", [r"psoria\w+"]),
    "uveitis": ("history", [r"uveitis", r"iritis", r"eye\s+inflammation"]),
    "enthesitis": ("sign", [r"enthesitis", r"heel\s+pain", r"achilles\s+(?:pain|tendinitis)"]),
    "family history of spondyloarthritis": ("history", [
        r"(?:family\s+history|father|mother|brother|sister|parent|sibling)\s+" + _W
        + r"{0,4}?(?:ankylosing|spondyl\w+|psoria\w+|hla-?b27)",
    ]),
    # -- cauda equina, spinal infection, malignancy, fracture -------------------------------
    "saddle anaesthesia": ("sign", [
        r"saddle\s+(?:an(?:a)?esthesia|numbness|sensory\s+loss)",
        r"numb\w*\s+" + _W + r"{0,3}?(?:groin|perine\w*|genitals?|inner\s+thighs|saddle|"
            r"between\s+the\s+legs)",
    ]),
    "urinary retention": ("sign", [
        r"urinary\s+retention", r"retention\s+of\s+urine",
        _any(r"can'?t", r"cannot", r"unable\s+to", r"difficulty", r"trouble")
        + r"\s+" + _W + r"{0,2}?" + _any(r"pass(?:ing)?\s+urine", r"urinat\w*", r"pee(?:ing)?",
                                        r"empty(?:ing)?\s+(?:the\s+|my\s+|his\s+|her\s+)?bladder"),
    ]),
    "incontinence": ("sign", [
        r"(?:urinary|faecal|fecal|bowel|bladder|stool)\s+incontinence", r"incontinen\w+",
        r"loss\s+of\s+(?:bladder|bowel)\s+(?:control|function)", r"wet\s+(?:him|her|my)self",
    ]),
    "bilateral leg symptoms": ("sign", [
        r"(?:both|bilateral)\s+(?:legs?|lower\s+limbs?|sciatica|leg\s+pain)",
        r"bilateral\s+sciatica",
        r"numbness\s+" + _W + r"{0,2}both\s+legs",
    ]),
    "leg weakness": ("sign", [
        r"(?:leg|lower[- ]limb|foot)\s+weakness", r"weak(?:ness)?\s+(?:in|of)\s+" + _W
        + r"{0,1}?(?:legs?|foot|feet|lower\s+limbs?)", r"foot\s+drop",
    ]),
    "progressive neurological deficit": ("sign", [
        r"progressive\s+(?:weakness|numbness|neurolog\w+)", r"worsening\s+(?:weakness|numbness)",
    ]),
    "sciatica": ("symptom", [
        r"sciatica", r"radiat\w*\s+" + _W + r"{0,3}?(?:down|into|to)\s+" + _W
        + r"{0,1}?(?:legs?|thighs?|calf|foot)", r"shooting\s+pain\s+down",
    ]),
    "history of cancer": ("history", [
        r"history\s+of\s+" + _W
        + r"{0,2}?(?:cancer|malignan\w*|carcinoma|tumou?r|lymphoma|myeloma)",
        r"(?:previous|prior|known|metastatic|treated)\s+" + _W
        + r"{0,2}?(?:cancer|malignan\w*|carcinoma|tumou?r)",
        r"(?:breast|lung|prostate|colon|bowel|kidney|thyroid)\s+cancer",
    ]),
    "weight loss": ("symptom", [
        r"weight\s+loss",
        r"(?:lost|losing)\s+" + _W + r"{0,3}?(?:weight|\d+\s*(?:kg|lbs?|pounds|kilos))",
        r"lost\s+\d+\s*(?:kg|lbs?|pounds|kilos)",
    ]),
    "fever": ("sign", [
        r"\bfevers?\b", r"\bfebrile\b", r"pyrexi\w*", r"high\s+temperature", r"\bfeverish\b",
    ]),
    "chills": ("symptom", [r"\bchills\b", r"\brigou?rs?\b", r"shivering"]),
    "night sweats": ("symptom", [r"night\s+sweats?", r"sweat\w*\s+at\s+night",
                                 r"drenching\s+sweats"]),
    "iv drug use": ("history", [
        r"(?:iv|intravenous|injection|injecting)\s+drug\s+(?:use|user|misuse|abuse)",
        r"inject\w*\s+(?:drugs|heroin)", r"\bivdu\b", r"\bpwid\b",
    ]),
    "immunosuppression": ("history", [
        r"immunosuppress\w*", r"immunocompromis\w*", r"chemotherapy", r"\btransplant\w*",
        r"\bhiv\b", r"(?:prolonged|chronic|long[- ]term)\s+(?:oral\s+)?(?:cortico)?steroids?",
        r"(?:prolonged|chronic|long[- ]term)\s+(?:prednisolone|prednisone)",
    ]),
    "steroid use": ("history", [
        r"(?:cortico)?steroids?\b", r"prednisolone", r"prednisone", r"dexamethasone",
    ]),
    "not improved by treatment": ("modifier", [
        r"(?:not|no|hasn'?t|has\s+not|haven'?t)\s+" + _W + r"{0,1}?(?:improv\w*|better|"
            r"respond\w*)\s+"
        + _W + r"{0,4}?(?:treatment|management|therapy|painkillers|analgesi\w+|physio\w*)",
        r"despite\s+" + _W + r"{0,2}?(?:treatment|painkillers|analgesi\w+|physio\w*|rest)",
    ]),
    "urinary infection": ("history", [r"urinary\s+(?:tract\s+)?infection", r"\butis?\b",
                                      r"cystitis"]),
    "trauma": ("history", [
        r"\bfell\b", r"\bfall\b", r"\btrauma\w*", r"\binjur\w+", r"accident", r"collision",
        r"car\s+crash", r"heavy\s+lift\w*",
    ]),
    "osteoporosis": ("history", [r"osteopor\w+", r"osteopeni\w+"]),
    # -- chest pain, cardiac ----------------------------------------------------------------
    "chest pain": ("symptom", [
        r"chest\s+(?:pain|discomfort|pressure|tightness|heaviness|ache)",
        _any(r"pain", r"pressure", r"tightness", r"heaviness", r"discomfort", r"squeezing")
        + r"\s+(?:in|across|on|over)\s+(?:the\s+|his\s+|her\s+|"
            r"my\s+)?(?:middle\s+of\s+(?:the\s+)?)?chest",
        r"retrosternal", r"substernal", r"\bangina\b", r"central\s+chest",
    ]),
    "radiating to arm or jaw": ("symptom", [
        r"radiat\w*\s+" + _W + r"{0,6}?(?:arm|jaw|neck|shoulder)",
        r"(?:arm|jaw)\s+(?:pain|discomfort)",
        r"spread\w*\s+" + _W + r"{0,4}?(?:arm|jaw|neck)",
    ]),
    "sweating": ("symptom", [r"\bsweat(?:ing|y)\b", r"diaphore\w+", r"\bclammy\b",
                             r"cold\s+sweat"]),
    "nausea": ("symptom", [r"nause\w+", r"feel(?:s|ing)?\s+sick", r"\bqueasy\b"]),
    "vomiting": ("symptom", [r"vomit\w*", r"throwing\s+up", r"\bemesis\b", r"\bthrew\s+up"]),
    "shortness of breath": ("symptom", [
        r"short(?:ness)?\s+of\s+breath", r"breathless\w*", r"dysp?n(?:o)?ea", r"dyspnea",
        r"(?:difficulty|trouble|problems?)\s+breathing", r"can'?t\s+breathe",
        r"hard\s+to\s+breathe",
        r"\bSOB\b",
    ]),
    "dizziness": ("symptom", [r"dizz\w+", r"light[- ]?head\w*", r"\bvertigo\b"]),
    "palpitations": ("symptom", [
        r"palpitat\w+", r"(?:irregular|racing|pounding|fluttering)\s+(?:heart\w*|pulse)",
        r"heart\s+(?:racing|fluttering|pounding)", r"skipped\s+beats?",
    ]),
    "syncope": ("sign", [
        r"\bfaint(?:ed|ing|s)?\b", r"syncop\w*", r"passed\s+out", r"passing\s+out",
        r"\bcollaps\w+", r"loss\s+of\s+consciousness", r"blacked\s+out",
    ]),
    "tachycardia": ("sign", [r"tachycardi\w*", r"fast\s+heart\s*(?:beat|rate)", r"racing\s+heart"]),
    "hypotension": ("sign", [r"hypotensi\w+", r"low\s+blood\s+pressure", r"\bshock\b"]),
    "tachypnoea": ("sign", [r"tachypn\w+", r"rapid\s+breathing", r"breathing\s+(?:fast|rapidly)",
                            r"fast\s+breathing"]),
    "hypoxia": ("sign", [r"hypox\w+", r"low\s+(?:oxygen|sats|saturation)", r"cyanos\w+"]),
    # -- neurological ----------------------------------------------------------------------
    "headache": ("symptom", [r"headaches?", r"head\s+pain", r"cephalgi\w+", r"migraines?"]),
    "thunderclap headache": ("symptom", [
        r"thunderclap", r"worst\s+" + _W + r"{0,2}?headache",
        r"worst\s+pain\s+of\s+(?:my|her|his|their)\s+life",
        r"(?:maximum|maximal|peak)\s+(?:intensity|severity)\s+at\s+onset",
        r"sudden\w*\s+" + _W + r"{0,2}?(?:severe\s+)?headache", r"severe\s+headache\s+" + _W
        + r"{0,2}?(?:came\s+on\s+)?sudden\w*",
    ]),
    "facial droop": ("sign", [
        r"(?:face|facial)\s+(?:droop\w*|weakness|asymmetry|palsy)", r"droop\w*\s+" + _W
        + r"{0,2}?(?:face|mouth|side\s+of\s+(?:the\s+|his\s+|her\s+)?face)", r"\bdrooping\b",
    ]),
    "arm weakness": ("sign", [
        r"(?:arm|hand|limb)\s+weakness", r"weak(?:ness)?\s+(?:in|of)\s+" + _W
        + r"{0,2}?(?:arms?|hands?|limbs?)", r"hemipar\w+", r"hemipleg\w+",
        r"one[- ]sided\s+weakness", r"weakness\s+(?:on|of)\s+(?:one|the\s+(?:left|right))\s+side",
        r"(?:left|right)[- ]sided\s+weakness",
    ]),
    "speech difficulty": ("sign", [
        r"slurr\w+", r"dysarthri\w+", r"aphasi\w+", r"dysphasi\w+",
        r"(?:trouble|difficulty|problems?)\s+(?:with\s+)?(?:speaking|talking|finding\s+words|"
        r"understanding\s+speech|speech)", r"garbled\s+speech",
        r"speech\s+(?:difficult\w*|disturbance|problems?)",
    ]),
    "numbness": ("symptom", [r"\bnumb\w*", r"tingling", r"pins\s+and\s+needles",
                             r"pa?r(?:a)?esthesi\w+"]),
    "vision loss": ("symptom", [
        r"(?:loss\s+of|lost|losing|sudden)\s+" + _W + r"{0,1}?(?:vision|sight)", r"vision\s+loss",
        r"visual\s+(?:loss|disturbance\w*)", r"amaurosis", r"\bblind\w*", r"blurr\w+\s+vision",
        r"(?:can'?t|cannot|unable\s+to)\s+see",
    ]),
    "double vision": ("symptom", [r"double\s+vision", r"diplopia"]),
    "confusion": ("sign", [
        r"confus\w+", r"disorient\w+", r"altered\s+mental", r"delirium", r"drowsy", r"drowsiness",
        r"(?:decreased|reduced|altered|impaired)\s+(?:level\s+of\s+)?consciousness",
        r"unresponsive",
        r"letharg\w+",
    ]),
    # ACVPU "C/V/P/U" of NEWS2: new confusion or reduced consciousness; unlike "confusion"
    # above it leaves out lethargy and drowsiness, which vignettes use for tiredness.
    "altered consciousness": ("sign", [
        r"confus(?:ed|ion)", r"disorient\w+", r"altered\s+(?:mental|sensorium|consciousness)",
        r"delirium|delirious", r"obtunded", r"unresponsive", r"unconscious",
        r"(?:decreased|reduced|altered|impaired|depressed)\s+(?:level\s+of\s+)?consciousness",
        r"responds?\s+only\s+to\s+(?:voice|pain)",
    ]),
    "loss of balance": ("sign", [
        r"(?:loss\s+of|lost)\s+(?:balance|coordination)", r"ataxi\w+", r"unsteady",
        r"(?:trouble|difficulty)\s+walking",
    ]),
    "neck stiffness": ("sign", [
        r"stiff\s+neck", r"neck\s+(?:stiffness|rigidity|is\s+stiff)", r"nuchal\s+rigidity",
        r"meningism\w*",
    ]),
    "photophobia": ("symptom", [r"photophobi\w+", r"sensitiv\w+\s+to\s+(?:bright\s+)?light",
                                r"light\s+hurts"]),
    "non-blanching rash": ("sign", [
        r"non[- ]?blanching", r"petechia\w*", r"purpur\w*",
        r"rash\s+(?:that\s+)?(?:does\s+not|doesn'?t)\s+fade",
    ]),
    "rash": ("sign", [r"\brash\w*"]),
    "seizure": ("sign", [r"seizures?", r"convuls\w+", r"\bfits?\b"]),
    "aura": ("symptom", [r"\baura\b", r"flashing\s+lights", r"zig[- ]?zag"]),
    "throbbing headache": ("symptom", [
        r"throbbing", r"pulsat\w+", r"one\s+side\s+of\s+(?:the|my|his|her)\s+head",
        r"unilateral\s+headache",
    ]),
    # -- infection / sepsis ---------------------------------------------------------------
    "mottled skin": ("sign", [r"mottl\w+", r"\bashen\b", r"blue\s+lips", r"grey\s+skin"]),
    "infection": ("history", [
        r"infection", r"pneumonia", r"cellulitis", r"\babscess", r"infected", r"wound",
    ]),
    "very unwell": ("symptom", [
        r"(?:very|extremely|really|severely)\s+(?:unwell|ill|sick)",
        r"looks?\s+(?:very\s+)?(?:unwell|toxic)",
    ]),
    "reduced urine output": ("sign", [
        r"(?:not|no|reduced|decreased|little)\s+(?:passing\s+|producing\s+)?urine(?:\s+output)?",
        r"oliguri\w+", r"anuri\w+",
    ]),
    # -- PE / VTE --------------------------------------------------------------------------
    "haemoptysis": ("symptom", [
        r"ha?emoptysis", r"cough\w*\s+(?:up\s+)?blood",
        r"blood\s+in\s+(?:the\s+|his\s+|her\s+)?(?:sputum|phlegm)",
        r"blood[- ](?:stained|streaked)\s+sputum",
    ]),
    "pleuritic chest pain": ("symptom", [
        r"pleuritic", r"pain\s+" + _W + r"{0,3}?(?:worse|on|when)\s+" + _W
        + r"{0,2}?(?:breathing\s+in|deep\s+breath\w*|inspiration|inhal\w+)",
    ]),
    "leg swelling": ("sign", [
        r"(?:leg|calf|ankle)\s+(?:swelling|swollen|pain|tenderness)",
        r"swollen\s+(?:\w+\s+)?(?:leg|calf|ankle)s?",
        r"swelling\s+(?:of|in)\s+(?:the\s+|his\s+|her\s+|my\s+)?(?:\w+\s+)?(?:leg|calf|ankle)s?",
        r"(?:warm|red|tender)\s+(?:\w+\s+)?(?:leg|calf)",
    ]),
    "recent surgery": ("history", [
        r"(?:recent|after|following)\s+" + _W + r"{0,2}?(?:surgery|operation)", r"post[- ]?op\w*",
        r"surgery\s+" + _W + r"{0,3}?(?:ago|last\s+\w+)", r"operated\s+on",
    ]),
    "immobility": ("history", [
        r"immobil\w+", r"bed[- ]?(?:bound|ridden)",
        r"long[- ](?:haul\s+)?(?:flight|journey|car\s+ride)",
        r"plaster\s+cast", r"prolonged\s+bed\s+rest",
    ]),
    "history of VTE": ("history", [
        r"(?:previous|prior|history\s+of)\s+" + _W + r"{0,2}?(?:dvt|pe\b|clots?|thrombo\w+|"
            r"embol\w+)",
    ]),
    "oestrogen use": ("history", [
        r"(?:oral\s+)?contraceptive", r"the\s+pill\b", r"o?estrogen", r"\bhrt\b",
    ]),
    # -- pregnancy, gynaecology, scrotum --------------------------------------------------
    "abdominal pain": ("symptom", [
        r"(?:abdominal|abdomen|belly|stomach|tummy|epigastric|(?:right|left)\s+(?:upper|"
        r"lower)\s+quadrant|"
        r"iliac\s+fossa|lower\s+abdominal)\s+(?:pain|cramp\w*|tenderness|ache|discomfort)",
        r"pain\s+in\s+" + _W + r"{0,3}?(?:abdomen|belly|stomach|tummy)", r"abdominal\s+cramps",
    ]),
    "pelvic pain": ("symptom", [r"pelvic\s+(?:pain|cramp\w*|tenderness)",
                                r"pain\s+in\s+" + _W + r"{0,2}?pelvis"]),
    "vaginal bleeding": ("symptom", [
        r"vaginal\s+(?:bleed\w*|spotting|blood)", r"bleeding\s+(?:from|per)\s+(?:the\s+)?vagina",
        r"\bspotting\b", r"\bpv\s+bleed\w*",
    ]),
    "missed period": ("history", [
        r"(?:missed|late|absent)\s+" + _W + r"{0,1}?(?:period|menses|menstrua\w+)",
        r"amenorrh\w+",
        r"(?:last\s+menstrual\s+period|\blmp\b)\s+" + _W + r"{0,3}?"
        r"(?:(?:[5-9]|1\d|five|six|seven|eight|nine|ten)\s+weeks?|(?:[2-9]|two|three)\s+months?)"
        r"\s+ago",
    ]),
    "positive pregnancy test": ("history", [
        r"positive\s+pregnancy\s+test", r"pregnancy\s+test\s+" + _W + r"{0,2}?positive",
        r"(?:b-?hcg|beta-?hcg|\bhcg)\s+" + _W + r"{0,1}?(?:positive|raised|elevated)",
    ]),
    "shoulder tip pain": ("symptom", [r"shoulder[- ]tip\s+pain", r"shoulder\s+pain"]),
    "scrotal pain": ("symptom", [
        r"(?:scrotal|testicular|testicle|testis)\s+(?:pain|swelling|ache|tenderness)",
        r"pain\s+in\s+" + _W + r"{0,3}?(?:scrotum|testicles?|testis|testes)",
        r"painful\s+(?:testicle|testis|scrotum)",
    ]),
    "high-riding testis": ("sign", [
        r"high[- ]riding", r"absent\s+cremasteric", r"horizontal\s+lie",
    ]),
    # -- metabolic ------------------------------------------------------------------------
    "polyuria": ("symptom", [
        r"polyuri\w+", r"urinating\s+(?:a\s+lot|frequently|more|often)", r"frequent\s+urination",
        r"passing\s+(?:a\s+lot\s+of\s+|lots\s+of\s+)?urine\s+(?:often|frequently)",
        r"peeing\s+(?:a\s+lot|often)",
        r"urinary\s+frequency",
    ]),
    "polydipsia": ("symptom", [
        r"polydipsi\w+", r"(?:increased|excessive|extreme|very)\s+thirst\w*", r"\bthirsty\b",
        r"drinking\s+(?:a\s+lot|lots|more)",
    ]),
    "diabetes": ("history", [r"diabet\w+", r"\bt[12]dm\b", r"\binsulin\b"]),
    "hyperventilation": ("sign", [
        r"hyperventilat\w+", r"kussmaul", r"deep\s+(?:sighing\s+)?breathing", r"air\s+hunger",
    ]),
    "ketones": ("sign", [r"keton\w+", r"ketosis", r"fruity\s+breath", r"acetone", r"pear\s+drops"]),
    "hyperglycaemia": ("sign", [
        r"(?:high|raised|elevated)\s+(?:blood\s+)?(?:glucose|sugars?)", r"hyperglyc\w+",
    ]),
    "dehydration": ("sign", [r"dehydrat\w+", r"dry\s+mouth"]),
    "tiredness": ("symptom", [r"\btired\w*", r"fatigu\w*", r"exhaust\w+", r"\bweakness\b"]),
    # -- allergy --------------------------------------------------------------------------
    "allergen exposure": ("history", [
        r"(?:after|following|within\s+minutes\s+of)\s+" + _W + r"{0,3}?(?:eating|ate|sting|stung|"
        r"bee|wasp|peanuts?|nuts?|shellfish|penicillin|antibiotic|injection|contrast)",
        r"\bstung\b", r"allergic\s+reaction", r"known\s+allergy",
    ]),
    "hives": ("sign", [r"\bhives\b", r"urticari\w+", r"\bwelts\b", r"itchy\s+rash"]),
    "angioedema": ("sign", [
        r"(?:swollen|puffy)\s+(?:lips?|tongue|face|throat|eyes)",
        r"swelling\s+of\s+(?:the\s+|his\s+|her\s+)?(?:lips?|tongue|face|throat)",
        r"(?:lips?|tongue|face|throat)\s+(?:swelling|swollen|swelled)", r"angio-?o?edema",
        r"throat\s+(?:tightness|closing|tight)",
    ]),
    "wheeze": ("sign", [r"wheez\w+"]),
    "stridor": ("sign", [r"stridor", r"noisy\s+breathing"]),
    # -- mental health --------------------------------------------------------------------
    "suicidal ideation": ("symptom", [
        r"suicid\w+", r"kill\s+(?:my|him|her|them)sel(?:f|ves)",
        r"end\s+(?:my|his|her|their)\s+(?:own\s+)?life",
        r"want(?:s|ed)?\s+to\s+die", r"take\s+(?:my|his|her)\s+(?:own\s+)?life", r"self[- ]harm\w*",
        r"better\s+off\s+dead", r"no\s+reason\s+to\s+live",
    ]),
    "hopelessness": ("symptom", [r"hopeless\w*", r"\bno\s+hope\b", r"\btrapped\b",
                                 r"worthless\w*"]),
    "suicide plan": ("symptom", [
        r"plan\w*\s+(?:to|for|how\s+to)\s+" + _W + r"{0,3}?(?:die|kill|suicide|end)",
        r"(?:bought|acquired|hoard\w*|stockpil\w*|saving\s+up)\s+" + _W
        + r"{0,2}?(?:gun|firearm|pills|tablets|medication|rope)", r"suicide\s+note",
    ]),
    "low mood": ("symptom", [r"depress\w+", r"low\s+mood", r"anhedoni\w+", r"loss\s+of\s+interest",
                             r"feeling\s+down"]),
    "substance use": ("history", [
        r"alcohol\w*", r"drinking\s+heavily", r"\bdrunk\b", r"intoxicat\w+",
        r"substance\s+(?:use|misuse|abuse)",
    ]),
    # -- GI bleeding ----------------------------------------------------------------------
    "haematemesis": ("symptom", [
        r"ha?ematemesis", r"vomit\w*\s+" + _W + r"{0,2}?blood", r"coffee[- ]ground\w*",
        r"blood\s+in\s+(?:the\s+|his\s+|her\s+)?vomit",
    ]),
    "melaena": ("symptom", [
        r"mela?ena",
        r"black\s+(?:tarry\s+|tar-like\s+)?(?:stools?|poo|bowel\s+movements?|faeces|feces)",
        r"tarry\s+stools?",
    ]),
    "rectal bleeding": ("symptom", [
        r"ha?ematochezia", r"rectal\s+bleed\w*",
        r"(?:bright\s+red\s+|fresh\s+)?blood\s+(?:in|on|from)\s+"
        + _W + r"{0,2}?(?:stools?|poo|bowel|rectum|back\s+passage|toilet)",
        r"bloody\s+(?:stools?|diarrho?ea)",
        r"bleeding\s+from\s+(?:the\s+)?(?:rectum|back\s+passage|bottom)",
        r"\bpr\s+bleed\w*",
    ]),
    "anticoagulant use": ("history", [
        r"warfarin", r"apixaban", r"rivaroxaban", r"dabigatran", r"edoxaban", r"anticoagula\w+",
        r"blood\s+thinners?",
    ]),
    # -- giant cell arteritis -------------------------------------------------------------
    "temporal headache": ("symptom", [
        r"(?:temple|temporal)\s+" + _W + r"{0,2}?(?:pain|headache|tenderness)",
        r"(?:headache|pain|tender\w*)\s+" + _W + r"{0,3}?temples?", r"temporal\s+arter\w+",
    ]),
    "scalp tenderness": ("sign", [
        r"scalp\s+(?:tenderness|pain|soreness|sensitiv\w+|is\s+tender)", r"tender\s+scalp",
        r"hurts\s+to\s+(?:comb|brush)",
    ]),
    "jaw claudication": ("symptom", [
        r"jaw\s+claudication",
        r"(?:jaw|tongue)\s+(?:pain|ache)\s+" + _W + r"{0,3}?(?:chewing|eating)",
        r"pain\s+" + _W + r"{0,2}?(?:jaw|tongue)\s+" + _W + r"{0,3}?(?:chewing|eating)",
    ]),
    "polymyalgia": ("symptom", [
        r"polymyalgia", r"(?:shoulder|hip)\s+girdle\s+(?:pain|stiffness)",
        r"(?:shoulders?\s+and\s+hips?)\s+(?:pain|stiffness|ache)",
    ]),
    # -- other common presentations -------------------------------------------------------
    "cough": ("symptom", [r"\bcough\w*"]),
    "sputum": ("symptom", [r"sputum", r"phlegm", r"productive\s+cough"]),
    "smoker": ("history", [r"smok\w+", r"pack[- ]years?", r"cigarettes?", r"tobacco"]),
    "dysuria": ("symptom", [
        r"dysuri\w+",
        r"burning\s+" + _W + r"{0,2}?(?:urinat\w*|pee\w*|when\s+passing\s+urine|micturition)",
        r"painful\s+urination",
        r"pain\s+(?:on|when|during|with)\s+(?:urinat\w+|passing\s+urine|peeing|micturition)",
    ]),
    "flank pain": ("symptom", [
        r"(?:flank|loin|costovertebral)\s+(?:pain|tenderness)",
        r"pain\s+in\s+" + _W + r"{0,2}?(?:flank|loin)",
    ]),
    "tearing pain": ("symptom", [r"\btearing\b", r"\bripping\b"]),
    "new headache": ("symptom", [
        r"new(?:[- ]onset)?\s+" + _W + r"{0,1}?headaches?",
        r"headaches?\s+(?:that\s+)?(?:is|are)\s+new",
        r"first\s+(?:ever\s+)?(?:severe\s+)?headache",
    ]),
    "atrial fibrillation": ("history", [r"atrial\s+fibrillation", r"\bafib\b", r"\ba\.?\s?fib\b"]),
    "copd": ("history", [r"\bcopd\b", r"chronic\s+obstructive", r"emphysema",
                         r"chronic\s+bronchitis"]),
    "joint pain": ("symptom", [
        r"(?:knee|hip|joint)\s+(?:pain|stiffness|ache)", r"arthralgi\w+",
        r"painful\s+(?:knees?|hips?|joints?)",
    ]),
}

#: Canonical terms knowledge patterns may use in triggers.
KNOWN_TERMS: frozenset[str] = frozenset(_LEXICON) | {
    "prolonged morning stiffness", "duration over 3 months", "pregnant",
}

#: Terms whose own wording carries a negation ("not improved by rest").
_EMBEDS_NEGATION = frozenset({"not improved by rest", "not improved by treatment",
                              "reduced urine output"})

#: Pairs of terms that cannot both hold.
_OPPOSITES = [
    ("improves with rest", "not improved by rest"),
    ("sudden onset", "insidious onset"),
]

_COMPILED: list[tuple[str, str, re.Pattern[str]]] = [
    (term, kind, re.compile(rx, re.IGNORECASE if rx != r"\bSOB\b" else 0))
    for term, (kind, rxs) in _LEXICON.items()
    for rx in rxs
]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding as stated in the text."""

    term: str
    kind: str
    text: str
    start: int
    end: int
    negated: bool = False
    derived_from: str | None = None  # e.g. "temperature 38.5 C" for a fever read off a vital sign


@dataclass(frozen=True, slots=True)
class Duration:
    """A stated duration: its words, length in days when known, and a comparator ('>' or '<')."""

    text: str
    start: int
    end: int
    days: float | None
    comparator: str | None = None


@dataclass(frozen=True, slots=True)
class Vital:
    """A vital sign or lab value read from the text, normalised (temperature C, glucose mmol/L)."""

    name: str  # temperature, systolic_bp, diastolic_bp, heart_rate, respiratory_rate, spo2, gcs,
    # glucose
    value: float
    unit: str
    text: str
    start: int
    end: int


@dataclass(slots=True)
class Findings:
    """Everything `extract_findings` read from one text."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    durations: list[Duration] = field(default_factory=list)
    vitals: list[Vital] = field(default_factory=list)
    age: float | None = None
    ages: list[float] = field(default_factory=list)
    sex: Sex | None = None
    pregnant: bool | None = None
    conflicts: list[str] = field(default_factory=list)

    def present(self) -> set[str]:
        """Terms stated at least once without negation (a conflict counts as present)."""
        return {f.term for f in self.findings if not f.negated}

    def absent(self) -> set[str]:
        """Terms only ever stated as negated."""
        neg = {f.term for f in self.findings if f.negated}
        return neg - self.present()

    def has(self, term: str) -> bool:
        return term in self.present()

    def evidence_for(self, term: str) -> str | None:
        """The surface text that stated `term` (first affirmed mention)."""
        for f in self.findings:
            if f.term == term and not f.negated:
                return f.text
        return None

    def max_duration_days(self) -> float | None:
        days = [d.days for d in self.durations if d.days is not None]
        return max(days) if days else None


# --------------------------------------------------------------------------------------------
# Numbers written as words
# --------------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "a": 1, "an": 1, "few": 3, "several": 3, "couple": 2,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
_NUMWORD = (
    r"(?:(?:twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen)(?:\s+hundred(?:\s+and\s+\w+)?)?)"
)
_NUM = r"(?:\d+(?:\.\d+)?|" + _NUMWORD + r"|an?|few|several|couple(?:\s+of)?)"


def word_number(text: str) -> float | None:
    """``"52"`` -> 52, ``"fifty-two"`` -> 52, ``"a"`` -> 1; None when not a number."""
    t = text.strip().lower().replace("couple of", "couple")
    try:
        return float(t)
    except ValueError:
        pass
    parts = re.split(r"[\s-]+", t)
    total = 0
    seen = False
    for p in parts:
        if p in _TENS:
            total += _TENS[p]
            seen = True
        elif p in _UNITS:
            total += _UNITS[p]
            seen = True
        elif p == "hundred" and seen:
            total *= 100
        elif p == "and":
            continue
        else:
            return None
    return float(total) if seen else None


# --------------------------------------------------------------------------------------------
# Age, sex, pregnancy
# --------------------------------------------------------------------------------------------

_AGE_PATTERNS = [
    re.compile(r"\b(?P<n>" + _NUM + r")[- ]?(?:years?|yrs?|y)[- ]?(?:old|o\b|/o\b)", re.I),
    re.compile(r"\b(?P<n>\d{1,3})\s*(?:yo|y/o|y\.o\.)(?:\s*(?P<sex>[MF])\b)?", re.I),
    re.compile(r"\b(?:aged?|age:)\s*(?P<n>\d{1,3}|" + _NUMWORD + r")\b", re.I),
    re.compile(r"(?<![\d.])(?P<n>\d{1,2})\s?(?P<sex>[MF])\b"),
    re.compile(r"\b(?P<n>\d{1,3})[- ]?(?:year|yr)[- ]old\b", re.I),
    re.compile(r"\b(?P<n>\d{1,2})[- ]?(?P<unit>months?|weeks?)[- ]old\b", re.I),
    re.compile(r"\bin\s+(?:his|her|their)\s+(?P<decade>\d0)s\b", re.I),
]
_MALE = re.compile(r"\b(?:male|man|boy|gentleman|he|him|his|husband|father|son|mr)\b", re.I)
_FEMALE = re.compile(r"\b(?:female|woman|women|girl|lady|she|her|hers|wife|mother|daughter|mrs|"
                     r"ms)\b", re.I)
_PREGNANT = re.compile(
    r"\b(?:pregnant|pregnancy|gestation(?:al)?|gravid\w*|antenatal|(?:\d+|" + _NUMWORD
    + r")\s+weeks?\s+(?:pregnant|gestation)|first\s+trimester|second\s+trimester|"
        r"third\s+trimester)\b",
    re.I,
)


def _age_from(m: re.Match[str]) -> float | None:
    gd = m.groupdict()
    if gd.get("decade"):
        return float(gd["decade"]) + 5
    n = word_number(gd["n"]) if gd.get("n") else None
    if n is None:
        return None
    unit = (gd.get("unit") or "").lower()
    if unit.startswith("month"):
        return round(n / 12, 2)
    if unit.startswith("week"):
        return round(n / 52, 2)
    return n if 0 <= n <= 120 else None


# --------------------------------------------------------------------------------------------
# Durations
# --------------------------------------------------------------------------------------------

_UNIT_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24,
              "hr": 1 / 24,
              "day": 1, "week": 7, "month": 30, "year": 365}
_DUR = re.compile(
    r"(?P<cmp>>|<|≥|≤|more\s+than|less\s+than|over|under|at\s+least|longer\s+than|up\s+to)?\s*"
    r"(?P<n>" + _NUM + r")\s*(?:-|\s)?\s*(?P<unit>seconds?|minutes?|mins?|hours?|hrs?|days?|"
        r"weeks?|months?|years?)\b",
    re.I,
)
_SINCE = re.compile(
    r"\bsince\s+(?P<when>yesterday|last\s+(?:night|week|month|year)|this\s+morning|today|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|childhood)\b", re.I,
)
_SINCE_DAYS = {"yesterday": 1, "last night": 1, "this morning": 0.3, "today": 0.3, "last week": 7,
               "last month": 30, "last year": 365, "childhood": 3650}


def _durations(text: str) -> list[Duration]:
    out: list[Duration] = []
    for m in _DUR.finditer(text):
        n = word_number(m.group("n").replace("couple of", "couple"))
        unit = m.group("unit").lower().rstrip("s")
        per = _UNIT_DAYS.get(unit) or _UNIT_DAYS.get(unit[:3])
        # "52 year old" is an age, not a duration
        tail = text[m.end(): m.end() + 6].lower()
        if unit == "year" and (tail.startswith(("-old", " old", "old")) or
                               text[m.start(): m.end() + 5].lower().endswith("-old")):
            continue
        if unit in ("month", "week") and tail.lstrip("- ").startswith("old"):
            continue
        if re.match(r"\s*(?:pregnant|gestation)", text[m.end():], re.I):
            continue
        cmp_raw = (m.group("cmp") or "").lower()
        cmp = ">" if cmp_raw in (">", "≥", "more than", "over", "at least", "longer than") else (
            "<" if cmp_raw in ("<", "≤", "less than", "under", "up to") else None)
        days = n * per if (n is not None and per is not None) else None
        out.append(Duration(m.group().strip(), m.start(), m.end(), days, cmp))
    for m in _SINCE.finditer(text):
        when = " ".join(m.group("when").lower().split())
        days = _SINCE_DAYS.get(when, 3.0)
        out.append(Duration(m.group(), m.start(), m.end(), float(days), None))
    return out


# --------------------------------------------------------------------------------------------
# Vital signs and units in odd forms
# --------------------------------------------------------------------------------------------

_TEMP = re.compile(
    r"(?:(?:temp(?:erature)?|\bT)\s*(?:of|is|was|:|=)?\s*(?P<v1>\d{2,3}(?:\.\d)?)\s*(?:°|º|"
    r"deg(?:rees)?)?\s*(?P<u1>[CF])?\b)"
    r"|(?:\b(?P<v2>\d{2,3}(?:\.\d)?)\s*(?:°|º|deg(?:rees)?)\s*(?P<u2>[CF])?\b)"
    r"|(?:\b(?P<v3>\d{2,3}(?:\.\d)?)\s?(?P<u3>[CF])\b)",
    re.I,
)
_BP = re.compile(r"(?:\bbp|blood\s+pressure)\s*(?:of|is|was|:|"
                 r"=)?\s*(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})", re.I)
_BP_BARE = re.compile(r"\b(?P<s>\d{2,3})\s*/\s*(?P<d>\d{2,3})\s*(?:mm\s*hg|mmhg)", re.I)
_HR = re.compile(r"(?:\bhr|heart\s+rate|pulse(?:\s+rate)?|\bp)\s*(?:of|is|was|:|"
                 r"=)?\s*(?P<v>\d{2,3})\b(?:\s*(?:bpm|/min))?", re.I)
_RR = re.compile(r"(?:\brr|resp(?:iratory)?\s+rate|resps)\s*(?:of|is|was|:|=)?\s*(?P<v>\d{1,2})\b",
                 re.I)
_SPO2 = re.compile(r"(?:spo2|sp02|sats?|saturating|saturation|o2\s+sat\w*|oxygen\s+saturation|"
                   r"pulse\s+ox\w*)\s*(?:of|is|was|at|:|=)?\s*(?P<v>\d{2,3})\s*%?", re.I)
_GCS = re.compile(r"(?:\bgcs|glasgow\s+coma\s+(?:scale|score))\s*(?:score\s*)?(?:of|is|was|:|=)?\s*"
                  r"(?P<v>\d{1,2})(?:\s*/\s*15)?\b", re.I)
_GLUCOSE = re.compile(
    r"(?:glucose|blood\s+sugar|\bbm|\bcbg)\s*(?:of|is|was|:|"
    r"=)?\s*(?P<v>\d{1,4}(?:\.\d+)?)\s*(?P<u>mmol(?:/l)?|mg\s*/\s*dl)?",
    re.I,
)


def _vitals(text: str) -> list[Vital]:
    out: list[Vital] = []
    for m in _TEMP.finditer(text):
        raw = m.group("v1") or m.group("v2") or m.group("v3")
        unit = (m.group("u1") or m.group("u2") or m.group("u3") or "").upper()
        v = float(raw)
        if not unit:
            unit = "F" if v > 50 else "C"
        c = (v - 32) * 5 / 9 if unit == "F" else v
        if 30 <= c <= 45:
            out.append(Vital("temperature", round(c, 1), "C", m.group(), m.start(), m.end()))
    for rx in (_BP, _BP_BARE):
        for m in rx.finditer(text):
            if any(v.name == "systolic_bp" and v.start < m.end() and m.start() < v.end
                   for v in out):
                continue  # "bp 90/60 mmHg" is one reading, not two
            s, d = float(m.group("s")), float(m.group("d"))
            if 40 <= s <= 300 and 20 <= d <= 200 and s > d:
                out.append(Vital("systolic_bp", s, "mmHg", m.group(), m.start(), m.end()))
                out.append(Vital("diastolic_bp", d, "mmHg", m.group(), m.start(), m.end()))
    for name, rx, lo, hi in (("heart_rate", _HR, 20, 250), ("respiratory_rate", _RR, 4, 80),
                             ("spo2", _SPO2, 50, 100), ("gcs", _GCS, 3, 15)):
        for m in rx.finditer(text):
            v = float(m.group("v"))
            if lo <= v <= hi:
                out.append(Vital(name, v, {"heart_rate": "/min", "respiratory_rate": "/min",
                                           "spo2": "%", "gcs": "points"}[name], m.group(),
                                 m.start(), m.end()))
    for m in _GLUCOSE.finditer(text):
        v = float(m.group("v"))
        unit = (m.group("u") or "").lower().replace(" ", "")
        mmol = v / 18.0 if unit.startswith("mg") or (not unit and v > 40) else v
        out.append(Vital("glucose", round(mmol, 1), "mmol/L", m.group(), m.start(), m.end()))
    return out


def _vital_findings(vitals: list[Vital]) -> list[Finding]:
    out: list[Finding] = []

    def add(term: str, v: Vital) -> None:
        out.append(Finding(term, "sign", v.text, v.start, v.end, False,
                           derived_from=f"{v.name} {v.value:g} {v.unit}"))

    for v in vitals:
        if v.name == "temperature" and v.value >= 38.0:
            add("fever", v)
        elif v.name == "systolic_bp" and v.value < 90:
            add("hypotension", v)
        elif v.name == "heart_rate" and v.value > 100:
            add("tachycardia", v)
        elif v.name == "respiratory_rate" and v.value >= 22:
            add("tachypnoea", v)
        elif v.name == "spo2" and v.value < 92:
            add("hypoxia", v)
        elif v.name == "glucose" and v.value > 11.0:
            add("hyperglycaemia", v)
    return out


# --------------------------------------------------------------------------------------------
# Extraction
# --------------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[^.!?\n]+[.!?\n]*")


def _negated_regions(text: str) -> list[tuple[int, int, int]]:
    """(trigger start, scope start, scope end) for each negated scope; long text by segment."""
    out: list[tuple[int, int, int]] = []
    low = text.lower()
    for seg in _SEGMENT.finditer(text):
        base = seg.start()
        for span in find_negations(seg.group()):
            s, e = base + span.start, base + span.end
            trig = span.trigger.lower()
            pos = low.rfind(trig, max(0, s - len(trig) - 40), s)
            if pos < 0:  # a post-negation trigger, or a contraction ("doesn't")
                after = low.find(trig, e, e + 40)
                out.append((s, s, after + len(trig) if after >= 0 else e))
            else:
                if trig == "not" and _AUX_BEFORE.search(low[max(0, pos - 12):pos]):
                    # a negated verb phrase ("does not improve with rest, morning stiffness")
                    # ends at the clause's first comma
                    comma = low.find(",", s, e)
                    e = comma if comma > 0 else e
                out.append((pos, s, e))
    return out


_AUX_BEFORE = re.compile(
    r"\b(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)\s*$"
)


def _is_negated(term: str, start: int, end: int, regions: list[tuple[int, int, int]]) -> bool:
    for trig, s, e in regions:
        if start < e and end > s:  # overlaps the scope
            if term in _EMBEDS_NEGATION:
                if start >= s:
                    return True
            elif start >= trig:
                return True
    return False


def extract_findings(text: str) -> Findings:
    """Findings, durations, vitals, age, sex and pregnancy stated in `text` (see module doc)."""
    text = text if isinstance(text, str) else str(text)
    text = text[:20000]
    regions = _negated_regions(text)
    found: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for term, kind, rx in _COMPILED:
        for m in rx.finditer(text):
            key = (term, m.start())
            if key in seen or m.end() == m.start():
                continue
            seen.add(key)
            neg = _is_negated(term, m.start(), m.end(), regions)
            found.append(Finding(term, kind, m.group(), m.start(), m.end(), neg))
    durations = _durations(text)
    vitals = _vitals(text)
    found += _vital_findings(vitals)
    found += _derived(found, durations)
    found.sort(key=lambda f: (f.start, f.term))
    res = Findings(text=text, findings=found, durations=durations, vitals=vitals)
    _demographics(text, res, regions)
    _conflicts(res)
    return res


def _derived(found: list[Finding], durations: list[Duration]) -> list[Finding]:
    out: list[Finding] = []
    for f in found:
        if f.term == "morning stiffness" and not f.negated:
            for d in durations:
                near = abs(d.start - f.end) < 80 or abs(f.start - d.end) < 80
                if near and d.days is not None and 30 / 1440 <= d.days < 1 and d.comparator != "<":
                    out.append(Finding("prolonged morning stiffness", "symptom",
                                       f.text + " " + d.text,
                                       f.start, max(f.end, d.end), derived_from=d.text))
                    break
    long_d = [d for d in durations if d.days is not None and d.days >= 84 and d.comparator != "<"]
    if long_d:
        d = long_d[0]
        out.append(Finding("duration over 3 months", "modifier", d.text, d.start, d.end,
                           derived_from=d.text))
    return out


def _demographics(text: str, res: Findings, regions: list[tuple[int, int, int]]) -> None:
    ages: list[float] = []
    sex_hits: dict[str, int] = {"male": 0, "female": 0}
    for rx in _AGE_PATTERNS:
        for m in rx.finditer(text):
            if any(v.start <= m.start() < v.end for v in res.vitals if v.name == "temperature"):
                continue  # "99 F" is a temperature
            a = _age_from(m)
            if a is not None and a not in ages:
                ages.append(a)
            sx = m.groupdict().get("sex")
            if sx:
                sex_hits["male" if sx.upper() == "M" else "female"] += 2
    res.ages = ages
    res.age = ages[0] if ages else None
    for m in _MALE.finditer(text):
        sex_hits["male"] += 2 if m.group().lower() in ("male", "man", "boy", "gentleman",
                                                       "mr") else 1
    for m in _FEMALE.finditer(text):
        sex_hits["female"] += 2 if m.group().lower() in ("female", "woman", "girl", "lady", "mrs",
                                                         "ms") else 1
    if sex_hits["male"] or sex_hits["female"]:
        res.sex = "male" if sex_hits["male"] > sex_hits["female"] else (
            "female" if sex_hits["female"] > sex_hits["male"] else None)
    preg = [m for m in _PREGNANT.finditer(text)]
    if preg:
        stated = [m for m in preg if not _is_negated("pregnant", m.start(), m.end(), regions)]
        neg = [m for m in preg if _is_negated("pregnant", m.start(), m.end(), regions)]
        # "pregnancy test" is not a statement of pregnancy
        stated = [m for m in stated if not re.match(r"\s*test", text[m.end():], re.I)]
        question_about = [m for m in stated if re.search(
            r"\b(?:could|might|may|possibility|possible)\b", text[max(0,
                                                                      m.start() - 30):m.start()],
                                                                      re.I)]
        if stated and not question_about:
            res.pregnant = True
            m = stated[0]
            res.findings.append(Finding("pregnant", "history", m.group(), m.start(), m.end(),
                                        False))
        elif neg and not stated:
            res.pregnant = False
            m = neg[0]
            res.findings.append(Finding("pregnant", "history", m.group(), m.start(), m.end(), True))
        if stated and neg:
            res.conflicts.append("pregnancy both stated and denied")
    if res.pregnant is None and any(
        f.term == "positive pregnancy test" and not f.negated for f in res.findings
    ):
        res.pregnant = True


def _conflicts(res: Findings) -> None:
    terms_pos = {f.term for f in res.findings if not f.negated}
    terms_neg = {f.term for f in res.findings if f.negated}
    for t in sorted(terms_pos & terms_neg):
        if t in ("stiffness", "infection", "trauma", "rash", "headache", "cough", "tiredness"):
            continue  # generic words: "no rash" beside "non-blanching rash" is not a conflict
        res.conflicts.append(f"'{t}' is both stated and denied")
    for a, b in _OPPOSITES:
        if a in terms_pos and b in terms_pos:
            res.conflicts.append(f"'{a}' conflicts with '{b}'")
    if res.sex == "male" and res.pregnant:
        res.conflicts.append("pregnancy stated for a male patient")
    if len(res.ages) > 1 and max(res.ages) - min(res.ages) >= 2:
        res.conflicts.append("more than one age stated: " + ", ".join(f"{a:g}" for a in res.ages))
    temps = [v.value for v in res.vitals if v.name == "temperature"]
    if temps and max(temps) < 37.5 and any(
        f.term == "fever" and not f.negated and f.derived_from is None for f in res.findings
    ):
        res.conflicts.append(f"fever stated but measured temperature is {max(temps):g} C")


def terms_in(texts: Iterable[str]) -> set[str]:
    """Affirmed terms across several texts (helper for tests and benchmarks)."""
    out: set[str] = set()
    for t in texts:
        out |= extract_findings(t).present()
    return out
