"""The demo's Zalo OA phone: the OA emulator, its followers, and their chats as the page shows them.

A follower is a persona on channel "zalo_oa". What they do goes to the OA emulator, which
posts signed webhook events to the demo bot's HTTP server; what the OA sent them (texts with
numbered lists, uploaded photos and files) is read back from the emulator. The OA has no
buttons, so the page's follower answers a list by typing its number.
"""

from __future__ import annotations

import mimetypes
import secrets
import socket
from typing import Any

from bot.simulator.zalo_oa import ZaloOaEmulator
from bot.simulator.zalo_oa_state import OaSent

OA_CHANNEL = "zalo_oa"
WEBHOOK_PATH = "/zalo-oa/webhook"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OaPhone:
    """The OA emulator behind the demo's follower phones."""

    def __init__(self) -> None:
        self.oa = ZaloOaEmulator(app_secret=secrets.token_urlsafe(16),
                                 secret_key=secrets.token_urlsafe(16))  # fmt: skip
        self.port = 0
        self._baseline = 0

    async def start(self) -> None:
        await self.oa.start()
        self.port = _free_port()
        self.oa.webhook_url = f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def stop(self) -> None:
        await self.oa.stop()

    def settings(self) -> dict[str, Any]:
        """Return the bot's settings for an OA served by this emulator, its webhook here."""
        return {
            **self.oa.bot_settings(),
            "zalo_oa_refresh_token": self.oa.mint_refresh_token(),
            "zalo_oa_webhook_path": WEBHOOK_PATH,
            "zalo_media_hosts": self.oa.url,
            "http_host": "127.0.0.1",
            "http_port": self.port,
        }

    def accepted(self) -> int:
        """How many webhook deliveries the bot has taken (answered 200)."""
        return sum(1 for d in self.oa.deliveries if d.status == 200)

    def add_follower(self, name: str) -> str:
        return self.oa.add_user(name).id

    # --- what a follower does: each returns the time it happened (ms), for the chat's order ---

    async def follow(self, user_id: str) -> int:
        await self.oa.follow(user_id)
        return self.oa.clock.ms()

    async def send_text(self, user_id: str, text: str) -> int:
        await self.oa.send_text(user_id, text)
        return self.oa.clock.ms()

    async def send_photo(self, user_id: str, data: bytes, caption: str) -> tuple[int, str]:
        """Send a photo; return when, and the name the emulator serves it under."""
        event = await self.oa.send_image(user_id, data, caption)
        url = event["message"]["attachments"][0]["payload"]["url"]
        return self.oa.clock.ms(), url.rsplit("/", 1)[-1]

    async def send_location(self, user_id: str, latitude: float, longitude: float) -> int:
        await self.oa.send_location(user_id, latitude, longitude)
        return self.oa.clock.ms()

    # --- what the page shows ------------------------------------------------------------------

    def bot_views(self, user_id: str) -> list[dict[str, Any]]:
        """Return what the OA sent the follower, as the page's message entries."""
        return [self._view(m) for m in self.oa.messages(user_id)]

    def _view(self, sent: OaSent) -> dict[str, Any]:
        view: dict[str, Any] = {"from": "bot", "order": sent.at_ms, "date": sent.at_ms // 1000,
                                "text": sent.text, "entities": None}  # fmt: skip
        if sent.kind == "image":
            view["photo"] = {"url": f"/api/files/oa-up:{self._ref(sent)}"}
        elif sent.kind == "file":
            name, data = self.oa.attached(sent)
            url = f"/api/files/oa-up:{self._ref(sent)}"
            view["document"] = {"url": url, "name": name, "size": len(data)}
        return view

    @staticmethod
    def _ref(sent: OaSent) -> str:
        payload = (sent.attachment or {}).get("payload") or {}
        return payload.get("token") or (payload.get("elements") or [{}])[0].get("attachment_id")

    def file(self, file_id: str) -> tuple[bytes, str, str] | None:
        """Return the bytes, name and type of an upload (oa-up:) or a follower's photo (oa-in:)."""
        kind, _, ref = file_id.partition(":")
        if kind == "oa-up" and ref in self.oa.state.uploaded:
            name, data = self.oa.state.uploaded[ref]
        elif kind == "oa-in" and ref in self.oa.state.files:
            data, name = self.oa.state.files[ref][0], ref
        else:
            return None
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if guessed.startswith("image/"):
            guessed = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return data, name, guessed

    async def wait_until(self, ready, timeout: float) -> None:
        await self.oa.wait_until(ready, timeout)
