"""A risk run may replay the closures on record (``closures = "history"``, with the re-plans'
``replan_iterations``) instead of the Monte Carlo; runs made before are Monte Carlo runs.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_runs") as batch:
        batch.add_column(sa.Column("closures", sa.String(16), nullable=True))
        batch.add_column(sa.Column("replan_iterations", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("risk_runs") as batch:
        batch.drop_column("replan_iterations")
        batch.drop_column("closures")
