"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

Every Telegram call the bot makes (each reply, each button answer, each long poll, each push
of a broadcast) goes through PTB's `BaseRequest`. Its default, `HTTPXRequest`, spends 1-2 ms
of CPU per call on a 2-core machine (httpx, httpcore, anyio); the same calls through aiohttp,
which the bot already uses for its web server, cost 0.4-1 ms. A button press is three calls
(answerCallbackQuery, the keyboard's removal, the next question), so this halves the CPU the
bot spends per update (benchmarks/inbound.py). PTB still builds the requests and reads the
answers; only the bytes travel differently: as JSON, or multipart when a file goes along.

Errors map as HTTPXRequest maps them: a timeout is `TimedOut`, any other transport failure
(refused, reset, dropped) `NetworkError`; HTTP error statuses go back to PTB, which raises
its usual exceptions from Telegram's JSON answer.
"""

from __future__ import annotations

import logging
import ssl

import aiohttp
from aiohttp import hdrs
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.files import CHUNK, spool

log = logging.getLogger(__name__)

_JSON = "application/json"
# What a file name cannot carry to the Bot API server: it ends the name at the first ";" and
# the header at a line break (see `_multipart`).
_NAME = str.maketrans({";": ",", "\x7f": " "} | {chr(c): " " for c in range(32)})


def _ssl_context() -> ssl.SSLContext:
    """Trust the same certificate authorities as httpx did (certifi), when it is installed."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx, a PTB dependency
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _multipart(request_data: RequestData) -> aiohttp.MultipartWriter:
    """Encode an upload the way Telegram's Bot API server reads it (tdlib's HttpReader).

    The server takes a file name as the raw UTF-8 between the quotes and decodes nothing:
    aiohttp's FormData would percent-encode it (people would see "D%E1%BB%B1…") or escape
    quotes and backslashes with a backslash (shown too). So the name goes as it is, but for
    a ";" (the server ends the name there) and line breaks (they would end the header).
    """
    writer = aiohttp.MultipartWriter("form-data")
    for name, value in request_data.json_parameters.items():
        writer.append(value).set_content_disposition("form-data", name=name)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        part = writer.append(content, {hdrs.CONTENT_TYPE: mimetype or "application/octet-stream"})
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename.translate(_NAME)}"'
        part.headers[hdrs.CONTENT_DISPOSITION] = disposition
    return writer


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp session with at most `pool_size` connections.

    Timeouts default to HTTPXRequest's (connect, read and write 5 s, waiting for a free
    connection 1 s, uploads 20 s). aiohttp has no separate write timeout: the sum of the
    timeouts bounds the whole call instead.
    """

    def __init__(
        self,
        pool_size: int = 1,
        *,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_ssl_context())
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _timeout(self, files: bool, **given: ODVInput[float]) -> aiohttp.ClientTimeout:
        chosen = {}
        for name, value in given.items():
            if isinstance(value, DefaultValue):
                default = self._media_write_timeout if name == "write" and files else None
                value = default if default is not None else self._timeouts[name]
            chosen[name] = value
        parts = list(chosen.values())
        return aiohttp.ClientTimeout(
            total=None if None in parts else sum(parts),
            connect=None if chosen["connect"] is None or chosen["pool"] is None
            else chosen["connect"] + chosen["pool"],
            sock_connect=chosen["connect"],
            sock_read=chosen["read"],
        )  # fmt: skip

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See `BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        headers = {"User-Agent": self.USER_AGENT}
        data: aiohttp.MultipartWriter | bytes | None = None
        if files:
            data = _multipart(request_data)
        elif request_data is not None:
            # JSON, which the Bot API takes for every call without a file. Not the form
            # HTTPXRequest sends: urlencode quotes text byte by byte in Python, and Vietnamese
            # is mostly bytes to quote (40 us of CPU a feedback step against 10-15 for JSON,
            # benchmarks/README.md); aiohttp's FormData costs more still.
            data = request_data.json_payload
            headers["Content-Type"] = _JSON
        timeout = self._timeout(
            files,
            connect=connect_timeout,
            read=read_timeout,
            write=write_timeout,
            pool=pool_timeout,
        )
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # before ClientError: ServerTimeoutError is both
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    async def download(self, url: str, limit: int, timeout: float = 60.0) -> bytes | None:
        """Stream a file to a temporary file, capped at `limit` bytes; None when it fails.

        PTB's own `File.download_*` reads the whole file into memory first. The URL holds
        the token: it is never logged, nor is an error's text that may quote it.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        headers = {"User-Agent": self.USER_AGENT}
        try:
            async with self._session.get(
                url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                if response.status != 200:
                    log.warning("file download answered HTTP %s", response.status)
                    return None
                return await spool(response.content.iter_chunked(CHUNK), limit)
        except (TimeoutError, aiohttp.ClientError) as err:
            log.warning("could not download a file: %s", type(err).__name__)
            return None
