"""pinyin search keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_pinyin', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('name_initials', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_trainee_name_initials'), ['name_initials'], unique=False)
        batch_op.create_index(batch_op.f('ix_trainee_name_pinyin'), ['name_pinyin'], unique=False)

    # Backfill the keys of people registered before this revision.
    from db.search import pinyin_keys

    bind = op.get_bind()
    trainee = sa.table('trainee', sa.column('id', sa.Integer), sa.column('name', sa.String),
                       sa.column('name_pinyin', sa.String), sa.column('name_initials', sa.String))
    rows = bind.execute(sa.select(trainee.c.id, trainee.c.name)).all()
    if rows:
        params = [{'b_id': r.id, 'p': pinyin_keys(r.name)[0], 'i': pinyin_keys(r.name)[1]} for r in rows]
        bind.execute(trainee.update().where(trainee.c.id == sa.bindparam('b_id'))
                     .values(name_pinyin=sa.bindparam('p'), name_initials=sa.bindparam('i')), params)


def downgrade() -> None:
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainee_name_pinyin'))
        batch_op.drop_index(batch_op.f('ix_trainee_name_initials'))
        batch_op.drop_column('name_initials')
        batch_op.drop_column('name_pinyin')
