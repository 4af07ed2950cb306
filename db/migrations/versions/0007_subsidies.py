"""subsidies tied to a placement: rules per province and year, the claim ledger

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:12:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subsidy_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('scope', sa.String(length=30), nullable=False),
    sa.Column('months_on_job', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0 and months_on_job >= 0', name=op.f('ck_subsidy_rule_values')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_rule')),
    sa.UniqueConstraint('province', 'year', 'kind', 'scope', name='uq_subsidy_rule_key')
    )
    op.create_table('subsidy_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('eligible','claimed','publicised','paid','refused')", name=op.f('ck_subsidy_claim_status')),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_subsidy_claim_placement_id_placement')),
    sa.ForeignKeyConstraint(['rule_id'], ['subsidy_rule.id'], name=op.f('fk_subsidy_claim_rule_id_subsidy_rule')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subsidy_claim')),
    sa.UniqueConstraint('placement_id', 'rule_id', name='uq_subsidy_claim_key')
    )
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subsidy_claim_placement_id'), ['placement_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('subsidy_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subsidy_claim_placement_id'))

    op.drop_table('subsidy_claim')
    op.drop_table('subsidy_rule')
