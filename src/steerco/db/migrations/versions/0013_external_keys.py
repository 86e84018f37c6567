"""external keys and the workspace locale

Revision ID: 0013
Revises: 0008
Create Date: 2026-11-30 20:30:00

The key a spreadsheet or strategy file names a theme, objective, metric or initiative by,
unique per workspace, so that importing the same file twice finds the rows it wrote the
first time (steerco.transfer). Org units (code), people (e-mail), budget lines (code) and
milestones (external_ref) had such a key already. The workspace's locale says how
its files write numbers and dates (a decimal comma is read only where it says so).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('themes', 'objectives', 'metrics', 'initiatives')


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('workspaces') as batch:
        batch.add_column(sa.Column('locale', sa.String(length=16), server_default='en',
                                   nullable=False))
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('external_key', sa.String(length=200), nullable=True))
            batch.create_unique_constraint(f'uq_{table}_ws_external_key',
                                           ['workspace_id', 'external_key'])


def downgrade() -> None:
    """Downgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f'uq_{table}_ws_external_key', type_='unique')
            batch.drop_column('external_key')
    with op.batch_alter_table('workspaces') as batch:
        batch.drop_column('locale')
