"""The emulator's HTTP surface: /bot<token>/<method> and /file/bot<token>/<path>.

The token is part of every URL, so nothing here logs URLs; aiohttp's access log is off.
"""

import asyncio
import logging
import re
from typing import Any

from aiohttp import web

from . import telegram_methods, telegram_send
from .telegram_limits import FailurePlan
from .telegram_models import ApiError
from .telegram_params import Handler, read_params
from .telegram_state import EmulatorState

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {**telegram_methods.HANDLERS, **telegram_send.HANDLERS}
_BY_LOWER = {name.lower(): name for name in HANDLERS}
MAX_BODY = 60 * 1024 * 1024
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def error_response(error: ApiError) -> web.Response:
    """Return Telegram's JSON error answer with HTTP status == error_code."""
    return web.json_response(error.payload(), status=error.code)


def token_error(given: str) -> ApiError:
    """Return Telegram's answer to a wrong token: 404 if malformed, else 401."""
    if _TOKEN_SHAPE.fullmatch(given):
        return ApiError(401, "Unauthorized")
    return ApiError(404, "Not Found")


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering (the client sees a disconnect)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=500)


class ApiServer:
    """Route Bot API calls to the method handlers, adding latency and injected failures."""

    def __init__(self, state: EmulatorState, token: str, latency: float, failures: FailurePlan):
        self.state = state
        self._token = token
        self.latency = latency
        self.failures = failures

    def __repr__(self) -> str:
        return f"ApiServer(latency={self.latency}, failure_rate={self.failures.rate})"

    def make_app(self) -> web.Application:
        """Return the aiohttp application serving the Bot API routes."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        return app

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        """Answer one Bot API call."""
        if request.match_info["token"] != self._token:
            return error_response(token_error(request.match_info["token"]))
        name = request.match_info["method"]
        method = _BY_LOWER.get(name.lower(), name)
        try:
            params = await read_params(request)
        except ApiError as error:
            return error_response(error)
        self.state.calls.append((method, dict(params)))
        self.state.call_counts[method] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        failure = self.failures.pick(method)
        if failure in ("500", "502", "drop"):
            logger.info("injected failure %s for %s", failure, method)
            return self._failure(request, failure)
        response = await self._dispatch(method, params)
        if failure == "drop_after":
            logger.info("injected failure %s for %s", failure, method)
            return _drop(request)
        return response

    async def _dispatch(self, method: str, params: Any) -> web.Response:
        """Run the handler for method and wrap its result or error."""
        handler = HANDLERS.get(method)
        if handler is None:
            logger.warning("Bot API method %s is not emulated", method)
            return error_response(ApiError(404, "Not Found"))
        try:
            result = await handler(self.state, params)
        except ApiError as error:
            logger.debug("%s answered %s: %s", method, error.code, error.description)
            return error_response(error)
        except Exception:
            logger.exception("emulated method %s crashed", method)
            return error_response(ApiError(500, "Internal Server Error"))
        return web.json_response({"ok": True, "result": result})

    def _failure(self, request: web.Request, kind: str) -> web.Response:
        """Return the injected failure answer of this kind."""
        if kind == "500":
            return error_response(ApiError(500, "Internal Server Error"))
        if kind == "502":
            return web.Response(status=502, text=_BAD_GATEWAY, content_type="text/html")
        return _drop(request)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve an uploaded file's bytes."""
        if request.match_info["token"] != self._token:
            return error_response(token_error(request.match_info["token"]))
        stored = self.state.files.by_path(request.match_info["path"])
        if stored is None or stored.data is None:
            return error_response(ApiError(404, "Not Found"))
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
