"""The compact drug index gives exactly what the library's own finder gives."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from curbside.understand import drug_index, drugs

pytestmark = pytest.mark.skipif(
    drug_index.dictionary_file() is None, reason="drug dictionary not installed"
)

TESTS = Path(__file__).resolve().parents[1]
SRC = TESTS.parent / "src"


@pytest.fixture(scope="module")
def finder() -> object:
    mod = drugs._load()
    if mod is None:
        pytest.skip("drug dictionary not loadable")
    return mod


@pytest.fixture(scope="module")
def built(finder: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drug_cache")
    path = drug_index.index_path(folder)
    assert path is not None
    return drug_index.build(path, finder)


def _test_questions() -> list[str]:
    """Every quoted question in the test suite (drug-heavy and drug-free alike)."""
    found: set[str] = set()
    for p in TESTS.rglob("*.py"):
        found.update(re.findall(r'"([^"\n]{8,300}\?)"', p.read_text(encoding="utf-8")))
    return sorted(found)


def _dictionary_texts(finder: object) -> list[str]:
    """A few thousand dictionary names, as written in questions, in pairs and upper-cased."""
    variants = sorted(finder.drug_variant_to_canonical)  # type: ignore[attr-defined]
    sample = variants[::25]
    texts = []
    for i, v in enumerate(sample):
        other = sample[(i * 7 + 3) % len(sample)]
        shown = v.title() if i % 3 == 0 else v.upper() if i % 3 == 1 else v
        texts.append(f"Can I take {shown} with {other}, or water and alcohol?")
    return texts


def test_same_mentions_as_the_library(built: Path, finder: object) -> None:
    index = drug_index.DrugIndex(built)
    try:
        texts = _test_questions() + _dictionary_texts(finder)
        assert len(texts) > 4000
        differ = [
            t for t in texts
            if drugs._mentions(t, index.find_drugs) != drugs.find_drug_mentions_with_library(t)
        ]
        assert differ == []
        assert sum(bool(drugs._mentions(t, index.find_drugs)) for t in texts) > 3000
    finally:
        index.close()


def test_same_raw_matches_as_the_library(built: Path, finder: object) -> None:
    index = drug_index.DrugIndex(built)
    try:
        for text in ["Can I take Advil with Coumadin?", "vitamin d and vitamin k", "Humira"]:
            words = text.replace("?", "").split()
            want = [
                ({k: d[k] for k in drug_index.FIELDS if k in d}, a, b)
                for d, a, b in finder.find_drugs(words, is_ignore_case=True)  # type: ignore[attr-defined]
            ]
            assert index.find_drugs(words) == want
    finally:
        index.close()


def test_concurrent_builds_leave_one_complete_file(finder: object, tmp_path: Path) -> None:
    path = tmp_path / "drugs.sqlite"
    errors: list[BaseException] = []

    def one() -> None:
        try:
            drug_index.build(path, finder)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["drugs.sqlite"]  # no temp file left
    index = drug_index.DrugIndex(path)
    try:
        assert index.lookup({"advil"})["advil"][0]["name"].lower() == "ibuprofen"
    finally:
        index.close()


def test_index_name_follows_the_library(tmp_path: Path) -> None:
    path = drug_index.index_path(tmp_path)
    assert path is not None and path.parent == tmp_path
    assert re.fullmatch(r"drugs-v\d+-[\w.-]+-[0-9a-f]{16}\.sqlite", path.name)


def test_lookups_do_not_import_the_library(built: Path) -> None:
    code = (
        "import sys\n"
        "from curbside.understand import drugs\n"
        "found = drugs.find_drug_mentions('Is Tylenol safe with Coumadin?')\n"
        "assert [d.generic for d in found] == ['acetaminophen', 'warfarin'], found\n"
        "assert 'drug_named_entity_recognition' not in sys.modules\n"
    )
    env = dict(os.environ, CURBSIDE_CACHE_DIR=str(built.parent), PYTHONPATH=str(SRC))
    env.pop("CURBSIDE_DRUG_INDEX", None)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def test_disabled_index_uses_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURBSIDE_DRUG_INDEX", "off")
    drug_index.reset()
    try:
        assert drug_index.open_index(drugs._load) is None
        assert drugs.generic_name("Humira") == "adalimumab"
    finally:
        drug_index.reset()


def test_damaged_index_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURBSIDE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CURBSIDE_DRUG_INDEX", raising=False)
    path = drug_index.index_path()
    assert path is not None
    path.write_bytes(b"not a database" * 100)
    drug_index.reset()
    try:
        index = drug_index.open_index(drugs._load)
        assert index is not None and index.path == path
        assert drugs.generic_name("Humira") == "adalimumab"
    finally:
        drug_index.reset()
