"""indexes for a million-model catalog; FTS rows keyed by the models rowid

Revision ID: 0002
Revises: 0001

- `models.downloads` and `models.updated_at`: the default search order (most downloaded first)
  and "recently updated" read the top N through an index instead of sorting every match.
- SQLite: `models_fts` rows now share the rowid of their `models` row, so the writer replaces a
  model's FTS row by rowid instead of scanning the whole index for its id (which made updates
  O(catalog size) per page during a Hub sync).
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_FTS_NAME = "replace(name || ' ' || source || ':' || name || ' ' || coalesce(family, ''), '/', ' ')"


def upgrade() -> None:
    op.create_index("ix_models_downloads", "models", ["downloads"], unique=False)
    op.create_index("ix_models_updated_at", "models", ["updated_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM models_fts")
        op.execute(f"INSERT INTO models_fts (rowid, id, name, body) SELECT rowid, id, {_FTS_NAME}, search_text FROM models")


def downgrade() -> None:
    op.drop_index("ix_models_updated_at", table_name="models")
    op.drop_index("ix_models_downloads", table_name="models")
