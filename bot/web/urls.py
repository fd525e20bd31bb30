"""The console's addresses, in one place: routes register them, notifications link to them."""

from __future__ import annotations

from urllib.parse import quote

ROOT = "/web"
LOGIN = f"{ROOT}/login/{{token}}"
LOGOUT = f"{ROOT}/logout"
INBOX = f"{ROOT}/inbox"
INBOX_NEWER = f"{ROOT}/inbox/newer"  # JSON: rows received since the page was shown
STATIC = f"{ROOT}/static/{{name}}"
ITEM = f"{ROOT}/items/{{code}}"
ITEM_ACT = f"{ROOT}/items/{{code}}/act"  # POST: one staff action or remark on the item
MEDIA = f"{ROOT}/media/{{media_id}}"
BROADCASTS = f"{ROOT}/broadcasts"
PUBLICATIONS = f"{ROOT}/publications"
CONSULTATIONS = f"{ROOT}/consultations"
DIALOGUES = f"{ROOT}/dialogues"
REPORTS = f"{ROOT}/reports"
CONTENT = f"{ROOT}/content"
STAFF = f"{ROOT}/staff"


def login_url(base: str, token: str) -> str:
    """A one-time sign-in link (base: Settings.console_url)."""
    return base + LOGIN.format(token=quote(token, safe=""))


def item_url(base: str, code: str) -> str:
    """An item's page in the console, for links in staff notifications."""
    return base + ITEM.format(code=quote(code, safe=""))
