"""Alembic migrations of the store's schema (run by :func:`deconfliction.store.sql.migrate`)."""
