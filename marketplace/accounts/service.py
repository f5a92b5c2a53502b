"""Organizations, users, login, API tokens, wallets and authorization rules."""

from __future__ import annotations

import hashlib
import re
import secrets

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.contracts import STABLECOIN, encode_call
from ledger.keystore import KeyBox
from ledger.relay import enqueue
from marketplace.accounts.models import ApiToken, Organization, OrgKind, Role, User, Wallet
from marketplace.chain_context import ChainContext
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from marketplace.pricing.money import check_currency

DEV_GAS_WEI = 10**18
DEV_STABLECOIN_GRANT = 5_000_000 * 10**6  # tUSD for a buyer on a development chain
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def create_organization(
    session: Session,
    keybox: KeyBox,
    ctx: ChainContext,
    *,
    name: str,
    kind: str,
    country: str,
    currency: str,
    locale: str,
) -> Organization:
    """A new organization with its own wallet. On development chains the faucet gives it gas and,
    for buyers, test stablecoins (through the outbox)."""
    if kind not in set(OrgKind):
        raise Invalid(f"kind must be one of {', '.join(OrgKind)}", "kind")
    if not name.strip():
        raise Invalid("name is required", "name")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise Invalid("country must be an ISO 3166 alpha-2 code such as DE", "country")
    org = Organization(name=name.strip(), kind=kind, country=country, currency=check_currency(currency), locale=locale)
    session.add(org)
    session.flush()
    account, sealed = keybox.create()
    session.add(Wallet(organization_id=org.id, address=account.address, sealed_key=sealed))
    if ctx.dev_faucet and kind in (OrgKind.BUYER, OrgKind.EXPORTER):
        reference = f"org:{org.id}:faucet"
        enqueue(
            session,
            chain_id=ctx.chain_id,
            sender=ctx.operator,
            to=account.address,
            data="0x",
            value=DEV_GAS_WEI,
            purpose="faucet_gas",
            reference=reference,
        )
        if kind == OrgKind.BUYER:
            data = encode_call(STABLECOIN, "mint", [account.address, DEV_STABLECOIN_GRANT])
            enqueue(
                session,
                chain_id=ctx.chain_id,
                sender=ctx.operator,
                to=ctx.contracts.token,
                data=data,
                purpose="faucet_token",
                reference=reference,
            )
    session.flush()
    return org


def create_user(
    session: Session, org: Organization, *, email: str, name: str, password: str, role: str = Role.TRADER
) -> User:
    """A user of `org`. Emails are unique across the platform."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise Invalid("a valid email address is required", "email")
    if len(password) < 10:
        raise Invalid("the password must have at least 10 characters", "password")
    if role not in set(Role):
        raise Invalid(f"role must be one of {', '.join(Role)}", "role")
    if session.scalar(select(User).where(User.email == email)):
        raise Conflict("a user with this email already exists", "email")
    user = User(
        organization_id=org.id,
        email=email,
        name=name,
        password_hash=generate_password_hash(password),
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials, or Unauthenticated (same message whichever part is wrong)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not check_password_hash(user.password_hash, password):
        raise Unauthenticated("wrong email or password")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str) -> str:
    """A new API token for `user`; the plain token is shown once and only its hash is kept."""
    token = "tw_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name or "api", token_hash=_token_hash(token)))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User:
    """The user behind a bearer token."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ~ApiToken.revoked))
    if row is None:
        raise Unauthenticated("invalid or revoked API token")
    return row.user


def require(user: User, *kinds: OrgKind, write: bool = True) -> Organization:
    """The user's organization, if it is of one of `kinds` and the user may act (not a viewer)."""
    org = user.organization
    if kinds and org.kind not in kinds:
        raise Forbidden(f"only {' or '.join(kinds)} organizations may do this")
    if write and user.role == Role.VIEWER:
        raise Forbidden("viewers cannot change anything")
    return org


def ensure_operator_wallet(session: Session, keybox: KeyBox, private_key: str = "") -> Wallet:
    """The platform operator's wallet: from CHAIN_OPERATOR_KEY if given, else generated once."""
    wallet = session.scalar(select(Wallet).where(Wallet.purpose == "operator"))
    if private_key:
        account = Account.from_key(private_key)
        if wallet is not None and wallet.address != account.address:
            raise Conflict(f"CHAIN_OPERATOR_KEY is {account.address}, but the database has operator {wallet.address}")
    if wallet is None:
        account = Account.from_key(private_key) if private_key else Account.create()
        wallet = Wallet(
            organization_id=None, purpose="operator", address=account.address, sealed_key=keybox.seal(account)
        )
        session.add(wallet)
        session.flush()
    return wallet


def signing_account(session: Session, keybox: KeyBox, address: str) -> LocalAccount:
    """The account behind a wallet address, its key opened for signing."""
    wallet = session.scalar(select(Wallet).where(Wallet.address == address))
    if wallet is None:
        raise NotFound(f"no wallet {address}")
    return keybox.open(wallet.address, wallet.sealed_key)
