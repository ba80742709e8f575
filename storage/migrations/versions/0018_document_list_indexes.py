"""document lists: indexes that keep the Inbox and the portal list fast without ANALYZE

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:10:00

A fresh SQLite database has no planner statistics: the Inbox of all dossiers
(``state = ? ORDER BY id DESC``) took the (state, updated_at) index and sorted every
booked document, and the portal's newest files (``dossier_id = ? AND kind = 'file'
ORDER BY id DESC``) the (dossier_id, tag) index and sorted the dossier.  These two
indexes return both lists in id order, so a page stops after 50 rows.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_document_state_id", "document", ["state", "id"])
    op.create_index("ix_document_dossier_kind", "document", ["dossier_id", "kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_document_dossier_kind", table_name="document")
    op.drop_index("ix_document_state_id", table_name="document")
