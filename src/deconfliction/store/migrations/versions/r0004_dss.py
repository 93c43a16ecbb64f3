"""The ASTM F3548-21 DSS: what the standard keeps besides the volumes of operations (its
operational intents) and zones (its constraints): references, subscriptions, USS availability,
USSs' reports.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dss_refs",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("manager", sa.String(256), nullable=False),
        sa.Column("uss_base_url", sa.String(2048), nullable=False),
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=True),
        sa.CheckConstraint("kind IN ('operation', 'zone')", name="ck_dss_refs_kind"),
    )
    op.create_index("ix_dss_refs_subscription", "dss_refs", ["subscription_id"])
    op.create_table(
        "dss_subscriptions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("manager", sa.String(256), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("notification_index", sa.Integer, nullable=False, server_default="0"),
        sa.Column("uss_base_url", sa.String(2048), nullable=False),
        sa.Column("notify_ops", sa.Boolean, nullable=False),
        sa.Column("notify_constraints", sa.Boolean, nullable=False),
        sa.Column("implicit", sa.Boolean, nullable=False),
        sa.Column("extents", sa.JSON, nullable=False),
        sa.Column("min_lat", sa.Float, nullable=False),
        sa.Column("max_lat", sa.Float, nullable=False),
        sa.Column("time_start_s", sa.Float, nullable=False),
        sa.Column("time_end_s", sa.Float, nullable=False),
    )
    op.create_index("ix_dss_subscriptions_time", "dss_subscriptions",
                    ["time_end_s", "time_start_s"])
    op.create_index("ix_dss_subscriptions_manager", "dss_subscriptions", ["manager"])
    op.create_table(
        "dss_reports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("reporter", sa.String(256), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_table(
        "dss_availability",
        sa.Column("uss", sa.String(256), primary_key=True),
        sa.Column("availability", sa.String(16), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("dss_availability", "dss_reports", "dss_subscriptions", "dss_refs"):
        op.drop_table(table)
