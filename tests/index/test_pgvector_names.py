"""The pgvector backend's pure parts: the storage type by server version, the table names.

Only pgvector 0.6.2 (``vector``) runs here (pgserver); ``halfvec`` arrived in 0.7, so the
choice between them is checked on version strings. The backend itself runs on a real
PostgreSQL in tests/conformance/test_pgvector.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curbside.index.pgvector_index import parse_version, storage_type, table_names


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.5.1", "vector"),
        ("0.6.2", "vector"),  # pgserver's
        ("0.6.10", "vector"),
        ("0.7.0", "halfvec"),
        ("0.7.4", "halfvec"),
        ("0.8.0", "halfvec"),
        ("1.0", "halfvec"),
        ("0.10.1", "halfvec"),  # compared as numbers, not as text
    ],
)
def test_halfvec_from_pgvector_0_7(version: str, expected: str) -> None:
    assert storage_type(version) == expected


def test_parse_version() -> None:
    assert parse_version("0.6.2") == (0, 6, 2)
    assert parse_version(" 0.8.0-dev") == (0, 8, 0)
    with pytest.raises(ValueError, match="not a pgvector version"):
        parse_version("vector")


def test_table_names_are_identifiers_within_the_limit() -> None:
    real = Path("/home/idx/dense-0123456789abcdef-89abcdef-a1b2c3")
    table, hnsw = table_names(real)
    assert table.startswith("curbside_vec_dense_0123456789abcdef_89abcdef_a1b2c3_")
    for name in (table, hnsw):
        assert len(name) <= 63 and name.replace("_", "").isalnum() and name.islower()
    # Named by the directory's name, not its place: two homes on one database share a table.
    assert table_names(Path("/elsewhere") / real.name) == (table, hnsw)
    # Names that read alike after quoting still get tables of their own.
    assert table_names(Path("a-b"))[0] != table_names(Path("a_b"))[0]
    long = table_names(Path("x" * 200 + "Ü"))
    assert all(len(n) <= 63 for n in long)
