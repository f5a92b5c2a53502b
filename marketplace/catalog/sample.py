"""A deterministic sample catalog: realistic B2B listings in several languages, as `ListingIn` reads them.

`sample_listings(exporter, count, seed, start=...)` yields the same dicts for the same arguments, so a demo or a
benchmark can seed a catalog and recognize it again. Titles and descriptions are built from the phrase
tables in `sample_families`; HS codes, units, MOQs, price tiers (in the exporter's currency) and Incoterm
offers (from the exporter's ports) fit the product."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.categories import add_category
from marketplace.catalog.models import Category
from marketplace.catalog.sample_families import (
    BY_CODE,
    DESTINATIONS,
    EXPORTERS,
    SUBCATEGORY_NAMES,
    USD_RATES,
    Exporter,
    Family,
)
from marketplace.pricing.money import exponent

__all__ = ["EXPORTERS", "Exporter", "ensure_subcategories", "sample_listings"]

DESCRIPTION = {
    "en": "{name} {variant}, {material}. {f1}, {f2}. Made to {standard}. MOQ {moq} {unit}, ships in {lead} days.",
    "de": "{name} {variant}, {material}. {f1}, {f2}. Gefertigt nach {standard}. Mindestmenge {moq} {unit}, "
    "Lieferzeit {lead} Tage.",
    "ja": "{name} {variant}（{material}）。{f1}、{f2}。{standard}準拠。最小発注数量 {moq} {unit}、納期 {lead} 日。",
    "zh_Hans": "{name} {variant}，{material}。{f1}，{f2}。符合{standard}标准。起订量 {moq} {unit}，交货期 {lead} 天。",
    "es": "{name} {variant}, {material}. {f1}, {f2}. Fabricado según {standard}. Pedido mínimo {moq} {unit}, "
    "entrega en {lead} días.",
}
TITLE = {
    "en": "{name} {variant}, {material}",
    "de": "{name} {variant}, {material}",
    "ja": "{name} {variant} {material}",
    "zh_Hans": "{name} {variant} {material}",
    "es": "{name} {variant}, {material}",
}
TIER_STEPS = (1, 5, 20, 100)
"""Multiples of the MOQ at which the next price tier starts."""
TIER_DISCOUNT = (Decimal("1"), Decimal("0.94"), Decimal("0.89"), Decimal("0.85"))


def _price(rng: random.Random, family: Family, currency: str) -> Decimal:
    low, high = family.price_usd
    usd = low * (high / low) ** rng.random()  # log-uniform: many cheap variants, a few dear ones
    digits = exponent(currency)
    return (
        Decimal(str(usd * USD_RATES.get(currency, 1.0)))
        .quantize(Decimal(1).scaleb(-digits))
        .max(Decimal(1).scaleb(-digits))
    )


def _tiers(rng: random.Random, moq: int, base: Decimal, currency: str) -> list[dict[str, str | int]]:
    step = Decimal(1).scaleb(-exponent(currency))
    tiers: list[dict[str, str | int]] = []
    for multiple, discount in zip(TIER_STEPS[: rng.randint(1, 4)], TIER_DISCOUNT, strict=False):
        price = (base * discount).quantize(step).max(step)
        tiers.append({"min_quantity": moq * multiple, "unit_price": str(price)})
    return tiers


def _offers(rng: random.Random, exporter: Exporter) -> list[dict[str, str]]:
    port = rng.choice(exporter.ports)
    abroad = [d for d in DESTINATIONS if d not in exporter.ports]
    choices = [
        ("FOB", port),
        ("CIF", rng.choice(abroad)),
        ("EXW", exporter.city),
        ("FCA", rng.choice(exporter.ports)),
        ("CFR", rng.choice(abroad)),
        ("DAP", rng.choice(abroad)),
    ]
    offers = [choices[0], *rng.sample(choices[1:], rng.randint(0, 2))]
    seen: set[tuple[str, str]] = set()
    unique = [o for o in offers if not (o in seen or seen.add(o))]
    return [{"rule": rule, "place": place} for rule, place in unique]


def _texts(rng: random.Random, family: Family, exporter: Exporter, moq: int, lead: int) -> dict[str, dict[str, str]]:
    variant = rng.choice(family.variants)
    material_i = rng.randrange(len(family.materials["en"]))
    features = rng.sample(range(len(family.features["en"])), 2)
    standard = rng.choice(family.standards)
    texts = {}
    for lang in exporter.languages:
        materials, feats = family.materials[lang], family.features[lang]
        words = {
            "name": family.names[lang],
            "variant": variant,
            "material": materials[material_i % len(materials)],
            "f1": feats[features[0] % len(feats)],
            "f2": feats[features[1] % len(feats)],
            "standard": standard,
            "moq": f"{moq:,}",
            "unit": family.unit,
            "lead": lead,
        }
        if lang not in ("ja", "zh_Hans"):
            words["f1"] = words["f1"][:1].upper() + words["f1"][1:]
        texts[lang] = {"title": TITLE[lang].format(**words)[:200], "description": DESCRIPTION[lang].format(**words)}
    return texts


def sample_listing(
    rng: random.Random,
    exporter: Exporter,
    index: int,
    *,
    subcategories: bool = True,
    audience: tuple[str, ...] = (),
    draft_share: float = 0.0,
    restricted_share: float = 0.0,
) -> dict[str, Any]:
    """Listing number `index` of `exporter`, drawn from `rng`: a dict `ListingIn` validates."""
    family = BY_CODE[exporter.families[index % len(exporter.families)]]
    moq = rng.choice(family.moqs)
    lead = rng.choice((7, 10, 14, 21, 30, 45, 60, 90))
    data: dict[str, Any] = {
        "sku": f"{exporter.country}-{family.code[:4].upper()}-{index:07d}",
        "category": family.code if subcategories else None,
        "hs_code": rng.choice(family.hs_codes),
        "origin": exporter.country,
        "unit": family.unit,
        "moq": moq,
        "lead_time_days": lead,
        "stock": None if rng.random() < 0.3 else moq * rng.randint(1, 200),
        "currency": exporter.currency,
        "price_tiers": _tiers(rng, moq, _price(rng, family, exporter.currency), exporter.currency),
        "incoterms": _offers(rng, exporter),
        "status": "published",
        "visibility": "public",
        "audience": [],
        "source_locale": exporter.languages[0],
        "translations": _texts(rng, family, exporter, moq, lead),
    }
    roll = rng.random()
    if roll < draft_share:
        data["status"] = "draft"
    elif audience and roll < draft_share + restricted_share:
        data["visibility"] = "restricted"
        data["audience"] = list(audience)
    return data


def sample_listings(
    exporter: Exporter,
    count: int,
    seed: int = 0,
    *,
    start: int = 0,
    subcategories: bool = True,
    audience: tuple[str, ...] = (),
    draft_share: float = 0.0,
    restricted_share: float = 0.0,
) -> Iterator[dict[str, Any]]:
    """`count` listings of `exporter` (numbered from `start`), the same ones for the same arguments.
    `subcategories`: file them under the family's subcategory (see `ensure_subcategories`), else under
    the HS section; a share of them drafts, or restricted to the buyer organizations in `audience`."""
    rng = random.Random(f"{seed}:{exporter.name}:{start}")
    for index in range(start, start + count):
        yield sample_listing(
            rng,
            exporter,
            index,
            subcategories=subcategories,
            audience=audience,
            draft_share=draft_share,
            restricted_share=restricted_share,
        )


def ensure_subcategories(session: Session) -> int:
    """Add the sample families' subcategories under their HS sections where missing; how many were added."""
    existing = set(session.scalars(select(Category.code)))
    added = 0
    for code, names in SUBCATEGORY_NAMES.items():
        if code not in existing:
            add_category(session, parent=BY_CODE[code].section, code=code, names=names)
            added += 1
    return added
