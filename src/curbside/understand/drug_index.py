"""A compact, memory-mapped index of the ``drug-named-entity-recognition`` dictionary.

Importing the library unpickles its whole dictionary and builds a fuzzy-match n-gram table
(about 2-4 s and ~400 MB) although Curbside only does exact lookups of a question's words and
word pairs. So the dictionary is copied once into a SQLite file (one indexed row per name
variant, the drug data it resolves to stored once per drug) and later processes look words up
by key in that file, opened read-only and memory-mapped, without importing the library.

The file lives in ``$CURBSIDE_CACHE_DIR`` (default: the user cache directory, e.g.
``~/.cache/curbside``) and its name carries the library version and a hash of the library's
dictionary file, so an upgrade builds a new one. It is written to a temporary file and renamed
into place, so two processes doing their first lookup at once each build a complete file and
the last rename wins; a reader never sees a partial file, and a damaged one is rebuilt.
``CURBSIDE_DRUG_INDEX=off`` skips it (the library's own finder is used, as before).

`find_drugs` returns what ``drugs_finder.find_drugs(words, is_ignore_case=True)`` returns for
the fields Curbside reads (``name``, ``synonyms``, ``drugbank_id``), in the same order.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from curbside.knowledge_files import cache_dir as cache_dir

DISTRIBUTION = "drug-named-entity-recognition"
PACKAGE = "drug_named_entity_recognition"
DICTIONARY_FILE = "drug_ner_dictionary.pkl.bz2"
#: Bumped when the table layout or the fields stored change.
FORMAT = 1
FIELDS = ("name", "synonyms", "drugbank_id")

Match = tuple[dict[str, Any], int, int]


def enabled() -> bool:
    """False when ``CURBSIDE_DRUG_INDEX`` is ``off``/``0``/``false``/``no``."""
    return os.environ.get("CURBSIDE_DRUG_INDEX", "").strip().lower() not in {
        "off", "0", "false", "no"}


def dictionary_file() -> Path | None:
    """The library's pickled dictionary, found without importing (running) the library."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / DICTIONARY_FILE
        if path.is_file():
            return path
    return None


def index_path(folder: Path | None = None) -> Path | None:
    """Where the index for the installed library lives (None when the library is absent)."""
    source = dictionary_file()
    if source is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version(DISTRIBUTION)
    except PackageNotFoundError:
        ver = "unknown"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    safe_ver = "".join(c if c.isalnum() or c in ".-" else "_" for c in ver)
    return (folder or cache_dir()) / f"drugs-v{FORMAT}-{safe_ver}-{digest}.sqlite"


def entries_by_variant(finder: Any) -> dict[str, list[dict[str, Any]]]:
    """For every name variant, the data ``finder.find_drugs`` reports for it (the fields in
    `FIELDS`), computed the way the finder does: canonical data overlaid with variant data."""
    out: dict[str, list[dict[str, Any]]] = {}
    for variant, canonicals in finder.drug_variant_to_canonical.items():
        extra = finder.drug_variant_to_variant_data.get(variant, {})
        found = []
        for m in canonicals:
            data = dict(finder.drug_canonical_to_data.get(m, {})) | extra
            found.append({k: data[k] for k in FIELDS if k in data})
        if found:
            out[variant] = found
    return out


def build(path: Path, finder: Any) -> Path:
    """Write the index for `finder` (the loaded ``drugs_finder`` module) to `path` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        try:
            con.executescript(
                """
                PRAGMA journal_mode = OFF;
                PRAGMA synchronous = OFF;
                CREATE TABLE entry (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
                CREATE TABLE variant (key TEXT PRIMARY KEY, ids TEXT NOT NULL) WITHOUT ROWID;
                """
            )
            ids: dict[str, int] = {}
            rows: list[tuple[str, str]] = []
            for variant, found in entries_by_variant(finder).items():
                refs = []
                for data in found:
                    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
                    refs.append(ids.setdefault(blob, len(ids)))
                rows.append((variant, json.dumps(refs)))
            con.executemany("INSERT INTO entry VALUES (?, ?)", ((i, b) for b, i in ids.items()))
            con.executemany("INSERT INTO variant VALUES (?, ?)", rows)
            con.commit()
        finally:
            con.close()
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the index holds nothing secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class DrugIndex:
    """Read-only lookups in a built index file (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._con.execute("PRAGMA mmap_size = 268435456")
        self._con.execute("PRAGMA query_only = 1")
        # A damaged file fails here (sqlite3.DatabaseError), so the caller falls back.
        self._con.execute("SELECT key, ids FROM variant LIMIT 1").fetchone()
        self._lock = threading.Lock()
        self._entries: dict[int, dict[str, Any]] = {}

    def close(self) -> None:
        self._con.close()

    def lookup(self, keys: set[str]) -> dict[str, list[dict[str, Any]]]:
        """The drug data each of `keys` (lower-cased variants) resolves to; absent keys left out."""
        if not keys:
            return {}
        klist = sorted(keys)
        with self._lock:
            found: dict[str, list[int]] = {}
            for i in range(0, len(klist), 500):
                part = klist[i : i + 500]
                marks = ",".join("?" * len(part))
                for key, ids in self._con.execute(
                    f"SELECT key, ids FROM variant WHERE key IN ({marks})", part
                ):
                    found[key] = json.loads(ids)
            need = sorted({i for ids in found.values() for i in ids} - self._entries.keys())
            for i in range(0, len(need), 500):
                ids_part = need[i : i + 500]
                marks = ",".join("?" * len(ids_part))
                for eid, data in self._con.execute(
                    f"SELECT id, data FROM entry WHERE id IN ({marks})", ids_part
                ):
                    self._entries[eid] = json.loads(data)
            return {k: [self._entries[i] for i in ids] for k, ids in found.items()}

    def find_drugs(self, words: Sequence[str]) -> list[Match]:
        """Exact matches of word pairs, then of single words not in a pair, as
        ``drugs_finder.find_drugs(words, is_ignore_case=True)`` reports them."""
        pairs = [(words[i] + " " + words[i + 1]).lower() for i in range(len(words) - 1)]
        singles = [w.lower() for w in words]
        table = self.lookup(set(pairs) | set(singles))
        matches: list[Match] = []
        taken: set[int] = set()
        for i, key in enumerate(pairs):
            for data in table.get(key, ()):
                matches.append((dict(data), i, i + 2))
                taken.update((i, i + 1))
        for i, key in enumerate(singles):
            if i in taken:
                continue
            for data in table.get(key, ()):
                matches.append((dict(data), i, i + 1))
                taken.add(i)
        return matches


_lock = threading.Lock()
_index: DrugIndex | None = None
_tried = False


def open_index(load_finder: Callable[[], Any]) -> DrugIndex | None:
    """The index for the installed library, built on first use with `load_finder` (which
    imports the library); None when disabled, when the library is absent, or when the cache
    directory cannot be written (the caller then falls back to the library itself)."""
    global _index, _tried
    if _tried:
        return _index
    with _lock:
        if _tried:
            return _index
        try:
            _index = _open(load_finder) if enabled() else None
        except (OSError, sqlite3.Error):
            _index = None
        _tried = True
    return _index


def _open(load_finder: Callable[[], Any]) -> DrugIndex | None:
    path = index_path()
    if path is None:
        return None
    if path.is_file():
        try:
            return DrugIndex(path)
        except sqlite3.DatabaseError:  # damaged (disk trouble, a foreign file): build anew
            pass
    finder = load_finder()
    if finder is None:
        return None
    build(path, finder)
    return DrugIndex(path)


def reset() -> None:
    """Forget the opened index (tests)."""
    global _index, _tried
    with _lock:
        if _index is not None:
            _index.close()
        _index, _tried = None, False
