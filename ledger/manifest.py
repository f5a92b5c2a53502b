"""The deployment manifest: the chain, contracts, token and anchoring accounts that are the platform's own.

The platform publishes it at `/.well-known/tradewind.json`; an auditor pins verification to it, so that a
bundle on look-alike contracts (the same code, deployed by someone else) does not verify."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from ledger.deployment import Contracts
from ledger.errors import LedgerError
from ledger.safejson import JsonRejected, loads

WELL_KNOWN_PATH = "/.well-known/tradewind.json"
FETCH_TIMEOUT_SECONDS = 10
MAX_MANIFEST_BYTES = 64 * 1024
FIELDS = ("chain_id", "escrow", "registry", "token", "anchorers", "start_block")


class ManifestUnavailable(LedgerError):
    """The manifest cannot be read or is not a valid manifest; the message says why, for a person."""


def _address(value: Any, name: str) -> str:
    if not isinstance(value, str) or not Web3.is_address(value):
        raise ManifestUnavailable(f"{name} is not an Ethereum address: {value!r}")
    return Web3.to_checksum_address(value)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ManifestUnavailable(f"{name} is not a non-negative integer: {value!r}")
    return value


@dataclass(frozen=True)
class Manifest:
    """Where the platform's settlements live, and who may anchor them."""

    chain_id: int
    escrow: str
    registry: str
    token: str
    anchorers: tuple[str, ...]
    start_block: int

    @classmethod
    def of(cls, contracts: Contracts, anchorers: Iterable[str]) -> Manifest:
        """The manifest of an installation's recorded contracts and its anchoring accounts."""
        return cls(
            chain_id=contracts.chain_id,
            escrow=Web3.to_checksum_address(contracts.escrow),
            registry=Web3.to_checksum_address(contracts.registry),
            token=Web3.to_checksum_address(contracts.token),
            anchorers=tuple(Web3.to_checksum_address(a) for a in anchorers),
            start_block=contracts.start_block,
        )

    def as_json(self) -> dict[str, Any]:
        """The published form."""
        return {
            "chain_id": self.chain_id,
            "escrow": self.escrow,
            "registry": self.registry,
            "token": self.token,
            "anchorers": list(self.anchorers),
            "start_block": self.start_block,
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse the published form strictly; raise ManifestUnavailable saying what is wrong."""
        if not isinstance(data, dict):
            raise ManifestUnavailable("a deployment manifest is a JSON object")
        missing = [name for name in FIELDS if name not in data]
        if missing:
            raise ManifestUnavailable(f"the deployment manifest lacks {', '.join(missing)}")
        anchorers = data["anchorers"]
        if not isinstance(anchorers, list) or not anchorers:
            raise ManifestUnavailable("anchorers is not a non-empty list of addresses")
        chain_id = _count(data["chain_id"], "chain_id")
        if chain_id == 0:
            raise ManifestUnavailable("chain_id is zero")
        return cls(
            chain_id=chain_id,
            escrow=_address(data["escrow"], "escrow"),
            registry=_address(data["registry"], "registry"),
            token=_address(data["token"], "token"),
            anchorers=tuple(_address(a, "an anchorer") for a in anchorers),
            start_block=_count(data["start_block"], "start_block"),
        )


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(MAX_MANIFEST_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ManifestUnavailable(f"{url} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ManifestUnavailable(f"{url} does not answer: {reason}") from exc


def load_manifest(source: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> Manifest:
    """The manifest from a file path or an http(s) URL; raise ManifestUnavailable if it cannot be had."""
    if source.startswith(("http://", "https://")):
        raw = _fetch(source, timeout)
    else:
        try:
            with Path(source).open("rb") as handle:
                raw = handle.read(MAX_MANIFEST_BYTES + 1)
        except OSError as exc:
            raise ManifestUnavailable(f"cannot read {source}: {exc.strerror or exc}") from exc
    try:
        data = loads(raw, max_bytes=MAX_MANIFEST_BYTES)
    except JsonRejected as exc:
        raise ManifestUnavailable(f"{source}: {exc}") from exc
    try:
        return Manifest.from_json(data)
    except ManifestUnavailable as exc:
        raise ManifestUnavailable(f"{source}: {exc}") from exc
