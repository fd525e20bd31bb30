"""Voice notes: a resident who speaks where a description is asked for.

The note is stored at once like a photo (its id listed in the draft's "media", so it lives
exactly as long as the draft; also under "voices", so it is not counted as a photo), the
resident is told it arrived, and the item's description says there is a note to hear.
Officials get it as audio when they open the item (handlers/inbox_view.py). A voice tells
who speaks, so an item with a voice note is never sent anonymously.
"""

from __future__ import annotations

from handlers.base import Context


async def keep(ctx: Context) -> bool:
    """Store the voice note just received and say so; False (said) when it did not arrive."""
    note, msg = ctx.msg.voices[0], ctx.msg
    media_id = None
    if note.data is not None:
        media_id = await ctx.store.media.add(
            msg.channel, msg.user_id, note.ref, note.data, kind="voice", seconds=note.seconds
        )
    if media_id is None:
        ctx.say("voice.failed")
        return False
    ctx.draft.setdefault("media", []).append(media_id)
    ctx.draft.setdefault("voices", []).append(media_id)
    seconds = note.seconds if note.seconds is not None else "?"
    ctx.draft["description"] = ctx.t("voice.description", seconds=seconds)
    ctx.say("voice.received", seconds=seconds)
    return True


def photos(ctx: Context) -> int:
    """Count the draft's photos: its media without its voice notes."""
    return len(ctx.draft.get("media", [])) - len(ctx.draft.get("voices", []))


def never_anonymous(ctx: Context) -> None:
    """Send an item with a voice note with the sender's name, and say why."""
    if ctx.draft.get("voices") and ctx.draft.get("anonymous"):
        ctx.draft["anonymous"] = False
        ctx.say("voice.named")
