"""The compact text forms of price tiers (`1:12.50;100:11.90`) and Incoterm offers (`FOB Hamburg;CIF
Yokohama`), shared by the import file, its export and the exporter's pages."""

from __future__ import annotations

import re

from marketplace.errors import Invalid
from marketplace.pricing.money import AMOUNT
from marketplace.validate import localized_amount

TIERS_EXAMPLE = "1:12.50;100:11.90"
OFFERS_EXAMPLE = "FOB Hamburg;CIF Yokohama"
_TIER = re.compile(r"\s*([0-9]{1,10})\s*:\s*([^;:]+?)\s*")


def parse_tiers(text: str, locale: str | None = None) -> list[dict[str, object]]:
    """`1:12.50;100:11.90` as tiers (minimum quantity, unit price as text); the schema checks the values.
    On a page in `locale`, amounts may be written as there (`1:12,50` in German); without a locale (the
    import file) the file's one form holds in every language: a decimal point, no thousands separators."""
    tiers: list[dict[str, object]] = []
    for part in filter(str.strip, text.split(";")):
        match = _TIER.fullmatch(part)
        if match is None:
            raise Invalid(
                "write price tiers as minimum quantity:unit price, separated by semicolons, such as %(example)s",
                "price_tiers",
                example=TIERS_EXAMPLE,
            )
        price = match[2]
        if locale is not None:
            price = localized_amount(price, locale)
        elif not AMOUNT.fullmatch(price):
            raise Invalid(
                "write the price %(price)s as digits with a decimal point, without a comma or thousands "
                "separators, such as %(example)s",
                "price_tiers",
                price=price,
                example=TIERS_EXAMPLE,
            )
        tiers.append({"min_quantity": int(match[1]), "unit_price": price})
    if not tiers:
        raise Invalid("at least one price tier is required, such as %(example)s", "price_tiers", example="1:12.50")
    return tiers


def parse_offers(text: str) -> list[dict[str, str]]:
    """`FOB Hamburg;CIF Yokohama` as Incoterm offers (rule, named place)."""
    offers: list[dict[str, str]] = []
    for part in filter(str.strip, text.split(";")):
        rule, _, place = part.strip().partition(" ")
        if not place.strip():
            raise Invalid(
                "write each Incoterm with its named place, separated by semicolons, such as %(example)s",
                "incoterms",
                example=OFFERS_EXAMPLE,
            )
        offers.append({"rule": rule.upper(), "place": place.strip()})
    if not offers:
        raise Invalid(
            "at least one Incoterm with its named place is required, such as %(example)s",
            "incoterms",
            example="FOB Hamburg",
        )
    return offers


def format_tiers(tiers: list[dict[str, object]]) -> str:
    return ";".join(f"{t['min_quantity']}:{t['unit_price']}" for t in tiers)


def format_offers(offers: list[dict[str, str]]) -> str:
    return ";".join(f"{o['rule']} {o['place']}" for o in offers)
