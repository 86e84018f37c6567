"""metric_feeds: a metric fed by a read-only SQL query against another database

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 01:00:00

One row per metric: the source's SQLAlchemy URL (a secret, never shown back), the
SELECT that returns (as_of, value) rows, and what the last run did.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('metric_feeds',
    sa.Column('metric_id', ID, nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('rows_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_stored', sa.Integer(), server_default='0', nullable=False),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('workspace_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metrics.id'], name=op.f('fk_metric_feeds_metric_id_metrics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_metric_feeds_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_feeds')),
    sa.UniqueConstraint('workspace_id', 'metric_id', name='uq_metric_feeds_ws_metric')
    )
    op.create_index('ix_metric_feeds_ws_last_run', 'metric_feeds', ['workspace_id', 'last_run_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_metric_feeds_ws_last_run', table_name='metric_feeds')
    op.drop_table('metric_feeds')
