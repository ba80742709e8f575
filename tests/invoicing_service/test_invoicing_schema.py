"""Migration 0007 (sales invoicing) goes up and down on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import _alembic_config, get_engine

TABLES = {
    "customer",
    "sales_item",
    "invoice_sequence",
    "sales_invoice",
    "sales_invoice_line",
    "invoice_send",
    "coda_import",
    "bank_movement",
    "payment",
    "reminder_sent",
}


def test_migration_0007_up_and_down(db_url: str) -> None:
    from alembic import command

    assert set(inspect(get_engine(db_url)).get_table_names()) >= TABLES
    command.downgrade(_alembic_config(db_url), "0006")
    assert not TABLES & set(inspect(get_engine(db_url)).get_table_names())
    command.upgrade(_alembic_config(db_url), "head")
    assert set(inspect(get_engine(db_url)).get_table_names()) >= TABLES
