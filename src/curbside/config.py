"""Settings: pydantic-settings, env prefix ``CURBSIDE_``, nested fields with ``__``.

Settings are built by the CLI's main callback or the app factory and passed down; nothing
reads the environment at import time.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Per-user data directory (e.g. ``~/.local/share/curbside``)."""
    return Path(user_data_dir("curbside", appauthor=False))


class ChunkSettings(BaseModel):
    """How source text is cut into passages. Part of the index fingerprint."""

    target_chars: int = Field(
        700, description="Passages grow sentence by sentence up to this size."
    )
    max_chars: int = Field(1200, description="Hard upper bound; a longer single sentence is cut.")


class IngestSettings(BaseModel):
    """Limits and locking for `curbside ingest`."""

    max_record_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest record read, in bytes: a JSON Lines line, the text of one PubMed XML "
            "record, a whole Markdown or HTML file (characters of text for other formats). "
            "A bigger record is quarantined before it is parsed. Default 2 MiB: seven times the "
            "longest full-text guideline in the development corpora (293 KB); a 10 MB record "
            "costs about 120 MB of memory to chunk, so the cap bounds memory per record."
        ),
    )
    max_passages_per_record: int = Field(
        3000,
        ge=1,
        description=(
            "Most passages one record may make; a record that would make more is quarantined. "
            "Default 3000: what 2 MiB of text makes at the default passage size, seven times "
            "the longest guideline (about 420 passages)."
        ),
    )
    lock_timeout_s: float = Field(
        600.0,
        ge=0,
        description=(
            "How long an ingest (or index build) waits for another one writing to the same "
            "database before giving up with exit code 14 (0 = do not wait). Default 10 "
            "minutes: an incremental update finishes well within it; a longer wait more often "
            "means a stuck process someone should look at."
        ),
    )


class EmbedderSettings(BaseModel):
    """Which embedding model turns passages and queries into vectors."""

    kind: str = Field(
        "onnx-minilm",
        description="Backend: bundled int8 MiniLM (default), a local "
        "sentence-transformers model path ('sentence-transformers'), an OpenAI-compatible "
        "/v1/embeddings server ('openai'), or a plugin's name (curbside.registry.EMBEDDERS).",
    )
    model: str = Field("all-MiniLM-L6-v2", description="Model name or local path.")
    base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible server.")
    api_key: SecretStr | None = Field(None, description="API key for the embeddings server.")
    threads: int = Field(2, description="onnxruntime intra-op threads.")
    batch_size: int = Field(
        8, description="Passages per embedding batch (8 was fastest on 2 CPU threads)."
    )
    max_tokens: int = Field(256, description="Token limit per passage (longer text is truncated).")


class RetrievalSettings(BaseModel):
    """Hybrid retrieval knobs."""

    candidates: int = Field(100, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    per_source_cap: int = Field(2, description="Most passages shown from one source.")
    mmr_lambda: float = Field(
        0.8, description="Relevance vs diversity trade-off for MMR (1 = none)."
    )
    lexical_postings_budget: int = Field(
        2000,
        ge=0,
        description=(
            "SQLite: most posting-list entries one keyword query reads; the most common query "
            "terms are left out beyond it (0 = keep every term; slower on a large library)."
        ),
    )
    vector_index: str = Field(
        "usearch",
        description=(
            "Vector index backend of the dense index: 'usearch' (int8 HNSW file, default), "
            "'exact' (float16 brute force), or a plugin's name (curbside.registry."
            "VECTOR_INDEXES)."
        ),
    )


class LLMSettings(BaseModel):
    """Optional OpenAI-compatible chat server for the LLM writer."""

    kind: str = Field(
        "openai-compatible",
        description="LLM client backend: 'openai-compatible' (/chat/completions over HTTP) "
        "or a plugin's name (curbside.registry.LLM_CLIENTS).",
    )

    base_url: str | None = Field(None, description="e.g. http://127.0.0.1:8080/v1; unset = no LLM.")
    model: str = Field("default", description="Model name sent to the server.")
    api_key: SecretStr | None = Field(None, description="Bearer token; never logged.")
    timeout_s: float = Field(60.0, description="Per-request timeout in seconds.")
    max_retries: int = Field(2, description="Retries with backoff on connection errors and 5xx.")
    concurrency: int = Field(4, description="Most concurrent requests to the server.")


class PrivacySettings(BaseModel):
    """What is kept of the questions people ask."""

    retain_raw_questions: bool = Field(
        False,
        description=(
            "Also store each question as typed, before redaction, in the articles table's "
            "raw_question column (never in the article JSON, pages, API or logs). Default: "
            "only the redacted question is kept."
        ),
    )


class Settings(BaseSettings):
    """All Curbside settings. Environment: ``CURBSIDE_HOME``, ``CURBSIDE_LLM__BASE_URL``..."""

    model_config = SettingsConfigDict(
        env_prefix="CURBSIDE_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(
        default_factory=default_home,
        description=(
            "Data directory: the SQLite database, the dense index, evaluation caches, key files."
        ),
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is a SQLite file in the data directory."
    )
    log_level: str = Field("WARNING", description="Logging level (question text is never logged).")
    secret_key: SecretStr | None = Field(
        None, description="Session/CSRF signing key for the web app; required outside development."
    )
    environment: Literal["development", "production"] = Field(
        "development", description="'production' refuses a missing or default secret key."
    )
    audit_key_file: Path | None = Field(
        None, description="HMAC key of the audit log, kept outside the database (default "
        "<home>/audit_key, created with mode 0600 on first use). Back it up: without it the "
        "keyed audit entries cannot be verified."
    )
    audit_checkpoint_file: Path | None = Field(
        None, description="File that receives the audit log's head (entry id and hash) after "
        "every write, checked by `audit verify` (default <home>/audit_checkpoints.jsonl)."
    )
    chunking: ChunkSettings = Field(default_factory=ChunkSettings)
    ingest: IngestSettings = Field(
        default_factory=IngestSettings,
        description="Record size caps and the writer lock timeout for `curbside ingest`.",
    )
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    privacy: PrivacySettings = Field(
        default_factory=PrivacySettings,
        description="Question retention: identifiers are always redacted from what is shown.",
    )
    postgres_bin_dir: Path | None = Field(
        None,
        description=(
            "Folder with pg_dump and pg_restore for `curbside backup`/`restore` on PostgreSQL "
            "(default: the newest found on PATH or bundled with pgserver)."
        ),
    )

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'curbside.db'}"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.home / "audit_key"

    @property
    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or self.home / "audit_checkpoints.jsonl"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    def fingerprint(self) -> str:
        """Hash of the settings that shape stored vectors: a change means a rebuild."""
        shape = {
            "chunking": self.chunking.model_dump(),
            "embedder": self.embedder.model_dump(include={"kind", "model", "max_tokens"}),
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]
