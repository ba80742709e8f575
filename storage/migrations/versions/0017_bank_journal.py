"""bank journal from CODA: each movement knows its key and the entry that books it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:45:00

``bank_movement.movement_key``: the movement's identity in its statement (bank account,
statement number, sequence, detail, date, amount), so the same statement imported again
in another file books nothing twice.  ``bank_movement.entry_id``: the financial-journal
entry that books the movement (550000 against the customer, the supplier or the account
given by hand).  Plain ADD COLUMNs (no batch rebuild on SQLite); ``entry_id`` is no
foreign key, like the analytical splits' entry ids.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bank_movement", sa.Column("movement_key", sa.String(length=200), nullable=True))
    op.add_column("bank_movement", sa.Column("entry_id", sa.Integer(), nullable=True))
    op.create_index("ix_bank_movement_key", "bank_movement", ["dossier_id", "movement_key"])
    op.create_index("ix_bank_movement_entry", "bank_movement", ["entry_id"])


def downgrade() -> None:
    op.drop_index("ix_bank_movement_entry", table_name="bank_movement")
    op.drop_index("ix_bank_movement_key", table_name="bank_movement")
    with op.batch_alter_table("bank_movement") as batch:
        batch.drop_column("entry_id")
        batch.drop_column("movement_key")
