"""Quarantine: a record key so ingesting the same file again does not quarantine it again.

``record_key`` is the sha256 of (the file's content hash, the record's position, the reason).
Rows stored before this revision have none; they stay as they are.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("quarantine", sa.Column("record_key", sa.String(64), nullable=True))
    op.create_index("ix_quarantine_record_key", "quarantine", ["record_key"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_record_key", table_name="quarantine")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("record_key")
