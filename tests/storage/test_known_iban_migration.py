"""Migration 0005: suppliers the accountant already booked keep their IBAN as a known one."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from storage.db import _alembic_config, get_engine, migrate


def test_booked_suppliers_get_their_iban_as_known(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(_alembic_config(url), "0004")
    engine = get_engine(url)
    now = "2026-01-01 00:00:00"
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO dossier (id, name, mailbox, enabled, allowed_senders, free_bytes,"
                " used_bytes, document_count, settings, created_at)"
                " VALUES (1, 'D', 'd@x.test', 1, '[]', 0, 0, 0, '{}', :now)"
            ),
            {"now": now},
        )
        for sid, iban in ((1, "BE11 0014 4556 6748"), (2, "BE68539007547034")):
            c.execute(
                sa.text(
                    "INSERT INTO supplier (id, dossier_id, key, iban, autobook_policy,"
                    " autobook_after, confirmations_in_a_row, history, hints)"
                    " VALUES (:id, 1, :key, :iban, 'never', 3, 0, '[]', '[]')"
                ),
                {"id": sid, "key": f"k{sid}", "iban": iban},
            )
        # only supplier 1 was ever booked
        c.execute(
            sa.text(
                "INSERT INTO journal_entry (dossier_id, supplier_id, journal, bookyear, period,"
                " vat_period, date, status, warnings, confidence, auto_booked, edited, created_at)"
                " VALUES (1, 1, 'purchase', '2026', '2026-01', '', '2026-01-01', 'booked', '[]',"
                " 1.0, 0, 0, :now)"
            ),
            {"now": now},
        )
    migrate(url)
    with engine.begin() as c:
        rows = c.execute(sa.text("SELECT supplier_id, iban, source FROM supplier_iban")).fetchall()
    assert [tuple(r) for r in rows] == [(1, "BE11001445566748", "migrated")]
    migrate(url)  # idempotent
