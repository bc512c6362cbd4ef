"""A plan or capacity plan asked for a target chance on time: ``plans.target`` holds what the
robust search (or capacity under risk) is asked for, as JSON (target_on_time, risk_runs,
climate, days_before); null for every other plan.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("target", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("target")
