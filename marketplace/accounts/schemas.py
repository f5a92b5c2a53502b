"""Request models of the accounts API and forms: signing in for a token, naming a new token."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from marketplace.accounts.service import MAX_TOKEN_DAYS
from marketplace.errors import Invalid

M = TypeVar("M", bound=BaseModel)


def _plain_text(value: str) -> str:
    """Refuse control characters and lone surrogates (no database column can hold them)."""
    if any(ord(char) < 0x20 or ord(char) == 0x7F or 0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValueError("control characters are not allowed")
    return value


PlainText = AfterValidator(_plain_text)


class NewToken(BaseModel):
    """A token's name and lifetime (the page's form, and part of the API request)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: Annotated[str, Field(max_length=100), PlainText] = "api"
    days: Annotated[int, Field(ge=1, le=MAX_TOKEN_DAYS)] | None = None


class TokenRequest(NewToken):
    """POST /api/v1/tokens: credentials, and the new token's name and lifetime."""

    email: Annotated[str, Field(max_length=254), PlainText]
    password: Annotated[str, Field(max_length=1024)]


def parse(model: type[M], data: Any, *, strict: bool = True) -> M:
    """`data` as `model`, or Invalid naming the first bad field. Forms pass strict=False (all strings)."""
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise Invalid("%(name)s: %(problem)s", field, name=field or "body", problem=error["msg"]) from None
