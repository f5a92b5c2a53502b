"""Start-up of everything behind the app: database schema, chain, operator wallet, contracts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain import connect, dev_fund, is_embedded
from ledger.deployment import ensure_deployed
from ledger.errors import KeyBoxError
from ledger.keystore import KeyBox
from marketplace.accounts.service import ensure_operator_wallet, signing_account
from marketplace.chain_context import ChainContext
from marketplace.config import Config
from marketplace.db import Database
from marketplace.pricing.fx import EcbRates, RateProvider

log = logging.getLogger(__name__)

DEV_CHAIN_IDS = {31337, 1337}
OPERATOR_GAS_WEI = 100 * 10**18
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def _open_operator(keybox: KeyBox, address: str, sealed: str, config: Config) -> LocalAccount:
    """The operator's key, or an error saying which master key the database needs."""
    try:
        return keybox.open(address, sealed)
    except KeyBoxError as exc:
        raise KeyBoxError(
            f"{exc}. The keys in this database were sealed with another master key: run with the "
            f"TRADEWIND_MASTER_KEY or the instance folder (TRADEWIND_INSTANCE, now {config.instance_dir}) that "
            "created the database, or start with a fresh database."
        ) from exc


@dataclass
class Platform:
    """A running installation: config, database, chain connection, keys and contract addresses."""

    config: Config
    db: Database
    w3: Web3
    keybox: KeyBox
    ctx: ChainContext
    rates: RateProvider

    def signer(self, session, address: str):  # type: ignore[no-untyped-def]
        """Key lookup for the relay."""
        return signing_account(session, self.keybox, address)

    def close(self) -> None:
        self.db.dispose()


def start(config: Config, w3: Web3 | None = None) -> Platform:
    """Migrate the database, connect the chain, check or deploy the contracts.

    Raises ledger.errors.ContractsMissing when the database refers to contracts the chain lacks."""
    config.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate(config.database_url)
    db = Database(config.database_url)
    w3 = w3 or connect(config.chain_rpc_url)
    keybox = KeyBox(config.master_key)
    chain_id = w3.eth.chain_id
    dev = config.dev_faucet if config.dev_faucet is not None else (is_embedded(w3) or chain_id in DEV_CHAIN_IDS)
    with db.session() as session:
        wallet = ensure_operator_wallet(session, keybox, config.operator_key)
        operator = _open_operator(keybox, wallet.address, wallet.sealed_key, config)
        session.commit()
        if dev:
            dev_fund(w3, operator.address, OPERATOR_GAS_WEI)
        contracts = ensure_deployed(session, w3, operator, config.stablecoin_address or None)
    ctx = ChainContext(
        contracts=contracts,
        operator=operator.address,
        dev_faucet=dev,
        inspection_period=config.inspection_period,
    )
    log.info(
        "chain %s: escrow %s, registry %s, token %s",
        chain_id,
        contracts.escrow,
        contracts.registry,
        contracts.token,
    )
    return Platform(config=config, db=db, w3=w3, keybox=keybox, ctx=ctx, rates=EcbRates())
