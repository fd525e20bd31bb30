"""Files held by the emulator: uploads, URLs and their download paths."""

import hashlib
import mimetypes
import struct

from .telegram_models import ApiError, StoredFile, bad_request

# Bot API limits (core.telegram.org/bots/api#sending-files, #getfile).
UPLOAD_LIMITS = {"photo": 10 * 1024 * 1024}
DEFAULT_UPLOAD_LIMIT = 50 * 1024 * 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "voice": "voice",
    "audio": "music",
    "sticker": "stickers",
}
_PREFIXES = {
    "photo": "AgACAgIAAxk",
    "document": "BQACAgIAAxk",
    "voice": "AwACAgIAAxk",
    "audio": "CQACAgIAAxk",
    "sticker": "CAACAgIAAxk",
}


def image_size(data: bytes) -> tuple[int, int]:
    """Return (width, height) of a PNG or JPEG, or (0, 0) when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    i = 2 if data.startswith(b"\xff\xd8") else len(data)
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return 0, 0


class FileStore:
    """Remember files by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._count = 0

    def add_bytes(
        self, kind: str, data: bytes, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store uploaded bytes and return the new file."""
        limit = UPLOAD_LIMITS.get(kind, DEFAULT_UPLOAD_LIMIT)
        if len(data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if not data:
            raise bad_request("file must be non-empty")
        digest = hashlib.sha256(data).hexdigest()
        stored = self._new(kind, digest, file_name, mime_type)
        stored.data = data
        if kind == "photo":
            stored.width, stored.height = image_size(data)
        stored.file_path = self._path_for(kind, stored.file_name)
        self._by_path[stored.file_path] = stored
        return stored

    def add_url(self, kind: str, url: str) -> StoredFile:
        """Remember a URL the bot sent (never fetched) and return the new file."""
        digest = hashlib.sha256(url.encode()).hexdigest()
        stored = self._new(kind, digest, url.rsplit("/", 1)[-1] or None, None)
        stored.url = url
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Return the file with this file_id, if known."""
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        """Return the file served at this download path, if any."""
        return self._by_path.get(path)

    def _new(
        self, kind: str, digest: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Create and index a file record with fresh ids."""
        self._count += 1
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"{_PREFIXES.get(kind, 'BAACAgIAAxk')}{self._count:06d}{digest[:24]}",
            file_unique_id=f"AQAD{digest[:12]}",
            kind=kind,
            file_name=file_name,
            mime_type=mime_type or ("image/jpeg" if kind == "photo" else None),
        )
        self._by_id[stored.file_id] = stored
        return stored

    def _path_for(self, kind: str, file_name: str | None) -> str:
        """Return a download path like Telegram's "photos/file_3.jpg"."""
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[-1]
        elif kind == "photo":
            suffix = ".jpg"
        return f"{_FOLDERS.get(kind, 'documents')}/file_{self._count}{suffix}"
