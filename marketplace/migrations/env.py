"""Alembic environment: the URL comes from the caller (marketplace.platform.migrate)."""

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from marketplace.models import Base

target_metadata = Base.metadata
MIGRATION_LOCK = 0x7457_6D69_6772  # an advisory lock key of this schema's migrations


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # processes starting at once take turns (the rest find it done)
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()  # the lock is the session's: held until this connection closes
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=url.startswith("sqlite")
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
