"""Flesch-Kincaid grade with pyphen syllable counts, shared by the composer (the patient
audience's plainness signal, `compose.audience`) and the reader modes (`render.modes`).

Not textstat: it fetches NLTK's cmudict from the network on first use, and Curbside never
downloads anything at run time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from curbside.knowledge_files import cache_dir
from curbside.text.sentences import split_sentences
from curbside.text.tokens import PROSE_WORD

#: Bump when what the cached hyphenation patterns depend on changes.
HYPHEN_CACHE_FORMAT = "pyphen-hyphdict-1"


@cache
def _pyphen() -> object | None:
    try:
        import pyphen

        path = pyphen.LANGUAGES[pyphen.language_fallback("en_US")]
        if path not in pyphen.hdcache:  # pyphen's own per-file cache, filled from ours
            pyphen.hdcache[path] = _hyph_dict(pyphen, Path(str(path)))
        dic: object = pyphen.Pyphen(lang="en_US")
        return dic
    except Exception:  # pragma: no cover - pyphen is a dependency
        return None


def _hyph_dict(pyphen: Any, path: Path) -> Any:
    """pyphen's parsed patterns of the dictionary `path` (11,000 lines: 0.07 s of CPU at every
    cold `ask`), kept in the cache dir as a pickle keyed by the file and pyphen's version, and
    read back in a tenth of that. A missing or damaged file is parsed again and rewritten."""
    raw = path.read_bytes()
    key = hashlib.sha256(f"{HYPHEN_CACHE_FORMAT}\0{pyphen.__version__}\0".encode() + raw)
    cached = cache_dir() / f"hyphen-{key.hexdigest()[:20]}.pickle"
    try:
        with cached.open("rb") as fh:
            hd = pickle.load(fh)  # noqa: S301 - our own file, keyed by content
        if isinstance(hd, pyphen.HyphDict):
            return hd
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        pass  # missing or damaged: parse it
    hd = pyphen.HyphDict(path)
    tmp = None
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".hyphen-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(hd, fh, protocol=5)
        os.replace(tmp, cached)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        if tmp is not None:  # a read-only cache dir: parse again next time
            Path(tmp).unlink(missing_ok=True)
    return hd


def syllables(word: str) -> int:
    dic = _pyphen()
    if dic is not None:
        return len(dic.positions(word.lower())) + 1  # type: ignore[attr-defined]
    return max(1, len(re.findall(r"[aeiouy]+", word.lower())))


def flesch_kincaid_grade(text: str | list[str]) -> float:
    """Flesch-Kincaid grade with pyphen syllable counts.

    `text` is one text or a list of units (claims): each unit counts as at least one sentence
    (a bullet or a heading line is read as one), and sentences within a unit are counted with
    the ingest sentence splitter, so "e.g.", "vs." and "2.5 mg" do not end a sentence.
    """
    units = [text] if isinstance(text, str) else text
    words = syll = sentences = 0
    for unit in units:
        toks = PROSE_WORD.findall(unit)
        if not toks:
            continue
        words += len(toks)
        syll += sum(syllables(w) for w in toks)
        sentences += max(1, len(split_sentences(unit)))
    if not words:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syll / words - 15.59
