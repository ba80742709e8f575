"""rights per dossier: a membership may carry its own permission set

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("permissions", sa.JSON(), nullable=True))
        batch.alter_column("role", type_=sa.String(length=32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.alter_column("role", type_=sa.String(length=16), existing_nullable=False)
        batch.drop_column("permissions")
