"""SQLite: an fts5vocab table over the passage index, so a query can see how common a term is.

``passage_fts_vocab`` has one row per indexed (stemmed) term with the number of passages that
hold it (``doc``). The lexical index reads it to leave out of a query the terms so common that
scoring them would cost more than they add (see ``curbside.index.lexical``). It stores nothing:
fts5vocab reads the FTS5 index itself. A no-op on PostgreSQL.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE VIRTUAL TABLE passage_fts_vocab USING fts5vocab(passage_fts, 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS passage_fts_vocab")
