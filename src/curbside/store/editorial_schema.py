"""Editorial tables: accounts, sessions, API tokens, login attempts, review records, audit log.

Registered on the shared `metadata` of `curbside.store.schema`, created by migration 0003.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from curbside.store.schema import UTCDateTime, metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),  # admin | editor | reviewer
    Column("password_hash", Text),  # argon2; NULL = cannot log in with a password
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the cookie value
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ip", String(64)),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),  # first characters, to tell tokens apart
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked", Boolean, nullable=False, default=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
Index("ix_login_attempts_user_ip",
      login_attempts.c.username, login_attempts.c.ip, login_attempts.c.at)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_state", String(30)),  # NULL when the action created this version
    Column("to_state", String(30), nullable=False),
    Column("actor_id", Integer, ForeignKey("users.id")),  # NULL = the system (living articles)
    Column("actor_role", String(20), nullable=False),  # role at the time of the action
    Column("note", Text),
    Column("at", UTCDateTime(), nullable=False),
)
Index("ix_transitions_article", transitions.c.article_id, transitions.c.version)

claim_reviews = Table(
    "claim_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("claim_id", String(100), nullable=False),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("action", String(20), nullable=False),  # accept | comment | strike
    Column("comment", Text),
    Column("at", UTCDateTime(), nullable=False),
)
Index("ix_claim_reviews_article", claim_reviews.c.article_id, claim_reviews.c.version)

audit_log = Table(
    "audit_log",
    metadata,
    # Ids are assigned by the writer (last + 1), so a gap means a deleted entry.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # 1 = SHA-256 (entries before migration 0006), 2 = HMAC-SHA256 with the audit key file.
    Column("scheme", Integer, nullable=False, server_default=text("1")),
)
