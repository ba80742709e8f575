"""quota billing: the firm's sales invoice made from a monthly quota statement

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:50:00

``quota_statement.invoice_id``: the sales invoice (in the firm's own dossier) made from
the statement, so a month of a dossier is invoiced once.  A plain ADD COLUMN without a
foreign key (a constraint cannot be added to an existing SQLite table without a batch
rebuild); the service checks the invoice exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("quota_statement", sa.Column("invoice_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quota_statement") as batch:
        batch.drop_column("invoice_id")
