"""workspace settings and plausible check-ins

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30 20:40:00.000000

A workspace's time zone (its "today"), fiscal year start, currency and outlier factor;
a metric's optional bounds; a measurement's outlier mark (confirmed by its submitter) and
an index to find the correction of a measurement (a row may be corrected once).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC',
                                      nullable=False))
        batch_op.add_column(sa.Column('fiscal_year_start', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='EUR',
                                      nullable=False))
        batch_op.add_column(sa.Column('outlier_factor', sa.Float(), server_default='100',
                                      nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_workspaces_fiscal_month'), 'fiscal_year_start BETWEEN 1 AND 12')
        batch_op.create_check_constraint(
            op.f('ck_workspaces_outlier_factor_above_one'), 'outlier_factor > 1')
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('max_value', sa.Float(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_metrics_bounds_order'),
            'min_value IS NULL OR max_value IS NULL OR min_value < max_value')
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outlier', sa.Boolean(), server_default='0',
                                      nullable=False))
        batch_op.create_index('ix_measurements_ws_supersedes', ['workspace_id', 'supersedes_id'],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index('ix_measurements_ws_supersedes')
        batch_op.drop_column('outlier')
    with op.batch_alter_table('metrics', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_metrics_bounds_order'), type_='check')
        batch_op.drop_column('max_value')
        batch_op.drop_column('min_value')
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_workspaces_outlier_factor_above_one'), type_='check')
        batch_op.drop_constraint(op.f('ck_workspaces_fiscal_month'), type_='check')
        batch_op.drop_column('outlier_factor')
        batch_op.drop_column('currency')
        batch_op.drop_column('fiscal_year_start')
        batch_op.drop_column('time_zone')
