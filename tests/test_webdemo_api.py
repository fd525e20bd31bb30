"""The web demo's JSON API, without a browser: personas chat with the real bot through it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from bot.messages import Media, Reply
from bot.webdemo.seed import DEMO_LOCATION, demo_png
from handlers.feedback_status import Status
from storage.models import Role
from tests.webdemo_server import CODE, as_the_page, running_demo

STATIC = Path(__file__).resolve().parent.parent / "bot" / "webdemo" / "static"


@pytest.fixture
async def demo(tmp_path, commune, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with (
        running_demo(tmp_path, commune) as (world, base),
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield Page(world, await as_the_page(client))


class Page:
    """What the page does: read a persona's chat, send, tap."""

    def __init__(self, world, client: httpx.AsyncClient) -> None:
        self.world, self.client = world, client

    async def state(self) -> dict:
        response = await self.client.get("/api/state")
        assert response.status_code == 200
        return response.json()

    async def chat(self, pid: str) -> list[dict]:
        response = await self.client.get(f"/api/personas/{pid}/chat")
        assert response.status_code == 200
        return response.json()["messages"]

    async def wait_for(self, pid: str, text: str, timeout: float = 15.0) -> dict:
        """Long-poll the chat until a bot message contains `text`; return it."""
        version, deadline = "", time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = await self.client.get(
                f"/api/personas/{pid}/chat", params={"since": version, "wait": 2}
            )
            body = response.json()
            version = body["version"]
            for message in reversed(body["messages"]):
                if message["from"] == "bot" and text in message["text"]:
                    return message
        raise AssertionError(f"no bot message with {text!r} in {pid}'s chat")

    async def says(self, pid: str, text: str) -> None:
        response = await self.client.post(f"/api/personas/{pid}/text", json={"text": text})
        assert response.status_code == 200, response.text

    async def taps(self, pid: str, label: str) -> None:
        for message in reversed(await self.chat(pid)):
            for row in message.get("buttons", ()):
                for button in row:
                    if button["text"] == label:
                        response = await self.client.post(
                            f"/api/personas/{pid}/press",
                            json={"message_id": message["message_id"], "data": button["data"]},
                        )
                        assert response.status_code == 200, response.text
                        return
        raise AssertionError(f"{pid} sees no button {label!r}")


def persona(state: dict, role: str, registered: bool = True) -> str:
    return next(
        p["id"] for p in state["personas"] if p["role"] == role and p["registered"] == registered
    )


async def test_the_page_is_served_and_asks_for_nothing_outside(demo):
    page = await demo.client.get("/")
    assert page.status_code == 200 and "Loa Xã" in page.text
    for name in ("app.js", "app.css"):
        assert (await demo.client.get(f"/static/{name}")).status_code == 200
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert not re.search(r"""url\(\s*["']?(https?:)?//|@import""", text), path.name
        assert "fonts.g" not in text and "cdn" not in text.lower(), path.name


async def test_state_offers_personas_of_every_kind_and_the_scheduled_jobs(demo):
    state = await demo.state()
    people = state["personas"]
    assert people[0]["registered"] is False  # the newcomer, for /start
    roles = {p["role"] for p in people}
    assert {"resident", "official", "leader", "hamlet_head"} <= roles
    hamlets = {p["hamlet"] for p in people if p["role"] == "resident" and p["registered"]}
    assert len(hamlets) == len(state["hamlets"]) >= 2
    labels = {job["id"]: job["label"] for job in state["jobs"]}
    assert "deadlines" in labels
    for known in ("deadlines", "digest", "surveys", "housekeeping"):
        assert labels.get(known, "") != known  # labelled from the catalog
    for job_id, label in labels.items():
        if job_id.startswith("campaign-"):
            assert label.startswith("Gửi bài tuyên truyền kế tiếp: ")
    assert set(state["seed"]["feedback"]) == {s.value for s in Status}
    assert state["seed"]["overdue"] >= 1
    assert (state["location"]["latitude"], state["location"]["longitude"]) == DEMO_LOCATION


async def test_feedback_and_its_answer_cross_over_through_the_api(demo):
    state = await demo.state()
    lan, minh = persona(state, "resident", registered=False), persona(state, "official")

    await demo.says(lan, "/start")
    await demo.wait_for(lan, "xã Ví Dụ")
    await demo.taps(lan, "Đồng ý")
    await demo.taps(lan, "Xóm 2")
    await demo.taps(lan, "Nhận tất cả (nên chọn)")
    await demo.says(lan, "/phananh")
    await demo.taps(lan, "Phản ánh, kiến nghị")
    await demo.taps(lan, "Đường sá, hạ tầng")
    await demo.says(lan, "Ổ gà lớn giữa đường trục xóm, xe máy dễ ngã")
    upload = await demo.client.post(
        f"/api/personas/{lan}/photo",
        files={"photo": ("o-ga.png", demo_png(5), "image/png")},
        data={"caption": ""},
    )
    assert upload.status_code == 200, upload.text
    await demo.wait_for(lan, "Đã nhận ảnh")
    await demo.taps(lan, "Xong, tiếp tục")
    located = await demo.client.post(f"/api/personas/{lan}/location", json={})
    assert located.status_code == 200
    await demo.taps(lan, "Gửi có tên")
    await demo.taps(lan, "Gửi phản ánh")
    code = CODE.search((await demo.wait_for(lan, "Đã nhận phản ánh"))["text"]).group(0)

    chat = await demo.chat(lan)
    mine = [m for m in chat if m["from"] == "me"]
    assert mine[0]["text"] == "/start"
    assert any(m.get("location") for m in mine)
    photo = next(m["photo"] for m in mine if m.get("photo"))
    fetched = await demo.client.get(photo["url"])
    assert fetched.content == demo_png(5) and fetched.headers["content-type"] == "image/png"
    assert [m["text"] for m in chat if m["from"] == "press"][:2] == ["Đồng ý", "Xóm 2"]
    orders = [m["order"] for m in chat]
    assert orders == sorted(orders)

    notice = await demo.wait_for(minh, code)
    assert "Có phản ánh mới" in notice["text"]
    await demo.taps(minh, "Xem phản ánh")
    await demo.taps(minh, "Trả lời người dân")
    await demo.says(minh, "Xã sẽ vá ổ gà trong tuần này.")
    await demo.wait_for(minh, f"Đã lưu câu trả lời cho phản ánh {code}")

    answer = await demo.wait_for(lan, f"Xã trả lời phản ánh {code}")
    assert "Xã sẽ vá ổ gà trong tuần này." in answer["text"]
    item = await demo.world.store.feedback.get_by_code(code)
    assert (item.status, item.hamlet, round(item.latitude, 4)) == (
        "answered",
        "Xóm 2",
        DEMO_LOCATION[0],
    )


async def test_documents_the_bot_sends_are_listed_and_downloadable(demo):
    state = await demo.state()
    binh = persona(state, "leader")
    data = b"PK\x03\x04 demo workbook bytes"
    report = Reply("Báo cáo tuần", media=Media("document", "bao-cao-tuan.xlsx", data))
    await demo.world.telegram.send(binh, report)
    message = await demo.wait_for(binh, "Báo cáo tuần")
    assert message["document"]["name"] == "bao-cao-tuan.xlsx"
    fetched = await demo.client.get(message["document"]["url"])
    assert fetched.content == data
    assert "attachment" in fetched.headers["content-disposition"]
    assert (await demo.client.get("/api/files/no-such-file")).status_code == 404


async def test_new_personas_are_staff_or_residents_as_asked(demo):
    made = await demo.client.post(
        "/api/personas", json={"name": "Chị Hồng", "role": "official", "hamlet": None}
    )
    assert made.status_code == 201
    hong = made.json()
    member = await demo.world.store.staff.get_by_identity("telegram", hong["id"])
    assert member.role is Role.OFFICIAL
    menu = (await demo.client.get(f"/api/personas/{hong['id']}/chat")).json()["commands"]
    assert "hopthu" in {c["command"] for c in menu}

    made = await demo.client.post(
        "/api/personas", json={"name": "Ông Tám", "role": "resident", "hamlet": "Xóm 4"}
    )
    tam = made.json()
    resident = await demo.world.store.residents.get_by_identity("telegram", tam["id"])
    assert (tam["registered"], resident.hamlet) == (True, "Xóm 4")
    await demo.says(tam["id"], "/start")
    await demo.wait_for(tam["id"], "quay lại")

    for body, code in (
        ({"name": "", "role": "resident"}, "bad_name"),
        ({"name": "A", "role": "mayor"}, "bad_role"),
        ({"name": "A", "role": "resident", "hamlet": "Xóm 99"}, "bad_hamlet"),
    ):
        refused = await demo.client.post("/api/personas", json=body)
        assert refused.status_code == 400 and refused.json()["error"] == code
        assert refused.json()["message"]  # a sentence for the page, from the catalog
    unknown = await demo.client.get("/api/personas/42/chat")
    assert unknown.json()["error"] == "unknown_persona"
    forged = await demo.client.post(
        f"/api/personas/{tam['id']}/press", json={"message_id": 1, "data": "hs:open:1"}
    )
    assert forged.json()["error"] == "unknown_button"


async def test_the_deadline_check_fires_from_the_page_once_per_day(demo):
    state = await demo.state()
    binh = persona(state, "leader")
    fired = await demo.client.post("/api/jobs/deadlines")
    assert fired.status_code == 200
    assert re.search(r"báo lãnh đạo [1-9]\d* phản ánh quá hạn", fired.json()["message"])
    await demo.wait_for(binh, "QUÁ HẠN")
    await demo.world.app.delivery.drain()
    before = len(await demo.chat(binh))
    again = await demo.client.post("/api/jobs/deadlines")
    assert "0 tin mới" in again.json()["message"]
    await demo.world.app.delivery.drain()
    assert len(await demo.chat(binh)) == before
    missing = await demo.client.post("/api/jobs/no-such-job")
    assert missing.status_code == 404


async def test_a_campaign_fired_from_the_page_reaches_subscribers_at_any_hour(demo):
    state = await demo.state()
    campaigns = [job["id"] for job in state["jobs"] if job["id"].startswith("campaign-")]
    if not campaigns:
        pytest.skip("no outreach campaign is configured")
    residents = [p["id"] for p in state["personas"] if p["role"] == "resident" and p["registered"]]
    fired = await demo.client.post(f"/api/jobs/{campaigns[0]}")
    assert fired.status_code == 200
    await demo.world.app.delivery.drain()  # quiet hours are off in the demo: nothing is held
    reached = [pid for pid in residents if await demo.chat(pid)]
    assert reached, fired.json()["message"]


async def test_other_sites_cannot_drive_the_demo(demo):
    """A page elsewhere, or a name rebound to 127.0.0.1, is refused; the demo's own page works."""
    state = await demo.state()
    lan = persona(state, "resident")
    text = f"/api/personas/{lan}/text"
    port = demo.client.base_url.port
    token = demo.client.headers["X-Loaxa-Demo-Token"]
    forged = [
        ({"Host": "evil.example"}, {"text": "Host"}),  # DNS rebinding
        ({"Host": f"evil.example:{port}"}, {"text": "Host and port"}),
        ({"Origin": "http://evil.example"}, {"text": "Origin"}),
        ({"Origin": "null"}, {"text": "sandboxed"}),
        ({"X-Loaxa-Demo-Token": ""}, {"text": "no token"}),
        ({"X-Loaxa-Demo-Token": token[:-1] + "x"}, {"text": "wrong token"}),
    ]
    for headers, body in forged:
        refused = await demo.client.post(text, json=body, headers=headers)
        assert refused.status_code == 403, headers
        assert refused.json()["error"] == "forbidden" and refused.json()["message"]
    # What a <form enctype="text/plain"> on another site sends: no token, a foreign Origin.
    async with httpx.AsyncClient(base_url=str(demo.client.base_url)) as browser:
        plain = await browser.post(
            text,
            content=b'{"text": "form", "x": "="}',
            headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
        )
        assert plain.status_code == 403
        assert (await browser.post("/api/jobs/deadlines")).status_code == 403
        rebound = await browser.get("/api/state", headers={"Host": "evil.example"})
        assert rebound.status_code == 403
    assert await demo.chat(lan) == []  # none of it reached the bot

    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        headers = {"Host": host, "Origin": f"http://{host}"}
        sent = await demo.client.post(text, json={"text": "/start"}, headers=headers)
        assert sent.status_code == 200, host
    await demo.wait_for(lan, "quay lại")
