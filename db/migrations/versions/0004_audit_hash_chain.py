"""audit log hash chain and append-only triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""
import datetime

import sqlalchemy as sa
from alembic import op

from db.audit import CHAINED, drop_trigger_ddl, link, trigger_ddl

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_log = sa.table("audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                sa.column("user_id", sa.Integer), *(sa.column(k, sa.Text) for k in CHAINED[2:]),
                sa.column("chain_hash", sa.String))


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
    conn = op.get_bind()
    # The entries written before the chain existed are chained now, in id order.
    previous = None
    rows = conn.execute(sa.select(_log.c.id, *(_log.c[k] for k in CHAINED)).order_by(_log.c.id)).mappings().all()
    updates = []
    for row in rows:
        entry = dict(row)
        if entry["at"] is None:  # written by hand without a time: a fixed one, so its hash is stable
            entry["at"] = datetime.datetime(2000, 1, 1)
        previous = link(previous, entry)
        updates.append({"_id": row["id"], "_at": entry["at"], "_hash": previous})
    if updates:
        conn.execute(sa.update(_log).where(_log.c.id == sa.bindparam("_id"))
                     .values(at=sa.bindparam("_at"), chain_hash=sa.bindparam("_hash")), updates)
    for statement in trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)


def downgrade() -> None:
    conn = op.get_bind()
    for statement in drop_trigger_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
