"""Idempotency keys scoped per API key: a key's Idempotency-Key replays only that key's own
event; another key using the same one posts an event of its own.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_idempotency", type_="unique")
        batch.create_unique_constraint(
            "uq_events_idempotency", ["plan_id", "recorded_by", "idempotency_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_idempotency", type_="unique")
        batch.create_unique_constraint("uq_events_idempotency", ["plan_id", "idempotency_key"])
