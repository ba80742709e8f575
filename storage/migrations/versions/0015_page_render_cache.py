"""page render cache: the page images shown in the review UI, rendered once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:55:00

``page_render``: one PNG per document, source blob, page and resolution, made by the
sandboxed renderer the first time the page is viewed, so a second view (another
session, another UI process) does not decode the untrusted original again.  Derived
data: not counted in the dossier's storage quota, deleted with its document (a
purge deletes it through the foreign key; a junk purge deletes it explicitly).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_render",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id"), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("document_id", "source_sha256", "page", "dpi", name="uq_page_render"),
    )


def downgrade() -> None:
    op.drop_table("page_render")
