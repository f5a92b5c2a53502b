"""The message functions of the pages' templates: `_`, `gettext`, `ngettext`, `pgettext` and `npgettext`.

They behave as those of Jinja's i18n extension in its "newstyle", which Flask-Babel installs: the message is
looked up in the request's catalog, marked safe when autoescaping is on, and always used as a %-format, so its
`%(name)s` placeholders are filled (escaped) and a literal percent sign is written `%%`. Jinja's own wrappers
take the whole template context: called inside a block that sets a variable, each call first copies the
block's variables into a new context, and each goes through the context twice. These take only the
evaluation context (all they need, for autoescaping), and find the catalog once per request
(`web.translations`); a page calls them dozens of times. A message without variables is kept per catalog:
the catalogs do not change while the process runs, so nothing needs to invalidate it."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from babel.support import NullTranslations
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from i18n import babel_locale
from marketplace.catalog.units import format_quantity
from marketplace.web import translations


def _formatted(eval_ctx: EvalContext, message: str, variables: dict[str, Any]) -> str:
    text: str = Markup(message) if eval_ctx.autoescape else message
    return text % variables


@lru_cache(maxsize=4096)
def _constant(catalog: NullTranslations, message: str, autoescape: bool) -> str:
    """A message without variables as `gettext` answers it: the same for every request in that language."""
    text: str = Markup(catalog.ugettext(message)) if autoescape else catalog.ugettext(message)
    return text % {}


@pass_eval_context
def gettext(eval_ctx: EvalContext, message: str, /, **variables: Any) -> str:
    if not variables:  # most of a page's messages: headings and labels
        return _constant(translations(), message, eval_ctx.autoescape)
    return _formatted(eval_ctx, translations().ugettext(message), variables)


@pass_eval_context
def ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def pgettext(eval_ctx: EvalContext, context: str, message: str, /, **variables: Any) -> str:
    variables.setdefault("context", context)
    return _formatted(eval_ctx, translations().upgettext(context, message), variables)


@pass_eval_context
def npgettext(eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().unpgettext(context, singular, plural, num), variables)


@lru_cache(maxsize=4096)
def quantity(n: int, unit: str, locale: str, catalog: NullTranslations) -> str:
    """The `quantity` filter: `format_quantity` in `locale` with the message catalog of the request (which
    names counted units). The text depends on nothing else (Babel's data and the catalogs do not change while
    the process runs), so recent ones are kept: the same minimum orders and tiers recur across listings."""

    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:  # as Flask-Babel's
        variables.setdefault("num", num)
        return catalog.ungettext(singular, plural, num) % variables

    return format_quantity(n, unit, locale, ngettext)


@lru_cache(maxsize=4096)
def decimal(number: str, locale: str) -> str:
    """The `decimal` filter: `number` (as text, so 1.50 keeps its digits) in `locale`, every digit kept. Recent
    ones are kept, as for `quantity`: stock counts and exchange rates recur from page to page."""
    return format_decimal(Decimal(number), locale=babel_locale(locale), decimal_quantization=False)


def install(env: Environment) -> None:
    """Use these in `env` (after Flask-Babel set up its i18n extension, whose tags call them by name)."""
    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)
