"""This installation's deployment manifest, read from its database without deploying or starting anything."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from web3 import Web3

from ledger.chain import connect
from ledger.contracts import REGISTRY, bind
from ledger.deployment import check_recorded, contracts_of, recorded
from ledger.errors import NotDeployed
from ledger.manifest import Manifest
from ledger.store import Deployment
from marketplace.accounts.service import operator_wallet
from marketplace.config import Config
from marketplace.db import Database

FIRST_RUN = "`tradewind serve` deploys the contracts on its first start"


def recorded_manifest(config: Config) -> Manifest:
    """The manifest of the contracts recorded in the configured database.

    With CHAIN_RPC_URL, for that node's chain, after checking that the contracts are there and that the
    operator holds the registry's anchorer role; without it, for the one chain the database records.
    Raises NotDeployed (or another LedgerError) with a message for a person."""
    if config.database_url.startswith("sqlite:///"):
        path = Path(config.database_url.removeprefix("sqlite:///"))
        if not path.exists():
            raise NotDeployed(f"no recorded deployment: there is no database at {path} ({FIRST_RUN})")
    db = Database(config.database_url)
    try:
        with db.session() as session:
            return _manifest(session, config.chain_rpc_url)
    finally:
        db.dispose()


def _manifest(session: Session, rpc_url: str) -> Manifest:
    if not inspect(session.connection()).has_table(Deployment.__tablename__):
        raise NotDeployed(f"no recorded deployment: the database has no tables yet ({FIRST_RUN})")
    chains = sorted(set(session.scalars(select(Deployment.chain_id))))
    w3 = connect(rpc_url) if rpc_url else None
    if w3 is not None:
        chain_id = w3.eth.chain_id
    elif len(chains) == 1:
        chain_id = chains[0]
    elif not chains:
        raise NotDeployed(f"no recorded deployment in the database ({FIRST_RUN})")
    else:
        raise NotDeployed(
            f"the database records deployments on chains {', '.join(map(str, chains))}: "
            "set CHAIN_RPC_URL to the node of the one to describe"
        )
    rows = recorded(session, chain_id)
    contracts = contracts_of(rows)
    operator = operator_wallet(session)
    if contracts is None or operator is None:
        raise NotDeployed(f"no recorded deployment on chain {chain_id} ({FIRST_RUN})")
    if w3 is not None:
        check_recorded(w3, rows)
        _check_anchorer(w3, contracts.registry, operator.address)
    return Manifest.of(contracts, (operator.address,))


def _check_anchorer(w3: Web3, registry_address: str, operator: str) -> None:
    registry = bind(w3, REGISTRY, registry_address)
    if not registry.functions.hasRole(registry.functions.ANCHORER_ROLE().call(), operator).call():
        raise NotDeployed(f"the operator {operator} does not hold ANCHORER_ROLE in {REGISTRY} {registry_address}")
