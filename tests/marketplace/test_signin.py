"""Signing in and out: safe redirects, rate limits, equal work for unknown emails, sessions that end."""

from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import pytest

from marketplace import create_app
from marketplace.accounts import service
from marketplace.accounts.service import create_user
from marketplace.platform import Platform
from tests.conftest import PASSWORD, Orgs, org_of, unavailable
from tests.marketplace.test_pages import csrf_of, login

REDIS_URL = "redis://127.0.0.1:6379/0"


def app_with(platform: Platform, **settings: object):  # type: ignore[no-untyped-def]
    """An app over the shared platform with some settings changed."""
    return create_app(platform=replace(platform, config=replace(platform.config, **settings)))


def form_login(client, email: str, password: str, query: str = ""):  # type: ignore[no-untyped-def]
    csrf = csrf_of(client.get("/login").text)
    return client.post(f"/login{query}", data={"email": email, "password": password, "csrf_token": csrf})


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "/%5C/evil.example",
        "//evil.example",
        "///evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "%20//evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%00",
    ],
)
def test_next_never_leaves_the_site(client, orgs: Orgs, target: str) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    response = form_login(client, user.email, PASSWORD, f"?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_next_keeps_a_path_on_the_site(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    response = form_login(client, user.email, PASSWORD, "?next=/trades/%3Flang%3Dde")
    assert response.headers["Location"] == "/trades/?lang=de"


def test_a_page_that_needs_login_comes_back_after_it(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    to_login = client.get("/trades/")
    assert to_login.status_code == 302
    response = form_login(client, user.email, PASSWORD, "?" + to_login.headers["Location"].split("?", 1)[1])
    assert response.headers["Location"] == "/trades/"


def test_an_unknown_email_costs_the_same_password_check(platform, orgs: Orgs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Timing is noisy on a shared machine; assert the work instead: one check of a hash made like users'."""
    user = orgs.buyer()
    checked: list[str] = []
    real_check = service.check_password_hash

    def recording(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real_check(pwhash, password)

    monkeypatch.setattr(service, "check_password_hash", recording)
    with platform.db.session() as s:
        for email in (user.email, f"nobody-{uuid.uuid4().hex}@example.com"):
            with pytest.raises(service.Unauthenticated, match="wrong email or password"):
                service.authenticate(s, email, "not the password")
    known, unknown = checked
    method = known.split("$", 1)[0]  # e.g. scrypt:32768:8:1: the same cost parameters
    assert method.startswith(("scrypt:", "pbkdf2:")) and unknown.split("$", 1)[0] == method
    assert unknown != known


def test_api_sign_in_is_rate_limited_per_email(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    for _ in range(5):
        wrong = client.post("/api/v1/tokens", json={"email": user.email, "password": "guess"})
        assert wrong.status_code == 401
    # even the right password waits now: a guesser cannot tell which attempt would have worked
    limited = client.post("/api/v1/tokens", json={"email": user.email.upper(), "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0
    other = orgs.buyer()  # another email from the same address still signs in
    assert client.post("/api/v1/tokens", json={"email": other.email, "password": PASSWORD}).status_code == 201


def test_successful_sign_ins_do_not_use_up_the_email_limit(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    for _ in range(7):
        assert client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 201


def test_web_sign_in_is_rate_limited_with_a_translated_page(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    client.get("/login?lang=de")
    for _ in range(5):
        assert form_login(client, user.email, "guess").status_code == 401
    limited = form_login(client, user.email, PASSWORD)
    assert limited.status_code == 429
    assert "Anmeldeversuche" in limited.text  # German: too many sign-in attempts
    assert client.get("/dashboard").status_code == 302  # not signed in


def test_sign_in_is_rate_limited_per_client_address(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    app = app_with(platform, signin_limits_per_address="3 per minute")
    client, elsewhere = app.test_client(), app.test_client()
    for n in range(3):
        body = {"email": f"guess{n}@example.com", "password": "guess"}
        assert client.post("/api/v1/tokens", json=body).status_code == 401
    user = orgs.buyer()
    assert client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 429
    other_address = {"REMOTE_ADDR": "198.51.100.7"}
    response = elsewhere.post(
        "/api/v1/tokens", json={"email": user.email, "password": PASSWORD}, environ_base=other_address
    )
    assert response.status_code == 201


def test_limits_are_shared_through_redis_when_it_is_set(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    """Two processes (here: two apps) with REDIS_URL count together; in memory they would not."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    # Redis outlives this run and is shared: an email and an address no earlier run has used
    with platform.db.session() as s:
        org = org_of(platform, orgs.buyer())
        user = create_user(s, org, email=f"{uuid.uuid4().hex}@example.com", name="Redis", password=PASSWORD)
    address = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}"}
    first, second = (app_with(platform, redis_url=REDIS_URL).test_client() for _ in range(2))
    for n in range(5):
        client = (first, second)[n % 2]
        wrong = client.post("/api/v1/tokens", json={"email": user.email, "password": "guess"}, environ_base=address)
        assert wrong.status_code == 401
    limited = first.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}, environ_base=address)
    assert limited.status_code == 429 and limited.json["error"]["code"] == "too_many_requests"
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{user.email}*")
    assert keys, "the counts should live in Redis"


def test_sign_in_works_and_stays_limited_while_redis_is_down(platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    client = app_with(platform, redis_url=dead).test_client()
    user = orgs.buyer()
    assert client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 201
    for _ in range(5):
        assert client.post("/api/v1/tokens", json={"email": user.email, "password": "guess"}).status_code == 401
    assert client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(platform) -> None:  # type: ignore[no-untyped-def]
    """One proxy in front: each client behind it has its own budget; without the setting the header is ignored."""
    body = {"email": "nobody@example.com", "password": "guess"}
    for hops, second_client in ((1, 401), (0, 429)):
        client = app_with(platform, proxy_hops=hops, signin_limits_per_address="2 per minute").test_client()
        for _ in range(2):
            client.post("/api/v1/tokens", json=body, headers={"X-Forwarded-For": "192.0.2.1"})
        other = client.post("/api/v1/tokens", json=body, headers={"X-Forwarded-For": "192.0.2.2"})
        assert other.status_code == second_client, hops


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    client, thief = app.test_client(), app.test_client()
    csrf = login(client, user)
    copied = client.get_cookie("session").value
    thief.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/dashboard").status_code == 302
    after = thief.get("/dashboard")
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    login(client, user)  # signing in again works
    assert client.get("/dashboard").status_code == 200


def test_a_sign_in_expires_after_the_session_lifetime(app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    client = app.test_client()
    login(client, user)
    hours = platform.config.session_hours
    with client.session_transaction() as cookie:  # signed by the app: as if the hours had passed
        cookie["signed_in_at"] -= int(hours * 3600) - 60
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as cookie:
        cookie["signed_in_at"] -= 120
    expired = client.get("/dashboard")
    assert expired.status_code == 302 and "/login" in expired.headers["Location"]


def test_session_cookie_is_secure_when_configured(platform, orgs: Orgs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from marketplace.config import Config

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert Config.from_env(instance_dir=platform.config.instance_dir).secure_cookies
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "0")
    assert not Config.from_env(instance_dir=platform.config.instance_dir).secure_cookies

    user = orgs.buyer()
    secure = app_with(platform, secure_cookies=True).test_client()
    response = form_login(secure, user.email, PASSWORD)
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]
    plain = app_with(platform, secure_cookies=False).test_client()
    response = form_login(plain, user.email, PASSWORD)
    assert "Secure" not in response.headers["Set-Cookie"] and "Strict-Transport-Security" not in response.headers
