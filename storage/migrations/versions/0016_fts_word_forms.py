"""full-text search: Dutch and French word forms on SQLite

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:45:00

``document_text.stems`` holds the Dutch and French Snowball stems of the body's words
(``storage.fulltext.stems_of``).  On SQLite the FTS5 table ``document_fts`` is made
anew over ``body`` and ``stems`` (its triggers too), the stems of the existing rows
are computed and the index is rebuilt from them.  PostgreSQL already searches Dutch
and French word forms through its ``tsv`` column; it only gets the (filled going
forward) column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_TRIGGERS = ("document_text_ai", "document_text_ad", "document_text_au")


def _fts(columns: tuple[str, ...]) -> list[str]:
    """The FTS5 table over ``columns`` of document_text and the triggers keeping it."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE document_fts USING fts5({names}, content='document_text',"
        " content_rowid='document_id', tokenize='unicode61 remove_diacritics 2')",
        f"""CREATE TRIGGER document_text_ai AFTER INSERT ON document_text BEGIN
             INSERT INTO document_fts(rowid, {names}) VALUES (new.document_id, {new});
           END""",
        f"""CREATE TRIGGER document_text_ad AFTER DELETE ON document_text BEGIN
             INSERT INTO document_fts(document_fts, rowid, {names})
               VALUES ('delete', old.document_id, {old});
           END""",
        f"""CREATE TRIGGER document_text_au AFTER UPDATE ON document_text BEGIN
             INSERT INTO document_fts(document_fts, rowid, {names})
               VALUES ('delete', old.document_id, {old});
             INSERT INTO document_fts(rowid, {names}) VALUES (new.document_id, {new});
           END""",
        "INSERT INTO document_fts(document_fts) VALUES ('rebuild')",
    ]


def _drop_fts() -> None:
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS document_fts")


def upgrade() -> None:
    op.add_column("document_text", sa.Column("stems", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        return
    from storage.fulltext import stems_of

    _drop_fts()  # no trigger while the stems are filled in
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT document_id, body FROM document_text WHERE document_id > :last"
                " ORDER BY document_id LIMIT 2000"
            ),
            {"last": last},
        ).all()
        if not rows:
            break
        bind.execute(
            sa.text("UPDATE document_text SET stems = :stems WHERE document_id = :id"),
            [{"id": r[0], "stems": stems_of(r[1] or "")} for r in rows],
        )
        last = rows[-1][0]
    for statement in _fts(("body", "stems")):
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name != "postgresql"
    if sqlite:
        _drop_fts()
    with op.batch_alter_table("document_text") as batch:
        batch.drop_column("stems")
    if sqlite:
        for statement in _fts(("body",)):
            op.execute(statement)
