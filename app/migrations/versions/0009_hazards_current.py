"""The hazards changed through the API as they stand (``hazards_current``), beside their
append-only history, so that reading the hazards in force does not replay the history: the
history so far is replayed into it (a hazard's last change is where it stands: each change
sets the whole hazard, or withdraws it).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hazards_current",
        sa.Column("hazard_id", sa.String(100), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("feature", sa.Text),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("recorded_by", sa.String(32)),
        sa.Column("recorded_at", sa.Float, nullable=False),
    )
    op.execute(
        "INSERT INTO hazards_current "
        "(hazard_id, seq, action, feature, reason, recorded_by, recorded_at) "
        "SELECT hazard_id, seq, action, feature, reason, recorded_by, recorded_at "
        "FROM hazard_changes "
        "WHERE seq IN (SELECT max(seq) FROM hazard_changes GROUP BY hazard_id)"
    )


def downgrade() -> None:
    op.drop_table("hazards_current")
