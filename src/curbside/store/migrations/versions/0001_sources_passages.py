"""Sources, passages, ingest runs, quarantine; SQLite FTS5 index over current passages.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("paths", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("container", sa.Text),
        sa.Column("container_abbrev", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("pmid", sa.String(20)),
        sa.Column("doi", sa.String(200)),
        sa.Column("url", sa.Text),
        sa.Column("publication_types", sa.JSON, nullable=False),
        sa.Column("mesh_terms", sa.JSON, nullable=False),
        sa.Column("language", sa.String(20)),
        sa.Column("retracted", sa.Boolean, nullable=False),
        sa.Column("retraction_of", sa.JSON, nullable=False),
        sa.Column("retraction_in", sa.JSON, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("origin_file", sa.Text),
        sa.Column("origin_position", sa.Integer),
        sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_runs.id")),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("external_id", "version", name="uq_sources_external_version"),
    )
    op.create_index("ix_sources_current", "sources", ["external_id", "is_current"])
    op.create_index("ix_sources_pmid", "sources", ["pmid"])
    op.create_index("ix_sources_kind", "sources", ["kind"])
    op.create_table(
        "passages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(40), nullable=False, unique=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("ord", sa.Integer, nullable=False),
        sa.Column("section", sa.String(200)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("char_start", sa.Integer, nullable=False),
        sa.Column("char_end", sa.Integer, nullable=False),
    )
    op.create_index("ix_passages_source", "passages", ["source_id", "ord"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ingest_run_id", sa.Integer, sa.ForeignKey("ingest_runs.id")),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("record_id", sa.String(200)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("excerpt", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 over a view: no second copy of the text. Rows are added for
        # current passages and removed (with their old values) when a source is retired.
        op.execute(
            "CREATE VIEW passage_fts_content AS SELECT p.id AS id, s.title AS title, "
            "p.section AS section, p.text AS text "
            "FROM passages p JOIN sources s ON s.id = p.source_id"
        )
        op.execute(
            "CREATE VIRTUAL TABLE passage_fts USING fts5(title, section, text, "
            "content='passage_fts_content', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS passage_fts")
        op.execute("DROP VIEW IF EXISTS passage_fts_content")
    op.drop_table("quarantine")
    op.drop_table("passages")
    op.drop_table("sources")
    op.drop_table("ingest_runs")
