"""Alembic migrations of the catalog store.

HEAD_REVISION lets a command check the schema with one cheap query instead of importing
Alembic on every start; a test keeps it equal to Alembic's own head.
"""

HEAD_REVISION = "0002"
KNOWN_REVISIONS = ("0001", "0002")
