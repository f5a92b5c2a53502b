"""API tokens: they expire, their owner lists and revokes them, and they never travel in the cookie."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from marketplace.accounts.models import ApiToken
from marketplace.db import utcnow
from tests.conftest import PASSWORD, Orgs
from tests.marketplace.test_pages import login


def mint(client, user, **extra: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD, **extra})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_expires_after_90_days_by_default(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    minted = mint(client, user, name="erp")
    assert minted.status_code == 201
    lifetime = _parse(minted.json["expires_at"]) - _parse(minted.json["created_at"])
    assert timedelta(days=89) < lifetime <= timedelta(days=90, seconds=5)
    assert client.get("/api/v1/tokens", headers=bearer(minted.json["token"])).status_code == 200

    with platform.db.session() as s:  # the clock moves on: the token is past its date
        s.execute(update(ApiToken).where(ApiToken.id == minted.json["id"]).values(expires_at=utcnow()))
    expired = client.get("/api/v1/tokens", headers=bearer(minted.json["token"]))
    assert expired.status_code == 401 and expired.json["error"]["code"] == "unauthenticated"


def test_the_requested_lifetime_is_capped(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.buyer()
    short = mint(client, user, days=7)
    assert short.status_code == 201
    assert _parse(short.json["expires_at"]) - _parse(short.json["created_at"]) <= timedelta(days=7, seconds=5)
    for days in (0, 366, 10**12, "30", 1.5):
        refused = mint(client, user, days=days)
        assert refused.status_code == 400 and refused.json["error"]["field"] == "days", days
    for body in ({"name": "x" * 101}, {"name": "a\x00b"}, {"email": 5}, {"password": ["x"]}):
        assert (
            client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD, **body}).status_code == 400
        )


def test_the_owner_lists_and_revokes_tokens_and_a_revoked_one_stops_at_once(client, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user, stranger = orgs.buyer(), orgs.buyer()
    main, spare = mint(client, user, name="main").json, mint(client, user, name="spare").json
    listed = client.get("/api/v1/tokens", headers=bearer(main["token"])).json["tokens"]
    assert [t["name"] for t in listed] == ["spare", "main"]
    assert set(listed[0]) == {"id", "name", "created_at", "expires_at", "last_used_at"}  # never the token
    assert listed[1]["last_used_at"] is not None  # "main" was just used
    assert main["token"] not in str(listed) and spare["token"] not in str(listed)

    other = mint(client, stranger).json
    seen_by_stranger = client.get("/api/v1/tokens", headers=bearer(other["token"])).json["tokens"]
    assert [t["id"] for t in seen_by_stranger] == [other["id"]]
    assert client.delete(f"/api/v1/tokens/{spare['id']}", headers=bearer(other["token"])).status_code == 404
    assert client.get("/api/v1/tokens", headers=bearer(spare["token"])).status_code == 200

    assert client.delete(f"/api/v1/tokens/{spare['id']}", headers=bearer(main["token"])).status_code == 204
    assert client.get("/api/v1/tokens", headers=bearer(spare["token"])).status_code == 401
    assert client.delete(f"/api/v1/tokens/{spare['id']}", headers=bearer(main["token"])).status_code == 404
    remaining = client.get("/api/v1/tokens", headers=bearer(main["token"])).json["tokens"]
    assert [t["name"] for t in remaining] == ["main"]


def test_the_tokens_page_shows_a_new_token_once_and_never_puts_it_in_the_cookie(app, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    user = orgs.exporter()
    client = app.test_client()
    csrf = login(client, user)
    assert 'href="/tokens"' in client.get("/dashboard").text  # linked from the dashboard

    page = client.post("/tokens", data={"csrf_token": csrf, "name": "warehouse", "days": "30"})
    assert page.status_code == 200
    token = re.search(r"tw_[A-Za-z0-9_-]{20,}", page.text).group(0)
    assert token not in _session_of(app, client)
    listing = client.get("/tokens").text
    assert "warehouse" in listing and token not in listing  # shown once
    assert client.get("/api/v1/tokens", headers=bearer(token)).status_code == 200

    token_id = re.search(r'action="/tokens/(\d+)/revoke"', listing).group(1)
    revoked = client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 302
    assert client.get("/api/v1/tokens", headers=bearer(token)).status_code == 401
    assert "warehouse" not in client.get("/tokens").text.split("</h1>", 1)[1].split("<h2>", 1)[0]
    bad = client.post("/tokens", data={"csrf_token": csrf, "name": "x", "days": "9999"})
    assert bad.status_code == 400


def _session_of(app, client) -> str:  # type: ignore[no-untyped-def]
    """The decoded session cookie (signed, not encrypted: anything in it is readable)."""
    cookie = client.get_cookie("session")
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value)) if cookie else ""


def _parse(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def test_the_tokens_page_shows_the_header_to_send_in_every_language(app, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    browser = app.test_client()
    login(browser, orgs.buyer())
    for lang in ("en", "de", "ja"):
        page = browser.get(f"/tokens?lang={lang}")
        assert page.status_code == 200 and "Authorization: Bearer &lt;token&gt;" in page.text, lang
