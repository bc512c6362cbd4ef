"""Field keys: a key may be bound to one vessel (and one plan); every field event records the key
that posted it.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("vessel_id", sa.String(100), nullable=True))
        batch.add_column(sa.Column("plan_id", sa.String(36), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("recorded_by", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("recorded_by")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("plan_id")
        batch.drop_column("vessel_id")
