"""The service: tombstones, sharing and ledger order on objects; parties, tokens, the
message outbox, the ledger and deployment metadata. On PostgreSQL, PostGIS is enabled.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MSTATES = "'pending', 'acked', 'objected', 'change_requested'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for name in ("zones", "operations"):
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"))
            batch.add_column(
                sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false())
            )
            batch.add_column(
                sa.Column("shared_with", sa.JSON, nullable=False, server_default="[]")
            )
        op.create_index(f"ix_{name}_seq", name, ["seq"])
    op.drop_table("schema_version")
    op.create_table(
        "parties",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party", sa.String(64), sa.ForeignKey("parties.id"), nullable=False),
        sa.Column("scopes", sa.String(400), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_tokens_party", "tokens", ["party"])
    op.create_table(
        "messages",
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
    )
    op.create_index("ix_messages_recipient_seq", "messages", ["recipient", "seq"])
    op.create_index("ix_messages_sender", "messages", ["sender"])
    op.create_index("ix_messages_subject", "messages", ["subject"])
    op.create_index("ix_messages_due", "messages", ["state", "escalated", "deadline_s"])
    op.create_index("ix_messages_webhook", "messages", ["webhook_state", "webhook_next_s"])
    op.create_table(
        "ledger",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry", sa.JSON, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(128), nullable=True),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "ledger", "messages", "tokens", "parties"):
        op.drop_table(table)
    op.create_table("schema_version", sa.Column("version", sa.Integer, nullable=False))
    op.execute("INSERT INTO schema_version (version) VALUES (1)")
    for name in ("zones", "operations"):
        op.drop_index(f"ix_{name}_seq", name)
        with op.batch_alter_table(name) as batch:
            batch.drop_column("shared_with")
            batch.drop_column("deleted")
            batch.drop_column("seq")
