"""Accounts API: mint an API token with email and password, list your tokens, revoke one; read and edit
your organization's public profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify

from marketplace.accounts.models import ApiToken, Organization
from marketplace.accounts.schemas import ProfileIn, TokenRequest
from marketplace.accounts.service import (
    authenticate,
    issue_token,
    profile_editor,
    revoke_token,
    tokens_of,
    update_profile,
)
from marketplace.api import accepts, api_user, parse_body
from marketplace.db import as_utc
from marketplace.web import db

bp = Blueprint("accounts_api", __name__)


def _instant(moment: datetime | None) -> str | None:
    """ISO 8601 with its offset."""
    return as_utc(moment).isoformat(timespec="seconds") if moment else None


def token_json(row: ApiToken) -> dict[str, Any]:
    """A token as its owner may see it: never the token itself (only its hash is kept anyway)."""
    return {
        "id": row.id,
        "name": row.name,
        "created_at": _instant(row.created_at),
        "expires_at": _instant(row.expires_at),
        "last_used_at": _instant(row.last_used_at),
    }


@bp.post("/tokens")
def token() -> Any:
    request_ = parse_body(TokenRequest)
    user = authenticate(db(), request_.email, request_.password)
    row, plain = issue_token(db(), user, request_.name, request_.days)
    return jsonify({**token_json(row), "token": plain}), 201


@bp.get("/tokens")
def tokens() -> Any:
    return jsonify({"tokens": [token_json(row) for row in tokens_of(db(), api_user())]})


@bp.delete("/tokens/<int:token_id>")
def revoke(token_id: int) -> Any:
    revoke_token(db(), api_user(), token_id)
    return "", 204


def profile_json(org: Organization) -> dict[str, Any]:
    """An organization's public profile as stored (what its storefront shows)."""
    return {
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind,
        "country": org.country,
        "founded_year": org.founded_year,
        "certifications": list(org.certifications or []),
        "languages": list(org.languages or []),
        "member_since": _instant(org.created_at),
    }


@bp.get("/org/profile")
def profile() -> Any:
    return jsonify(profile_json(api_user().organization))


@bp.put("/org/profile")
@accepts(body=ProfileIn)
def edit_profile() -> Any:
    user = api_user()
    profile_editor(user)  # before the body: a caller who may not edit learns that first
    wanted = parse_body()
    return jsonify(profile_json(update_profile(db(), user, **wanted.model_dump())))
