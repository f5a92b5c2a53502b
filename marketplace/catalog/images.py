"""Listing pictures: an upload is decoded with Pillow (JPEG, PNG or WebP, whatever its name or declared type
says), refused when too large in bytes or pixels, re-encoded without its metadata (EXIF, GPS) and kept as
WebP renditions named by the SHA-256 of the uploaded bytes, so one picture is stored once.

Who may fetch a rendition: whoever sees a listing it belongs to. Pictures of listings that anyone may see
are served with `Cache-Control: public` (shared caches ask again after minutes: the listing may become a
draft or restricted); pictures only of drafts or restricted listings with `private`, so shared caches do not
hand them to others. A picture no listing uses any more is gone (404)."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Response, after_this_request
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from marketplace.accounts.models import User
from marketplace.catalog.models import Listing, ListingImage
from marketplace.catalog.service import own_listing, visible_to
from marketplace.config import Config
from marketplace.errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from marketplace.catalog.shown import ShownImage

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SIZES = {"320": 320, "960": 960, "full": 2048}
"""Renditions by name: the longest side in pixels (a picture is never enlarged)."""
MAX_IMAGES = 20
MEDIA_PREFIX = "listings"


@dataclass(frozen=True)
class Picture:
    """A checked upload: its hash, type, dimensions, size and the WebP renditions to store."""

    sha256: str
    content_type: str
    width: int
    height: int
    size: int
    renditions: dict[str, bytes]


def checked_picture(data: bytes, max_bytes: int, max_pixels: int) -> Picture:
    """The upload decoded and re-encoded, or Invalid (nothing is stored)."""
    if not data:
        raise Invalid("the file is empty", "image")
    if len(data) > max_bytes:
        raise Invalid("the picture is larger than %(limit)s MB", "image", limit=round(max_bytes / 2**20, 1))
    too_large = Invalid(
        "the picture has more than %(limit)s megapixels", "image", limit=round(max_pixels / 1_000_000, 1)
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > max_pixels:  # from the header, before decoding a pixel
                raise too_large
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except UnidentifiedImageError:
        raise Invalid("only JPEG, PNG or WebP pictures can be uploaded", "image") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise Invalid("the picture is damaged or incomplete", "image") from None
    content_type = FORMATS[image.format or ""]
    upright = ImageOps.exif_transpose(image)
    upright = upright.convert("RGBA" if "A" in upright.getbands() or "transparency" in upright.info else "RGB")
    renditions = {}
    for name, side in SIZES.items():
        copy = upright.copy()
        copy.thumbnail((side, side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, "WEBP", quality=85, method=4)  # a fresh file: no EXIF, XMP or ICC from the upload
        renditions[name] = out.getvalue()
    return Picture(
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        width=upright.width,
        height=upright.height,
        size=len(data),
        renditions=renditions,
    )


def uploaded_picture(file: FileStorage | None, config: Config) -> Picture:
    """The multipart field's picture, checked against the configured limits (read no further than them)."""
    if file is None or not file.filename:
        raise Invalid("choose a picture to upload (the multipart/form-data field image)", "image")
    return checked_picture(file.read(config.image_max_bytes + 1), config.image_max_bytes, config.image_max_pixels)


def rendition_name(sha256: str, size: str) -> str:
    return f"{sha256}-{size}.webp"


def rendition_path(folder: Path, sha256: str, size: str) -> Path:
    return folder / MEDIA_PREFIX / rendition_name(sha256, size)


def _write(target: Path, data: bytes) -> None:
    """Write once, atomically: the same name always holds the same bytes."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_image(
    session: Session, user: User, listing_id: int, picture: Picture, folder: Path
) -> tuple[ListingImage, bool]:
    """Attach the picture to one of the user's listings (last in order). The same picture twice is kept
    once: returns the image and whether it is new."""
    listing = own_listing(session, user, listing_id)
    existing = next((i for i in listing.images if i.sha256 == picture.sha256), None)
    if existing is not None:
        return existing, False
    if len(listing.images) >= MAX_IMAGES:
        raise Conflict("a listing has at most %(count)s pictures", count=MAX_IMAGES)
    image = ListingImage(
        sha256=picture.sha256,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        size=picture.size,
        position=max((i.position for i in listing.images), default=-1) + 1,
    )
    listing.images.append(image)
    session.flush()
    for name, data in picture.renditions.items():
        _write(rendition_path(folder, picture.sha256, name), data)
    return image, True


def _own_image(session: Session, user: User, listing_id: int, image_id: int) -> tuple[Listing, ListingImage]:
    listing = own_listing(session, user, listing_id)
    image = next((i for i in listing.images if i.id == image_id), None)
    if image is None:
        raise NotFound("no such picture")
    return listing, image


def delete_image(session: Session, user: User, listing_id: int, image_id: int, folder: Path) -> None:
    """Remove a picture from the listing; its files go once the request has committed, if no listing uses
    them any more (a failed commit leaves them in place)."""
    listing, image = _own_image(session, user, listing_id, image_id)
    listing.images.remove(image)
    session.flush()
    if session.scalar(select(func.count()).select_from(ListingImage).where(ListingImage.sha256 == image.sha256)):
        return
    sha256 = image.sha256

    @after_this_request
    def remove_files(response: Response) -> Response:
        if response.status_code < 400:
            for name in SIZES:
                rendition_path(folder, sha256, name).unlink(missing_ok=True)
        return response


def move_image(session: Session, user: User, listing_id: int, image_id: int, step: int) -> None:
    """Move a picture one place earlier (step -1) or later (+1); the first is the listing's main picture."""
    listing, image = _own_image(session, user, listing_id, image_id)
    order = list(listing.images)
    index = order.index(image)
    target = min(max(index + step, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    for position, row in enumerate(order):
        row.position = position
    session.flush()


def visible_image(session: Session, sha256: str, viewer_org_id: int | None) -> bool:
    """Whether a listing the viewer may see shows this picture."""
    found = session.scalar(
        select(ListingImage.id)
        .join(Listing, Listing.id == ListingImage.listing_id)
        .where(ListingImage.sha256 == sha256, visible_to(viewer_org_id))
        .limit(1)
    )
    return found is not None


def media_url(sha256: str, size: str) -> str:
    """The stable address of a rendition (content-addressed, so it never changes)."""
    return f"/media/{MEDIA_PREFIX}/{rendition_name(sha256, size)}"


def image_json(image: ListingImage | ShownImage) -> dict[str, object]:
    """A picture with the addresses of its renditions (for the API)."""
    return {
        "id": image.id,
        "width": image.width,
        "height": image.height,
        "content_type": image.content_type,
        "thumbnail": media_url(image.sha256, "320"),
        "medium": media_url(image.sha256, "960"),
        "full": media_url(image.sha256, "full"),
    }
