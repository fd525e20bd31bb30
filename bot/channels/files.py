"""Received files on their way in: streamed to a temporary file with a size cap.

A download is never held whole in memory while it arrives: chunks go to an anonymous
temporary file (mode 0600, gone when closed) and the transfer stops as soon as it passes
the cap, so a 19 MB document costs a 64 KB buffer until a step has accepted it. The bytes
are read back once, for storage.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)

FILE_LIMIT = 20 * 1024 * 1024  # the cloud Bot API serves downloads up to 20 MB
CHUNK = 64 * 1024


async def spool(chunks: AsyncIterator[bytes], limit: int = FILE_LIMIT) -> bytes | None:
    """Write a download's chunks to a temporary file; None as soon as it exceeds `limit`."""
    with tempfile.TemporaryFile() as sink:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                log.warning("a received file over %d bytes was not downloaded", limit)
                return None
            sink.write(chunk)
        sink.seek(0)
        return sink.read()
