"""Security headers on every response, and templates that the Content-Security-Policy lets render."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import marketplace

TEMPLATES = Path(marketplace.__file__).parent / "templates"


@pytest.mark.parametrize(
    "path", ["/login", "/listings/", "/api/v1/listings", "/no/such/page", "/api/v1/nothing", "/static/style.css"]
)
def test_every_response_carries_the_security_headers(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only with Secure cookies (HTTPS)


def test_templates_have_no_inline_style_or_script() -> None:
    """style-src and script-src 'self' would drop them: styles belong in static/style.css."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (r"\sstyle\s*=", r"<style", r"<script(?![^>]*\ssrc=)", r"\son[a-z]+\s*=", r"javascript:"):
            offenders += [f"{template.relative_to(TEMPLATES)}: {m.group(0)!r}" for m in re.finditer(pattern, text)]
    assert offenders == []
