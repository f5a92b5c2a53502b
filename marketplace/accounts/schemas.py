"""Accounts requests: signing in for an API token, and naming a new token."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from marketplace.accounts.service import MAX_TOKEN_DAYS
from marketplace.validate import Schema, Text, Whole

Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=1024)]
"""Taken exactly as typed: spaces at either end belong to it."""


class NewToken(Schema):
    """A token's name and lifetime in days (the tokens page's form, and part of the API request)."""

    name: Text(100) = "api"  # type: ignore[valid-type]
    days: Whole(MAX_TOKEN_DAYS) | None = None  # type: ignore[valid-type]


class TokenRequest(NewToken):
    """POST /api/v1/tokens: credentials, and the new token's name and lifetime."""

    email: Text(254, min_length=1)  # type: ignore[valid-type]
    password: Password
