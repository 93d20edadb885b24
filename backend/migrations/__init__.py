"""Alembic migrations of the data model (``flask db upgrade`` applies them)."""
