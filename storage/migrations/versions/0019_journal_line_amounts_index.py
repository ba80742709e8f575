"""journal lines: a covering index for the books' sums

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 08:00:00

The dashboard's receivables and payables, the trial balance and the measures sum
the lines of a dossier's booked entries: found by ``entry_id``, they needed a table
read per line for the account and amounts.  ``(entry_id, account, debit, credit)``
answers those sums from the index alone.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_journal_line_entry_amounts", "journal_line", ["entry_id", "account", "debit", "credit"]
    )


def downgrade() -> None:
    op.drop_index("ix_journal_line_entry_amounts", table_name="journal_line")
