"""Hazard changes: hazards to navigation set, changed or withdrawn through the API, with who and
when (append-only; the hazards in force are data/hazards.geojson's with these applied).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hazard_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hazard_id", sa.String(100), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("feature", sa.Text),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(32)),
        sa.Column("recorded_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hazard_changes")
