"""archive: legal holds, the purge journal (retention purges and dossier deletion)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:10:00

``dossier.legal_hold`` / ``document.legal_hold``: nothing of a held dossier, nor a
held document, is ever deleted.  ``purge_item``: one row per document or entry a
retention purge took (or, while ``state`` is ``marked``, is about to take): the
audit record of what went, and the resume point of an interrupted purge.
``sha256`` is deliberately no foreign key: the record outlives the blob.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (with a constant default), never a batch rebuild: rebuilding the
    # dossier table on SQLite trips the foreign keys of a database that has dossiers
    for table in ("dossier", "document"):
        op.add_column(
            table,
            sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.create_table(
        "purge_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run", sa.String(length=32), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_purge_item_run_state", "purge_item", ["run", "state"])
    op.create_index("ix_purge_item_dossier", "purge_item", ["dossier_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_purge_item_dossier", table_name="purge_item")
    op.drop_index("ix_purge_item_run_state", table_name="purge_item")
    op.drop_table("purge_item")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("legal_hold")
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("legal_hold")
