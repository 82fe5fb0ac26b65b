"""SQLAlchemy Core tables. Portable types only: the PostgreSQL backend is a dialect change.

Migrations in `migrations/versions` create these tables; keep the two in step (a test checks).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (UTC).

    SQLite has no zone-aware type: SQLAlchemy's ``DateTime(timezone=True)`` stores the wall
    clock and hands back a naive datetime there, while PostgreSQL hands back an aware one.
    This type makes both backends return the same aware UTC value (naive input is UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a raw SQLite value that bypassed the DBAPI converter
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Column("status", String(20), nullable=False),  # running | done | failed | interrupted
    Column("paths", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("external_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("container", Text),
    Column("container_abbrev", Text),
    Column("year", Integer),
    Column("authors", JSON, nullable=False),
    Column("pmid", String(20)),
    Column("doi", String(200)),
    Column("url", Text),
    Column("publication_types", JSON, nullable=False),
    Column("mesh_terms", JSON, nullable=False),
    Column("language", String(20)),
    Column("retracted", Boolean, nullable=False, default=False),
    Column("retraction_of", JSON, nullable=False),
    Column("retraction_in", JSON, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("text", Text, nullable=False),
    Column("origin_file", Text),
    Column("origin_position", Integer),
    Column("ingest_run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("ingested_at", UTCDateTime(), nullable=False),
    UniqueConstraint("external_id", "version", name="uq_sources_external_version"),
)
Index("ix_sources_current", sources.c.external_id, sources.c.is_current)
Index("ix_sources_pmid", sources.c.pmid)
Index("ix_sources_kind", sources.c.kind)

passages = Table(
    "passages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uid", String(40), nullable=False, unique=True),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("ord", Integer, nullable=False),
    Column("section", String(200)),
    Column("text", Text, nullable=False),
    Column("char_start", Integer, nullable=False),
    Column("char_end", Integer, nullable=False),
)
Index("ix_passages_source", passages.c.source_id, passages.c.ord)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ingest_run_id", Integer, ForeignKey("ingest_runs.id")),
    Column("file", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("record_id", String(200)),
    Column("reason", Text, nullable=False),
    Column("excerpt", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # sha256 of (file content hash, position, reason): the same bad record is kept once.
    Column("record_key", String(64)),
)
Index("ix_quarantine_record_key", quarantine.c.record_key)

threads = Table(
    "threads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("context", JSON, nullable=False),  # entities/topic carried to follow-ups
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", Integer, ForeignKey("threads.id")),
    Column("turn", Integer, nullable=False, default=1),
    Column("title", Text, nullable=False),
    Column("audience", String(20), nullable=False),
    Column("status", String(30), nullable=False),  # state of the latest version
    Column("current_version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The reader key of a private draft (migration 0007); shared by the turns of a thread.
    Column("access_key", String(64)),
    # The question as typed, before redaction: only with privacy.retain_raw_questions (else
    # NULL; migration 0008). Nothing reads it back into the article JSON, pages or API.
    Column("raw_question", Text),
)
Index("ix_articles_thread", articles.c.thread_id, articles.c.turn)
Index("ix_articles_status", articles.c.status)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(30), nullable=False),
    Column("body", JSON, nullable=False),  # the Article JSON
    Column("writer", String(20), nullable=False),
    Column("settings_fingerprint", String(64), nullable=False),
    Column("created_by", Integer),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("article_id", "version", name="uq_article_versions"),
)

article_citations = Table(
    "article_citations",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=False),
    Column("passage_id", Integer, ForeignKey("passages.id")),
)
Index("ix_article_citations_source", article_citations.c.source_id)
