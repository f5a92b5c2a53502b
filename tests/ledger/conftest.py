"""Fixtures of the chain-side tests: a SQLite database with the ledger's tables."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from ledger.store import metadata


@pytest.fixture
def sessions(tmp_path) -> sessionmaker[Session]:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)
