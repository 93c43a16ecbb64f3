"""The SQL schema, declared once with SQLAlchemy Core (portable: SQLite and PostgreSQL).

``zones`` and ``operations`` hold one row per object: its canonical JSON ``body`` is the
truth; ``owner``, ``version``, ``state``, the lat/lon box and the validity in epoch seconds
(``NULL`` for an open end) are copies for filtering. ``schema_version`` has one row.
"""

from __future__ import annotations

import sqlalchemy as sa

from deconfliction.core.objects import OperationState

__all__ = ["SCHEMA_VERSION", "metadata", "operations", "schema_version", "zones"]

#: the schema this code reads and writes; later versions come with migrations
SCHEMA_VERSION = 1

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)


def _object_table(name: str, *extra: sa.Column[str] | sa.CheckConstraint) -> sa.Table:
    return sa.Table(
        name,
        metadata,
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
        sa.CheckConstraint(
            "min_lat <= max_lat AND min_lon <= max_lon", name=f"ck_{name}_bbox"
        ),
        sa.CheckConstraint(
            "time_start_s IS NULL OR time_end_s IS NULL OR time_start_s < time_end_s",
            name=f"ck_{name}_time",
        ),
        sa.Index(f"ix_{name}_owner", "owner"),
        sa.Index(f"ix_{name}_lat", "min_lat", "max_lat"),
        *extra,
    )


zones = _object_table("zones")

_STATES = ", ".join(f"'{s.value}'" for s in OperationState)
operations = _object_table(
    "operations",
    sa.Column("state", sa.String(16), nullable=False),
    sa.CheckConstraint(f"state IN ({_STATES})", name="ck_operations_state"),
)
