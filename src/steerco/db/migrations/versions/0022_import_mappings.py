"""import_mappings: a workspace's saved column mapping for import files

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 03:00:00

One row per (sheet kind, file header): the template column the header fills, or empty
to ignore it. Every later import of the workspace applies it.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('import_mappings',
    sa.Column('sheet', sa.String(length=40), nullable=False),
    sa.Column('header', sa.String(length=200), nullable=False),
    sa.Column('column', sa.String(length=40), nullable=False),
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('workspace_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_import_mappings_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('workspace_id', 'sheet', 'header', name='uq_import_mappings_ws_header')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('import_mappings')
