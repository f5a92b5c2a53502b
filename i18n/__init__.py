"""Message catalogs and locale helpers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DEFAULT_LOCALE = "en"
UI_LOCALES = ("en", "de", "ja")
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})


@lru_cache(maxsize=1024)
def babel_locale(identifier: str) -> Locale:
    """The Babel `Locale` for an identifier such as `de` or `pt_BR`, parsed once per process (Babel's
    formatting functions parse a locale given as text again at every call, and so do the helpers they
    call; a page formats dozens of numbers). Raises as `Locale.parse` does; a failure is not kept."""
    return Locale.parse(identifier)


def normalize(tag: str | None) -> str | None:
    """A Babel locale identifier (`de`, `pt_BR`) for a tag such as `de-DE` or `ja`, or None."""
    if not tag:
        return None
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return str(locale)


def ui_locale(tag: str | None) -> str:
    """The interface locale closest to `tag`: exact, else its language, else English."""
    locale = normalize(tag)
    if locale in UI_LOCALES:
        return locale
    language = locale.split("_")[0] if locale else None
    return language if language in UI_LOCALES else DEFAULT_LOCALE


def direction(locale: str) -> str:
    """`rtl` for right-to-left scripts, else `ltr`."""
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"
