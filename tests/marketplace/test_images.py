"""Listing pictures: only real JPEG, PNG or WebP within the size and pixel limits are kept, re-encoded without
their metadata, stored once per content, served with long-lived cache headers to those who see the listing."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from marketplace.catalog.images import SIZES, rendition_path
from marketplace.catalog.models import ListingImage
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.test_api import token


def picture(fmt: str = "PNG", size: tuple[int, int] = (1200, 800), color: str = "teal", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"  # Make
    exif.get_ifd(0x8825)[2] = (35.0, 41.0, 22.0)  # GPSLatitude
    return picture("JPEG", exif=exif.tobytes())


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A small PNG whose header claims a huge picture (a decompression bomb): only the header is real."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + b"\x00" * width
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * 4)) + chunk(b"IEND", b"")


def upload(client, listing_id: int, headers, data: bytes, name: str = "photo.png", mimetype: str = "image/png"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/listings/{listing_id}/images",
        headers=headers,
        data={"image": (io.BytesIO(data), name, mimetype)},
        content_type="multipart/form-data",
    )


def fetch(client, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
    """GET a served file, read and closed."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def files(platform) -> set[str]:  # type: ignore[no-untyped-def]
    folder = Path(platform.config.media_dir) / "listings"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_upload_keeps_webp_renditions_and_lists_them(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="IMG-1")
    response = upload(client, listing_id, h, picture("PNG", (1200, 800)))
    assert response.status_code == 201, response.json
    image = response.json
    assert (image["width"], image["height"], image["content_type"]) == (1200, 800, "image/png")
    thumb = fetch(client, image["thumbnail"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    assert Image.open(io.BytesIO(thumb.data)).size == (320, 213)
    assert Image.open(io.BytesIO(fetch(client, image["medium"]).data)).size == (960, 640)
    assert Image.open(io.BytesIO(fetch(client, image["full"]).data)).size == (1200, 800)  # never enlarged
    assert thumb.headers["Cache-Control"] == "public, max-age=31536000, s-maxage=300, immutable"
    assert thumb.headers["ETag"]
    again = fetch(client, image["thumbnail"], headers={"If-None-Match": thumb.headers["ETag"]})
    assert again.status_code == 304
    shown = client.get(f"/api/v1/listings/{listing_id}").json["images"]
    assert [x["thumbnail"] for x in shown] == [image["thumbnail"]]
    page = client.get(f"/listings/{listing_id}").text
    assert image["medium"] in page


def test_jpeg_and_webp_accepted_and_metadata_stripped(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="IMG-2")
    source = jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the upload carries GPS
    jpeg = upload(client, listing_id, h, source, "field.jpg", "image/jpeg")
    assert jpeg.status_code == 201 and jpeg.json["content_type"] == "image/jpeg"
    served = fetch(client, jpeg.json["full"]).data
    assert b"SnoopCam" not in served and b"Exif" not in served
    assert not Image.open(io.BytesIO(served)).getexif()
    webp = upload(client, listing_id, h, picture("WEBP", (400, 300), "navy"), "x.webp", "image/webp")
    assert webp.status_code == 201 and webp.json["content_type"] == "image/webp"


def test_the_same_picture_is_stored_once(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    first, second = flow.listing(platform, exporter, sku="DUP-1"), flow.listing(platform, exporter, sku="DUP-2")
    data = picture("PNG", (640, 480), "olive")
    a = upload(client, first, h, data)
    assert a.status_code == 201
    before = files(platform)
    again = upload(client, first, h, data, "renamed.png")
    assert again.status_code == 200 and again.json["id"] == a.json["id"]
    b = upload(client, second, h, data)
    assert b.status_code == 201 and b.json["thumbnail"] == a.json["thumbnail"]
    assert files(platform) == before
    # deleting it from one listing keeps the files the other still shows
    assert client.delete(f"/api/v1/listings/{first}/images/{a.json['id']}", headers=h).status_code == 204
    assert fetch(client, a.json["thumbnail"]).status_code == 200
    assert client.delete(f"/api/v1/listings/{second}/images/{b.json['id']}", headers=h).status_code == 204
    assert fetch(client, a.json["thumbnail"]).status_code == 404
    sha = a.json["thumbnail"].rsplit("/", 1)[1].split("-")[0]
    assert not any(rendition_path(platform.config.media_dir, sha, size).exists() for size in SIZES)
    assert client.delete(f"/api/v1/listings/{second}/images/{b.json['id']}", headers=h).status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "mimetype"),
    [
        (b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "invoice.png", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
            "logo.svg",
            "image/svg+xml",
        ),
        (b"just some words\n", "notes.png", "image/png"),
        (picture("GIF", (20, 20)), "anim.png", "image/png"),
        (picture("PNG")[:200], "cut.png", "image/png"),
        (b"", "empty.png", "image/png"),
    ],
    ids=["pdf-renamed", "svg", "text", "gif", "truncated", "empty"],
)
def test_anything_but_a_real_picture_is_refused(client, platform, orgs: Orgs, data, name, mimetype) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="BAD-IMG")
    before = files(platform)
    response = upload(client, listing_id, h, data, name, mimetype)
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == "image"
    assert files(platform) == before
    with platform.db.session() as s:
        assert s.query(ListingImage).filter_by(listing_id=listing_id).count() == 0


def test_oversized_and_bomb_pictures_are_refused(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter = orgs.exporter()
    h = token(client, exporter)
    listing_id = flow.listing(platform, exporter, sku="BIG-IMG")
    noise = Image.frombytes("RGB", (1800, 1800), bytes(range(256)) * (1800 * 1800 * 3 // 256 + 1))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    assert len(out.getvalue()) > platform.config.image_max_bytes
    big = upload(client, listing_id, h, out.getvalue())
    assert big.status_code == 400 and "MB" in big.json["error"]["message"]
    bomb = png_bomb()
    assert len(bomb) < 200_000
    refused = upload(client, listing_id, h, bomb)
    assert refused.status_code == 400 and "megapixels" in refused.json["error"]["message"]
    huge = upload(client, listing_id, h, b"\x00" * (17 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json["error"]["code"]
    with platform.db.session() as s:
        assert s.query(ListingImage).filter_by(listing_id=listing_id).count() == 0


def test_pictures_of_hidden_listings_are_not_served_to_others(client, app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    exporter, chosen, other = orgs.exporter(), orgs.buyer(), orgs.buyer()
    h = token(client, exporter)
    body = flow.listing_in(sku="HID-1", visibility="restricted", audience=[org_of(platform, chosen).slug])
    listing_id = client.post("/api/v1/listings", json=body.model_dump(mode="json"), headers=h).json["id"]
    image = upload(client, listing_id, h, picture("PNG", (300, 300), "maroon")).json
    assert fetch(client, image["thumbnail"]).status_code == 404  # anonymous
    from tests.marketplace.test_pages import login

    for user, want in ((chosen, 200), (other, 404), (exporter, 200)):
        browser = app.test_client()
        login(browser, user)
        response = fetch(browser, image["thumbnail"])
        assert response.status_code == want
        if want == 200:
            assert response.headers["Cache-Control"].startswith("private")
    assert fetch(client, "/media/listings/" + "0" * 64 + "-320.webp").status_code == 404
    assert fetch(client, "/media/listings/../../secret.key").status_code == 404


def test_a_picture_is_cached_privately_once_its_listing_is_hidden(client, app, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    """A public picture: browsers keep it a year, shared caches five minutes (then they ask again and learn
    it is hidden); once its listing is a draft or restricted, every answer is `private`, 304s included."""
    from tests.marketplace.test_pages import login

    exporter, chosen = orgs.exporter(), orgs.buyer()
    h = token(client, exporter)
    body = flow.listing_in(sku="CACHE-1").model_dump(mode="json")
    listing_id = client.post("/api/v1/listings", json=body, headers=h).json["id"]
    url = upload(client, listing_id, h, picture("PNG", (200, 200), "gold")).json["thumbnail"]
    owner, member = app.test_client(), app.test_client()
    login(owner, exporter)
    login(member, chosen)

    def cache_control(who, **kwargs: object) -> str:  # type: ignore[no-untyped-def]
        response = fetch(who, url, **kwargs)
        assert response.status_code in (200, 304), response.status_code
        return response.headers["Cache-Control"]

    public = "public, max-age=31536000, s-maxage=300, immutable"
    private = "private, max-age=31536000, immutable"
    assert cache_control(client) == public and cache_control(owner) == public
    etag = fetch(client, url).headers["ETag"]
    for change in ({"status": "draft"}, {"visibility": "restricted", "audience": [org_of(platform, chosen).slug]}):
        response = client.put(f"/api/v1/listings/{listing_id}", json={**body, **change}, headers=h)
        assert response.status_code == 200, response.json
        assert fetch(client, url).status_code == 404  # a shared cache asking again learns it is gone
        assert cache_control(owner) == private
        assert cache_control(owner, headers={"If-None-Match": etag}) == private
        if "audience" in change:
            assert cache_control(member) == private
    assert client.put(f"/api/v1/listings/{listing_id}", json=body, headers=h).status_code == 200
    assert cache_control(client) == public and cache_control(member) == public


def test_upload_is_for_the_owner(client, platform, orgs: Orgs) -> None:  # type: ignore[no-untyped-def]
    owner, other, buyer = orgs.exporter(), orgs.exporter(), orgs.buyer()
    listing_id = flow.listing(platform, owner, sku="OWN-IMG")
    data = picture("PNG", (50, 50))
    assert upload(client, listing_id, token(client, other), data).status_code == 404
    assert upload(client, listing_id, token(client, buyer), data).status_code == 403
    assert upload(client, listing_id, {}, data).status_code == 401
    missing = client.post(f"/api/v1/listings/{listing_id}/images", headers=token(client, owner), data={})
    assert missing.status_code == 400 and missing.json["error"]["field"] == "image"
