"""entries: where an entry came from and the accountant's approval of client bookings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:05:00

``origin``: ``document`` (NULL, the pipeline's proposals), ``manual`` (an entry typed by
hand in any journal), ``opening`` (opening balances imported or carried from the previous
bookyear).  ``by_client``: booked by a member of the dossier who is neither an
accountant of it nor an admin.  ``approval``: NULL (nothing to approve), ``waiting``,
``approved`` or ``returned`` (sent back to review with ``approval_comment``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("journal_entry") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
        batch.add_column(
            sa.Column("by_client", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("approval", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("approval_comment", sa.Text(), nullable=True))
    op.create_index("ix_entry_dossier_approval", "journal_entry", ["dossier_id", "approval"])


def downgrade() -> None:
    op.drop_index("ix_entry_dossier_approval", table_name="journal_entry")
    with op.batch_alter_table("journal_entry") as batch:
        batch.drop_column("approval_comment")
        batch.drop_column("approval")
        batch.drop_column("by_client")
        batch.drop_column("origin")
