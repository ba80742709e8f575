"""payment trust: known supplier IBANs, mail authentication results, document alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 04:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_iban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("supplier_id", "iban", name="uq_supplier_iban"),
    )
    op.create_index("ix_supplier_iban_dossier_id", "supplier_iban", ["dossier_id"])
    with op.batch_alter_table("mail") as batch:
        batch.add_column(sa.Column("auth", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("auth_domain", sa.String(length=255), nullable=True))
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("alerts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("alerts")
    with op.batch_alter_table("mail") as batch:
        batch.drop_column("auth_domain")
        batch.drop_column("auth")
    op.drop_index("ix_supplier_iban_dossier_id", table_name="supplier_iban")
    op.drop_table("supplier_iban")
