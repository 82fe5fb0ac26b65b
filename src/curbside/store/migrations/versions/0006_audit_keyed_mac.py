"""Audit log: a per-entry hash scheme, so entries can carry a keyed MAC.

``audit_log.scheme``: 1 = SHA-256 of (previous hash + content), the only scheme before this
revision (every existing entry gets 1 and stays verifiable as it is); 2 = HMAC-SHA256 with the
audit key, a file outside the database, which every entry written from now on uses. Nothing
stored is changed or lost. Downgrading drops the column: keyed entries then no longer verify.

It also empties ``login_attempts``: rows written before this revision name the attempt by the
raw typed name (which could be a password typed into the name field); from now on they hold
``user#ID`` or a keyed hash. The rows only feed the 15-minute sign-in throttle, so clearing
them just resets that window.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("scheme", sa.Integer, nullable=False, server_default="1"))
    op.execute("DELETE FROM login_attempts")


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("scheme")
