"""Organizations, users, login, API tokens, wallets and authorization rules."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta
from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ledger.contracts import STABLECOIN, encode_call
from ledger.keystore import KeyBox
from ledger.relay import enqueue
from marketplace.accounts.models import ApiToken, Organization, OrgKind, Role, User, Wallet
from marketplace.chain_context import ChainContext
from marketplace.db import as_utc, utcnow
from marketplace.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from marketplace.pricing.money import check_currency

DEV_GAS_WEI = 10**18
DEV_STABLECOIN_GRANT = 5_000_000 * 10**6  # tUSD for a buyer on a development chain
TOKEN_DAYS = 90  # lifetime of an API token unless another is asked for
MAX_TOKEN_DAYS = 365
LAST_USED_PRECISION = timedelta(minutes=1)  # how often a token's last use is written down
SLUG_LENGTH = 64
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def slugify(name: str) -> str:
    """An address-safe form of a name: ASCII letters and digits in lower case, joined by hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_LENGTH].strip("-")


def free_slug(session: Session, name: str) -> str:
    """`slugify(name)`, with `-2`, `-3`, ... appended if another organization has it ("org" if empty)."""
    base = slugify(name) or "org"
    taken = set(session.scalars(select(Organization.slug).where(Organization.slug.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[: SLUG_LENGTH - len(str(n)) - 1]}-{n}"
    return candidate


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
    for buyers, test stablecoins (through the outbox; the wallet's own transactions wait for them)."""
    if kind not in set(OrgKind):
        raise Invalid("kind must be one of %(kinds)s", "kind", kinds=", ".join(OrgKind))
    if not name.strip():
        raise Invalid("name is required", "name")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise Invalid("country must be an ISO 3166 alpha-2 code such as DE", "country")
    org = Organization(
        name=name.strip(),
        kind=kind,
        country=country,
        currency=check_currency(currency),
        locale=locale,
        slug=free_slug(session, name),
        languages=[locale.split("_")[0]],
    )
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
            funds=account.address,
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
                funds=account.address,
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
        raise Invalid("role must be one of %(roles)s", "role", roles=", ".join(Role))
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


@cache
def _stand_in_hash() -> str:
    """A hash of a random password, made the way user passwords are: checked when the email is unknown."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials, or Unauthenticated (same message whichever part is wrong).

    An unknown email costs the same password check as a known one, so timing does not tell them apart."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    matches = check_password_hash(user.password_hash if user else _stand_in_hash(), password)
    if user is None or not matches:
        raise Unauthenticated("wrong email or password")
    return user


def session_user(session: Session, user_id: int, version: object) -> User | None:
    """The user of a session cookie, unless the user logged out since it was issued (with its organization,
    which every page reads, in the same query)."""
    user = session.get(User, user_id, options=[joinedload(User.organization)])
    if user is None or user.session_version != version:
        return None
    return user


def end_sessions(session: Session, user: User) -> None:
    """Log `user` out everywhere: every session cookie issued so far stops counting."""
    user.session_version += 1
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`, valid for `days` (default 90, at most 365). Returns the row and the
    plain token: it is shown once, and only its hash is kept."""
    days = TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid("a token lasts from 1 to %(max)s days", "days", max=MAX_TOKEN_DAYS)
    token = "tw_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name.strip() or "api",
        token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return row, token


def user_for_token(session: Session, token: str) -> User:
    """The user behind a bearer token that is neither revoked nor expired; records when it was used."""
    now = utcnow()
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ~ApiToken.revoked, ApiToken.expires_at > now)
    )
    if row is None:
        raise Unauthenticated("invalid, expired or revoked API token")
    if row.last_used_at is None or as_utc(row.last_used_at) < now - LAST_USED_PRECISION:
        row.last_used_at = now  # not on every request: a write per API call would be wasted work
    return row.user


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ~ApiToken.revoked, ApiToken.expires_at > utcnow())
    return list(session.scalars(query.order_by(ApiToken.id.desc())))


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once. Other users' tokens are not found."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked:
        raise NotFound("no such API token")
    row.revoked = True
    session.flush()
    return row


def require(user: User, *kinds: OrgKind, write: bool = True) -> Organization:
    """The user's organization, if it is of one of `kinds` and the user may act (not a viewer)."""
    org = user.organization
    if kinds and org.kind not in kinds:
        raise Forbidden("only %(kinds)s organizations may do this", kinds=" / ".join(kinds))
    if write and user.role == Role.VIEWER:
        raise Forbidden("viewers cannot change anything")
    return org


def operator_wallet(session: Session) -> Wallet | None:
    """The platform operator's wallet (it deploys, anchors settlements and rules disputes), if created yet."""
    return session.scalar(select(Wallet).where(Wallet.purpose == "operator"))


def ensure_operator_wallet(session: Session, keybox: KeyBox, private_key: str = "") -> Wallet:
    """The platform operator's wallet: from CHAIN_OPERATOR_KEY if given, else generated once."""
    wallet = operator_wallet(session)
    if private_key:
        account = Account.from_key(private_key)
        if wallet is not None and wallet.address != account.address:
            raise Conflict(
                "CHAIN_OPERATOR_KEY is %(key)s, but the database has operator %(wallet)s",
                key=account.address,
                wallet=wallet.address,
            )
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
        raise NotFound("no wallet %(address)s", address=address)
    return keybox.open(wallet.address, wallet.sealed_key)


def profile_editor(user: User) -> Organization:
    """The user's organization, if the user is one of its admins (only they edit its public profile)."""
    if user.role != Role.ADMIN:
        raise Forbidden("only admins of the organization may edit its profile")
    return user.organization


def update_profile(
    session: Session, user: User, *, founded_year: int | None, certifications: list[str], languages: list[str]
) -> Organization:
    """Replace the public profile of the user's organization; only its admins may. The slug stays as it
    is: storefront links and listing audiences name organizations by it."""
    org = profile_editor(user)
    org.founded_year, org.certifications, org.languages = founded_year, list(certifications), list(languages)
    session.flush()
    return org
