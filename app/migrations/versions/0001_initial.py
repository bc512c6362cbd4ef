"""Initial schema: API keys, scenarios, vessel overrides, plans and field events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "vessel_overrides",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("available_from", sa.String(40)),
        sa.Column("available_until", sa.String(40)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scenario_id", sa.String(36)),
        sa.Column("scenario_name", sa.String(200), nullable=False),
        sa.Column("scenario_body", sa.Text, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float),
        sa.Column("iterations", sa.Integer),
        sa.Column("fixed_cost_idr", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("elapsed_s", sa.Float, nullable=False),
        sa.Column("best_objective", sa.Float),
        sa.Column("result", sa.Text),
        sa.Column("geojson", sa.Text),
        sa.Column("manifests", sa.Text),
        sa.Column("timeline", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("lease_until", sa.Float),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_plans_phase", "plans", ["phase"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(36), sa.ForeignKey("plans.id"), nullable=False),
        sa.Column("vessel_id", sa.String(100), nullable=False),
        sa.Column("stop", sa.Integer, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("plan_id", "idempotency_key", name="uq_events_idempotency"),
    )
    op.create_index("ix_events_plan_id", "events", ["plan_id"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_table("plans")
    op.drop_table("vessel_overrides")
    op.drop_table("scenarios")
    op.drop_table("api_keys")
