"""Use cases. The CLI, the REST API and the web app call these functions and nothing deeper.

A `Runtime` holds what a process opens once (settings, engine, stores, indexes); every service
function takes it as its first argument and keyword-only options after it. One module per
family of use cases; this package re-exports them all.
"""

from curbside.services.corpus import (
    get_source,
    ingest,
    ingest_starter_library,
    list_sources,
    quarantine,
    search_passages_lexical,
    starter_library_path,
    stats,
    upgrade_database,
)
from curbside.services.runtime import NotFoundError, Runtime, open_runtime

__all__ = [
    "NotFoundError",
    "Runtime",
    "get_source",
    "ingest",
    "ingest_starter_library",
    "list_sources",
    "open_runtime",
    "quarantine",
    "search_passages_lexical",
    "starter_library_path",
    "stats",
    "upgrade_database",
]
