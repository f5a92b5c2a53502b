"""Trade documents: the bill of lading and dispute evidence. Their SHA-256 goes on chain; an uploaded file
is checked (size, type), kept in the documents folder under its hash, and readable by whoever sees the
trade (both parties, the arbitration desk and auditors)."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import Invalid, NotFound
from marketplace.trades.models import DocumentKind, Trade, TradeDocument
from marketplace.trades.service import visible_trade

# content type -> the bytes such a file starts with (plain text is checked as UTF-8 instead)
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
}
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}
_MAX_NAME = 255


@dataclass(frozen=True)
class Upload:
    """A file as it was sent: its bytes, the sender's file name and declared content type."""

    data: bytes
    filename: str
    content_type: str

    @cached_property
    def sha256(self) -> str:
        return "0x" + hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


def _clean_name(filename: str) -> str:
    """The file's base name without directories or control characters."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\\/').strip()
    return name[-_MAX_NAME:] or "document"


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def checked_upload(data: bytes, filename: str, content_type: str, max_bytes: int) -> Upload:
    """The upload if it is a non-empty PDF, PNG, JPEG or UTF-8 text file within `max_bytes`, else Invalid."""
    if not data:
        raise Invalid("the file is empty", "document")
    if len(data) > max_bytes:
        raise Invalid("the file is larger than %(limit)s MB", "document", limit=round(max_bytes / 2**20, 1))
    name = _clean_name(filename)
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared in _GENERIC:
        declared = mimetypes.guess_type(name)[0] or ""
    magic = ALLOWED_TYPES.get(declared)
    if magic is None or (magic and not data.startswith(magic)) or (not magic and not _is_text(data)):
        raise Invalid("only PDF, PNG, JPEG or plain-text files can be attached", "document")
    return Upload(data, name, declared)


def path_of(folder: Path, sha256: str) -> Path:
    """Where the file with this hash is kept."""
    return folder / sha256.removeprefix("0x")


def save(folder: Path, upload: Upload) -> Path:
    """Write the file under its hash (once: the same bytes always land in the same place)."""
    target = path_of(folder, upload.sha256)
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(upload.data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def record(
    session: Session, trade: Trade, user: User, kind: DocumentKind, sha256: str, upload: Upload | None
) -> TradeDocument:
    """Note a document of the trade: its hash, and the file's name, type and size if it was uploaded."""
    document = TradeDocument(
        trade_id=trade.id,
        kind=kind,
        sha256=sha256,
        filename=upload.filename if upload else None,
        content_type=upload.content_type if upload else None,
        size=upload.size if upload else None,
        uploaded_by_org_id=user.organization_id,
    )
    session.add(document)
    session.flush()
    return document


def downloadable(session: Session, user: User, trade_id: int, document_id: int) -> TradeDocument:
    """A stored document of a trade that `user` may see; NotFound for anything else."""
    trade = visible_trade(session, user, trade_id)
    document = session.get(TradeDocument, document_id)
    if document is None or document.trade_id != trade.id or not document.stored:
        raise NotFound("no such document")
    return document
