"""books: indexes for ledger aggregation, and each user's own dashboard charts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:50:00

The books pages (general ledger, trial balance, dashboard) aggregate journal lines
in SQL per dossier, status and date, and per account: ``ix_entry_dossier_status_date``
and ``ix_journal_line_account_entry`` serve those.  ``own_chart`` stores the charts a
user built on their dashboard (a measure = account range, a period, a granularity and
a chart type), per user and dossier.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_entry_dossier_status_date", "journal_entry", ["dossier_id", "status", "date"]
    )
    op.create_index("ix_journal_line_account_entry", "journal_line", ["account", "entry_id"])
    op.create_table(
        "own_chart",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("measure", sa.String(length=60), nullable=False),
        sa.Column("period_from", sa.String(length=7), nullable=False),
        sa.Column("period_to", sa.String(length=7), nullable=False),
        sa.Column("granularity", sa.String(length=8), nullable=False),
        sa.Column("chart_type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_own_chart_user_dossier", "own_chart", ["user_id", "dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_own_chart_user_dossier", table_name="own_chart")
    op.drop_table("own_chart")
    op.drop_index("ix_journal_line_account_entry", table_name="journal_line")
    op.drop_index("ix_entry_dossier_status_date", table_name="journal_entry")
