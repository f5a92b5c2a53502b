"""Small input parsers shared by services."""

from __future__ import annotations

from marketplace.errors import Invalid


def positive_int(value: object, field: str) -> int:
    """`value` as an integer above zero, or Invalid naming `field`."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{field} must be a whole number", field) from exc
    if number <= 0:
        raise Invalid(f"{field} must be positive", field)
    return number
