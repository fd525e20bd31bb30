"""A local Zalo Official Account (OA Open API v3) emulator for end-to-end tests and demos.

One loopback HTTP server plays both of Zalo's hosts: the oauth host (`POST
/v4/oa/access_token`, form-encoded, app secret in the `secret_key` header) and the API host
(`/v3.0/oa/message/cs`, uploads, `user/detail`, `getoa`, every call with the
`access_token` header). It posts signed webhook events to the bot (`X-ZEvent-Signature`),
retries failed deliveries on the reference's ladder when the clock reaches them
(`retry_due`), and redelivers on purpose (`redeliver`). People are driven from Python:
`await oa.follow(user.id)`, `await oa.send_text(user.id, "/start")`; what the OA sent is read
back with `oa.messages(user_id)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot.simulator.server import LoopbackServer

from .zalo_oa_state import (
    RETRY_LADDER,
    Delivery,
    OaError,
    OaRules,
    OaSent,
    OaState,
    OaUser,
    Pending,
)

logger = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024
SIGNATURE_HEADER = "X-ZEvent-Signature"


def _answer(data: Any = None, error: OaError | None = None) -> web.Response:
    body = error.payload() if error else {"error": 0, "message": "Success"}
    if data is not None:
        body["data"] = data
    return web.json_response(body)  # always HTTP 200 [reference §1, error convention]


class ZaloOaEmulator(LoopbackServer):
    """A loopback OA API and oauth server with a Python API to play the followers."""

    def __init__(
        self,
        app_id: str = "1234567890123456789",
        app_secret: str = "app-secret-for-tests",
        secret_key: str = "oa-secret-key-for-tests",
        *,
        rules: OaRules | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._state = OaState(app_id, app_secret, secret_key, rules or OaRules(), seed)
        super().__init__(host, port)
        self._session: aiohttp.ClientSession | None = None
        self.webhook_url = ""  # set in the developer console on the real service
        self.deliveries: list[Delivery] = []
        self.failed: list[Pending] = []
        self.disabled = False  # after the last retry failed

    def __repr__(self) -> str:  # never a token or secret
        where = self.url if self._runner else "not started"
        return f"<ZaloOaEmulator {where} followers={len(self._state.users)}>"

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving on host:port (port 0 picks a free port)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/v4/oa/access_token", self._on_token)
        app.router.add_post("/v3.0/oa/message/cs", self._on_send)
        app.router.add_post("/v2.0/oa/message", self._on_v2_send)
        app.router.add_post("/v2.0/oa/upload/{kind}", self._on_upload)
        app.router.add_get("/v3.0/oa/user/detail", self._on_detail)
        app.router.add_get("/v2.0/oa/getoa", self._on_getoa)
        app.router.add_get("/files/{name}", self._on_file)
        app.router.add_route("*", "/{path:.*}", self._on_other)
        await self.serve(app)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._close_server()

    @property
    def state(self) -> OaState:
        return self._state

    @property
    def clock(self):
        return self._state.clock

    @property
    def rules(self) -> OaRules:
        return self._state.rules

    # --- HTTP --------------------------------------------------------------------------------

    async def _on_token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            answer = self._state.token(request.headers.get("secret_key"), form)
        except OaError as exc:  # the oauth host names its errors differently
            return web.json_response({"error": exc.code, "error_name": exc.message})
        if self._state.rules.token_answer_delay:
            await asyncio.sleep(self._state.rules.token_answer_delay)
        return web.json_response(answer)

    def _authorised(self, request: web.Request) -> None:
        code = 0
        try:
            self._state.check_call(request.headers.get("access_token"), request.path)
        except OaError as exc:
            code = exc.code
            raise
        finally:
            self._state.calls.append((request.path, code))
            self._state.changed.fire()

    async def _on_send(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            try:
                body = await request.json()
            except ValueError:
                raise OaError(-201, "The body is not JSON") from None
            return _answer(self._state.send_cs(body))
        except OaError as exc:
            return _answer(error=exc)

    async def _on_v2_send(self, request: web.Request) -> web.Response:
        return _answer(
            error=OaError(-240, "MessageV2 API has been shut down, please switch to MessageV3")
        )

    async def _on_upload(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            kind = request.match_info["kind"]
            if kind not in ("image", "file", "gif"):
                raise OaError(-212, "API not registered")
            field = await (await request.multipart()).next()
            if field is None or field.name != "file":
                raise OaError(-201, "Parameter file is missing")
            data = await field.read()
            return _answer(self._state.upload(kind, field.filename or "", bytes(data)))
        except OaError as exc:
            return _answer(error=exc)

    async def _on_detail(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
            data = json.loads(request.query.get("data", "{}"))
            return _answer(
                self._state.detail(data.get("user_id") if isinstance(data, dict) else None)
            )
        except ValueError:
            return _answer(error=OaError(-201, "Parameter data is invalid"))
        except OaError as exc:
            return _answer(error=exc)

    async def _on_getoa(self, request: web.Request) -> web.Response:
        try:
            self._authorised(request)
        except OaError as exc:
            return _answer(error=exc)
        followers = sum(u.follower for u in self._state.users.values())
        return _answer(
            {
                "oa_id": self._state.oa_id,
                "name": "UBND xã (thử nghiệm)",
                "is_verified": True,
                "num_follower": followers,
            }
        )

    async def _on_file(self, request: web.Request) -> web.Response:
        stored = self._state.files.get(request.match_info["name"])
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored[0], content_type=stored[1])

    async def _on_other(self, request: web.Request) -> web.Response:
        # ZNS, groups, articles, shop: out of scope [reference §8.10].
        return _answer(error=OaError(-212, "API not registered"))

    # --- the world ---------------------------------------------------------------------------

    def add_user(self, display_name: str) -> OaUser:
        """Create a Zalo user who does not follow the OA yet."""
        user = OaUser(self._state.new_id(), self._state.new_id(), display_name)
        self._state.users[user.id] = user
        return user

    def user(self, user_id: str) -> OaUser:
        return self._state.users[user_id]

    def authorise(self, challenge: str) -> str:
        """Play the OA admin consenting on the permission page: return the code."""
        return self._state.authorise(challenge)

    def mint_refresh_token(self) -> str:
        """Return a refresh token as Zalo's API Explorer hands one out."""
        return self._state.mint_refresh_token()

    def bot_settings(self) -> dict[str, str]:
        """Return the bot's settings (Settings field names) for an OA served by this emulator."""
        state = self._state
        return {
            "zalo_oa_app_id": state.app_id,
            "zalo_oa_app_secret": state.app_secret,
            "zalo_oa_secret_key": state.secret_key,
            "zalo_oa_api_url": self.url,
            "zalo_oa_oauth_url": self.url,
        }

    def bot_env(self) -> dict[str, str]:
        """Return the same as LOAXA_ environment variables, for a `loaxa` process."""
        return {f"LOAXA_{name.upper()}": value for name, value in self.bot_settings().items()}

    def add_file(self, data: bytes, name: str, content_type: str = "image/png") -> str:
        """Serve bytes under /files/ and return the URL (a stand-in for Zalo's media host)."""
        self._state.files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    # --- what people do ----------------------------------------------------------------------

    async def follow(self, user_id: str) -> dict[str, Any]:
        user = self.user(user_id)
        user.follower = True
        self._state.interacted(user)
        return await self.post(self._state.follow_event(user, "follow"))

    async def unfollow(self, user_id: str) -> dict[str, Any]:
        user = self.user(user_id)
        user.follower = False
        return await self.post(self._state.follow_event(user, "unfollow"))

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self._user_sends(user_id, "user_send_text", text=text)

    async def send_image(
        self, user_id: str, image: bytes | str, caption: str = ""
    ) -> dict[str, Any]:
        url = (
            image if isinstance(image, str) else self.add_file(image, f"{self._state.new_id()}.jpg")
        )
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        extra = {"text": caption} if caption else {}
        return await self._user_sends(user_id, "user_send_image", attachments=[attachment], **extra)

    async def send_location(
        self, user_id: str, latitude: float, longitude: float, place: str = ""
    ) -> dict[str, Any]:
        coordinates = {"latitude": str(latitude), "longitude": str(longitude)}
        attachment = {"type": "location", "payload": {"coordinates": coordinates}}
        return await self._user_sends(
            user_id, "user_send_location", text=place, attachments=[attachment]
        )

    async def send_file(self, user_id: str, data: bytes, name: str) -> dict[str, Any]:
        url = self.add_file(data, name, "application/octet-stream")
        payload = {
            "url": url,
            "name": name,
            "size": str(len(data)),
            "checksum": "",
            "type": name.rsplit(".", 1)[-1],
        }
        return await self._user_sends(
            user_id, "user_send_file", attachments=[{"type": "file", "payload": payload}]
        )

    async def send_audio(self, user_id: str, data: bytes) -> dict[str, Any]:
        url = self.add_file(data, f"{self._state.new_id()}.m4a", "audio/mp4")
        return await self._user_sends(
            user_id, "user_send_audio", attachments=[{"type": "audio", "payload": {"url": url}}]
        )

    async def send_sticker(self, user_id: str) -> dict[str, Any]:
        payload = {"id": "sticker-1", "url": f"{self.url}/files/sticker.png"}
        return await self._user_sends(
            user_id, "user_send_sticker", attachments=[{"type": "sticker", "payload": payload}]
        )

    async def _user_sends(self, user_id: str, name: str, **message: Any) -> dict[str, Any]:
        user = self.user(user_id)
        self._state.interacted(user)
        return await self.post(self._state.user_event(user, name, **message))

    # --- webhooks ----------------------------------------------------------------------------

    async def post(
        self, event: dict[str, Any], *, num_retry: int = 0, body: bytes | None = None
    ) -> dict[str, Any]:
        """Sign and POST one event to the webhook; a failure waits on the retry ladder."""
        if not self.webhook_url or self.disabled:
            return event
        signed_body, mac = self._state.encode(event)
        body = body if body is not None else signed_body
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: mac}
        if num_retry:
            headers["num_retry"] = str(num_retry)
        status = await self._deliver(body, headers)
        msg_id = str((event.get("message") or {}).get("msg_id") or "")
        self.deliveries.append(Delivery(msg_id, event["event_name"], status, num_retry))
        if status != 200:
            if num_retry < len(RETRY_LADDER):
                due = self._state.clock.now() + RETRY_LADDER[num_retry]
                self.failed.append(Pending(signed_body, event, num_retry + 1, due))
            else:
                self.disabled = True  # Zalo disables the webhook and tells the admin [7]
        self._state.changed.fire()
        return event

    async def _deliver(self, body: bytes, headers: dict[str, str]) -> int | str:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self._state.rules.webhook_timeout)
        try:
            async with self._session.post(
                self.webhook_url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("OA webhook delivery failed: %s", type(exc).__name__)
            return type(exc).__name__

    async def retry_due(self) -> int:
        """Retry the failed deliveries whose time has come on the clock; return how many."""
        now = self._state.clock.now()
        due = [p for p in self.failed if p.due <= now]
        self.failed = [p for p in self.failed if p.due > now]
        for pending in due:
            await self.post(pending.event, num_retry=pending.retries)
        return len(due)

    async def redeliver(self, event: dict[str, Any]) -> None:
        """Deliver an event again, as Zalo's at-least-once delivery does."""
        await self.post(event, num_retry=1)

    async def post_forged(self, event: dict[str, Any], mac: str | None) -> int | str:
        """POST an event with a given signature header (None: none at all); return the status."""
        body, _ = self._state.encode(event)
        headers = {"Content-Type": "application/json"}
        if mac is not None:
            headers[SIGNATURE_HEADER] = mac
        return await self._deliver(body, headers)

    # --- what the OA sent --------------------------------------------------------------------

    def messages(self, user_id: str) -> list[OaSent]:
        return list(self._state.sent.get(user_id, []))

    def last_message(self, user_id: str) -> OaSent | None:
        sent = self._state.sent.get(user_id)
        return sent[-1] if sent else None

    def attached(self, sent: OaSent) -> tuple[str, bytes]:
        """Return the file name and bytes of the upload a sent photo or file carries."""
        payload = (sent.attachment or {}).get("payload") or {}
        ref = payload.get("token") or (payload.get("elements") or [{}])[0].get("attachment_id")
        return self._state.uploaded[ref]

    @property
    def events_posted(self) -> int:
        """How many webhook POSTs were made (every try counts)."""
        return len(self.deliveries)

    async def wait_until(self, ready: Callable[[], object], timeout: float = 5.0) -> None:
        await self._state.changed.wait_until(ready, timeout)
