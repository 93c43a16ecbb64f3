"""The first schema: zones and operations (release 0.1).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _object_table(name: str, *extra: sa.Column[str] | sa.CheckConstraint) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("min_lon", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("max_lon", sa.Float, nullable=False),
        sa.Column("time_start_s", sa.Float, nullable=True),
        sa.Column("time_end_s", sa.Float, nullable=True),
        sa.CheckConstraint("length(id) > 0", name=f"ck_{name}_id"),
        sa.CheckConstraint("length(version) > 0", name=f"ck_{name}_version"),
        sa.CheckConstraint("min_lat <= max_lat AND min_lon <= max_lon", name=f"ck_{name}_bbox"),
        sa.CheckConstraint(
            "time_start_s IS NULL OR time_end_s IS NULL OR time_start_s < time_end_s",
            name=f"ck_{name}_time",
        ),
        *extra,
    )
    op.create_index(f"ix_{name}_owner", name, ["owner"])
    op.create_index(f"ix_{name}_lat", name, ["min_lat", "max_lat"])


def upgrade() -> None:
    op.create_table("schema_version", sa.Column("version", sa.Integer, nullable=False))
    _object_table("zones")
    states = "'draft', 'proposed', 'accepted', 'active', 'ended', 'cancelled'"
    _object_table(
        "operations",
        sa.Column("state", sa.String(16), nullable=False),
        sa.CheckConstraint(f"state IN ({states})", name="ck_operations_state"),
    )


def downgrade() -> None:
    op.drop_table("operations")
    op.drop_table("zones")
    op.drop_table("schema_version")
