"""The Zalo OA emulator's world and rules (shared/reference/zalo-oa.md, §8's checklist).

Everything the API answers is HTTP 200 with `{"error": int, "message": str, "data": ...}`;
`error == 0` is success. Ids and `timestamp` are strings, times are epoch milliseconds, and
every time comes from an injectable clock (`OaClock.advance`) so tests can let 25 hours or
8 days pass. Rules the reference marks unconfirmed are fields of `OaRules`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .telegram_updates import Pulse
from .zalo_state import ZaloSent

ACCESS_TTL = 90_000  # seconds: 25 h, sent as the string "90000" [reference §1]
REFRESH_TTL = 90 * 86_400  # seconds: "3 months"
CODE_TTL = 600  # seconds: an authorisation code lives 10 minutes
TEXT_LIMIT = 2000  # characters after NFC [reference §3]
IMAGE_LIMIT = 1024 * 1024  # jpg/png
FILE_LIMIT = 5 * 1024 * 1024  # pdf/doc/docx
FILE_TYPES = {".pdf", ".doc", ".docx"}
IMAGE_TYPES = {".jpg", ".jpeg", ".png"}
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")  # what the bytes must be, whatever the name
# The oauth host's codes are unconfirmed [reference §1]: -14014 is the only "invalid grant"
# code seen, so it answers every bad code or refresh token; -14002 (app not active) a wrong
# app id or secret.
BAD_GRANT = -14014
BAD_APP = -14002
RETRY_LADDER = (30, 300, 900, 1800, 3600)  # seconds between webhook retries [2][7]


class OaError(Exception):
    """An API refusal: answered as HTTP 200 with this error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def payload(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@dataclass
class OaRules:
    """The rules the reference gives as unconfirmed or conflicting: settings, not facts."""

    window_days: float = 7.0  # -230 after this long without an interaction
    free_hours: float = 48.0  # sends this soon after an interaction are free
    free_per_window: int | None = None  # 8 before 2026, reportedly unlimited since
    sign_first_term: str = "app_id"  # "app_id" (the docs) or "oa_id" (some community code)
    upload_ttl_days: float = 7.0  # attachment ids and file tokens expire (-100)
    calls_per_minute: int = 4000  # per app; -32 above it
    webhook_timeout: float = 2.0  # seconds: a slower answer is a failed delivery
    # Seconds the token endpoint waits between rotating a pair and answering (a slow network):
    # a caller that gives up meanwhile must still keep the new pair, the old one is dead.
    token_answer_delay: float = 0.0
    # API paths the app was not granted (the OA admin left a permission unticked): -212
    unregistered: set[str] = field(default_factory=set)


class OaClock:
    """Wall-clock time plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class OaUser:
    """A Zalo user as the OA sees them: an OA-scoped id and an app-scoped one."""

    id: str
    id_by_app: str
    display_name: str
    follower: bool = False
    last_interaction: float | None = None  # epoch seconds on the emulator's clock
    free_sent: int = 0  # free sends since the last interaction


@dataclass
class OaSent:
    """A consultation message the OA sent, as the follower sees it."""

    message_id: str
    user_id: str
    kind: str  # "text" | "image" | "file"
    text: str = ""
    attachment: dict[str, Any] | None = None
    at_ms: int = 0
    free: bool = True  # within the free hours after the last interaction

    choices = ZaloSent.choices  # the numbered list in the text, as (number, label)


@dataclass
class Delivery:
    """One webhook POST and how it ended."""

    msg_id: str
    event_name: str
    status: int | str  # HTTP status, or the error's name
    num_retry: int = 0


@dataclass
class Pending:
    """An event whose delivery failed, waiting for its next try on the retry ladder."""

    body: bytes
    event: dict[str, Any]
    retries: int
    due: float  # epoch seconds on the emulator's clock


@dataclass
class Tokens:
    """Issued tokens: value -> expiry (epoch seconds); a used refresh token is deleted."""

    access: dict[str, float] = field(default_factory=dict)
    refresh: dict[str, float] = field(default_factory=dict)
    codes: dict[str, tuple[str, float]] = field(default_factory=dict)  # code -> challenge, exp
    refreshes: int = 0  # successful refreshes
    issued: list[tuple[str, str]] = field(default_factory=list)  # (access, refresh), in order


def challenge_of(verifier: str) -> str:
    """Return the PKCE code challenge of a verifier: base64url(SHA-256), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def signature(first_term: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """Return the X-ZEvent-Signature value: mac= + sha256hex(id + body + timestamp + key)."""
    data = first_term.encode() + body + timestamp.encode() + secret_key.encode()
    return "mac=" + hashlib.sha256(data).hexdigest()


class OaState:
    """The OA, its app, its followers, its tokens and what it sent."""

    def __init__(
        self, app_id: str, app_secret: str, secret_key: str, rules: OaRules, seed: int | None
    ) -> None:
        self.app_id, self.app_secret, self.secret_key = app_id, app_secret, secret_key
        self.rules = rules
        self.rng = random.Random(seed)
        self.oa_id = self.new_id()
        self.clock = OaClock()
        self.tokens = Tokens()
        self.users: dict[str, OaUser] = {}
        self.sent: dict[str, list[OaSent]] = {}
        self.uploads: dict[str, tuple[str, float]] = {}  # id or token -> kind, expiry
        self.files: dict[str, tuple[bytes, str]] = {}
        self.uploaded: dict[str, tuple[str, bytes]] = {}  # id or token -> file name, bytes
        self.calls: list[tuple[str, int]] = []  # (path, error code answered)
        self.minute: tuple[int, int] = (0, 0)  # (minute number, calls in it)
        self.changed = Pulse()

    def new_id(self) -> str:
        """Return a fresh numeric id as a string (Zalo's ids overflow 53-bit floats)."""
        return str(self.rng.randrange(10**18, 10**19))

    def user(self, user_id: Any) -> OaUser:
        if not isinstance(user_id, str) or user_id not in self.users:
            raise OaError(-213, "User has not followed OA")
        return self.users[user_id]

    def interacted(self, user: OaUser) -> None:
        """Reset a user's window: they followed or wrote [reference §3, what counts]."""
        user.last_interaction = self.clock.now()
        user.free_sent = 0

    # --- OAuth v4 -----------------------------------------------------------------------------

    def authorise(self, challenge: str) -> str:
        """Return an authorisation code the OA admin's consent would give (single use)."""
        code = secrets.token_urlsafe(24)
        self.tokens.codes[code] = (challenge, self.clock.now() + CODE_TTL)
        return code

    def mint_refresh_token(self) -> str:
        """Return a refresh token as the API Explorer hands one out (no access token)."""
        token = secrets.token_urlsafe(48)
        self.tokens.refresh[token] = self.clock.now() + REFRESH_TTL
        return token

    def token(self, secret_header: str | None, form: dict[str, str]) -> dict[str, Any]:
        """Answer POST /v4/oa/access_token: exchange a code, or rotate a refresh token."""
        if form.get("app_id") != self.app_id or secret_header != self.app_secret:
            raise OaError(BAD_APP, "Invalid app_id or secret_key")
        now, grant = self.clock.now(), form.get("grant_type")
        if grant == "authorization_code":
            challenge, expires = self.tokens.codes.pop(form.get("code", ""), ("", 0.0))
            if expires < now or challenge_of(form.get("code_verifier", "")) != challenge:
                raise OaError(BAD_GRANT, "Invalid authorization code")
        elif grant == "refresh_token":
            expires = self.tokens.refresh.pop(form.get("refresh_token", ""), 0.0)
            if expires < now:  # unknown, used before, or older than 3 months
                raise OaError(BAD_GRANT, "Invalid refresh token")
            self.tokens.refreshes += 1
        else:
            raise OaError(BAD_GRANT, "Invalid grant_type")
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        self.tokens.access[access] = now + ACCESS_TTL
        self.tokens.refresh[refresh] = now + REFRESH_TTL
        self.tokens.issued.append((access, refresh))
        self.changed.fire()
        return {"access_token": access, "refresh_token": refresh, "expires_in": str(ACCESS_TTL)}

    def revoke_all(self) -> None:
        """Forget every token, as when the OA admin removes the app's access."""
        self.tokens.access.clear()
        self.tokens.refresh.clear()

    def check_call(self, access_token: str | None, path: str = "") -> None:
        """Count a call against the per-app limit and check its `access_token` header."""
        minute = int(self.clock.now() // 60)
        count = self.minute[1] + 1 if self.minute[0] == minute else 1
        self.minute = (minute, count)
        if count > self.rules.calls_per_minute:
            raise OaError(-32, "Your application reached limit call api")
        expires = self.tokens.access.get(access_token or "")
        if expires is None or expires < self.clock.now():
            raise OaError(-216, "Access token is invalid")
        if path in self.rules.unregistered:
            raise OaError(-212, "API not registered")

    # --- sending (/v3.0/oa/message/cs) ----------------------------------------------------------

    def send_cs(self, body: Any) -> dict[str, Any]:
        """Check a consultation message against the reference's rules and record it."""
        if not isinstance(body, dict) or not isinstance(body.get("recipient"), dict):
            raise OaError(-201, "Parameter recipient is invalid")
        message = body.get("message")
        if not isinstance(message, dict):
            raise OaError(-201, "Parameter message is invalid")
        user = self.user(body["recipient"].get("user_id"))
        if not user.follower:
            raise OaError(-213, "User has not followed OA")
        kind, text, attachment = self._content(message)
        now = self.clock.now()
        last = user.last_interaction
        if last is None or now - last > self.rules.window_days * 86_400:
            raise OaError(-230, "User has not interacted with the OA in the past 7 days")
        cap = self.rules.free_per_window
        free = now - last <= self.rules.free_hours * 3600 and (cap is None or user.free_sent < cap)
        user.free_sent += 1 if free else 0
        sent = OaSent(self.new_id(), user.id, kind, text, attachment, self.clock.ms(), free)
        self.sent.setdefault(user.id, []).append(sent)
        self.changed.fire()
        quota = {"quota_type": "reply"} if free else {}
        return {"message_id": sent.message_id, "user_id": user.id, "quota": quota}

    def _content(self, message: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
        text = message.get("text", "")
        if not isinstance(text, str):
            raise OaError(-201, "Parameter text is invalid")
        text = unicodedata.normalize("NFC", text)
        if len(text) > TEXT_LIMIT:
            raise OaError(-210, "Text length exceeds the limit of 2000 characters")
        attachment = message.get("attachment")
        if attachment is None:
            if not text:
                raise OaError(-201, "Message is empty")
            return "text", text, None
        if not isinstance(attachment, dict):
            raise OaError(-201, "Parameter attachment is invalid")
        payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        if "buttons" in payload or "buttons" in message or attachment.get("type") == "list":
            raise OaError(-233, "Message type is not supported")
        if attachment.get("type") == "file":
            self._valid_upload(payload.get("token"), "file")
            return "file", text, attachment
        if attachment.get("type") == "template" and payload.get("template_type") == "media":
            elements = payload.get("elements")
            if not isinstance(elements, list) or len(elements) != 1:
                raise OaError(-201, "Parameter elements is invalid")
            element = elements[0] if isinstance(elements[0], dict) else {}
            if ("url" in element) == ("attachment_id" in element):
                raise OaError(-201, "Send either url or attachment_id")
            if element.get("media_type") == "gif" and not (
                "width" in element and "height" in element
            ):
                raise OaError(-201, "A gif needs width and height")
            if "attachment_id" in element:
                self._valid_upload(element["attachment_id"], "image")
            return "image", text, attachment
        raise OaError(-201, "Parameter attachment is invalid")

    # --- uploads ------------------------------------------------------------------------------

    def upload(self, kind: str, filename: str, data: bytes) -> dict[str, Any]:
        """Store an upload within its type and size limits; return its id or token."""
        suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
        types, limit = {"image": (IMAGE_TYPES, IMAGE_LIMIT), "file": (FILE_TYPES, FILE_LIMIT)}.get(
            kind, ({".gif"}, None)
        )
        if suffix not in types:
            raise OaError(-201, f"File type {suffix or '?'} is not supported")
        if limit is not None and len(data) > limit:
            raise OaError(-210, "File size exceeds the limit")
        if kind == "image" and not data.startswith(_IMAGE_MAGIC):
            raise OaError(-201, "The file is not a jpg or png image")
        ref = secrets.token_urlsafe(24)
        self.uploads[ref] = (kind, self.clock.now() + self.rules.upload_ttl_days * 86_400)
        self.uploaded[ref] = (filename, data)
        return {"token": ref} if kind == "file" else {"attachment_id": ref}

    def _valid_upload(self, ref: Any, kind: str) -> None:
        stored = self.uploads.get(ref) if isinstance(ref, str) else None
        if stored is None or stored[0] != kind:
            raise OaError(-201, "Parameter attachment is invalid")
        if stored[1] < self.clock.now():
            raise OaError(-100, "attachment_id was expired")

    # --- events towards the bot ------------------------------------------------------------------

    def user_event(self, user: OaUser, name: str, **message: Any) -> dict[str, Any]:
        """Build a user_* event as Zalo posts it: sender = the user, recipient = the OA."""
        return {
            "app_id": self.app_id,
            "user_id_by_app": user.id_by_app,
            "event_name": name,
            "timestamp": str(self.clock.ms()),
            "sender": {"id": user.id},
            "recipient": {"id": self.oa_id},
            "message": {"msg_id": secrets.token_hex(10), **message},
        }

    def follow_event(self, user: OaUser, name: str) -> dict[str, Any]:
        """Build a follow or unfollow event: no sender, the follower instead."""
        return {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "event_name": name,
            "timestamp": str(self.clock.ms()),
            "user_id_by_app": user.id_by_app,
            "follower": {"id": user.id},
            "source": "oa_profile",
        }

    def encode(self, event: dict[str, Any]) -> tuple[bytes, str]:
        """Return an event's body and its signature header."""
        body = json.dumps(event, ensure_ascii=False).encode()
        first = self.oa_id if self.rules.sign_first_term == "oa_id" else self.app_id
        return body, signature(first, body, event["timestamp"], self.secret_key)

    def detail(self, user_id: Any) -> dict[str, Any]:
        """Answer /v3.0/oa/user/detail: a follower's profile, -213 for anyone else."""
        user = self.user(user_id)
        if not user.follower:
            raise OaError(-213, "User has not followed OA")
        last = time.strftime("%d/%m/%Y", time.gmtime(user.last_interaction or 0))
        return {
            "user_id": user.id,
            "user_id_by_app": user.id_by_app,
            "display_name": user.display_name,
            "user_is_follower": True,
            "user_last_interaction_date": last,
        }
