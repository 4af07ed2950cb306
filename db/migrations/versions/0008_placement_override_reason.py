"""placement.override_reason: why a clerk placed someone the eligibility rules would refuse (破例加入)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('placement') as batch:
        batch.add_column(sa.Column('override_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('placement') as batch:
        batch.drop_column('override_reason')
