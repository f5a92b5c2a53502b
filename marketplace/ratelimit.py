"""Rate limits on signing in (the login form and API token minting): per client address, and per email
for failed attempts. Counts live in memory, or in Redis when REDIS_URL is set (shared by every process).

The client address is the connection's, or, behind TRUSTED_PROXY_HOPS proxies, the one they forward."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ledger import safejson
from marketplace.config import Config

SIGN_IN_ENDPOINTS = ("accounts.login", "api.accounts_api.token")


def _email_key() -> str:
    """The email being signed in to (form field or JSON body), else the client address."""
    if request.path.startswith("/api/"):
        try:
            data = safejson.loads(request.get_data(cache=True))
        except safejson.JsonRejected:
            data = None
        email = data.get("email") if isinstance(data, dict) else None
    else:
        email = request.form.get("email")
    if isinstance(email, str) and email.strip():
        return "email:" + email.strip().lower()
    return "address:" + get_remote_address()


def _refused(response: Response) -> bool:
    return response.status_code == 401


def init_rate_limits(app: Flask, config: Config) -> Limiter:
    """Bind a limiter to `app` and limit its sign-in endpoints (POST only)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=config.redis_url or "memory://",
        key_prefix="tradewind",
        headers_enabled=True,
        in_memory_fallback_enabled=True,  # Redis down: count in this process rather than fail sign-in
    )
    for endpoint in SIGN_IN_ENDPOINTS:
        view = app.view_functions[endpoint]
        per_email = limiter.limit(
            config.signin_limits_per_email, key_func=_email_key, methods=["POST"], deduct_when=_refused
        )
        view = limiter.limit(config.signin_limits_per_address, methods=["POST"])(per_email(view))
        app.view_functions[endpoint] = view
    _check_only_sign_in(app, limiter)
    return limiter


def _check_only_sign_in(app: Flask, limiter: Limiter) -> None:
    """The limiter looks at every request before its view (a quarter of a millisecond each); only the sign-in
    endpoints have limits, so the others skip it."""
    hooks = app.before_request_funcs[None]
    check = limiter._check_request_limit
    position = hooks.index(check)

    def check_sign_in() -> None:
        if request.endpoint in SIGN_IN_ENDPOINTS:
            check()

    hooks[position] = check_sign_in
