"""table generations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:00:00

How often each table of a workspace has changed, bumped by every write's transaction;
cached list pages are checked against it (steerco.db.generations).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('table_generations',
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('table_name', sa.String(length=64), nullable=False),
    sa.Column('generation', sa.BigInteger(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_table_generations_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', 'table_name', name=op.f('pk_table_generations'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('table_generations')
