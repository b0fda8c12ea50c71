"""Alembic migrations for the Atelier schema."""
