"""Use cases. The CLI, the REST API and the web app call these functions and nothing deeper.

A `Runtime` holds what a process opens once (settings, engine, stores, indexes); every service
function takes it as its first argument and keyword-only options after it. One module per
family of use cases; this package re-exports them all.

Importing the package is cheap: each name loads its module on first use (PEP 562), so a command
that asks a question never imports accounts, backups, review or ingest code it does not call.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curbside.services.access import (
        ANONYMOUS,
        Asked,
        Viewer,
        access_key_of,
        ask_as,
        can_read,
        citing_for,
        follow_up_as,
        read_article,
        read_thread,
        recent_for,
        shared_key,
        status_for,
        viewer_for,
    )
    from curbside.services.accounts import (
        AccountError,
        LoginFailed,
        LoginThrottled,
        actor_for,
        add_user,
        create_session,
        csrf_token,
        end_session,
        issue_api_token,
        list_users,
        login,
        resolve_api_token,
        resolve_session,
        signing_key,
        verify_csrf,
    )
    from curbside.services.answers import (
        InvalidInput,
        ask,
        dense_index,
        evidence_public,
        expansions_left_out,
        follow_up,
        get_article,
        get_thread,
        keyword_plan,
        recent_articles,
        retriever,
        search,
    )
    from curbside.services.corpus import (
        build_index,
        get_source,
        index_status,
        ingest,
        ingest_starter_library,
        list_sources,
        quarantine,
        search_passages_lexical,
        starter_library_path,
        stats,
        upgrade_database,
    )
    from curbside.services.faults import (
        IndexUnavailable,
        ServiceUnavailable,
        StorageError,
        storage_error,
    )
    from curbside.services.privacy import RedactStoredReport, redact_stored
    from curbside.services.reads import (
        citing_articles,
        get_passage,
        passage_sources,
        readiness,
        render_article,
    )
    from curbside.services.review import (
        TransitionRefused,
        after_ingest,
        approval_record,
        article_diff,
        article_history,
        editorial_policy,
        public_status,
        review_claim,
        review_queue,
        revise_article,
        transition_article,
    )
    from curbside.services.runtime import NotFoundError, Runtime, open_runtime
    from curbside.services.safety import add_safety, triage_public, triage_text

#: Module (under ``curbside.services``) -> the names this package re-exports from it.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "access": (
        "ANONYMOUS", "Asked", "Viewer", "access_key_of", "ask_as", "can_read", "citing_for",
        "follow_up_as", "read_article", "read_thread", "recent_for", "shared_key", "status_for",
        "viewer_for",
    ),
    "accounts": (
        "AccountError", "LoginFailed", "LoginThrottled", "actor_for", "add_user", "create_session",
        "csrf_token", "end_session", "issue_api_token", "list_users", "login", "resolve_api_token",
        "resolve_session", "signing_key", "verify_csrf",
    ),
    "answers": (
        "InvalidInput", "ask", "dense_index", "evidence_public", "expansions_left_out",
        "follow_up", "get_article",
        "get_thread", "keyword_plan", "recent_articles", "retriever", "search",
    ),
    "corpus": (
        "build_index", "get_source", "index_status", "ingest", "ingest_starter_library",
        "list_sources", "quarantine", "search_passages_lexical", "starter_library_path", "stats",
        "upgrade_database",
    ),
    "faults": (
        "IndexUnavailable", "ServiceUnavailable", "StorageError", "storage_error",
    ),
    "privacy": (
        "RedactStoredReport", "redact_stored",
    ),
    "reads": (
        "citing_articles", "get_passage", "passage_sources", "readiness", "render_article",
    ),
    "review": (
        "TransitionRefused", "after_ingest", "approval_record", "article_diff", "article_history",
        "editorial_policy", "public_status", "review_claim", "review_queue", "revise_article",
        "transition_article",
    ),
    "runtime": (
        "NotFoundError", "Runtime", "open_runtime",
    ),
    "safety": (
        "add_safety", "triage_public", "triage_text",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a re-exported name's module on first use and cache the name here."""
    module = _MODULE_OF.get(name)
    if module is None:  # a submodule read as an attribute (`services.access.holds_key`)
        if importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__all__ = [
    "ANONYMOUS",
    "Asked",
    "Viewer",
    "access_key_of",
    "ask_as",
    "can_read",
    "citing_for",
    "follow_up_as",
    "read_article",
    "read_thread",
    "recent_for",
    "shared_key",
    "status_for",
    "viewer_for",
    "AccountError",
    "LoginFailed",
    "LoginThrottled",
    "actor_for",
    "add_user",
    "create_session",
    "csrf_token",
    "end_session",
    "issue_api_token",
    "list_users",
    "login",
    "resolve_api_token",
    "resolve_session",
    "signing_key",
    "verify_csrf",
    "TransitionRefused",
    "after_ingest",
    "approval_record",
    "article_diff",
    "article_history",
    "editorial_policy",
    "public_status",
    "review_claim",
    "review_queue",
    "revise_article",
    "transition_article",
    "InvalidInput",
    "ask",
    "build_index",
    "dense_index",
    "evidence_public",
    "follow_up",
    "get_article",
    "get_thread",
    "index_status",
    "recent_articles",
    "redact_stored",
    "RedactStoredReport",
    "retriever",
    "keyword_plan",
    "expansions_left_out",
    "search",
    "NotFoundError",
    "IndexUnavailable",
    "ServiceUnavailable",
    "StorageError",
    "storage_error",
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
    "add_safety",
    "triage_public",
    "triage_text",
    "citing_articles",
    "get_passage",
    "passage_sources",
    "readiness",
    "render_article",
]
