"""The artist's catalog in PostgreSQL."""
