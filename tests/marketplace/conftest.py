"""Fixtures of the marketplace tests: a platform on a fresh PostgreSQL database, sharing the session's chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import Config
from marketplace.platform import Platform, start


@pytest.fixture
def pg_platform(postgres_url: str, platform: Platform, tmp_path: Path) -> Iterator[Platform]:
    config = Config(instance_dir=tmp_path, database_url=postgres_url, testing=True).resolved()
    pg = start(config, w3=platform.w3)
    yield pg
    pg.close()


@pytest.fixture
def pg_app(pg_platform: Platform):  # type: ignore[no-untyped-def]
    return create_app(platform=pg_platform)
