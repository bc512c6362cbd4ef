"""A plan's files (GeoJSON, manifests, timeline) are rendered from its document on request
(``routing.outputs.formats``), no longer stored beside it: the columns ``geojson``,
``manifests`` and ``timeline`` of ``plans`` go. A downgrade brings them back empty (an older
version then answers 409 for those files of plans made after this revision).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("timeline")
        batch.drop_column("manifests")
        batch.drop_column("geojson")


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("geojson", sa.Text, nullable=True))
        batch.add_column(sa.Column("manifests", sa.Text, nullable=True))
        batch.add_column(sa.Column("timeline", sa.Text, nullable=True))
