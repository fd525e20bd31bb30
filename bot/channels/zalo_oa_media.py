"""Photos and documents for the OA: fitted to Zalo's upload limits before they are uploaded.

`/v2.0/oa/upload/image` takes jpg/png of at most 1 MB and `/v2.0/oa/upload/file` takes
pdf/doc/docx of at most 5 MB (shared/reference/zalo-oa.md §4). A larger photo is re-encoded
as JPEG, smaller step by step, until it fits; a document that does not fit is not sent as a
file (the text says where to get it, as on the Zalo Bot Platform).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from bot.messages import Media

log = logging.getLogger(__name__)

IMAGE_LIMIT = 1024 * 1024  # bytes, /upload/image
FILE_LIMIT = 5 * 1024 * 1024  # bytes, /upload/file
FILE_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_SIDES = (2560, 2048, 1600, 1280, 1024, 800, 640, 480)  # longest side tried, in pixels
_QUALITIES = (85, 70, 55)


@dataclass(frozen=True, slots=True)
class Upload:
    """What to upload: the endpoint's kind ("image" or "file"), a file name, the bytes."""

    kind: str
    filename: str
    data: bytes
    content_type: str


def _suffix(filename: str) -> str:
    return filename[filename.rfind(".") :].lower() if "." in filename else ""


def fit_photo(data: bytes, limit: int = IMAGE_LIMIT) -> tuple[bytes, str] | None:
    """Return a photo as jpg/png within the limit and its suffix; None when it is no image."""
    if len(data) <= limit and data[:3] == b"\xff\xd8\xff":
        return data, ".jpg"
    if len(data) <= limit and data[:8] == b"\x89PNG\r\n\x1a\n":
        return data, ".png"
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("a photo for the OA could not be read: %s", type(exc).__name__)
        return None
    for side in _SIDES:
        if max(image.size) > side:
            image.thumbnail((side, side))
        for quality in _QUALITIES:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= limit:
                return out.getvalue(), ".jpg"
    return None


def prepare(media: Media) -> Upload | None:
    """Return what to upload for a Reply's media; None when the OA cannot take it as a file."""
    if media.kind == "photo":
        fitted = fit_photo(media.data)
        if fitted is None:
            return None
        data, suffix = fitted
        stem = media.filename.rsplit(".", 1)[0] if "." in media.filename else media.filename
        kind = "image/jpeg" if suffix == ".jpg" else "image/png"
        return Upload("image", f"{stem or 'anh'}{suffix}", data, kind)
    if media.kind == "document":
        content_type = FILE_TYPES.get(_suffix(media.filename))
        if content_type is None or len(media.data) > FILE_LIMIT:
            return None
        return Upload("file", media.filename, media.data, content_type)
    return None  # voice notes: the OA has no upload for them


def attachment(upload: Upload, ref: str) -> dict:
    """Return the consultation message's attachment for an uploaded id or token."""
    if upload.kind == "file":
        return {"type": "file", "payload": {"token": ref}}
    element = {"media_type": "image", "attachment_id": ref}
    return {"type": "template", "payload": {"template_type": "media", "elements": [element]}}
