"""Deploy the contracts once per chain and remember where they are; refuse a chain that lacks them."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract

from ledger.chain import REVERTS
from ledger.contracts import ESCROW, REGISTRY, STABLECOIN, artifact, bind, deploy, transact
from ledger.errors import ContractsMissing
from ledger.merkle import LEAF_SCHEMA, LEAF_SCHEMA_URI
from ledger.store import Deployment


@dataclass(frozen=True)
class Contracts:
    """Addresses of this installation's contracts on one chain."""

    chain_id: int
    escrow: str
    registry: str
    token: str
    start_block: int
    schema_id: int = 1

    def as_json(self) -> dict[str, str]:
        """Names as the proof bundle and the demo print them."""
        return {ESCROW: self.escrow, REGISTRY: self.registry, "token": self.token}


def recorded(session: Session, chain_id: int) -> dict[str, Deployment]:
    """Deployments recorded for `chain_id`, by contract name."""
    rows = session.scalars(select(Deployment).where(Deployment.chain_id == chain_id))
    return {row.name: row for row in rows}


def check_recorded(w3: Web3, rows: dict[str, Deployment]) -> None:
    """Raise ContractsMissing unless every recorded contract is on the chain with the expected code."""
    for name, row in rows.items():
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(row.address)))
        if not code:
            raise ContractsMissing(
                f"the database records {name} at {row.address} on chain {row.chain_id}, but the "
                "connected chain has no contract there. The in-process chain does not survive a "
                "restart, and the local node of `tradewind serve` keeps its chain in the instance folder's "
                "chain-state.json: start again with a fresh database (`tradewind reset`), or point "
                "CHAIN_RPC_URL at the node that holds these contracts."
            )
        if name != STABLECOIN and not artifact(name).runtime_matches(code):
            raise ContractsMissing(
                f"the code of {name} at {row.address} on chain {row.chain_id} is not the code in "
                "contracts/build: refusing to run against it. The contracts changed since this database was set "
                "up: run the release that deployed them, or start afresh on a new chain with a new database "
                "(`tradewind reset` deletes the embedded default's data)."
            )


def ensure_deployed(session: Session, w3: Web3, operator: LocalAccount, token_address: str | None = None) -> Contracts:
    """Deploy what is missing on the connected chain, record it, and return the addresses.

    Idempotent: contracts already recorded for this chain id are checked, not deployed again. Without
    `token_address`, a 6-decimal test stablecoin is deployed (development chains)."""
    chain_id = w3.eth.chain_id
    rows = recorded(session, chain_id)
    check_recorded(w3, rows)

    def remember(name: str, address: str, tx_hash: str | None, block: int) -> None:
        rows[name] = Deployment(chain_id=chain_id, name=name, address=address, tx_hash=tx_hash, block_number=block)
        session.add(rows[name])
        session.commit()

    for name in (ESCROW, REGISTRY):
        if name not in rows:
            address, receipt = deploy(w3, operator, name, operator.address)
            remember(name, address, receipt["transactionHash"].to_0x_hex(), receipt["blockNumber"])
    if STABLECOIN not in rows:
        if token_address:
            remember(STABLECOIN, Web3.to_checksum_address(token_address), None, 0)
        else:
            address, receipt = deploy(w3, operator, STABLECOIN, operator.address)
            remember(STABLECOIN, address, receipt["transactionHash"].to_0x_hex(), receipt["blockNumber"])
    escrow = bind(w3, ESCROW, rows[ESCROW].address)
    registry = bind(w3, REGISTRY, rows[REGISTRY].address)
    token = rows[STABLECOIN].address
    if not escrow.functions.allowedToken(token).call():
        transact(w3, operator, escrow, "setTokenAllowed", token, True)
    arbiter_role = escrow.functions.ARBITER_ROLE().call()
    if not escrow.functions.hasRole(arbiter_role, operator.address).call():
        transact(w3, operator, escrow, "grantRole", arbiter_role, operator.address)  # the platform's arbiter desk
    contracts = contracts_of(rows, schema_id=_ensure_schema(w3, operator, registry))
    assert contracts is not None  # every contract was recorded above
    return contracts


def contracts_of(rows: dict[str, Deployment], schema_id: int = 1) -> Contracts | None:
    """The addresses in recorded deployment rows of one chain, or None if any contract is missing."""
    if any(name not in rows for name in (ESCROW, REGISTRY, STABLECOIN)):
        return None
    return Contracts(
        chain_id=rows[ESCROW].chain_id,
        escrow=rows[ESCROW].address,
        registry=rows[REGISTRY].address,
        token=rows[STABLECOIN].address,
        start_block=min((row.block_number for row in rows.values() if row.block_number), default=0),
        schema_id=schema_id,
    )


def _ensure_schema(w3: Web3, operator: LocalAccount, registry: Contract) -> int:
    """The id of our leaf schema in the registry, registering it the first time."""
    schema_hash = keccak(text=LEAF_SCHEMA)
    for schema_id in range(1, 65):
        try:
            registered = registry.functions.schemaOf(schema_id).call()
        except REVERTS:
            break
        if bytes(registered[0]) == schema_hash:
            return schema_id
    transact(w3, operator, registry, "registerSchema", schema_hash, LEAF_SCHEMA_URI)
    return _ensure_schema(w3, operator, registry)
