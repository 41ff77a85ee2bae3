"""initial schema

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the catalog tables; on SQLite also the FTS5 index behind `advisor search`."""
    op.create_table('models',
    sa.Column('id', sa.String(length=300), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=260), nullable=False),
    sa.Column('tasks', sa.JSON(), nullable=False),
    sa.Column('primary_task', sa.String(length=60), nullable=True),
    sa.Column('domains', sa.JSON(), nullable=False),
    sa.Column('modality', sa.String(length=30), nullable=True),
    sa.Column('family', sa.String(length=120), nullable=True),
    sa.Column('architecture', sa.String(length=160), nullable=True),
    sa.Column('params', sa.BigInteger(), nullable=True),
    sa.Column('gmacs', sa.Float(), nullable=True),
    sa.Column('activations_m', sa.Float(), nullable=True),
    sa.Column('input_size', sa.JSON(), nullable=True),
    sa.Column('test_input_size', sa.JSON(), nullable=True),
    sa.Column('size_mb', sa.Float(), nullable=True),
    sa.Column('license', sa.String(length=80), nullable=True),
    sa.Column('pretrain_datasets', sa.JSON(), nullable=False),
    sa.Column('papers', sa.JSON(), nullable=False),
    sa.Column('hub_repo', sa.String(length=260), nullable=True),
    sa.Column('homepage', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=60), nullable=True),
    sa.Column('library', sa.String(length=60), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('num_classes', sa.Integer(), nullable=True),
    sa.Column('downloads', sa.BigInteger(), nullable=True),
    sa.Column('likes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('indexed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_models'))
    )
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_models_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_hub_repo'), ['hub_repo'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_license'), ['license'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_params'), ['params'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_primary_task'), ['primary_task'], unique=False)
        batch_op.create_index(batch_op.f('ix_models_source'), ['source'], unique=False)

    op.create_table('probe_runs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('task', sa.String(length=60), nullable=False),
    sa.Column('dataset_path', sa.Text(), nullable=False),
    sa.Column('dataset_fingerprint', sa.String(length=80), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('device', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('config', sa.JSON(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probe_runs'))
    )
    with op.batch_alter_table('probe_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probe_runs_dataset_fingerprint'), ['dataset_fingerprint'], unique=False)

    op.create_table('sync_state',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sync_state'))
    )
    op.create_table('benchmarks',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.String(length=300), nullable=False),
    sa.Column('device', sa.String(length=200), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('precision', sa.String(length=10), nullable=False),
    sa.Column('layout', sa.String(length=10), nullable=True),
    sa.Column('img_size', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Float(), nullable=True),
    sa.Column('latency_p90_ms', sa.Float(), nullable=True),
    sa.Column('throughput_per_s', sa.Float(), nullable=True),
    sa.Column('peak_memory_mb', sa.Float(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('device_fingerprint', sa.JSON(), nullable=True),
    sa.Column('obtained_at', sa.DateTime(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_benchmarks_model_id_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benchmarks'))
    )
    with op.batch_alter_table('benchmarks', schema=None) as batch_op:
        batch_op.create_index('ix_benchmarks_device_batch_precision', ['device', 'batch_size', 'precision'], unique=False)
        batch_op.create_index(batch_op.f('ix_benchmarks_model_id'), ['model_id'], unique=False)

    op.create_table('metrics',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.String(length=300), nullable=False),
    sa.Column('task', sa.String(length=60), nullable=False),
    sa.Column('dataset', sa.String(length=160), nullable=False),
    sa.Column('split', sa.String(length=60), nullable=True),
    sa.Column('metric', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('origin', sa.String(length=40), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('device', sa.String(length=200), nullable=True),
    sa.Column('obtained_at', sa.DateTime(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_metrics_model_id_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metrics'))
    )
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metrics_model_id'), ['model_id'], unique=False)
        batch_op.create_index('ix_metrics_task_dataset_metric', ['task', 'dataset', 'metric'], unique=False)

    op.create_table('model_facets',
    sa.Column('facet', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=160), nullable=False),
    sa.Column('model_id', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], name=op.f('fk_model_facets_model_id_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facet', 'value', 'model_id', name=op.f('pk_model_facets'))
    )
    with op.batch_alter_table('model_facets', schema=None) as batch_op:
        batch_op.create_index('ix_model_facets_model_id', ['model_id'], unique=False)

    op.create_table('probe_results',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('model_id', sa.String(length=300), nullable=False),
    sa.Column('dataset_fingerprint', sa.String(length=80), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('device', sa.String(length=200), nullable=True),
    sa.Column('hyperparameters', sa.JSON(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['probe_runs.id'], name=op.f('fk_probe_results_run_id_probe_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_probe_results')),
    sa.UniqueConstraint('model_id', 'dataset_fingerprint', 'mode', name='uq_probe_results_triple')
    )
    with op.batch_alter_table('probe_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_probe_results_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_probe_results_run_id'), ['run_id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # Full-text index with BM25 ranking; rows are written by catalog.store alongside `models`.
        op.execute(
            "CREATE VIRTUAL TABLE models_fts USING fts5("
            "id UNINDEXED, name, body, tokenize = 'unicode61')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS models_fts")
    with op.batch_alter_table('probe_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probe_results_run_id'))
        batch_op.drop_index(batch_op.f('ix_probe_results_model_id'))

    op.drop_table('probe_results')
    with op.batch_alter_table('model_facets', schema=None) as batch_op:
        batch_op.drop_index('ix_model_facets_model_id')

    op.drop_table('model_facets')
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_metrics_task_dataset_metric')
        batch_op.drop_index(batch_op.f('ix_metrics_model_id'))

    op.drop_table('metrics')
    with op.batch_alter_table('benchmarks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benchmarks_model_id'))
        batch_op.drop_index('ix_benchmarks_device_batch_precision')

    op.drop_table('benchmarks')
    op.drop_table('sync_state')
    with op.batch_alter_table('probe_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_probe_runs_dataset_fingerprint'))

    op.drop_table('probe_runs')
    with op.batch_alter_table('models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_models_source'))
        batch_op.drop_index(batch_op.f('ix_models_primary_task'))
        batch_op.drop_index(batch_op.f('ix_models_params'))
        batch_op.drop_index(batch_op.f('ix_models_license'))
        batch_op.drop_index(batch_op.f('ix_models_hub_repo'))
        batch_op.drop_index(batch_op.f('ix_models_family'))

    op.drop_table('models')
