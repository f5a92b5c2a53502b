"""Exporting an exporter's catalog in the import file's format: importing the export changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Organization
from marketplace.catalog.bulk_import import COLUMNS, EXAMPLE_SKU
from marketplace.catalog.codec import format_offers, format_tiers
from marketplace.catalog.models import Listing
from marketplace.catalog.service import listing_data

TEMPLATE_EXAMPLE = {
    "sku": EXAMPLE_SKU,
    "category": "",
    "hs_code": "8482.10",
    "origin": "DE",
    "unit": "PCE",
    "moq": "100",
    "lead_time_days": "30",
    "stock": "5000",
    "currency": "EUR",
    "price_tiers": "100:2.40;1000:2.10",
    "incoterms": "FOB Hamburg;CIF Yokohama",
    "status": "published",
    "visibility": "public",
    "audience": "",
    "source_locale": "en",
    "title_en": "EXAMPLE: deep groove ball bearing 6204-2RS",
    "description_en": "20 x 47 x 14 mm, sealed both sides, C3 clearance",
    "title_de": "BEISPIEL: Rillenkugellager 6204-2RS",
    "description_de": "20 x 47 x 14 mm, beidseitig abgedichtet, Lagerluft C3",
}
"""The example row of the template file newcomers download: its SKU and titles say it is one, and an import
refuses it (`EXAMPLE_SKU`), so one left in a filled-in template is never published."""


def file_row(data: dict[str, object]) -> dict[str, str]:
    """A listing as `listing_data` (or `ListingIn`) has it, as one row of an import or export file."""
    cells = {
        key: "" if data[key] is None else str(data[key])
        for key in COLUMNS
        if key not in ("price_tiers", "incoterms", "audience")
    }
    cells["price_tiers"] = format_tiers(data["price_tiers"])  # type: ignore[arg-type]
    cells["incoterms"] = format_offers(data["incoterms"])  # type: ignore[arg-type]
    cells["audience"] = ";".join(data["audience"])  # type: ignore[arg-type]
    for locale, text in data["translations"].items():  # type: ignore[attr-defined]
        cells[f"title_{locale}"] = text["title"]
        cells[f"description_{locale}"] = text["description"]
    return cells


def export_rows(session: Session, org: Organization) -> tuple[list[str], list[list[str]]]:
    """The header and one row per listing of `org` (by SKU): every column, a title and description column
    per language any listing has."""
    query = (
        select(Listing)
        .where(Listing.organization_id == org.id)
        .order_by(Listing.sku)
        .options(
            selectinload(Listing.translations),
            selectinload(Listing.tiers),
            selectinload(Listing.offers),
            selectinload(Listing.audience),
            selectinload(Listing.category),
        )
    )
    records = [file_row(listing_data(listing)) for listing in session.scalars(query)]
    locales = sorted({key.split("_", 1)[1] for cells in records for key in cells if key.startswith("title_")})
    header = [*COLUMNS, *(f"{kind}_{loc}" for loc in locales for kind in ("title", "description"))]
    return header, [[cells.get(name, "") for name in header] for cells in records]


def template_rows() -> tuple[list[str], list[list[str]]]:
    """The template file: the header and one example row."""
    header = list(TEMPLATE_EXAMPLE)
    return header, [[TEMPLATE_EXAMPLE[name] for name in header]]
