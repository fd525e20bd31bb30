"""/baocao: a leader (or an official, or the admin) gets the weekly digest now, as replies.

The same digest the scheduler pushes on Monday mornings (bot/digest): last full week by
default, or the week typed after the command ("/baocao 2026-W47").
"""

from __future__ import annotations

from bot.actions import permissions
from bot.digest.period import Period
from handlers.base import Context, Flow

KEY = "bc"


async def send_digest(ctx: Context) -> str | None:
    """Builds the week's digest and answers with its text, chart and workbook."""
    zone = ctx.commune.zone
    asked = ctx.msg.args.strip()
    if asked:
        try:
            week = Period.parse_week(asked, zone)
        except ValueError:
            ctx.say("reports.bad_week", week=asked[:20])
            return None
    else:
        week = Period.last_full_week(ctx.now, zone)
    from bot.digest.build import build_digest  # matplotlib loads only when a digest is made

    digest = await build_digest(ctx.store, ctx.commune, week)
    ctx.replies.extend(digest.replies(ctx.commune.language))
    return None


FLOW = Flow(
    key=KEY,
    roles=permissions.OFFICIALS,
    start=send_digest,
    commands=("baocao",),
    menu="menu.report",
    menu_order=55,
)
