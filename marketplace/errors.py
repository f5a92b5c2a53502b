"""Domain errors. Services raise them; one handler turns them into 4xx pages or JSON.

A message is an English %-template with named parameters, written as a literal at the raise site:
`Invalid("the minimum order quantity is %(moq)s %(unit)s", "quantity", moq=50, unit="pc")`.
`pybabel extract` collects these literals by keyword (see `make messages`); pages show the message in
the viewer's language, the JSON API in English."""

from __future__ import annotations

from collections.abc import Callable


class Term(str):
    """A message parameter that is itself an English message (a status, an action): pages translate it
    along with the template that carries it."""


class DomainError(Exception):
    """A request that the rules refuse. Nothing has been changed when it is raised."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.template = message
        self.field = field
        self.params = params

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """The message in English."""
        return self.template % self.params if self.params else self.template

    def translated(self, gettext: Callable[..., str]) -> str:
        """The message through `gettext` (Flask-Babel's: it fills the parameters after translating)."""
        params = {k: gettext(v) if isinstance(v, Term) else v for k, v in self.params.items()}
        return gettext(self.template, **params)

    def as_json(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class Invalid(DomainError):
    """Malformed or out-of-range input."""

    status = 400
    code = "invalid"


class Unauthenticated(DomainError):
    """No valid session or API token."""

    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but this organization or role may not do that."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """No such object visible to the caller."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The object is not in a state that allows the action (already funded, quote expired, ...)."""

    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    """Too many attempts in a short time (sign-in and token minting are rate limited)."""

    status = 429
    code = "too_many_requests"
