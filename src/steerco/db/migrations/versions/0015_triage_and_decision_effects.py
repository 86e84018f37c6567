"""finding triage, escalation snooze and decision effects

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 23:40:00

Findings are recomputed from the evidence, so what people did about one (acknowledged,
assigned, snoozed until a date with a reason, accepted) is kept under the finding's stable
key (kind + subject) in `finding_triage`. Escalations can be snoozed the same way.
A decision records the change it carried out (`effect`: entity, id, field before → after)
and its subject's status and forecast when it was taken (`subject_then`), for the
decision log's "then and now".

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        'finding_triage',
        sa.Column('finding_key', sa.String(length=200), nullable=False),
        sa.Column('state', sa.Enum('acknowledged', 'accepted', name='triage_state',
                                   native_enum=False, create_constraint=True, length=32),
                  nullable=True),
        sa.Column('assignee_id', ID, nullable=True),
        sa.Column('snoozed_until', sa.Date(), nullable=True),
        sa.Column('snooze_reason', sa.Text(), nullable=True),
        sa.Column('seen_severity', sa.Integer(), nullable=True),
        sa.Column('seen_on', sa.Date(), nullable=True),
        sa.Column('by_id', ID, nullable=True),
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('workspace_id', ID, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True),
                  server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.ForeignKeyConstraint(['assignee_id'], ['people.id'],
                                name=op.f('fk_finding_triage_assignee_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['by_id'], ['people.id'],
                                name=op.f('fk_finding_triage_by_id_people'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_finding_triage_workspace_id_workspaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_triage')),
        sa.UniqueConstraint('workspace_id', 'finding_key', name='uq_finding_triage_ws_key'),
    )
    with op.batch_alter_table('escalations') as batch:
        batch.add_column(sa.Column('snoozed_until', sa.Date(), nullable=True))
        batch.add_column(sa.Column('snooze_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('effect', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('subject_then', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('subject_then')
        batch.drop_column('effect')
    with op.batch_alter_table('escalations') as batch:
        batch.drop_column('snooze_reason')
        batch.drop_column('snoozed_until')
    op.drop_table('finding_triage')
