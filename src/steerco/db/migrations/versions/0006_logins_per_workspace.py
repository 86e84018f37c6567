"""logins per workspace, demo logins

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:30:00

A login names one person within one workspace (unique per workspace, not across the
installation; the constraint leads with the login, which is what a log-in looks up), so an admin setting a login learns nothing about other workspaces. A
credential remembers whether the demo made it, so the log-in page lists only those.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demo', sa.Boolean(), server_default='0', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_credentials_login'), type_='unique')
        batch_op.create_unique_constraint('uq_credentials_login_ws', ['login', 'workspace_id'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_constraint('uq_credentials_login_ws', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_credentials_login'), ['login'])
        batch_op.drop_column('demo')
