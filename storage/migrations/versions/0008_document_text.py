"""document text and tags: full-text search of every document, filing under a tag

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:35:00

``document_text`` holds the text the extract step read (pages and fields), one row
per document.  SQLite searches it through the FTS5 table ``document_fts`` (kept in
step by triggers); PostgreSQL through a generated ``tsv`` column (Dutch, French and
simple word forms) with a GIN index.  Existing extracted documents are backfilled
from their denormalised fields (supplier, number, file name).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FTS_TRIGGERS = (
    """CREATE TRIGGER document_text_ai AFTER INSERT ON document_text BEGIN
         INSERT INTO document_fts(rowid, body) VALUES (new.document_id, new.body);
       END""",
    """CREATE TRIGGER document_text_ad AFTER DELETE ON document_text BEGIN
         INSERT INTO document_fts(document_fts, rowid, body)
           VALUES ('delete', old.document_id, old.body);
       END""",
    """CREATE TRIGGER document_text_au AFTER UPDATE ON document_text BEGIN
         INSERT INTO document_fts(document_fts, rowid, body)
           VALUES ('delete', old.document_id, old.body);
         INSERT INTO document_fts(rowid, body) VALUES (new.document_id, new.body);
       END""",
)


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("tag", sa.String(length=60), nullable=True))
    op.create_index("ix_document_dossier_tag", "document", ["dossier_id", "tag"])
    op.create_table(
        "document_text",
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document.id"), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("doc_type", sa.String(length=20), nullable=True),
        sa.Column("customer_name", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_document_text_dossier_id", "document_text", ["dossier_id"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE document_text ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "to_tsvector('dutch', body) || to_tsvector('french', body)"
            " || to_tsvector('simple', body)) STORED"
        )
        op.execute("CREATE INDEX ix_document_text_tsv ON document_text USING gin (tsv)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE document_fts USING fts5(body, content='document_text',"
            " content_rowid='document_id', tokenize='unicode61 remove_diacritics 2')"
        )
        for trigger in _FTS_TRIGGERS:
            op.execute(trigger)
    # backfill: what every extracted document already shows
    op.execute(
        "INSERT INTO document_text (document_id, dossier_id, body)"
        " SELECT d.id, d.dossier_id,"
        " COALESCE(d.supplier_name, '') || ' ' || COALESCE(d.invoice_number, '')"
        " || ' ' || COALESCE(d.filename, '')"
        " FROM document d JOIN extraction e ON e.document_id = d.id"
        " WHERE d.kind = 'file'"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        for name in ("document_text_ai", "document_text_ad", "document_text_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS document_fts")
    op.drop_index("ix_document_text_dossier_id", table_name="document_text")
    op.drop_table("document_text")
    op.drop_index("ix_document_dossier_tag", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("tag")
