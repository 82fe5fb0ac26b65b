"""Numbers written as words ("fifty-two", "a couple of") and the regex fragments that find them."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "a": 1, "an": 1, "few": 3, "several": 3, "couple": 2,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
         "seventy": 70, "eighty": 80, "ninety": 90}
NUMWORD = (
    r"(?:(?:twenty|thirty|fou?rty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?"
    r"|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen)(?:\s+hundred(?:\s+and\s+\w+)?)?)"
)
NUM = r"(?:\d+(?:\.\d+)?|" + NUMWORD + r"|an?|few|several|couple(?:\s+of)?)"


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

