"""sales invoices: index on document_id

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 09:20:00

The dashboard's receivables and payables (and the booking of an issued invoice) look a
sales invoice up by the document it became; without an index that read scanned the
``sales_invoice`` table once per row.
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sales_invoice_document", "sales_invoice", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_sales_invoice_document", table_name="sales_invoice")
