"""Bills of lading and dispute evidence: stored under their SHA-256, shown on the trade page and
downloadable by the parties, the arbitration desk and auditors only."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import func, select

from marketplace.trades import actions
from marketplace.trades.documents import path_of
from marketplace.trades.models import TradeDocument
from tests.conftest import Orgs, org_of
from tests.marketplace import flow
from tests.marketplace.flow import act, funded
from tests.marketplace.test_api import token
from tests.marketplace.test_pages import login

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(client, path: str, csrf: str, field: str, data: bytes, name: str, content_type: str):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={"csrf_token": csrf, field: (io.BytesIO(data), name, content_type)},
        content_type="multipart/form-data",
    )


def _fetch(client, path: str, **kwargs):  # type: ignore[no-untyped-def]
    """GET a download, read it and close the file behind it."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def _documents(platform, trade_id: int) -> int:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        return s.scalar(select(func.count()).select_from(TradeDocument).where(TradeDocument.trade_id == trade_id))


def test_the_bill_of_lading_is_stored_shown_and_downloadable_by_those_who_see_the_trade(  # type: ignore[no-untyped-def]
    app, platform, orgs: Orgs, worker
) -> None:
    exporter, buyer, auditor = orgs.exporter(), orgs.buyer(), orgs.auditor()
    desk, stranger = orgs.make("arbiter", locale="en", currency="USD"), orgs.buyer()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    seller = app.test_client()
    csrf = login(seller, exporter)
    response = _upload(seller, f"/trades/{trade_id}/ship", csrf, "document", PDF, "../../BL 42.pdf", "application/pdf")
    assert response.status_code == 302
    worker.drain()
    digest = "0x" + hashlib.sha256(PDF).hexdigest()
    assert path_of(platform.config.documents_dir, digest).read_bytes() == PDF
    assert platform.config.documents_dir.is_relative_to(platform.config.instance_dir)

    page = seller.get(f"/trades/{trade_id}").text
    assert digest in page and "Konnossement" in page and "BL 42.pdf" in page
    link = f"/trades/{trade_id}/documents/"
    document_id = int(page.split(link, 1)[1].split('"', 1)[0])
    for user in (buyer, auditor, desk):
        client = app.test_client()
        login(client, user)
        download = _fetch(client, f"{link}{document_id}")
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert "BL 42.pdf" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.mimetype == "application/pdf"
    outsider = app.test_client()
    login(outsider, stranger)
    assert outsider.get(f"{link}{document_id}").status_code == 404
    assert app.test_client().get(f"{link}{document_id}").status_code == 302  # to the login page
    assert seller.get(f"/trades/{trade_id}/documents/{document_id + 1000}").status_code == 404

    api = app.test_client()
    listed = api.get(f"/api/v1/trades/{trade_id}", headers=token(api, buyer)).json["documents"]
    assert listed == [
        {
            "kind": "bill_of_lading",
            "sha256": digest,
            "filename": "BL 42.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
            "uploaded_by": org_of(platform, exporter).name,
            "created_at": listed[0]["created_at"],
            "download_url": f"/api/v1/trades/{trade_id}/documents/{document_id}",
        }
    ]
    assert _fetch(api, listed[0]["download_url"], headers=token(api, buyer)).data == PDF
    assert api.get(listed[0]["download_url"], headers=token(api, stranger)).status_code == 404


def test_the_desk_sees_and_downloads_the_dispute_evidence(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer, desk = orgs.exporter(), orgs.buyer(), orgs.make("arbiter", locale="en", currency="USD")
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    customer, arbiter = app.test_client(), app.test_client()
    csrf = login(customer, buyer)
    login(arbiter, desk)
    statement = "The bearings arrived rusted. 錆びていました。".encode()
    response = _upload(customer, f"/trades/{trade_id}/dispute", csrf, "evidence", statement, "statement.txt", "")
    assert response.status_code == 302
    worker.drain()
    page = arbiter.get(f"/trades/{trade_id}").text
    digest = "0x" + hashlib.sha256(statement).hexdigest()
    assert "dispute evidence" in page and "statement.txt" in page and digest in page
    assert f'action="/trades/{trade_id}/rule"' in page
    document_id = int(page.split(f"/trades/{trade_id}/documents/", 1)[1].split('"', 1)[0])
    download = _fetch(arbiter, f"/trades/{trade_id}/documents/{document_id}")
    assert download.data == statement and download.mimetype == "text/plain"


def test_files_of_the_wrong_type_or_size_are_refused_and_nothing_is_written(  # type: ignore[no-untyped-def]
    app, platform, orgs: Orgs, worker
) -> None:
    exporter, buyer = orgs.exporter(locale="en"), orgs.buyer()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    seller = app.test_client()
    csrf = login(seller, exporter)
    html = b"<html><script>alert(1)</script></html>"
    too_big = b"%PDF-" + b"0" * platform.config.document_max_bytes
    for data, name, content_type, words in (
        (html, "bl.html", "text/html", "only PDF, PNG, JPEG or plain-text files"),
        (html, "bl.png", "image/png", "only PDF, PNG, JPEG or plain-text files"),
        (b"\x00\x01binary", "bl.txt", "text/plain", "only PDF, PNG, JPEG or plain-text files"),
        (too_big, "bl.pdf", "application/pdf", "larger than 10.0 MB"),
    ):
        response = _upload(seller, f"/trades/{trade_id}/ship?lang=en", csrf, "document", data, name, content_type)
        assert response.status_code == 400 and words in response.text, (name, response.status_code)
        assert not path_of(platform.config.documents_dir, "0x" + hashlib.sha256(data).hexdigest()).exists()
    assert _documents(platform, trade_id) == 0
    assert flow.trade(platform, trade_id).pending_action is None


def test_a_hash_alone_still_ships_and_is_listed_without_a_file(app, platform, orgs: Orgs, worker) -> None:  # type: ignore[no-untyped-def]
    exporter, buyer = orgs.exporter(), orgs.buyer()
    worker.drain()
    trade_id = funded(platform, worker, exporter, buyer)
    digest = "0x" + "ef" * 32
    trade = act(platform, worker, actions.mark_shipped, exporter, trade_id, digest)
    assert trade.document_hash == digest
    client = app.test_client()
    listed = client.get(f"/api/v1/trades/{trade_id}", headers=token(client, buyer)).json["documents"]
    assert [(d["sha256"], d["filename"], d["download_url"]) for d in listed] == [(digest, None, None)]
    login(client, buyer)
    page = client.get(f"/trades/{trade_id}?lang=en").text
    assert digest in page and "only the hash was given" in page
