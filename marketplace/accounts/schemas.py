"""Accounts requests: signing in for an API token, and naming a new token."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from marketplace.accounts.service import MAX_TOKEN_DAYS
from marketplace.validate import LocaleCode, Schema, Text, Whole, refuse

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


FOUNDED_MIN = 1800
MAX_CERTIFICATIONS = 20
MAX_LANGUAGES = 20


def _founded(year: int) -> int:
    if not FOUNDED_MIN <= year <= date.today().year:
        raise refuse("%(name)s must be a year from %(first)s to %(last)s", first=FOUNDED_MIN, last=date.today().year)
    return year


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Certification = Text(80, min_length=1)


class ProfileIn(Schema):
    """The public profile of an organization (its storefront): year founded, certifications such as
    "ISO 9001:2015", and the languages it trades in (locale codes). Repeated entries count once."""

    founded_year: Annotated[int, AfterValidator(_founded)] | None = None
    certifications: Annotated[
        list[Certification], Field(max_length=MAX_CERTIFICATIONS), AfterValidator(_distinct)  # type: ignore[valid-type]
    ] = []
    languages: Annotated[list[LocaleCode], Field(max_length=MAX_LANGUAGES), AfterValidator(_distinct)] = []
