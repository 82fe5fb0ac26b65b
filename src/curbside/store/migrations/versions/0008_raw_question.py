"""articles.raw_question: the question as typed, kept only when an operator opts in.

Questions are stored redacted (names, dates, record numbers, phones, e-mail and addresses
replaced by placeholders). With ``privacy.retain_raw_questions`` the unredacted question is
also kept here, outside the article JSON; by default the column stays NULL.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("raw_question", sa.Text, nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite >= 3.35) keeps the table, so rows of article_versions
        # that reference it are untouched (a batch copy would drop and recreate it).
        op.execute("ALTER TABLE articles DROP COLUMN raw_question")
        return
    op.drop_column("articles", "raw_question")
