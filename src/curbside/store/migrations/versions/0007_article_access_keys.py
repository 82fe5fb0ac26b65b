"""Private questions: every article gets an unguessable reader key (its capability).

A draft (a version no reviewer has approved) is readable only with its article's key, by a
signed-in editor, reviewer or administrator, or not at all (see ``services.access``). Existing
articles get a key here, one per thread so that the turns of a thread share it, so no row is
left without one. The column stays nullable (SQLite cannot add a NOT NULL column without
rebuilding the table); the store always writes a key, and a missing key matches nothing.

Revision ID: 0007
Revises: 0006
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("access_key", sa.String(64)))
    articles = sa.table("articles", sa.column("id", sa.Integer),
                        sa.column("thread_id", sa.Integer), sa.column("access_key", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(articles.c.id, articles.c.thread_id)
                        .where(articles.c.access_key.is_(None))).all()
    thread_keys: dict[int, str] = {}
    for article_id, thread_id in rows:
        if thread_id is None:
            key = secrets.token_urlsafe(18)
        else:
            key = thread_keys.setdefault(int(thread_id), secrets.token_urlsafe(18))
        conn.execute(sa.update(articles).where(articles.c.id == article_id)
                     .values(access_key=key))


def downgrade() -> None:
    op.drop_column("articles", "access_key")  # SQLite 3.35+ drops a column in place
