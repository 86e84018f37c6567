"""jobs, delivery and the inbox

Revision ID: 0017
Revises: 0015
Create Date: 2026-11-30 23:40:00

Background jobs claim a periodic job per workspace and period (`job_runs`) and keep
their last run (`job_status`); reminders are sent once (`reminder_keys`); outbox messages
fan out into deliveries (e-mail and webhooks, with retries) and inbox items; people keep
notification preferences; workspaces say how many days before a check-in is due their
people are reminded.

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def _ws() -> "sa.Column[int]":
    return sa.Column('workspace_id', Id, nullable=False)


def _ws_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                   name=op.f(f'fk_{table}_workspace_id_workspaces'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('workspaces') as batch:
        batch.add_column(sa.Column('reminder_days', sa.String(length=40), server_default='3',
                                   nullable=False))
    with op.batch_alter_table('outbox_messages') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('claimed_until', TS, nullable=True))

    op.create_table('job_runs',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        _ws(),
        sa.Column('job', sa.String(length=64), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('claimed_by', sa.String(length=100), nullable=False),
        sa.Column('started_at', TS, nullable=False),
        sa.Column('finished_at', TS, nullable=True),
        sa.Column('duration_ms', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        _ws_fk('job_runs'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
        sa.UniqueConstraint('workspace_id', 'job', 'period', name='uq_job_runs_ws_job_period'))
    op.create_index('ix_job_runs_ws_job_started', 'job_runs',
                    ['workspace_id', 'job', 'started_at'])

    op.create_table('job_status',
        _ws(),
        sa.Column('job', sa.String(length=64), nullable=False),
        sa.Column('last_started_at', TS, nullable=True),
        sa.Column('last_finished_at', TS, nullable=True),
        sa.Column('last_duration_ms', sa.Float(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', TS, nullable=True),
        sa.Column('runs', sa.Integer(), server_default='0', nullable=False),
        _ws_fk('job_status'),
        sa.PrimaryKeyConstraint('workspace_id', 'job', name=op.f('pk_job_status')))

    op.create_table('reminder_keys',
        _ws(),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        _ws_fk('reminder_keys'),
        sa.PrimaryKeyConstraint('workspace_id', 'key', name=op.f('pk_reminder_keys')))

    op.create_table('webhook_subscriptions',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        _ws(),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('description', sa.String(length=200), server_default='', nullable=False),
        sa.Column('created_at', TS, nullable=False),
        _ws_fk('webhook_subscriptions'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')))
    op.create_index('ix_webhook_subscriptions_ws', 'webhook_subscriptions',
                    ['workspace_id', 'id'])

    op.create_table('deliveries',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        _ws(),
        sa.Column('message_id', Id, nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('target', sa.String(length=400), nullable=False),
        sa.Column('subscription_id', Id, nullable=True),
        sa.Column('subject', sa.String(length=64), server_default='', nullable=False),
        sa.Column('state', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', TS, nullable=False),
        sa.Column('claimed_by', sa.String(length=100), nullable=True),
        sa.Column('claimed_until', TS, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('sent_at', TS, nullable=True),
        _ws_fk('deliveries'),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'],
                                name=op.f('fk_deliveries_message_id_outbox_messages'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'],
                                name=op.f('fk_deliveries_subscription_id_webhook_subscriptions'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
        sa.UniqueConstraint('workspace_id', 'message_id', 'target',
                            name='uq_deliveries_ws_message_target'))
    op.create_index('ix_deliveries_ws_state_id', 'deliveries', ['workspace_id', 'state', 'id'])

    op.create_table('notification_prefs',
        _ws(),
        sa.Column('person_id', Id, nullable=False),
        sa.Column('events', sa.JSON(), nullable=True),
        sa.Column('email', sa.String(length=16), server_default='immediate', nullable=False),
        sa.Column('quiet_start', sa.Integer(), nullable=True),
        sa.Column('quiet_end', sa.Integer(), nullable=True),
        _ws_fk('notification_prefs'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_notification_prefs_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workspace_id', 'person_id', name=op.f('pk_notification_prefs')))

    op.create_table('inbox_items',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        _ws(),
        sa.Column('person_id', Id, nullable=False),
        sa.Column('message_id', Id, nullable=False),
        sa.Column('event', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('link', sa.String(length=500), server_default='', nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('read_at', TS, nullable=True),
        _ws_fk('inbox_items'),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_inbox_items_person_id_people'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'],
                                name=op.f('fk_inbox_items_message_id_outbox_messages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
        sa.UniqueConstraint('workspace_id', 'person_id', 'message_id',
                            name='uq_inbox_items_ws_person_message'))
    op.create_index('ix_inbox_items_ws_person_read', 'inbox_items',
                    ['workspace_id', 'person_id', 'read_at'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_inbox_items_ws_person_read', table_name='inbox_items')
    op.drop_table('inbox_items')
    op.drop_table('notification_prefs')
    op.drop_index('ix_deliveries_ws_state_id', table_name='deliveries')
    op.drop_table('deliveries')
    op.drop_index('ix_webhook_subscriptions_ws', table_name='webhook_subscriptions')
    op.drop_table('webhook_subscriptions')
    op.drop_table('reminder_keys')
    op.drop_table('job_status')
    op.drop_index('ix_job_runs_ws_job_started', table_name='job_runs')
    op.drop_table('job_runs')
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('claimed_by')
    with op.batch_alter_table('workspaces') as batch:
        batch.drop_column('reminder_days')
