"""users: an optional e-mail address

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:20:00

Quota alerts (and later other notices) go to a user's e-mail address; until now only
users whose user name happened to be an address could get them. A plain nullable
column: existing users keep NULL (no address), no table rebuild on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("email", sa.String(254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
