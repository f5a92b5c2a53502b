"""Tradewind marketplace: the Flask application factory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent
from flask import Flask, jsonify, render_template, request
from flask_babel import Babel, format_datetime, format_timedelta, gettext
from flask_limiter.errors import RateLimitExceeded
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from i18n import TRANSLATIONS, babel_locale, direction
from marketplace import labels
from marketplace.config import Config
from marketplace.errors import Conflict, DomainError, Invalid, TooManyRequests
from marketplace.platform import Platform, start
from marketplace.ratelimit import init_rate_limits
from marketplace.validate import INT_MAX, hs_display, invalid


def duration(delta: timedelta) -> str:
    """A span of time in the page's language, in minutes, hours, days or weeks ("4 hours", "2 Tage"); less than
    a minute is said so rather than "0 minutes"."""
    if delta < timedelta(minutes=1):
        return gettext("under a minute")
    return format_timedelta(delta, granularity="minute", threshold=1.1)


def written_day(day: date | str, locale: str) -> str:
    """A day (or its ISO 8601 text, as locked trade terms keep it) as `locale` writes dates: "Oct 30, 2026",
    "30.10.2026", "2026/10/30"."""
    return format_date(day if isinstance(day, date) else date.fromisoformat(day), "medium", locale=babel_locale(locale))


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits from 1 to PostgreSQL's integer maximum; anything else
    matches no route (404) instead of reaching the database."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **{"min": 1, "max": INT_MAX, **kwargs})


class Tradewind(Flask):
    """Flask, committing the request's DB session when its view returns: a conflict found only at
    commit (a unique key taken by a concurrent request) still reaches the error handlers."""

    def dispatch_request(self) -> Any:
        response = super().dispatch_request()
        from marketplace.web import commit

        commit()
        return response


def create_app(config: Config | None = None, platform: Platform | None = None) -> Flask:
    """Build the app. Without `platform`, start one from `config` (or the environment)."""
    from marketplace import templating, web
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.api import api_blueprint
    from marketplace.audit.views import bp as audit_bp
    from marketplace.catalog.cards import result_card
    from marketplace.catalog.import_jobs import fail_abandoned
    from marketplace.catalog.manage import bp as catalog_manage_bp
    from marketplace.catalog.media import bp as media_bp
    from marketplace.catalog.views import bp as catalog_bp
    from marketplace.rfq.views import bp as rfq_bp
    from marketplace.storefront.views import bp as storefront_bp
    from marketplace.trades.views import bp as trades_bp
    from marketplace.wellknown import bp as wellknown_bp

    platform = platform or start(config or Config.from_env())
    fail_abandoned(platform.db)  # catalog imports left running by a process that ended
    app = Tradewind(__name__)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.update(
        SECRET_KEY=platform.config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=platform.config.secure_cookies,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        TESTING=platform.config.testing,
    )
    app.extensions["tradewind"] = platform
    if platform.config.proxy_hops:
        hops = platform.config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    Babel(app, locale_selector=web.select_locale)
    templating.install(app.jinja_env)
    app.before_request(web.remember_language)
    app.before_request(web.check_csrf)
    app.after_request(web.security_headers)
    app.teardown_request(web.close_db)
    app.jinja_env.globals.update(
        csrf_token=web.csrf_token,
        current_user=web.current_user,
        content_locale=web.content_locale,
        language_link=web.language_link,
        ui_locale=web.select_locale,
        direction=lambda: direction(web.select_locale()),
        result_card=result_card,
    )
    app.jinja_env.filters["bps"] = lambda bps: format_percent(
        Decimal(bps) / 10_000, locale=babel_locale(web.content_locale()), decimal_quantization=False
    )
    app.jinja_env.filters["decimal"] = lambda value: templating.decimal(str(value), web.content_locale())
    app.jinja_env.filters["language"] = lambda code: babel_locale(code).get_display_name(
        babel_locale(web.select_locale())
    )
    app.jinja_env.filters["label"] = lambda code, group: web.translations().ugettext(labels.words(code, group))
    app.jinja_env.filters["hs"] = hs_display
    app.jinja_env.filters["quantity"] = lambda n, unit: templating.quantity(
        n, unit, web.select_locale(), web.translations()
    )
    app.jinja_env.filters["country"] = lambda code: babel_locale(web.select_locale()).territories.get(code, code)
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["day"] = lambda day: written_day(day, web.content_locale())
    app.jinja_env.filters["unixtime"] = lambda ts: format_datetime(datetime.fromtimestamp(int(ts), UTC), "medium")
    for blueprint in (
        accounts_bp,
        catalog_bp,
        catalog_manage_bp,
        media_bp,
        rfq_bp,
        trades_bp,
        audit_bp,
        storefront_bp,
        wellknown_bp,
        api_blueprint(),
    ):
        app.register_blueprint(blueprint)
    init_rate_limits(app, platform.config)

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        web.rollback()
        if wants_json():
            return jsonify(exc.as_json()), exc.status
        return render_template("error.html", message=exc.translated(gettext), status=exc.status), exc.status

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(_exc: RateLimitExceeded) -> Any:
        return domain_error(TooManyRequests("too many sign-in attempts; wait a minute, then try again"))

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError) -> Any:
        return domain_error(invalid(exc))

    @app.errorhandler(IntegrityError)
    def integrity_error(exc: IntegrityError) -> Any:
        app.logger.warning("refused a write that broke a constraint: %s", exc.orig)
        return domain_error(Conflict("this conflicts with a change made meanwhile; reload and try again"))

    @app.errorhandler(DataError)
    def data_error(exc: DataError) -> Any:
        app.logger.warning("refused a value the database cannot hold: %s", exc.orig)
        return domain_error(Invalid("a value is out of range or not valid text"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        web.rollback()
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if wants_json():
            return jsonify({"error": {"code": code, "message": message, "field": None}}), exc.code
        if exc.description == type(exc).description:  # the server's own English: say it in the page's language
            message = gettext(labels.HTTP_ERROR.get(exc.code or 0, labels.HTTP_ERROR_OTHER))
        return render_template("error.html", message=message, status=exc.code), exc.code

    return app
