"""The SQL schema, declared once with SQLAlchemy Core (portable: SQLite and PostgreSQL).

Migrations (:mod:`deconfliction.store.migrations`) create and upgrade it; this module is what
the code reads and writes, and a test checks that the migrated database matches it.

* ``zones`` and ``operations`` hold one row per object: its canonical JSON ``body`` is the
  truth; ``owner``, ``version``, ``state``, the lat/lon box and the validity in epoch seconds
  (``NULL`` for an open end) are copies for filtering. ``seq`` is the ledger entry of the
  last write, ``deleted`` marks a tombstone (so other processes see deletions),
  ``shared_with`` lists the parties that see the object in full.
* ``parties`` and ``tokens`` (API tokens, stored as SHA-256 hashes).
* ``messages``: the durable per-recipient outbox of the channel, with webhook delivery state.
* ``ledger``: the append-only, hash-chained, signed log.
* ``meta``: key/value settings of the deployment (the server's signing key).
* ``stream_offsets``: per (stream, partition) of a track stream, the last message whose
  alerts are in ``messages`` (written with them: a redelivered message does not alert twice).
* ``dss_refs``, ``dss_subscriptions``, ``dss_availability``: what the ASTM F3548-21 DSS keeps
  besides the objects (:mod:`deconfliction.dss`): each reference's manager, USS base URL,
  F3548 state, numeric version and subscription; subscriptions (extents as F3548 JSON, a
  latitude band and a time window for a coarse prefilter, the notification index); USS
  availability; the reports USSs send of communication problems.
"""

from __future__ import annotations

import sqlalchemy as sa

from deconfliction.core.messages import MessageState
from deconfliction.core.objects import OperationState

__all__ = [
    "dss_availability",
    "dss_refs",
    "dss_reports",
    "dss_subscriptions",
    "ledger",
    "messages",
    "meta",
    "metadata",
    "operations",
    "parties",
    "stream_offsets",
    "tokens",
    "zones",
]

metadata = sa.MetaData()


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
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("shared_with", sa.JSON, nullable=False, server_default="[]"),
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
        sa.Index(f"ix_{name}_seq", "seq"),
        *extra,
    )


zones = _object_table("zones")

_STATES = ", ".join(f"'{s.value}'" for s in OperationState)
operations = _object_table(
    "operations",
    sa.Column("state", sa.String(16), nullable=False),
    sa.CheckConstraint(f"state IN ({_STATES})", name="ck_operations_state"),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("party", sa.String(64), sa.ForeignKey("parties.id"), nullable=False),
    sa.Column("scopes", sa.String(400), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_tokens_party", "party"),
)

_MSTATES = ", ".join(f"'{s.value}'" for s in MessageState)
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("sender", sa.String(64), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("subject", sa.String(128), nullable=True),
    sa.Column("deadline_s", sa.Float, nullable=True),
    sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("delivered", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("webhook_state", sa.String(12), nullable=False, server_default="none"),
    sa.Column("webhook_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("webhook_next_s", sa.Float, nullable=True),
    sa.Column("webhook_error", sa.String(400), nullable=True),
    sa.CheckConstraint(f"state IN ({_MSTATES})", name="ck_messages_state"),
    sa.CheckConstraint(
        "webhook_state IN ('none', 'pending', 'delivered')", name="ck_messages_webhook"
    ),
    sa.Index("ix_messages_recipient_seq", "recipient", "seq"),
    sa.Index("ix_messages_sender", "sender"),
    sa.Index("ix_messages_subject", "subject"),
    sa.Index("ix_messages_due", "state", "escalated", "deadline_s"),
    sa.Index("ix_messages_webhook", "webhook_state", "webhook_next_s"),
)

ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry", sa.JSON, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(128), nullable=True),
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

stream_offsets = sa.Table(
    "stream_offsets",
    metadata,
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
)

dss_refs = sa.Table(
    "dss_refs",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("manager", sa.String(256), nullable=False),
    sa.Column("uss_base_url", sa.String(2048), nullable=False),
    sa.Column("state", sa.String(16), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("subscription_id", sa.String(64), nullable=True),
    sa.CheckConstraint("kind IN ('operation', 'zone')", name="ck_dss_refs_kind"),
    sa.Index("ix_dss_refs_subscription", "subscription_id"),
)

dss_subscriptions = sa.Table(
    "dss_subscriptions",
    metadata,
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
    sa.Index("ix_dss_subscriptions_time", "time_end_s", "time_start_s"),
    sa.Index("ix_dss_subscriptions_manager", "manager"),
)

dss_reports = sa.Table(
    "dss_reports",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("reporter", sa.String(256), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
)

dss_availability = sa.Table(
    "dss_availability",
    metadata,
    sa.Column("uss", sa.String(256), primary_key=True),
    sa.Column("availability", sa.String(16), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
)
