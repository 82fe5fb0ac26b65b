"""Drug names and brands through drug-named-entity-recognition."""

from __future__ import annotations

import pytest

from curbside.understand import drugs

pytestmark = pytest.mark.skipif(not drugs.available(), reason="drug dictionary not installed")


def test_brand_resolves_to_generic() -> None:
    found = drugs.find_drug_mentions("Can I take Advil with Coumadin?")
    by_text = {d.text: d for d in found}
    assert by_text["Advil"].generic == "ibuprofen"
    assert by_text["Advil"].brand
    assert by_text["Coumadin"].generic == "warfarin"
    assert "coumadin" in by_text["Coumadin"].synonyms
    assert "Can I take Advil"[by_text["Advil"].start :].startswith("Advil")


def test_generic_is_not_a_brand() -> None:
    (d,) = drugs.find_drug_mentions("Is liraglutide effective for weight reduction?")
    assert d.generic == "liraglutide"
    assert not d.brand


def test_helpers() -> None:
    assert drugs.generic_name("Humira") == "adalimumab"
    assert drugs.generic_name("the weather") is None
    names = drugs.drug_synonyms("adalimumab")
    assert names[0] == "adalimumab" and "humira" in names


def test_ordinary_words_are_not_drugs() -> None:
    assert drugs.find_drug_mentions("What is the role of antibodies and water in the cell?") == []
    assert drugs.find_drug_mentions("") == []
    assert drugs.find_drug_mentions("\x00\ud800 ??") == []
