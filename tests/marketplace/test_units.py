"""Quantities are written with their unit as a reader of the page's language writes them."""

from __future__ import annotations

import pytest

from marketplace.catalog.units import COUNTED, MEASURED, UNITS


@pytest.mark.parametrize(
    ("lang", "quantity", "unit", "expected"),
    [
        ("en", 1, "PCE", "1 piece"),
        ("en", 10000, "PCE", "10,000 pieces"),
        ("de", 10000, "PCE", "10.000 Stück"),
        ("de", 2, "SET", "2 Sätze"),
        ("ja", 100, "PCE", "100 個"),
        ("en", 100, "KGM", "100 kilograms"),
        ("de", 100, "MTR", "100 Meter"),
        ("ja", 5, "TNE", "5 トン"),
    ],
)
def test_a_quantity_reads_naturally(app, lang: str, quantity: int, unit: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context(f"/?lang={lang}"):
        app.preprocess_request()
        assert app.jinja_env.from_string("{{ n | quantity(u) }}").render(n=quantity, u=unit) == expected


def test_every_unit_is_written_out() -> None:
    assert set(UNITS) == set(MEASURED) | set(COUNTED)
