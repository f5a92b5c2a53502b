"""Settings from the environment, with embedded defaults: a SQLite file and, for `serve`, a local Anvil node,
both kept in the instance folder."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from ledger.keystore import new_master_key


def _secret_file(path: Path, make: callable) -> str:  # type: ignore[valid-type]
    """Read a generated secret, creating it (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


DATABASE_FILE = "tradewind.sqlite"
CHAIN_STATE_FILE = "chain-state.json"


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def _port(value: str) -> int:
    """A TCP port number from a setting, or a clear error."""
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"TRADEWIND_CHAIN_PORT must be a port number (1-65535), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Config:
    """Everything the app, the worker and the CLI need to know about their surroundings."""

    instance_dir: Path = field(default_factory=lambda: Path(os.environ.get("TRADEWIND_INSTANCE", "instance")))
    database_url: str = ""
    chain_rpc_url: str = ""
    chain_port: int = 8545
    master_key: str = ""
    secret_key: str = ""
    operator_key: str = ""
    stablecoin_address: str = ""
    confirmations: int = 0
    dev_faucet: bool | None = None
    worker_interval: float = 1.0
    inspection_period: int = 7 * 86400
    dispute_period: int = 14 * 86400
    arbiter_fee_bps: int = 200
    platform_fee_bps: int = 0
    default_buyer_bps: int = 5000
    redis_url: str = ""
    secure_cookies: bool = False
    session_hours: float = 12.0  # a sign-in lasts this long, however active the user is
    proxy_hops: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto are trusted
    signin_limits_per_address: str = "20 per minute; 200 per hour"
    signin_limits_per_email: str = "5 per minute; 20 per hour"
    documents_dir: Path | None = None  # uploaded trade documents, named by SHA-256 (default: instance/documents)
    document_max_bytes: int = 10 * 1024 * 1024
    media_dir: Path | None = None  # listing pictures, named by SHA-256 (default: instance/media)
    image_max_bytes: int = 5 * 1024 * 1024
    image_max_pixels: int = 40_000_000  # a larger picture is refused before it is decoded
    testing: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Read TRADEWIND_* / DATABASE_URL / CHAIN_RPC_URL; `overrides` win."""
        env = os.environ
        base = cls(
            database_url=env.get("DATABASE_URL", ""),
            chain_rpc_url=env.get("CHAIN_RPC_URL", ""),
            chain_port=_port(env.get("TRADEWIND_CHAIN_PORT", "8545")),
            master_key=env.get("TRADEWIND_MASTER_KEY", ""),
            secret_key=env.get("TRADEWIND_SECRET_KEY", ""),
            operator_key=env.get("CHAIN_OPERATOR_KEY", ""),
            stablecoin_address=env.get("STABLECOIN_ADDRESS", ""),
            confirmations=int(env.get("CHAIN_CONFIRMATIONS", "0")),
            dev_faucet={"1": True, "0": False}.get(env.get("CHAIN_DEV_FAUCET", "")),
            platform_fee_bps=int(env.get("PLATFORM_FEE_BPS", "0")),
            arbiter_fee_bps=int(env.get("ARBITER_FEE_BPS", "200")),
            redis_url=env.get("REDIS_URL", ""),
            secure_cookies=env.get("SESSION_COOKIE_SECURE", "0").strip().lower() in ("1", "true", "yes", "on"),
            proxy_hops=int(env.get("TRUSTED_PROXY_HOPS", "0")),
            session_hours=float(env.get("SESSION_LIFETIME_HOURS", "12")),
            signin_limits_per_address=env.get("SIGNIN_LIMITS_PER_ADDRESS", cls.signin_limits_per_address),
            signin_limits_per_email=env.get("SIGNIN_LIMITS_PER_EMAIL", cls.signin_limits_per_email),
            documents_dir=Path(env["TRADEWIND_DOCUMENTS_DIR"]) if env.get("TRADEWIND_DOCUMENTS_DIR") else None,
            document_max_bytes=int(env.get("TRADEWIND_DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))),
            media_dir=Path(env["TRADEWIND_MEDIA_DIR"]) if env.get("TRADEWIND_MEDIA_DIR") else None,
            image_max_bytes=int(env.get("TRADEWIND_IMAGE_MAX_BYTES", str(5 * 1024 * 1024))),
        )
        return replace(base, **overrides).resolved()  # type: ignore[arg-type]

    def resolved(self) -> Config:
        """Fill embedded defaults: a SQLite file and generated secrets in the instance folder."""
        folder = self.instance_dir.resolve()
        return replace(
            self,
            instance_dir=folder,
            database_url=self.database_url or f"sqlite:///{folder / DATABASE_FILE}",
            documents_dir=(self.documents_dir or folder / "documents").resolve(),
            media_dir=(self.media_dir or folder / "media").resolve(),
            master_key=self.master_key or _secret_file(folder / "master.key", new_master_key),
            secret_key=self.secret_key or _secret_file(folder / "secret.key", lambda: secrets.token_hex(32)),
        )

    @property
    def chain_state_file(self) -> Path:
        """Where the embedded setup's local node keeps its chain (used when CHAIN_RPC_URL is not set)."""
        return self.instance_dir / CHAIN_STATE_FILE

    @property
    def local_node(self) -> bool:
        """Whether `serve` runs its own chain node: yes unless CHAIN_RPC_URL names one."""
        return not self.chain_rpc_url

    def __repr__(self) -> str:  # keep secrets out of logs
        return f"Config(database_url={self.database_url!r}, chain_rpc_url={self.chain_rpc_url!r})"
