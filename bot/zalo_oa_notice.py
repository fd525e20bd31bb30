"""Tell the commune's admins that the Zalo OA must be connected again, through the outbox."""

from __future__ import annotations

import logging

from bot.config import Commune
from bot.i18n import translator
from bot.messages import Reply
from storage import Storage
from storage.db import utcnow
from storage.models import Role
from storage.outbox import Push, PushKind

log = logging.getLogger(__name__)

PRIORITY = 0  # before any other push: nothing reaches OA followers until it is done


async def tell_admins_tokens_dead(store: Storage, commune: Commune) -> int:
    """Ask every admin, once a day, to connect the OA again; return how many were told now."""
    admins = await store.staff.list_by_role(Role.ADMIN)
    if not admins:
        log.error("the Zalo OA must be connected again and no admin is listed to be told")
        return 0
    t = translator(commune.language, commune.address)
    reply = Reply(t("zalo_oa.tokens_dead_admin"))
    day = utcnow().astimezone(commune.zone).date().isoformat()
    pushes = [
        Push(admin.channel, admin.user_id, reply, kind=PushKind.ALERT,
             source=f"zalo_oa:tokens_dead:{day}", priority=PRIORITY)
        for admin in admins
    ]  # fmt: skip
    return await store.outbox.enqueue(pushes)
