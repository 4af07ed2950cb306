"""Alembic environment: migrations run on the connection the app hands over."""

from alembic import context
from sqlalchemy import Connection, create_engine

from db.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # the alembic CLI, used by developers to autogenerate
        url = config.get_main_option("sqlalchemy.url")
        if url is None:  # alembic.ini names the scratch database autogenerate compares against
            raise RuntimeError("alembic.ini: sqlalchemy.url is not set")
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
    else:
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
