"""PostgreSQL full-text search over current passages (a no-op on SQLite, which has FTS5).

One ``passage_tsv`` row per current passage: a weighted tsvector (title A, text B, section C;
``english`` configuration) behind a GIN index. Rows are added for current passages and removed
when a source is retired, like the FTS5 index of 0001.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The same expression as curbside.index.lexical_pg.TSV_SQL, copied so this migration never
# changes when the application code does.
_TSV_SQL = (
    "setweight(to_tsvector('english'::regconfig, s.title), 'A') || "
    "setweight(to_tsvector('english'::regconfig, p.text), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(p.section, '')), 'C')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE passage_tsv ("
        "passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE, "
        "tsv tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_passage_tsv_gin ON passage_tsv USING gin (tsv)")
    # Passages stored before this revision become searchable at once.
    op.execute(
        f"INSERT INTO passage_tsv (passage_id, tsv) SELECT p.id, {_TSV_SQL} "
        "FROM passages p JOIN sources s ON s.id = p.source_id WHERE s.is_current"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS passage_tsv")
