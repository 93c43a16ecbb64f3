"""Test helpers for deconfliction: throwaway PostgreSQL + PostGIS and NATS servers."""

from deconfliction.testing.nats import NatsServer
from deconfliction.testing.postgres import PostgresServer

__all__ = ["NatsServer", "PostgresServer"]
