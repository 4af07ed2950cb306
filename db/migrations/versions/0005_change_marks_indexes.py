"""indexes on (updated_at, version) of trainee and placement: the matcher's warm frames read what changed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 23:10:00
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_trainee_updated_version', 'trainee', ['updated_at', 'version'], unique=False)
    op.create_index('ix_placement_updated_version', 'placement', ['updated_at', 'version'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_placement_updated_version', table_name='placement')
    op.drop_index('ix_trainee_updated_version', table_name='trainee')
