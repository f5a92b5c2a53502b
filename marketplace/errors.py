"""Domain errors. Services raise them; one handler turns them into 4xx pages or JSON."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules refuse. Nothing has been changed when it is raised."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

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
