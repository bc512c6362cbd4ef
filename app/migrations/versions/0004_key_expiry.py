"""API keys may expire and be revoked; a capacity plan's fixed cost per vessel takes 64 bits
(PostgreSQL's integer stops at 2^31, about 2.1 billion rupiah).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.Float, nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.Float, nullable=True))
    with op.batch_alter_table("plans") as batch:
        batch.alter_column(
            "fixed_cost_idr", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.alter_column(
            "fixed_cost_idr", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False
        )
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
