"""The process runtime: what a CLI command or the app opens once and hands to every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from curbside.config import Settings
from curbside.index.lexical import LexicalIndex
from curbside.index.lexical_factory import make_lexical_index
from curbside.store.articles import ArticleStore
from curbside.store.audit import AuditLog
from curbside.store.engine import make_engine, upgrade
from curbside.store.sources import SourceStore


class NotFoundError(LookupError):
    """A record the caller named does not exist; the message names it."""


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: SourceStore
    lexical: LexicalIndex
    articles: ArticleStore
    extras: dict[str, Any] = field(default_factory=dict)

    def audit_log(self) -> AuditLog:
        """The audit log, keyed and checkpointed as the settings say."""
        return AuditLog(self.engine, key_file=self.settings.audit_key_path,
                        checkpoint_file=self.settings.audit_checkpoint_path)

    def close(self) -> None:
        self.engine.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (creating and upgrading it unless `migrate` is False)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    if migrate:
        upgrade(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        store=SourceStore(engine),
        lexical=make_lexical_index(
            engine, postings_budget=settings.retrieval.lexical_postings_budget
        ),
        articles=ArticleStore(engine),
    )
