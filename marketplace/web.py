"""Request plumbing shared by pages and the API: the DB session, the current user, CSRF, locale."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from babel.support import NullTranslations
from flask import Response, abort, current_app, g, redirect, request, session, url_for
from flask_babel import get_translations, gettext
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from i18n import UI_LOCALES, ui_locale
from marketplace.accounts.models import User
from marketplace.accounts.service import end_sessions, session_user
from marketplace.platform import Platform
from marketplace.validate import M, localized_amount, parse_form

F = TypeVar("F", bound=Callable[..., Any])


def platform() -> Platform:
    return current_app.extensions["tradewind"]


def db() -> Session:
    """The request's DB session: committed when the view returns (`commit`), rolled back on any error."""
    if "db" not in g:
        g.db = platform().db.sessions()
    return g.db


@contextmanager
def reading_connection() -> Iterator[Connection]:
    """A database connection for a view that only reads. When the request already has its session (the
    signed-in user was looked up), that session's connection. Otherwise one of its own, back in the pool when
    the block ends, that runs each statement on its own (autocommit): a single statement reads one consistent
    snapshot, and an anonymous visitor's page is spared the session and the BEGIN and COMMIT round trips."""
    if "db" in g:
        yield g.db.connection()
        return
    with platform().db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


@contextmanager
def reading_session() -> Iterator[Session]:
    """A session for a view that only reads (`reading_connection` as a session): the request's own when it has
    one, else one on a connection in autocommit, spared the BEGIN and COMMIT round trips."""
    if "db" in g:
        yield g.db
        return
    with reading_connection() as connection, Session(bind=connection) as session:
        yield session


def commit() -> None:
    """Commit the request's changes (its view succeeded); a failure reaches the app's error handlers."""
    if "db" in g and not g.get("rollback"):
        g.db.commit()


def close_db(error: BaseException | None) -> None:
    """End the request's session: whatever was not committed by `commit` is rolled back."""
    session_ = g.pop("db", None)
    if session_ is None:
        return
    try:
        session_.rollback()
    finally:
        session_.close()


def rollback() -> None:
    """Discard the request's changes (a domain error was raised)."""
    g.rollback = True
    if "db" in g:
        g.db.rollback()


def translations() -> NullTranslations:
    """The request's message catalog, looked up once per request: a page asks for dozens of messages, and
    each of Flask-Babel's own look-ups walks its request context again. (Like Flask-Babel's locale, which
    it caches for the request too, it does not follow `flask_babel.refresh` or `force_locale`.)"""
    try:
        return g.message_catalog
    except AttributeError:
        g.message_catalog = get_translations()
        return g.message_catalog
    except RuntimeError:  # outside an application context: Flask-Babel's answer (no translation)
        return get_translations()


def current_user() -> User | None:
    """The signed-in user, if the session cookie is still valid: not from before a logout, nor older than
    SESSION_LIFETIME_HOURS."""
    if "user" not in g:
        user_id, signed_in_at = session.get("user_id"), session.get("signed_in_at")
        current = (
            isinstance(user_id, int)
            and isinstance(signed_in_at, int)
            and time.time() - signed_in_at < platform().config.session_hours * 3600
        )
        g.user = session_user(db(), user_id, session.get("session_version")) if current else None
    return g.user


def sign_in(user: User) -> None:
    """Start a fresh session for `user` (a new CSRF token too), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["session_version"] = user.session_version
    session["signed_in_at"] = int(time.time())
    if lang:
        session["lang"] = lang
    g.user = user
    g.pop("content_locale", None)


def sign_out() -> None:
    """End the session here and every copy of its cookie elsewhere."""
    user = current_user()
    if user is not None:
        end_sessions(db(), user)
    session.clear()
    g.user = None
    g.pop("content_locale", None)


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("accounts.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (an open redirect refused).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so `/<tab>/evil.example`
    would leave the site: a target holding any of them, or naming a scheme or host, is refused."""
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Every form post must echo the session's token (the JSON API uses bearer tokens instead)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(
            400, description=gettext("The form expired or did not come from this site. Reload the page and try again.")
        )


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def security_headers(response: Response) -> Response:
    """Headers every response carries: no inline script or style, no framing, no MIME sniffing,
    no full URLs leaked to other sites, and HSTS when cookies are Secure (the site runs on HTTPS)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def remember_language() -> None:
    """Store a ?lang= choice before anything in the request reads the locale (before_request). An API
    call's `lang` is the language of its words, not a choice of interface: it is not stored."""
    chosen = request.args.get("lang")
    if chosen and not request.path.startswith("/api/"):
        lang = ui_locale(chosen)
        if session.get("lang") != lang:  # unchanged: the cookie need not be signed and sent again
            session["lang"] = lang
            g.pop("content_locale", None)


def repeated_args(names: Collection[str]) -> list[str]:
    """Of `names`, those the query string gives more than once."""
    return [key for key, values in request.args.lists() if key in names and len(values) > 1]


AMOUNT_ARGS = ("price_min", "price_max")
"""Query string parameters that are amounts, typed as the page's language writes numbers."""


def language_link(code: str) -> str:
    """This page in the language `code`: its path and query string, only `lang` changed (amounts written as
    every language reads them: `price_max=2,5` on a German page is 2.5 in English). Always a path on
    this site: a request path such as `//evil.example` is taken as `/evil.example`, and characters that
    browsers would read as something else (tabs, backslashes) are percent-encoded."""
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=~")
    path = re.sub(r"^/+", "/", path) or "/"
    here = select_locale()
    args = [
        (key, localized_amount(value, here) if key in AMOUNT_ARGS else value)  # "2,5" on a German page: 2.5
        for key, value in request.args.items(multi=True)
        if key != "lang"
    ]
    target = f"{path}?{urlencode([*args, ('lang', code)])}"
    return local_path(target) or f"/?{urlencode({'lang': code})}"


def select_locale() -> str:
    """?lang= (remembered by `remember_language`), else the user's organization, else the browser's."""
    if session.get("lang"):
        return session["lang"]
    user = current_user()
    if user is not None:
        return ui_locale(user.organization.locale)
    return ui_locale(request.accept_languages.best_match(UI_LOCALES))


def content_locale() -> str:
    """The locale for content (listing texts, number formats): the user's own, which may have no UI (worked
    out once per request: a page of results asks for it per price and name)."""
    found = g.get("content_locale")
    if found is None:
        user = current_user()
        found = g.content_locale = (
            session["lang"] if session.get("lang") else (user.organization.locale if user else select_locale())
        )
    return str(found)


def display_currency() -> str:
    user = current_user()
    return user.organization.currency if user else "EUR"


def form_of(schema: type[M]) -> M:
    """The posted form's fields that `schema` knows, checked by it; amounts read in the page's language."""
    fields = {key: request.form.get(key, "") for key in schema.model_fields}
    return parse_form(schema, fields, select_locale())
