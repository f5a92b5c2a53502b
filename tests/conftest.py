"""Shared fixtures: one in-process chain and platform per test session, fresh organizations per test."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ledger.chain import connect
from ledger.sandbox import Sandbox
from marketplace import create_app
from marketplace.accounts.models import Organization, Role, User
from marketplace.accounts.service import create_organization, create_user
from marketplace.config import Config
from marketplace.platform import Platform, start
from marketplace.worker import Worker

ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
PASSWORD = "correct horse battery"
REQUIRE_SERVICES = os.environ.get("TRADEWIND_REQUIRE_SERVICES") == "1"
_counter = itertools.count(1)


def unavailable(reason: str) -> None:
    """Skip locally; fail in CI, where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    folder = tmp_path_factory.mktemp("instance")
    config = Config(instance_dir=folder, testing=True).resolved()
    p = start(config)
    yield p
    p.close()


@pytest.fixture(scope="session")
def worker(platform: Platform) -> Worker:
    return Worker(platform)


@pytest.fixture
def app(platform: Platform):  # type: ignore[no-untyped-def]
    return create_app(platform=platform)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class Orgs:
    """Creates organizations with one user each, unique per test."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def make(
        self, kind: str, *, role: str = Role.ADMIN, country: str = "DE", currency: str = "EUR", locale: str = "de"
    ) -> User:
        n = next(_counter)
        with self.platform.db.session() as s:
            org = create_organization(
                s,
                self.platform.keybox,
                self.platform.ctx,
                name=f"{kind.title()} {n}",
                kind=kind,
                country=country,
                currency=currency,
                locale=locale,
            )
            user = create_user(s, org, email=f"{kind}{n}@example.com", name=f"{kind} {n}", password=PASSWORD, role=role)
            return user

    def exporter(self, **kw: str) -> User:
        return self.make("exporter", **kw)

    def buyer(self, **kw: str) -> User:
        return self.make("buyer", **{"country": "JP", "currency": "JPY", "locale": "ja", **kw})

    def auditor(self, **kw: str) -> User:
        return self.make("auditor", **{"country": "GB", "currency": "GBP", "locale": "en", **kw})


@pytest.fixture
def orgs(platform: Platform, worker: Worker) -> Orgs:
    factory = Orgs(platform)
    return factory


def org_of(platform: Platform, user: User) -> Organization:
    with platform.db.session() as s:
        return s.get(Organization, user.organization_id)


# -- raw chain fixtures for contract tests -------------------------------------------------------


@pytest.fixture(scope="session", params=["evm", "anvil"])
def chain(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Contracts deployed straight from the artifacts, shared by contract tests: once on the in-process EVM,
    once on an Anvil node of their own (they move its clock)."""
    if request.param == "evm":
        yield Sandbox(connect(None))
        return
    with anvil_node() as url:
        yield Sandbox(connect(url))


# -- external services --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def anvil_node() -> Iterator[str]:
    """A fresh Anvil node from node_modules, stopped afterwards."""
    if not ANVIL.exists():
        unavailable("Anvil is not installed (npm ci installs it into node_modules)")
    port = _free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if connect(url).eth.chain_id:
                break
        except Exception:
            time.sleep(0.1)
    else:
        proc.kill()
        unavailable("Anvil did not start")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def anvil_installed() -> None:
    """Anvil in node_modules, for tests that start a server whose local node is Anvil."""
    if not ANVIL.exists():
        unavailable("Anvil is not installed (npm ci installs it into node_modules)")


@pytest.fixture(scope="session")
def anvil_url() -> Iterator[str]:
    with anvil_node() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    base = os.environ.get("TRADEWIND_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"tradewind_test_{os.getpid()}_{next(_counter)}"
    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable at {base}: {exc}")
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def which_node() -> str | None:
    return shutil.which("node")
