"""measurement voids

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 00:00:00

A void is a measurement row that supersedes a wrong one and takes it (and the chain of
corrections it ends) out of the evidence, with its reason in `note`. Nothing is deleted:
the history shows the voided row, who voided it, when and why.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('void', sa.Boolean(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_column('void')
