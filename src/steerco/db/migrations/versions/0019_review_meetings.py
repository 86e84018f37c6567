"""review meetings: attendees, discussed items, closing snapshot, actions

Revision ID: 0019
Revises: 0017
Create Date: 2026-11-30 23:40:00

A review is walked item by item in the meeting: the agenda items marked discussed, the
actions recorded with an owner and a due date, and, when the meeting is closed, a
snapshot (forecasts recorded against the review, the findings' severities) that the next
review of the same series compares against. Attendees receive the pack when the review
is scheduled.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0019'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('reviews') as batch:
        batch.add_column(sa.Column('attendee_ids', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('discussed', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('snapshot', sa.JSON(), nullable=True))
    op.create_table(
        'review_actions',
        sa.Column('review_id', KEY, nullable=False),
        sa.Column('item_key', sa.String(length=64), nullable=True),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('owner_id', KEY, nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done', sa.Boolean(), server_default='0', nullable=False),
        sa.Column('id', KEY, autoincrement=True, nullable=False),
        sa.Column('workspace_id', KEY, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['people.id'],
                                name=op.f('fk_review_actions_owner_id_people'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['review_id'], ['reviews.id'],
                                name=op.f('fk_review_actions_review_id_reviews'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_review_actions_workspace_id_workspaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_actions')),
    )
    with op.batch_alter_table('review_actions') as batch:
        batch.create_index('ix_review_actions_ws_review', ['workspace_id', 'review_id'],
                           unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('review_actions') as batch:
        batch.drop_index('ix_review_actions_ws_review')
    op.drop_table('review_actions')
    with op.batch_alter_table('reviews') as batch:
        batch.drop_column('snapshot')
        batch.drop_column('closed_at')
        batch.drop_column('discussed')
        batch.drop_column('attendee_ids')
