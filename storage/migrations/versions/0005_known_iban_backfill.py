"""known supplier IBANs: backfill from suppliers the accountant already booked

Before 0002 nothing recorded which IBANs the accountant accepted.  A supplier
with at least one booked entry keeps the IBAN stored on it as a known one
(source "migrated"), so its next invoice with another IBAN counts as a
*changed* IBAN (booking refused until confirmed), not as a merely new one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.id, s.dossier_id, s.iban FROM supplier s"
            " WHERE s.iban IS NOT NULL AND s.iban <> ''"
            " AND EXISTS (SELECT 1 FROM journal_entry e"
            "   WHERE e.supplier_id = s.id AND e.status = 'booked')"
            " AND NOT EXISTS (SELECT 1 FROM supplier_iban k WHERE k.supplier_id = s.id)"
        )
    ).fetchall()
    if not rows:
        return
    table = sa.table(
        "supplier_iban",
        sa.column("dossier_id", sa.Integer),
        sa.column("supplier_id", sa.Integer),
        sa.column("iban", sa.String),
        sa.column("source", sa.String),
        sa.column("confirmed_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        table,
        [
            {
                "dossier_id": dossier_id,
                "supplier_id": supplier_id,
                "iban": "".join(ch for ch in str(iban).upper() if ch.isalnum()),
                "source": "migrated",
                "confirmed_at": now,
            }
            for supplier_id, dossier_id, iban in rows
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM supplier_iban WHERE source = 'migrated'")
