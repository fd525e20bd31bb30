"""/thongke: staff see how many residents the bot reaches, by hamlet."""

from __future__ import annotations

from bot.actions import permissions
from handlers.base import Context, Flow

KEY = "tk"


async def show(ctx: Context) -> str | None:
    """Shows registered residents per hamlet and how many deleted their data."""
    counts = await ctx.store.residents.count_by_hamlet()
    lines = [ctx.t("stats.title", commune=ctx.commune.display_name)]
    for hamlet in ctx.commune.hamlets:
        lines.append(ctx.t("stats.hamlet_line", hamlet=hamlet, count=counts.pop(hamlet, 0)))
    other = sum(counts.values())
    if other:
        lines.append(ctx.t("stats.other_line", count=other))
    deleted = await ctx.store.residents.count_deleted()
    lines.append(ctx.t("stats.deleted_line", count=deleted))
    ctx.replies.append(ctx.reply("\n".join(lines)))
    ctx.show_menu = True
    return None


FLOW = Flow(
    key=KEY,
    roles=permissions.READERS,
    start=show,
    commands=("thongke",),
    menu="menu.stats",
    menu_order=50,
)
