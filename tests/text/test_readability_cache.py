"""The hyphenation patterns behind the readability grade are kept in the cache dir (issue 14:
parsing them cost every cold `ask` 0.07 s of CPU). Read back, they must count syllables as
pyphen's own parse does, and a damaged cache file is parsed again and rewritten."""

from __future__ import annotations

from pathlib import Path

import pyphen
import pytest

from curbside.starter import notes_dir
from curbside.text import readability
from curbside.text.tokens import PROSE_WORD


def _words() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8", errors="replace")
                    for p in sorted(notes_dir().glob("*.md")))
    return sorted({w.lower() for w in PROSE_WORD.findall(text)})


def test_cached_patterns_hyphenate_as_pyphen_does(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_CACHE_DIR", str(tmp_path))
    path = Path(str(pyphen.LANGUAGES["en_US"]))
    fresh = pyphen.HyphDict(path)
    written = readability._hyph_dict(pyphen, path)  # parses and writes the cache file
    (cached_file,) = tmp_path.glob("hyphen-*.pickle")
    read = readability._hyph_dict(pyphen, path)  # reads it back
    assert read is not written and read.patterns == fresh.patterns
    assert read.maxlen == fresh.maxlen
    words = _words()
    assert len(words) > 1000
    assert [read.positions(w) for w in words] == [fresh.positions(w) for w in words]
    cached_file.write_bytes(b"not a pickle")
    assert readability._hyph_dict(pyphen, path).patterns == fresh.patterns
    assert cached_file.read_bytes() != b"not a pickle"  # rewritten


def test_syllables_use_the_bundled_dictionary() -> None:
    assert readability._pyphen() is not None
    assert [readability.syllables(w) for w in ("warfarin", "ibuprofen", "a")] == [
        len(pyphen.Pyphen(lang="en_US").positions(w)) + 1 for w in ("warfarin", "ibuprofen", "a")]
