"""A search result's card as HTML, rendered once per content and language.

A page of results renders twenty cards, each with a dozen messages, filters and links: most of a search
page's rendering time. A card's HTML is a function of what it shows (the listing as read for this request,
its text's language, its price in the viewer's currency and the rate's date) and of the page's languages, so
the HTML of recent cards is kept under exactly that: a listing read after any change to it, its exporter or
its category differs from the one kept and is rendered anew. Nothing is cached that was not read now."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, request
from markupsafe import Markup

from marketplace import web
from marketplace.catalog.service import ListingView
from marketplace.catalog.shown import ShownListing

KEPT = 4096  # about 2 kB each with the listing they show


class _Card:
    """A card to render: the template and view, compared by what the HTML depends on."""

    __slots__ = ("key", "template", "view")

    def __init__(self, template: str, view: ListingView, ui_locale: str, script_root: str) -> None:
        self.template, self.view = template, view
        self.key = (
            template,
            view.listing,
            view.locale,
            view.local_price,
            view.rate.rate,
            view.rate.source,
            view.rate.source_date,
            ui_locale,
            script_root,
        )

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, _Card) and self.key == other.key


@lru_cache(maxsize=KEPT)
def _rendered(card: _Card) -> Markup:
    return Markup(current_app.jinja_env.get_template(card.template).render(v=card.view))


def result_card(template: str, view: ListingView) -> Markup:
    """`template` rendered for the result `view` (its variable `v`), kept while the same content recurs. A
    listing not read by `catalog.shown` (an ORM row, which may change in place) is rendered every time."""
    if not isinstance(view.listing, ShownListing):
        return Markup(current_app.jinja_env.get_template(template).render(v=view))
    return _rendered(_Card(template, view, web.select_locale(), request.script_root))
