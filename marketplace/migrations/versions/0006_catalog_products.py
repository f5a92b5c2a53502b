"""catalog: categories (HS sections seeded), price tiers, Incoterm offers, images, audience, listing state;
organization slugs and profiles. Existing listings keep their price (one tier from their MOQ) and their
Incoterm (one offer), get the HS section of their code as category, and published or archived as state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

from marketplace.catalog.hs_sections import SECTIONS, section_of
from marketplace.catalog.units import LEGACY, UNITS

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or "org"


def _organizations() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("slug", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("founded_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("certifications", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=True))
    conn = op.get_bind()
    orgs = sa.table(
        "organizations",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("locale", sa.String),
        sa.column("slug", sa.String),
        sa.column("certifications", sa.JSON),
        sa.column("languages", sa.JSON),
    )
    taken: set[str] = set()
    for org_id, name, locale in conn.execute(sa.select(orgs.c.id, orgs.c.name, orgs.c.locale).order_by(orgs.c.id)):
        base = slug = _slug(name)
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        conn.execute(
            orgs.update()
            .where(orgs.c.id == org_id)
            .values(slug=slug, certifications=[], languages=[locale.split("_")[0]])
        )
    with op.batch_alter_table("organizations") as batch:
        batch.alter_column("slug", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("certifications", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("languages", existing_type=sa.JSON(), nullable=False)
        batch.create_unique_constraint(batch.f("uq_organizations_slug"), ["slug"])


def _categories() -> dict[str, int]:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("hs_chapters", sa.String(length=8), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_categories_code")),
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"], unique=False)
    op.create_index(op.f("ix_categories_path"), "categories", ["path"], unique=False)
    op.create_table(
        "category_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_category_names_category_id_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_names")),
        sa.UniqueConstraint("category_id", "locale", name=op.f("uq_category_names_category_id")),
    )
    op.create_index(op.f("ix_category_names_category_id"), "category_names", ["category_id"], unique=False)
    conn = op.get_bind()
    categories = sa.table(
        "categories",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("path", sa.String),
        sa.column("hs_chapters", sa.String),
        sa.column("position", sa.Integer),
    )
    names = sa.table(
        "category_names",
        sa.column("category_id", sa.Integer),
        sa.column("locale", sa.String),
        sa.column("name", sa.String),
    )
    ids: dict[str, int] = {}
    for position, (code, chapters, by_locale) in enumerate(SECTIONS, start=1):
        conn.execute(
            categories.insert().values(
                id=position, code=code, path=f"/{position}/", hs_chapters=chapters, position=position
            )
        )
        conn.execute(names.insert(), [{"category_id": position, "locale": k, "name": v} for k, v in by_locale.items()])
        ids[code] = position
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('categories', 'id'), 21)"))
    return ids


def _children() -> None:
    op.create_table(
        "price_tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_price_tiers_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_tiers")),
        sa.UniqueConstraint("listing_id", "min_quantity", name=op.f("uq_price_tiers_listing_id")),
    )
    op.create_index(op.f("ix_price_tiers_listing_id"), "price_tiers", ["listing_id"], unique=False)
    op.create_table(
        "incoterm_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=3), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_incoterm_offers_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoterm_offers")),
        sa.UniqueConstraint("listing_id", "rule", "place", name=op.f("uq_incoterm_offers_listing_id")),
    )
    op.create_index(op.f("ix_incoterm_offers_listing_id"), "incoterm_offers", ["listing_id"], unique=False)
    op.create_index("ix_incoterm_offers_rule", "incoterm_offers", ["rule"], unique=False)
    op.create_table(
        "listing_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_listing_images_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_images")),
    )
    op.create_index(op.f("ix_listing_images_listing_id"), "listing_images", ["listing_id"], unique=False)
    op.create_table(
        "listing_audience",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name=op.f("fk_listing_audience_listing_id_listings")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_listing_audience_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_audience")),
        sa.UniqueConstraint("listing_id", "organization_id", name=op.f("uq_listing_audience_listing_id")),
    )
    op.create_index(op.f("ix_listing_audience_listing_id"), "listing_audience", ["listing_id"], unique=False)
    op.create_index(op.f("ix_listing_audience_organization_id"), "listing_audience", ["organization_id"], unique=False)


def _hs_digits(code: str) -> str:
    digits = re.sub(r"\D", "", code)
    return (digits + "00")[:6] if len(digits) < 6 else digits[:10]


def _section(digits: str) -> str:
    try:
        return section_of(digits)
    except ValueError:  # chapters 77, 98, 99: not in a section
        return "XX"


def _listings(sections: dict[str, int]) -> None:
    with op.batch_alter_table("listings") as batch:
        for column in (
            sa.Column("category_id", sa.Integer(), nullable=True),
            sa.Column("origin", sa.String(length=2), nullable=True),
            sa.Column("stock", sa.Integer(), nullable=True),
            sa.Column("source_locale", sa.String(length=16), nullable=True),
            sa.Column("status", sa.String(length=16), nullable=True),
            sa.Column("visibility", sa.String(length=16), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        ):
            batch.add_column(column)
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT l.id, l.hs_code, l.unit, l.moq, l.incoterm, l.incoterm_place, l.price_minor, l.active,"
            " l.created_at, o.country, o.locale FROM listings l JOIN organizations o ON o.id = l.organization_id"
        )
    ).all()
    for row in rows:
        locales = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT locale FROM listing_translations WHERE listing_id = :i"), {"i": row.id}
            )
        ]
        digits = _hs_digits(row.hs_code)
        unit = row.unit.upper() if row.unit.upper() in UNITS else LEGACY.get(row.unit.lower(), "PCE")
        conn.execute(
            sa.text(
                "UPDATE listings SET category_id = :c, origin = :o, source_locale = :s, status = :st,"
                " visibility = 'public', updated_at = :t, published_at = :p, hs_code = :hs, unit = :u WHERE id = :i"
            ),
            {
                "c": sections[_section(digits)],
                "o": row.country,
                "s": row.locale if row.locale in locales or not locales else locales[0],
                "st": "published" if row.active else "archived",
                "t": row.created_at,
                "p": row.created_at,
                "hs": digits,
                "u": unit,
                "i": row.id,
            },
        )
        conn.execute(
            sa.text("INSERT INTO price_tiers (listing_id, min_quantity, unit_price_minor) VALUES (:i, :q, :p)"),
            {"i": row.id, "q": row.moq, "p": row.price_minor},
        )
        conn.execute(
            sa.text("INSERT INTO incoterm_offers (listing_id, rule, place, position) VALUES (:i, :r, :p, 0)"),
            {"i": row.id, "r": row.incoterm, "p": row.incoterm_place},
        )
    with op.batch_alter_table("listings") as batch:
        for name in ("category_id", "origin", "source_locale", "status", "visibility", "updated_at"):
            batch.alter_column(name, nullable=False)
        batch.alter_column("hs_code", existing_type=sa.String(length=12), type_=sa.String(length=10))
        batch.alter_column("unit", existing_type=sa.String(length=16), type_=sa.String(length=3))
        batch.drop_column("active")
        batch.drop_column("incoterm")
        batch.drop_column("incoterm_place")
        batch.create_foreign_key(batch.f("fk_listings_category_id_categories"), "categories", ["category_id"], ["id"])
        batch.create_index(batch.f("ix_listings_category_id"), ["category_id"], unique=False)
        batch.create_index(batch.f("ix_listings_hs_code"), ["hs_code"], unique=False)
        batch.create_index(batch.f("ix_listings_origin"), ["origin"], unique=False)
        batch.create_index("ix_listings_status_published", ["status", "published_at"], unique=False)


def upgrade() -> None:
    _organizations()
    sections = _categories()
    _children()
    _listings(sections)


def downgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("incoterm", sa.String(length=3), nullable=False, server_default="FOB"))
        batch.add_column(sa.Column("incoterm_place", sa.String(length=100), nullable=False, server_default=""))
    op.execute(
        "UPDATE listings SET active = (status = 'published'),"
        " incoterm = (SELECT rule FROM incoterm_offers o WHERE o.listing_id = listings.id ORDER BY position LIMIT 1),"
        " incoterm_place = (SELECT place FROM incoterm_offers o WHERE o.listing_id = listings.id"
        " ORDER BY position LIMIT 1)"
    )
    with op.batch_alter_table("listings") as batch:
        batch.drop_index("ix_listings_status_published")
        batch.drop_index(batch.f("ix_listings_origin"))
        batch.drop_index(batch.f("ix_listings_hs_code"))
        batch.drop_index(batch.f("ix_listings_category_id"))
        batch.drop_constraint(batch.f("fk_listings_category_id_categories"), type_="foreignkey")
        for name in (
            "published_at",
            "updated_at",
            "visibility",
            "status",
            "source_locale",
            "stock",
            "origin",
            "category_id",
        ):
            batch.drop_column(name)
    for table in (
        "listing_audience",
        "listing_images",
        "incoterm_offers",
        "price_tiers",
        "category_names",
        "categories",
    ):
        op.drop_table(table)
    with op.batch_alter_table("organizations") as batch:
        batch.drop_constraint(batch.f("uq_organizations_slug"), type_="unique")
        for name in ("languages", "certifications", "founded_year", "slug"):
            batch.drop_column(name)
