"""The demo's catalog: sample exporters from eight countries with a few hundred listings in their languages,
filed under subcategories of the HS sections, some drafts and some restricted to the demo buyer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organization
from marketplace.accounts.service import create_organization
from marketplace.catalog.bulk_export import file_row
from marketplace.catalog.bulk_import import import_rows
from marketplace.catalog.models import Listing
from marketplace.catalog.sample import EXPORTERS, ensure_subcategories, sample_listings
from marketplace.platform import Platform

LISTINGS_PER_EXPORTER = 40
SEED = 7


def seed_catalog(session: Session, platform: Platform, buyer: Organization) -> int:
    """Add whatever of the demo catalog is missing (exporters by name, listings by SKU); how many listings
    were added. A second run adds nothing. Written through the catalog import, as an exporter's file is."""
    ensure_subcategories(session)
    added = 0
    for profile in EXPORTERS:
        org = session.scalar(select(Organization).where(Organization.name == profile.name))
        if org is None:
            org = create_organization(
                session,
                platform.keybox,
                platform.ctx,
                name=profile.name,
                kind="exporter",
                country=profile.country,
                currency=profile.currency,
                locale=profile.locale,
            )
            org.languages = [lang.split("_")[0] for lang in profile.languages]
        have = set(session.scalars(select(Listing.sku).where(Listing.organization_id == org.id)))
        rows = [
            file_row(data)
            for data in sample_listings(
                profile, LISTINGS_PER_EXPORTER, SEED, audience=(buyer.slug,), draft_share=0.06, restricted_share=0.06
            )
            if data["sku"] not in have
        ]
        if rows:
            report = import_rows(session, org, rows)
            if not report.ok:
                raise RuntimeError(f"the demo catalog of {profile.name} was refused: {report.problems[:3]}")
            added += report.created
    return added
