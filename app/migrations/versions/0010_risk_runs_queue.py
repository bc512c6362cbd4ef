"""Risk runs become jobs of the one queue (app.jobs.queue): a lease (``lease_until``,
``lease_owner``), the attempts counted, a cancel asked for; an index on the phase the queue
claims by. Runs left queued or running by an earlier version are taken up by the next start.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_runs") as batch:
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("lease_until", sa.Float, nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_risk_runs_phase", "risk_runs", ["phase"])


def downgrade() -> None:
    op.drop_index("ix_risk_runs_phase", table_name="risk_runs")
    with op.batch_alter_table("risk_runs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("lease_owner")
        batch.drop_column("lease_until")
        batch.drop_column("cancel_requested")
