"""The real Router over a real SQLite file, and people who talk to it with no channel between.

For tests that send many odd events quickly (fuzzing, the access matrix, storage faults):
`await lan.says("/phananh")`, `await lan.taps("Kiến nghị")`, `await lan.presses("hs:act:x")`.
Each call builds the Inbound a channel adapter would, runs `Router.handle` and returns the
replies; a caller remembers the newest buttons it was shown, as a person looking at the chat.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.config import Commune
from bot.messages import Choice, Document, Inbound, Kind, Location, Photo, Reply
from bot.router import Router
from storage import Storage
from storage.models import Role

CHANNEL = "telegram"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # enough of a JPEG for the bot to keep it

_ids = itertools.count(5_000_001)


@dataclass
class Caller:
    """Someone typing and pressing in a private chat with the bot."""

    desk: Desk
    name: str
    user_id: str
    buttons: tuple[Choice, ...] = ()  # the newest buttons shown in this chat
    heard: list[Reply] = field(default_factory=list)  # every reply, oldest first

    def inbound(self, kind: Kind, **fields) -> Inbound:
        """Build the Inbound a channel adapter makes for this person's private chat."""
        return Inbound(
            channel=CHANNEL,
            user_id=self.user_id,
            chat_id=self.user_id,
            display_name=self.name,
            kind=kind,
            **fields,
        )

    async def send(self, msg: Inbound) -> list[Reply]:
        """Hand one Inbound to the router and remember what came back."""
        replies = await self.desk.router.handle(msg)
        self.heard.extend(replies)
        shown = [r.choices for r in replies if r.choices]
        if shown:
            self.buttons = shown[-1]
        return replies

    async def says(self, text: str) -> list[Reply]:
        """Type a text, or a /command with its arguments."""
        if text.startswith("/") and len(text) > 1:
            word, _, args = text[1:].partition(" ")
            return await self.send(
                self.inbound(Kind.COMMAND, command=word.lower(), args=args.strip(), text=text)
            )
        return await self.send(self.inbound(Kind.TEXT, text=text))

    async def presses(self, data: str) -> list[Reply]:
        """Press a button with this data, offered or forged."""
        return await self.send(self.inbound(Kind.CHOICE, choice=data))

    async def taps(self, label: str) -> list[Reply]:
        """Press the newest button with this label, as a person would."""
        for choice in self.buttons:
            if choice.label == label:
                return await self.presses(choice.id)
        shown = [c.label for c in self.buttons]
        raise AssertionError(f"{self.name} sees no button {label!r}; shown: {shown}")

    async def sends_photo(self, caption: str = "", data: bytes | None = JPEG) -> list[Reply]:
        photo = Photo(f"photo-{next(_ids)}", len(data) if data else None, data)
        return await self.send(self.inbound(Kind.PHOTO, photos=(photo,), text=caption))

    async def sends_location(self, latitude: float, longitude: float) -> list[Reply]:
        where = Location(latitude, longitude)
        return await self.send(self.inbound(Kind.LOCATION, location=where))

    async def sends_document(self, name: str, data: bytes | None) -> list[Reply]:
        doc = Document(f"doc-{next(_ids)}", name, len(data) if data else None, data)
        return await self.send(self.inbound(Kind.DOCUMENT, documents=(doc,)))


class Desk:
    """One Router over one open Storage; flood control is off (tests type fast)."""

    def __init__(self, store: Storage, commune: Commune) -> None:
        self.store = store
        self.commune = commune
        self.router = Router(store, commune, flood_limit=10**6)

    def person(self, name: str, user_id: str | None = None) -> Caller:
        """Someone the bot has never met."""
        return Caller(self, name, user_id or str(next(_ids)))

    async def staff(self, name: str, role: Role, hamlet: str | None = None) -> Caller:
        """A staff member, added the way `loaxa staff add` adds one."""
        caller = self.person(name)
        await self.store.staff.upsert(CHANNEL, caller.user_id, name, role, hamlet=hamlet)
        return caller

    async def resident(self, name: str, hamlet: str = "Xóm 1", user_id: str | None = None):
        """A resident who has gone through onboarding (consent, hamlet, subscriptions)."""
        caller = self.person(name, user_id)
        await caller.says("/start")
        await caller.presses("onb:consent:yes")
        await caller.presses(f"onb:hamlet:{self.commune.hamlets.index(hamlet)}")
        await caller.presses("onb:subs:all")
        return caller

    async def feedback(self, caller: Caller, text: str, *, anonymous: bool = False) -> str:
        """Send a petition through /phananh and return its tracking code."""
        category = self.commune.categories[0].id
        await caller.says("/phananh")
        if caller.buttons and caller.buttons[0].id == "pa:behalf:self":
            await caller.presses("pa:behalf:self")
        for data in ("pa:kind:petition", f"pa:cat:{category}"):
            await caller.presses(data)
        await caller.says(text)
        await caller.presses("pa:photos:none")
        await caller.presses("pa:place:skip")
        await caller.presses("pa:anon:yes" if anonymous else "pa:anon:no")
        replies = await caller.presses("pa:send:yes")
        item = await self.store.feedback.get_by_code(sent_code(replies))
        assert item is not None
        return item.code


def sent_code(replies: list[Reply]) -> str:
    """Read the tracking code out of the "Đã nhận phản ánh, kiến nghị … Mã: …" reply."""
    for reply in replies:
        if reply.text.startswith("Đã nhận phản ánh"):
            return reply.text.split("Mã: ", 1)[1].split(".", 1)[0]
    raise AssertionError(f"no tracking code in {[r.text for r in replies]}")


@dataclass
class Town:
    """A commune with some history, so that forged ids point at real things."""

    hoa: Caller  # a resident of Xóm 1 with three items: new, resolved, anonymous
    lan: Caller  # a resident of Xóm 1 with nothing sent
    official: Caller
    leader: Caller
    supervisor: Caller
    hamlet_head: Caller
    admin: Caller
    items: dict[str, int]  # "new", "resolved", "anonymous" -> feedback id
    codes: dict[str, str]
    consultations: tuple[int, int]  # open (Xóm 1), closed
    dialogue: int
    question: int
    broadcast: int  # scheduled two days ahead, to everyone
    publication: int
    staff_ids: tuple[int, ...]

    def staff_by_role(self) -> dict[Role, Caller]:
        return {
            Role.HAMLET_HEAD: self.hamlet_head,
            Role.SUPERVISOR: self.supervisor,
            Role.OFFICIAL: self.official,
            Role.LEADER: self.leader,
            Role.ADMIN: self.admin,
        }


async def seed_town(desk: Desk) -> Town:
    """Build the town through the router where a person would, through storage elsewhere."""
    from datetime import date, timedelta

    from bot.outreach import Audience
    from handlers import broadcast_send
    from storage.db import utcnow
    from storage.publications import uploader_key

    store = desk.store
    official = await desk.staff("Cán bộ Minh", Role.OFFICIAL)
    leader = await desk.staff("Lãnh đạo Phúc", Role.LEADER)
    supervisor = await desk.staff("Giám sát Thu", Role.SUPERVISOR)
    hamlet_head = await desk.staff("Trưởng xóm Tư", Role.HAMLET_HEAD, hamlet="Xóm 1")
    admin = await desk.staff("Quản trị Sơn", Role.ADMIN)
    hoa = await desk.resident("Nguyễn Thị Hoa")
    lan = await desk.resident("Trần Thị Lan")
    codes = {
        "new": await desk.feedback(hoa, "Đèn đường ở ngõ 5 hỏng đã hai tuần nay"),
        "resolved": await desk.feedback(hoa, "Cống thoát nước trước nhà văn hóa bị tắc"),
        "anonymous": await desk.feedback(hoa, "Có người đổ trộm phế thải xây dựng ra bờ sông",
                                         anonymous=True),
    }  # fmt: skip
    items = {name: (await store.feedback.get_by_code(code)).id for name, code in codes.items()}
    resolved = items["resolved"]
    await official.presses(f"hs:open:{resolved}")
    await official.presses(f"hs:act:resolve:{resolved}")
    await official.says("Đã nạo vét xong cống, nước đã thoát.")
    assert (await store.feedback.get(resolved)).status == "resolved"

    staff = await store.staff.get_by_identity(CHANNEL, official.user_id)
    today = date.today()
    opened = await store.participation.open_consultation(
        "Làm đường bê tông xóm 1", "Dân góp công, xã hỗ trợ xi măng.", ["Xóm 1"],
        ["Đồng ý", "Không đồng ý"], today + timedelta(days=30), staff.id,
    )  # fmt: skip
    closed = await store.participation.open_consultation(
        "Sửa nhà văn hóa", "Sửa mái và sơn lại tường.", ["Xóm 1", "Xóm 2"],
        ["Đồng ý", "Không đồng ý"], today + timedelta(days=30), staff.id,
    )  # fmt: skip
    hoa_row = await store.residents.get_by_identity(CHANNEL, hoa.user_id)
    await store.participation.answer(closed.id, hoa_row.id, "Xóm 1", 0, "Nên làm sớm")
    await store.participation.close_consultation(closed.id)
    dialogue = await store.dialogues.announce("Đối thoại về đất đai", "Hội trường xã",
                                              "8 giờ sáng thứ Bảy", staff.id)  # fmt: skip
    question = await store.dialogues.ask(dialogue.id, hoa_row.id, "Xóm 1",
                                         "Khi nào cấp sổ đỏ cho đất ao?")  # fmt: skip
    await store.dialogues.answer(question, "Trong quý tới.", staff.id)

    now = utcnow()
    broadcast = await store.broadcasts.create_draft(staff.id, staff.name, CHANNEL,
                                                    official.user_id, "vi")  # fmt: skip
    await store.broadcasts.set_text(broadcast, "Lịch tiêm phòng cho trẻ em vào thứ Hai tới.")
    sent = await broadcast_send.send(
        store, desk.commune, broadcast, Audience("all"), now + timedelta(days=2), now
    )
    assert sent is not None and sent.recipients == 2

    uploader = uploader_key(CHANNEL, official.user_id)
    await store.publications.add_draft_file(uploader, "document", "du-toan.pdf", b"%PDF-1.4\n%%EOF")
    publication = await store.publications.publish(
        uploader, category="budget", title="Dự toán ngân sách xã", summary="Dự toán năm nay.",
        staff_id=staff.id, staff_name=staff.name, pushed=False,
    )  # fmt: skip
    staff_ids = tuple(s.id for s in await store.staff.list_all())
    return Town(
        hoa, lan, official, leader, supervisor, hamlet_head, admin, items, codes,
        (opened.id, closed.id), dialogue.id, question, broadcast, publication, staff_ids,
    )  # fmt: skip
