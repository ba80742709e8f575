"""ECB exchange rates, and the rate and original amounts of a foreign-currency entry

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 05:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(20, 6), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("currency", "day"),
    )
    with op.batch_alter_table("journal_entry") as batch:
        batch.add_column(sa.Column("document_currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("exchange_rate", sa.Numeric(20, 6), nullable=True))
        batch.add_column(sa.Column("rate_source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("rate_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("original_total", sa.Numeric(14, 2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal_entry") as batch:
        batch.drop_column("original_total")
        batch.drop_column("rate_date")
        batch.drop_column("rate_source")
        batch.drop_column("exchange_rate")
        batch.drop_column("document_currency")
    op.drop_table("exchange_rate")
