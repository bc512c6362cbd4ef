"""Events on booked scheduled sailings: an event names a vessel (``vessel_id``) or a booked
sailing (``sailing_id``, ``trip_id@service date``), never both.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("sailing_id", sa.String(100), nullable=True))
        batch.alter_column("vessel_id", existing_type=sa.String(100), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM events WHERE vessel_id IS NULL")
    with op.batch_alter_table("events") as batch:
        batch.alter_column("vessel_id", existing_type=sa.String(100), nullable=False)
        batch.drop_column("sailing_id")
