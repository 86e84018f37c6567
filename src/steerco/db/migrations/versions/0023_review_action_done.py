"""review_actions: when an action was marked done, and by whom

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-01 03:00:00

An action recorded at a review is marked done (or reopened) by its owner or whoever runs
the review; the next review of the series lists the actions done since the previous one
and those still open, so it needs the day it was done (and who said so).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0023'
# TEMPORARY for testing on this branch: the coordinator points it at '0022' at merge.
down_revision: Union[str, Sequence[str], None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('review_actions') as batch:
        batch.add_column(sa.Column('done_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('done_by_id', ID, nullable=True))
        batch.create_foreign_key(op.f('fk_review_actions_done_by_id_people'), 'people',
                                 ['done_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('review_actions') as batch:
        batch.drop_constraint(op.f('fk_review_actions_done_by_id_people'), type_='foreignkey')
        batch.drop_column('done_by_id')
        batch.drop_column('done_on')
