"""Accounts API: API tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from marketplace.accounts.service import authenticate, issue_token
from marketplace.api import body
from marketplace.web import db

bp = Blueprint("accounts_api", __name__)


@bp.post("/tokens")
def token() -> Any:
    data = body()
    user = authenticate(db(), str(data.get("email", "")), str(data.get("password", "")))
    return jsonify({"token": issue_token(db(), user, str(data.get("name", "api")))}), 201
