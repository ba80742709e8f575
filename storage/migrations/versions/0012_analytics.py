"""analytics: dimensions, codes, line distributions, learned defaults

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:15:00

``analytic_dimension`` (e.g. cost centre, project) per dossier with its
``analytic_code`` rows.  ``analytic_split``: the share in percent of one booking
line (entry id + line seq, deliberately no foreign key to ``journal_line`` so that
rewriting an entry's lines never trips over it) given to one code; amounts are
allocated from the line amount when read, so they always add up to the cent.
``analytic_default``: the last confirmed distribution per dimension, account and
supplier (``supplier_id`` 0 for the account on its own).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytic_dimension",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dossier_id", "name", name="uq_analytic_dimension_name"),
    )
    op.create_table(
        "analytic_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "dimension_id", sa.Integer(), sa.ForeignKey("analytic_dimension.id"), nullable=False
        ),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("dimension_id", "code", name="uq_analytic_code"),
    )
    op.create_table(
        "analytic_split",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("line_seq", sa.Integer(), nullable=False),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), sa.ForeignKey("analytic_code.id"), nullable=False),
        sa.Column("pct", sa.Numeric(9, 4), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_analytic_split_entry", "analytic_split", ["entry_id", "line_seq"])
    op.create_index("ix_analytic_split_dim", "analytic_split", ["dossier_id", "dimension_id"])
    op.create_table(
        "analytic_default",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=12), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dimension_id", "account", "supplier_id", name="uq_analytic_default"),
    )


def downgrade() -> None:
    op.drop_table("analytic_default")
    op.drop_index("ix_analytic_split_dim", table_name="analytic_split")
    op.drop_index("ix_analytic_split_entry", table_name="analytic_split")
    op.drop_table("analytic_split")
    op.drop_table("analytic_code")
    op.drop_table("analytic_dimension")
