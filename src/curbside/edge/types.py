"""Request types shared by the API and the web routes: bounded ids, well-formed text.

Ids are stored as SQLite INTEGER / PostgreSQL BIGINT, so an id or version outside
1..2**63-1 can name nothing: it is refused at the edge (before any query) instead of
overflowing the database driver. Text must be valid Unicode: JSON lets a client send a lone
UTF-16 surrogate (``"\\ud800"``) that no encoder, tokenizer or database accepts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from curbside.domain import SourceKind

#: The largest id SQLite (INTEGER) and PostgreSQL (BIGINT) can store.
INT64_MAX = 2**63 - 1


def has_surrogates(text: str) -> bool:
    """True if `text` holds a UTF-16 surrogate code point (never valid in UTF-8 text)."""
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def reject_surrogates(value: str, what: str = "text") -> str:
    """Refuse text with a lone surrogate (e.g. JSON ``"\\ud800"``): it is not Unicode text."""
    if has_surrogates(value):
        raise ValueError(f"the {what} contains an invalid character (a lone UTF-16 surrogate, "
                         "e.g. \\ud800); send valid Unicode")
    return value


#: Free text of a request body: any valid Unicode string.
CleanText = Annotated[str, AfterValidator(reject_surrogates)]

#: A numeric id in the URL path (article, thread, source). Out of range: 404 (names nothing).
IdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="Numeric id, 1 to 2^63-1.")]

#: ``?version=N``: an article version (default: the newest).
VersionQuery = Annotated[int | None, Query(ge=1, le=INT64_MAX,
                                           description="Version, 1 to 2^63-1 "
                                                       "(default: the newest).")]

#: A required version in the query (``diff?old=&new=``).
RequiredVersionQuery = Annotated[int, Query(ge=1, le=INT64_MAX,
                                            description="Version, 1 to 2^63-1.")]


#: A publication year or range for a search filter: 2015, 2015-, -2020 or 2015-2020.
YEAR_PATTERN = r"^(\d{4}|\d{4}-|-\d{4}|\d{4}-\d{4})$"
#: ``kind`` of a search: only sources of these evidence kinds (the parameter repeated).
KindQuery = Annotated[
    list[SourceKind] | None,
    Query(description="Only sources of these evidence kinds (repeat the parameter)"),
]
#: ``year`` of a search: only sources published in this year or range.
YearQuery = Annotated[
    str | None,
    Query(pattern=YEAR_PATTERN, max_length=9,
          description="Only sources published in this year or range: 2015, 2015-, -2020 or "
                      "2015-2020"),
]
