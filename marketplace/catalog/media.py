"""GET /media/listings/<sha256>-<size>.webp: listing pictures, content-addressed, so a browser keeps one for a
year; who may fetch one can change (a listing made a draft or restricted), so shared caches keep a public one
only for minutes before they ask again, and never keep the others."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, send_file

from marketplace.catalog.images import SIZES, rendition_path, visible_image
from marketplace.errors import NotFound
from marketplace.web import current_user, db, platform

bp = Blueprint("media", __name__, url_prefix="/media")
_NAME = re.compile(r"([0-9a-f]{64})-(\w+)\.webp")
YEAR = 31_536_000
SHARED_MAX_AGE = 300
"""Seconds a proxy or CDN serves a public picture before asking again (then a 304, or a 404 once hidden)."""
PUBLIC = f"public, max-age={YEAR}, s-maxage={SHARED_MAX_AGE}, immutable"
PRIVATE = f"private, max-age={YEAR}, immutable"


@bp.get("/listings/<name>")
def listing_image(name: str) -> Any:
    """A rendition of a picture that a listing the viewer sees shows (anyone's: `public`; only some: `private`)."""
    match = _NAME.fullmatch(name)
    if match is None or match[2] not in SIZES:
        raise NotFound("no such picture")
    sha256, size = match[1], match[2]
    user = current_user()
    if not visible_image(db(), sha256, user.organization_id if user else None):
        raise NotFound("no such picture")
    path = rendition_path(platform().config.media_dir, sha256, size)  # type: ignore[arg-type]
    if not path.is_file():
        raise NotFound("no such picture")
    response = send_file(path, mimetype="image/webp", etag=f"{sha256}-{size}", conditional=True)  # 304 on a match
    response.headers["Cache-Control"] = PUBLIC if visible_image(db(), sha256, None) else PRIVATE
    return response
