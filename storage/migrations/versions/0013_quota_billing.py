"""quota billing: monthly usage statements and the quota alerts sent

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 06:45:00

``quota_statement``: one row per dossier and month (``YYYY-MM``): the peak use in the
month, the free allowance then, the started GB above it and the amount billed.
``quota_alert``: one row per dossier, month and threshold (``80``, ``100``,
``forecast``) once its mail went out, so each alert is sent once per month.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_statement",
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), primary_key=True),
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("peak_bytes", sa.BigInteger(), nullable=False),
        sa.Column("free_bytes", sa.BigInteger(), nullable=False),
        sa.Column("billed_gb", sa.Integer(), nullable=False),
        sa.Column("amount_eur", sa.Numeric(12, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quota_alert",
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), primary_key=True),
        sa.Column("month", sa.String(length=7), primary_key=True),
        sa.Column("threshold", sa.String(length=16), primary_key=True),
        sa.Column("used_bytes", sa.BigInteger(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quota_alert")
    op.drop_table("quota_statement")
