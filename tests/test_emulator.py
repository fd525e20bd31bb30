"""The Telegram emulator answers python-telegram-bot like api.telegram.org would."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler

from bot.simulator import RateLimits, TelegramEmulator

pytestmark = pytest.mark.asyncio

TOKEN = "4242:emulator-test-token"
# A 1x1 JPEG header is enough for the emulator: it never decodes images.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffc0000b080002000301011100")
JPEG += b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
async def emu():
    async with TelegramEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.file_url) as client:
        yield client


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in pairs])


def seconds(error: RetryAfter) -> float:
    """Read retry_after whether PTB hands out an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


# --- identity and transport -------------------------------------------------------------


async def test_get_me_is_the_bot_named_by_the_token(emu, bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (4242, "emulator_bot", True)
    assert emu.call_counts["getMe"] >= 1


async def test_wrong_token_unknown_method_and_params_from_anywhere(emu):
    async with httpx.AsyncClient() as http:
        wrong = await http.post(f"{emu.base_url}999:nope/getMe")
        unknown = await http.post(f"{emu.base_url}{TOKEN}/sendTelepathy", data={"x": "1"})
        lower = await http.get(f"{emu.base_url}{TOKEN}/getme")
        user = emu.add_user("Lan")
        by_json = await http.post(
            f"{emu.base_url}{TOKEN}/sendMessage", json={"chat_id": str(user.id), "text": "123"}
        )
        await http.get(
            f"{emu.base_url}{TOKEN}/sendMessage", params={"chat_id": user.id, "text": "true"}
        )
    assert (wrong.status_code, wrong.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()["description"]) == (404, "Not Found")
    assert lower.json()["result"]["username"] == "emulator_bot"
    assert by_json.json()["result"]["text"] == "123"
    assert [m.text for m in emu.messages(user.id)] == ["123", "true"]  # strings stay strings
    assert ("sendTelepathy", {"x": 1}) in emu.calls


async def test_document_names_are_recorded_as_telegram_shows_them(emu):
    """UTF-8 as sent; %XX, backslashes and filename* not decoded, as the Bot API server does."""
    user = emu.add_user("Lan")
    names = {
        'filename="Dự toán 2026.pdf"': "Dự toán 2026.pdf",
        'filename="D%E1%BB%B1 to%C3%A1n.pdf"': "D%E1%BB%B1 to%C3%A1n.pdf",
        'filename="a\\\\b.pdf"': "a\\\\b.pdf",
        "filename=plain.pdf": "plain.pdf",
    }
    async with httpx.AsyncClient() as http:
        for disposition, shown in names.items():
            body = (
                b"--B\r\n"
                b'Content-Disposition: form-data; name="chat_id"\r\n\r\n'
                + str(user.id).encode()
                + b"\r\n--B\r\n"
                + f'Content-Disposition: form-data; name="document"; {disposition}'.encode()
                + b"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n"
            )
            sent = await http.post(
                f"{emu.base_url}{TOKEN}/sendDocument",
                content=body,
                headers={"Content-Type": "multipart/form-data; boundary=B"},
            )
            assert sent.json()["result"]["document"]["file_name"] == shown, sent.text
            assert emu.messages(user.id)[-1].document["file_name"] == shown


async def test_repr_and_logs_never_show_the_token(emu, bot, caplog):
    caplog.set_level(logging.DEBUG, logger="bot.simulator")
    async with httpx.AsyncClient() as http:
        await http.post(f"{emu.base_url}{TOKEN}/noSuchMethod")
    await bot.get_me()
    assert TOKEN not in repr(emu)
    assert "noSuchMethod" in caplog.text
    emulator_lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert emulator_lines and not any(TOKEN in line for line in emulator_lines)


# --- messages, keyboards, callbacks -----------------------------------------------------


async def test_button_press_reaches_get_updates_and_is_answered(emu, bot):
    lan = emu.add_user("Lan")
    sent = await bot.send_message(lan.id, "Đồng ý?", reply_markup=keyboard(("Có", "consent:yes")))
    await emu.press(lan.id, sent.message_id, "consent:yes")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert (query.data, query.from_user.id, query.message.message_id) == (
        "consent:yes",
        lan.id,
        sent.message_id,
    )
    await query.answer("Đã ghi nhận")
    assert emu.answered_callbacks[0]["text"] == "Đã ghi nhận"
    assert emu.answered_callbacks[0]["data"] == "consent:yes"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)  # only once, like Telegram


async def test_sent_message_is_recorded_with_buttons_edits_and_deletions(emu, bot):
    lan = emu.add_user("Lan")
    first = await bot.send_message(lan.id, "Chọn", reply_markup=keyboard(("A", "a"), ("B", "b")))
    second = await bot.send_message(lan.id, "Tạm")
    assert emu.messages(lan.id)[0].buttons == [("A", "a"), ("B", "b")]
    await bot.edit_message_text("Đã chọn A", chat_id=lan.id, message_id=first.message_id)
    await bot.delete_message(lan.id, second.message_id)
    (only,) = emu.messages(lan.id)
    assert (only.text, only.buttons, only.edit_date is not None) == ("Đã chọn A", [], True)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Đã chọn A", chat_id=lan.id, message_id=first.message_id)
    with pytest.raises(BadRequest, match=r"(?i)to edit not found"):
        await bot.edit_message_text("x", chat_id=lan.id, message_id=99)
    with pytest.raises(BadRequest, match=r"(?i)to delete not found"):
        await bot.delete_message(lan.id, second.message_id)


async def test_next_message_cursor_and_clear_timeout(emu, bot):
    lan = emu.add_user("Lan")
    waiter = asyncio.create_task(emu.next_message(lan.id, timeout=1))
    await bot.send_message(lan.id, "một")
    await bot.send_message(lan.id, "hai")
    assert (await waiter).text == "một"
    assert (await emu.next_message(lan.id)).text == "hai"
    with pytest.raises(TimeoutError, match=rf"(?i)no new message to chat {lan.id}"):
        await emu.next_message(lan.id, timeout=0.05)


# --- validation -------------------------------------------------------------------------


async def test_text_limits_count_characters_after_entity_parsing(emu, bot):
    lan = emu.add_user("Lan")
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(lan.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(lan.id, "  ")
    await bot.send_message(lan.id, "<b>" + "ă" * 4096 + "</b>", parse_mode="HTML")
    assert len(emu.messages(lan.id)[0].text) == 4096
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(lan.id, JPEG, caption="c" * 1025)


async def test_callback_data_is_limited_to_64_bytes(emu, bot):
    lan = emu.add_user("Lan")
    await bot.send_message(lan.id, "ok", reply_markup=keyboard(("ă", "ă" * 32)))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
        await bot.send_message(lan.id, "no", reply_markup=keyboard(("x", "x" * 65)))
    with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
        await bot.send_message(lan.id, "no", reply_markup=keyboard(("ă", "ă" * 33)))  # 33 chars
    assert [m.text for m in emu.messages(lan.id)] == ["ok"]


@pytest.mark.parametrize("broken", ["<b>x", "a < b", "tom &foo jerry", "<b><i>x</b></i>", "<br>"])
async def test_broken_html_is_refused(emu, bot, broken):
    lan = emu.add_user("Lan")
    with pytest.raises(BadRequest, match=r"(?i)Can't parse entities"):
        await bot.send_message(lan.id, broken, parse_mode="HTML")
    assert emu.messages(lan.id) == []


async def test_escaped_html_is_stored_as_plain_text_with_entities(emu, bot):
    lan = emu.add_user("Lan")
    html = '<b>Lúa</b> &lt; 5 &amp; <a href="https://xa.vn">xã</a> &#128512;'
    sent = await bot.send_message(lan.id, html, parse_mode="HTML")
    stored = emu.messages(lan.id)[0]
    assert stored.text == sent.text == "Lúa < 5 & xã 😀"
    assert [(e["type"], e["offset"], e["length"]) for e in stored.entities] == [
        ("bold", 0, 3),
        ("text_link", 10, 2),
    ]
    assert stored.entities[1]["url"] == "https://xa.vn"


async def test_markdown_v2_needs_reserved_characters_escaped(emu, bot):
    lan = emu.add_user("Lan")
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await bot.send_message(lan.id, "Xin chào.", parse_mode="MarkdownV2")
    await bot.send_message(lan.id, r"*Xin* chào\. \(1\+1\)", parse_mode="MarkdownV2")
    stored = emu.messages(lan.id)[0]
    assert (stored.text, stored.entities[0]["type"]) == ("Xin chào. (1+1)", "bold")


async def test_unknown_chat_blocked_and_deactivated_users(emu, bot):
    lan, binh = emu.add_user("Lan"), emu.add_user("Bình")
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(123456789, "hello")
    emu.block(lan.id)
    emu.deactivate(binh.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(lan.id, "hello")
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await bot.send_message(binh.id, "hello")
    await emu.send_text(lan.id, "/start")  # writing again means pressing "Restart"
    await bot.send_message(lan.id, "welcome back")
    assert [m.text for m in emu.messages(lan.id)] == ["welcome back"]


# --- updates ----------------------------------------------------------------------------


async def test_confirmed_updates_are_never_returned_again(emu, bot):
    lan = emu.add_user("Lan")
    for text in ("/start rate_motcua", "một", "hai"):
        await emu.send_text(lan.id, text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates] == ["/start rate_motcua", "một", "hai"]
    assert updates[0].message.entities[0].type == "bot_command"
    again = await bot.get_updates()  # not confirmed yet: redelivered
    assert [u.update_id for u in again] == [u.update_id for u in updates]
    assert await bot.get_updates(offset=updates[1].update_id + 1) == (updates[2],)
    assert await bot.get_updates() == (updates[2],)  # 1 and 2 are gone for good
    await emu.send_text(lan.id, "ba")
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["ba"]
    assert emu.updates_sent == 4


async def test_long_poll_returns_as_soon_as_a_message_arrives(emu, bot):
    lan = emu.add_user("Lan")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    await emu.send_text(lan.id, "có ai không")
    (update,) = await poll
    assert update.message.text == "có ai không"
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25


async def test_a_second_poller_or_a_webhook_terminates_a_long_poll(emu, bot):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient() as http:  # another bot instance with the same token
        url = f"{emu.base_url}{TOKEN}/getUpdates"
        second = asyncio.create_task(http.post(url, data={"timeout": "5"}))
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
            await asyncio.wait_for(first, 1)
        await bot.set_webhook("http://127.0.0.1:9/hook")
        answer = await asyncio.wait_for(second, 1)
    assert (answer.status_code, answer.json()["description"]) == (
        409,
        "Conflict: terminated by setWebhook request",
    )


async def test_allowed_updates_filters_later_updates(emu, bot):
    lan = emu.add_user("Lan")
    await bot.get_updates(allowed_updates=["callback_query"])
    await emu.send_text(lan.id, "ignored")
    await emu.press(lan.id, 99, "forged:data")
    (update,) = await bot.get_updates()
    assert update.callback_query.data == "forged:data"
    assert update.callback_query.message.date.timestamp() == 0  # InaccessibleMessage


async def test_every_kind_of_user_update_parses_in_ptb(emu, bot):
    lan = emu.add_user("Lan", username="lan_xom3")
    group, channel = emu.add_group("Xóm 3"), emu.add_channel("Kênh xã")
    emu.add_member(group, lan)
    first = await emu.send_text(lan.id, "chào")
    await emu.send_text(lan.id, "/help@emulator_bot", chat_id=group)
    await emu.send_location(lan.id, 21.9, 105.6)
    await emu.send_contact(lan.id, "+84901234567")
    await emu.send_sticker(lan.id)
    await emu.send_voice(lan.id)
    await emu.send_document(lan.id, b"%PDF-1.4", "don.pdf")
    await emu.edit_text(lan.id, first["message"]["message_id"], "chào xã")
    await emu.channel_post(channel, "Thông báo")
    updates = [Update.de_json(u, bot) for u in emu.pending_updates]
    assert updates[1].message.chat.type == "group"
    assert updates[2].message.location.latitude == 21.9
    assert updates[3].message.contact.first_name == "Lan"
    assert updates[4].message.sticker.emoji == "👍"
    assert updates[5].message.voice.mime_type == "audio/ogg"
    assert updates[6].message.document.file_name == "don.pdf"
    assert updates[7].edited_message.text == "chào xã"
    assert updates[8].channel_post.sender_chat.title == "Kênh xã"


async def test_a_real_ptb_application_converses_through_the_emulator(emu):
    async def start(update, context):
        await update.message.reply_text(
            f"Chào {update.effective_user.first_name}! Tham số: {context.args[0]}",
            reply_markup=keyboard(("Đồng ý", "consent:yes")),
        )

    async def consent(update, context):
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Cảm ơn <b>bạn</b>", parse_mode="HTML")

    app = ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
    app = app.base_file_url(emu.file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(consent))
    lan = emu.add_user("Lan")
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await emu.send_text(lan.id, "/start rate_motcua")
        greeting = await emu.next_message(lan.id, timeout=2)
        assert greeting.text == "Chào Lan! Tham số: rate_motcua"
        await emu.tap(lan.id, "Đồng ý")
        await emu.wait_until(lambda: emu.messages(lan.id)[0].edit_date, timeout=2)
        await app.updater.stop()
        await app.stop()
    (thanked,) = emu.messages(lan.id)
    assert (thanked.text, thanked.buttons, thanked.entities[0]["type"]) == (
        "Cảm ơn bạn",
        [],
        "bold",
    )
    assert len(emu.answered_callbacks) == 1
    assert emu.pending_updates == []  # PTB confirmed what it handled


# --- realism options --------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_per_chat_rate_limit_answers_429_with_retry_after():
    limits = RateLimits(per_chat_per_second=1.0, burst=2)
    async with TelegramEmulator(token=TOKEN, rate_limit=limits) as emu:
        lan = emu.add_user("Lan")
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            await bot.send_message(lan.id, "1")
            await bot.send_message(lan.id, "2")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(lan.id, "3")
    assert seconds(caught.value) >= 1
    assert [m.text for m in emu.messages(lan.id)] == ["1", "2"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_global_rate_limit_spans_chats():
    limits = RateLimits(global_per_second=3, per_chat_per_second=1.0, burst=1)
    async with TelegramEmulator(token=TOKEN, rate_limit=limits) as emu:
        people = [emu.add_user(f"P{i}") for i in range(4)]
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            for person in people[:3]:
                await bot.send_message(person.id, "tin")
            with pytest.raises(RetryAfter):
                await bot.send_message(people[3].id, "tin")


@pytest.mark.parametrize("kind", ["500", "502", "drop"])
async def test_injected_failures_surface_as_network_errors(kind):
    async with TelegramEmulator(token=TOKEN, failure_kinds=[kind], seed=7) as emu:
        lan = emu.add_user("Lan")
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            emu.failure_rate = 1.0  # an outage starts after the bot connected
            with pytest.raises(NetworkError):
                await bot.send_message(lan.id, "x")
            emu.failure_rate = 0.0
            await bot.send_message(lan.id, "y")
    assert [m.text for m in emu.messages(lan.id)] == ["y"]
    assert emu.call_counts["sendMessage"] == 2


async def test_failures_spare_long_polls_unless_asked():
    failing = TelegramEmulator(token=TOKEN, failure_rate=1.0)
    async with failing as emu, httpx.AsyncClient() as http:
        polled = await http.post(f"{emu.base_url}{TOKEN}/getUpdates")
        sent = await http.post(f"{emu.base_url}{TOKEN}/getMe")
    assert (polled.status_code, polled.json()) == (200, {"ok": True, "result": []})
    assert (sent.status_code, sent.json()["description"]) == (500, "Internal Server Error")


async def test_latency_is_added_to_every_call():
    slow = TelegramEmulator(token=TOKEN, latency=0.15)
    async with slow as emu, httpx.AsyncClient() as http:
        started = time.monotonic()
        await http.get(f"{emu.base_url}{TOKEN}/getMe")
    assert time.monotonic() - started >= 0.15


# --- files and commands -----------------------------------------------------------------


async def test_uploaded_photo_downloads_byte_for_byte(emu, bot):
    lan = emu.add_user("Lan")
    sent = await bot.send_photo(lan.id, JPEG, caption="<i>Ảnh</i>", parse_mode="HTML")
    biggest = sent.photo[-1]
    assert (biggest.width, biggest.height, biggest.file_size) == (3, 2, len(JPEG))
    downloaded = await (await bot.get_file(biggest.file_id)).download_as_bytearray()
    assert bytes(downloaded) == JPEG
    again = await bot.send_photo(lan.id, biggest.file_id)  # resend by file_id
    assert again.photo[-1].file_unique_id == biggest.file_unique_id
    stored = emu.messages(lan.id)[0]
    assert (stored.caption, stored.photo[0]["file_id"]) == ("Ảnh", biggest.file_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(lan.id, "no-such-file-id")


async def test_photo_from_a_person_is_downloadable_by_the_bot(emu, bot):
    lan = emu.add_user("Lan")
    await emu.send_photo(lan.id, JPEG, caption="bãi rác")
    (update,) = await bot.get_updates()
    photo_file = await update.message.photo[-1].get_file()
    assert bytes(await photo_file.download_as_bytearray()) == JPEG
    assert update.message.caption == "bãi rác"


async def test_commands_are_stored_per_scope(emu, bot):
    staff = emu.add_user("Cán bộ")
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("thongke", "Thống kê")],
        scope=BotCommandScopeChat(staff.id),
    )
    assert [c["command"] for c in emu.commands("default")] == ["start"]
    assert [c["command"] for c in emu.commands(staff.id)] == ["start", "thongke"]
    mine = await bot.get_my_commands(scope=BotCommandScopeChat(staff.id))
    assert [c.command for c in mine] == ["start", "thongke"]
    with pytest.raises(BadRequest, match=r"(?i)Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "viết hoa")])
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(1))
    assert [c["command"] for c in emu.visible_commands(staff.id)] == ["start", "thongke"]
    await bot.delete_my_commands(scope=BotCommandScopeDefault())
    assert emu.commands("default") == []


async def test_a_wrong_token_is_refused_by_ptb(emu):
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong-token", base_url=emu.base_url):
            pass


# --- webhook ----------------------------------------------------------------------------


async def _hook_server(statuses: list[int]):
    """Start a tiny webhook receiver answering the given statuses, then 200."""
    received: asyncio.Queue = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await received.put((secret, await request.json()))
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook", received


async def test_webhook_mode_posts_updates_with_the_secret(emu, bot):
    runner, url, received = await _hook_server([500])
    try:
        lan = emu.add_user("Lan")
        await bot.set_webhook(url, secret_token="s3cret_token")
        update = await emu.send_text(lan.id, "/start")
        failed = await asyncio.wait_for(received.get(), 2)
        secret, body = await asyncio.wait_for(received.get(), 2)  # retried after the 500
        assert failed[1] == body == json.loads(json.dumps(update))
        assert secret == "s3cret_token"
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.last_error_message.endswith("webhook: 500 Internal Server Error")
        await emu.wait_until(lambda: not emu.pending_updates, timeout=1)
        await bot.delete_webhook()
        await emu.send_text(lan.id, "polling again")
        assert [u.message.text for u in await bot.get_updates()] == ["polling again"]
    finally:
        await runner.cleanup()
