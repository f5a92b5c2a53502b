"""The compact text forms of price tiers (`1:12.50;100:11.90`) and Incoterm offers (`FOB Hamburg;CIF
Yokohama`), shared by the import file, its export and the exporter's pages."""

from __future__ import annotations

import re

from marketplace.errors import Invalid
from marketplace.validate import localized_amount

TIERS_EXAMPLE = "1:12.50;100:11.90"
OFFERS_EXAMPLE = "FOB Hamburg;CIF Yokohama"
_TIER = re.compile(r"\s*([0-9]{1,10})\s*:\s*([^;:]+?)\s*")


def parse_tiers(text: str, locale: str = "en") -> list[dict[str, object]]:
    """`1:12.50;100:11.90` as tiers (minimum quantity, unit price as text); amounts may be written in
    `locale` (`1:12,50` in German). The schema checks the values."""
    tiers: list[dict[str, object]] = []
    for part in filter(str.strip, text.split(";")):
        match = _TIER.fullmatch(part)
        if match is None:
            raise Invalid(
                "write price tiers as minimum quantity:unit price, separated by semicolons, such as 1:12.50;100:11.90",
                "price_tiers",
            )
        tiers.append({"min_quantity": int(match[1]), "unit_price": localized_amount(match[2], locale)})
    if not tiers:
        raise Invalid("at least one price tier is required, such as 1:12.50", "price_tiers")
    return tiers


def parse_offers(text: str) -> list[dict[str, str]]:
    """`FOB Hamburg;CIF Yokohama` as Incoterm offers (rule, named place)."""
    offers: list[dict[str, str]] = []
    for part in filter(str.strip, text.split(";")):
        rule, _, place = part.strip().partition(" ")
        if not place.strip():
            raise Invalid(
                "write each Incoterm with its named place, separated by semicolons, such as FOB Hamburg;CIF Yokohama",
                "incoterms",
            )
        offers.append({"rule": rule.upper(), "place": place.strip()})
    if not offers:
        raise Invalid("at least one Incoterm with its named place is required, such as FOB Hamburg", "incoterms")
    return offers


def format_tiers(tiers: list[dict[str, object]]) -> str:
    return ";".join(f"{t['min_quantity']}:{t['unit_price']}" for t in tiers)


def format_offers(offers: list[dict[str, str]]) -> str:
    return ";".join(f"{o['rule']} {o['place']}" for o in offers)
