"""The category tree: the 21 HS sections as roots, subcategories added by operators."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.hs_sections import section_of
from marketplace.catalog.models import Category, CategoryName, category_name
from marketplace.catalog.search_cache import remembered
from marketplace.errors import Conflict, Invalid
from marketplace.validate import hs_display

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


def category_by_code(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise Invalid("there is no category %(code)s", "category", code=code)
    return category


def default_category(session: Session, hs_code: str) -> Category:
    """The HS section an HS code belongs to."""
    return category_by_code(session, section_of(hs_code))


def section_code(category: Category) -> str:
    """The code of the HS section the category belongs to: the root of its branch (the parents of a whole
    file's categories are in the session already, so this asks the database nothing more)."""
    while category.parent is not None:
        category = category.parent
    return category.code


def check_category(category: Category, hs_code: str) -> None:
    """Invalid unless the category lies in the HS section of `hs_code` (a bearing is no live animal)."""
    section, wanted = section_code(category), section_of(hs_code)
    if section != wanted:
        raise Invalid(
            "the category %(category)s is in HS section %(section)s, but HS code %(hs_code)s is in section "
            "%(hs_section)s: choose a category of section %(hs_section)s",
            "category",
            category=category.code,
            section=section,
            hs_code=hs_display(hs_code),
            hs_section=wanted,
        )


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category as pages and searches read it: plain values, kept while the catalog is unchanged."""

    id: int
    parent_id: int | None
    code: str
    path: str
    hs_chapters: str | None
    position: int
    names: dict[str, str]

    def name(self, locale: str) -> str:
        """The name in `locale`, else its base language, else English, else any."""
        return category_name(self.names, locale, self.code)


def category_nodes(session: Session) -> list[CategoryNode]:
    """Every category (read in two queries, then kept in this process until a catalog write)."""

    def read() -> list[CategoryNode]:
        names: dict[int, dict[str, str]] = {}
        for category_id, locale, name in session.execute(
            select(CategoryName.category_id, CategoryName.locale, CategoryName.name)
        ):
            names.setdefault(category_id, {})[locale] = name
        columns = (
            Category.id,
            Category.parent_id,
            Category.code,
            Category.path,
            Category.hs_chapters,
            Category.position,
        )
        return [CategoryNode(*row, names=names.get(row[0], {})) for row in session.execute(select(*columns))]

    return remembered(session, "categories", read)


def category_tree(session: Session) -> list[tuple[int, CategoryNode]]:
    """Every category with its depth (0 for a section), each followed by its subcategories."""
    children: dict[int | None, list[CategoryNode]] = {}
    for node in category_nodes(session):
        children.setdefault(node.parent_id, []).append(node)
    ordered: list[tuple[int, CategoryNode]] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda c: (c.position, c.id)):
            ordered.append((depth, child))
            walk(child.id, depth + 1)

    walk(None, 0)
    return ordered


def category_choices(session: Session, locale: str) -> list[tuple[str, str]]:
    """(code, name in `locale` indented by its depth) of every category in tree order: the choices of the search
    form's category field, kept while the catalog is unchanged."""
    return remembered(
        session,
        f"category-choices:{locale}",
        lambda: [(c.code, "\u2003" * depth + c.name(locale)) for depth, c in category_tree(session)],
    )


def descendant_ids(session: Session, category: Category) -> list[int]:
    """The category and everything below it."""
    return list(session.scalars(select(Category.id).where(Category.path.startswith(category.path))))


def add_category(session: Session, *, parent: str, code: str, names: dict[str, str]) -> Category:
    """A subcategory of `parent` (a code), named per locale (at least in English)."""
    if not CODE.fullmatch(code):
        raise Invalid("a category code is letters, digits and hyphens, such as ball-bearings", "code")
    if not names.get("en", "").strip():
        raise Invalid("a category needs an English name", "names")
    if session.scalar(select(Category.id).where(Category.code == code)):
        raise Conflict("there is already a category %(code)s", code=code)
    above = category_by_code(session, parent)
    siblings = session.scalars(select(Category.position).where(Category.parent_id == above.id)).all()
    category = Category(parent_id=above.id, code=code, path="", position=max(siblings, default=-1) + 1)
    category.names = [CategoryName(locale=loc, name=name.strip()) for loc, name in names.items() if name.strip()]
    session.add(category)
    session.flush()
    category.path = f"{above.path}{category.id}/"
    session.flush()
    return category


def category_forest(session: Session, locale: str) -> list[dict[str, object]]:
    """The tree as nested objects (code, name in `locale`, HS chapters, children)."""
    nodes: dict[int, dict[str, object]] = {}
    roots: list[dict[str, object]] = []
    for _depth, category in category_tree(session):
        node: dict[str, object] = {
            "code": category.code,
            "name": category.name(locale),
            "hs_chapters": category.hs_chapters,
            "children": [],
        }
        nodes[category.id] = node
        parent = nodes.get(category.parent_id) if category.parent_id is not None else None
        (parent["children"] if parent else roots).append(node)  # type: ignore[union-attr]
    return roots
