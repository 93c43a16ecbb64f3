"""Test helpers for deconfliction: a throwaway PostgreSQL + PostGIS server."""

from deconfliction.testing.postgres import PostgresServer

__all__ = ["PostgresServer"]
