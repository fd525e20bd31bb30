"""The commune file and the LOAXA_* environment: what loads, and what an operator is told."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from bot.config import ConfigError, load, load_commune, load_settings
from storage.models import Role

SAMPLE = resources.files("bot").joinpath("sample_commune.toml").read_text(encoding="utf-8")
SAMPLE_HAMLETS = 'hamlets = ["Xóm 1", "Xóm 2", "Xóm 3", "Xóm 4", "Xóm 5", "Xóm 6"]'


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """Run in an empty folder with no LOAXA_* variables, so no stray .env or loaxa.toml is read."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LOAXA_"):
            monkeypatch.delenv(name)


def with_staff(channel: str, user_id: str, name: str, role: str) -> str:
    entry = f'channel = "{channel}"\nid = {user_id}\nname = "{name}"\nrole = "{role}"\n'
    return f"{SAMPLE}\n[[staff]]\n{entry}"


def commune_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "commune.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in SAMPLE
    return SAMPLE.replace(old, new, 1)


def load_error(tmp_path: Path, text: str) -> str:
    path = commune_file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_commune(path)
    message = str(caught.value)
    assert str(path) in message
    return message


# --- the commune file ------------------------------------------------------------------------


def test_bundled_sample_loads_as_the_made_up_vi_du_with_example_hamlets():
    commune, label = load_commune(None)
    assert "sample_commune.toml" in label
    assert commune.name == "Ví Dụ"
    assert commune.display_name == "xã Ví Dụ"
    assert commune.province == "Mẫu"  # made up: no real commune's or province's name
    for real in ("Thanh Định", "Thái Nguyên", "Định Hóa"):
        assert real not in SAMPLE
    assert commune.hamlets[0] == "Xóm 1"
    assert commune.hamlets_are_examples is True
    ids = [c.id for c in commune.categories]
    assert len(ids) == len(set(ids)) >= 2
    assert str(commune.zone) == "Asia/Ho_Chi_Minh"
    assert commune.staff == []


def test_loaxa_toml_in_the_working_folder_is_preferred(tmp_path):
    text = edited('name = "Ví Dụ"', 'name = "Hòa Bình"')
    (tmp_path / "loaxa.toml").write_text(text, encoding="utf-8")
    commune, label = load_commune(None)
    assert (commune.name, label) == ("Hòa Bình", "loaxa.toml")


def test_staff_entries_are_read_with_ids_as_text(tmp_path):
    text = with_staff("telegram", "42", "Nguyễn Văn A", "official")
    (member,) = load_commune(commune_file(tmp_path, text))[0].staff
    assert (member.id, member.name, member.role) == ("42", "Nguyễn Văn A", Role.OFFICIAL)


def test_toml_syntax_error_names_the_file_and_line(tmp_path):
    message = load_error(tmp_path, edited('name = "Ví Dụ"', 'name = "Ví Dụ'))
    assert "not valid TOML" in message
    assert "line 7" in message


def test_empty_hamlet_list_is_refused(tmp_path):
    message = load_error(tmp_path, edited(SAMPLE_HAMLETS, "hamlets = []"))
    assert "hamlets" in message


def test_duplicate_hamlets_are_refused(tmp_path):
    message = load_error(tmp_path, edited(SAMPLE_HAMLETS, 'hamlets = ["Xóm 1", "xóm 1"]'))
    assert "hamlets" in message
    assert "distinct" in message


def test_unknown_time_zone_is_refused(tmp_path):
    message = load_error(tmp_path, edited('"Asia/Ho_Chi_Minh"', '"Asia/Hanoi_City"'))
    assert "timezone" in message
    assert "Asia/Hanoi_City" in message


def test_duplicate_category_ids_are_refused(tmp_path):
    message = load_error(tmp_path, edited('id = "khac"', 'id = "dat-dai"'))
    assert "categories" in message
    assert "distinct" in message


def test_unknown_key_is_refused(tmp_path):
    message = load_error(tmp_path, edited("[quiet_hours]", 'mayor = "Ông B"\n\n[quiet_hours]'))
    assert "mayor" in message


def test_staff_entry_with_resident_role_is_refused(tmp_path):
    message = load_error(tmp_path, with_staff("telegram", '"42"', "Lan", "resident"))
    assert "staff (entry 1).role" in message
    assert "resident" in message


def test_entries_are_counted_from_one_in_messages(tmp_path):
    message = load_error(tmp_path, edited("deadline_days = 10", "deadline_days = 0"))
    assert "categories (entry 1).deadline_days" in message


def test_a_commune_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "notepad.toml"
    path.write_bytes(edited('name = "Ví Dụ"', 'name = "Hòa Bình"').encode("utf-8-sig"))
    assert load_commune(path)[0].name == "Hòa Bình"


def test_missing_commune_file_is_reported(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_commune(missing)
    assert str(missing) in str(caught.value)


# --- the environment -------------------------------------------------------------------------


def test_defaults_without_any_environment():
    settings = load_settings()
    assert settings.telegram_token is None
    assert settings.http_port == 8080
    assert settings.db == Path("data/loaxa.db")


def test_non_numeric_http_port_names_the_variable(monkeypatch):
    monkeypatch.setenv("LOAXA_HTTP_PORT", "abc")
    with pytest.raises(ConfigError, match="LOAXA_HTTP_PORT"):
        load_settings()


def test_webhook_url_without_secret_names_the_variables(monkeypatch):
    monkeypatch.setenv("LOAXA_TELEGRAM_WEBHOOK_URL", "https://bot.example.vn/telegram")
    with pytest.raises(ConfigError, match="LOAXA_TELEGRAM_WEBHOOK_SECRET"):
        load_settings()


def test_webhook_secret_with_bad_characters_names_the_variable(monkeypatch):
    monkeypatch.setenv("LOAXA_TELEGRAM_WEBHOOK_URL", "https://bot.example.vn/telegram")
    monkeypatch.setenv("LOAXA_TELEGRAM_WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(ConfigError, match="LOAXA_TELEGRAM_WEBHOOK_SECRET"):
        load_settings()


def test_env_file_in_the_working_folder_is_read(tmp_path):
    (tmp_path / ".env").write_text("LOAXA_HTTP_PORT=9090\n", encoding="utf-8")
    assert load_settings().http_port == 9090


def test_unknown_log_level_names_the_variable(monkeypatch):
    monkeypatch.setenv("LOAXA_LOG_LEVEL", "loud")
    with pytest.raises(ConfigError, match="LOAXA_LOG_LEVEL"):
        load_settings()


def test_load_reads_the_commune_file_named_by_loaxa_config(monkeypatch, tmp_path):
    path = commune_file(tmp_path, edited('name = "Ví Dụ"', 'name = "Hòa Bình"'))
    monkeypatch.setenv("LOAXA_CONFIG", str(path))
    settings, commune = load()
    assert settings.config == path
    assert commune.name == "Hòa Bình"


def test_question_category_must_name_a_category(tmp_path):
    source = (Path(__file__).resolve().parent.parent / "bot" / "sample_commune.toml").read_text()
    bad = tmp_path / "loaxa.toml"
    bad.write_text(source.replace("[feedback]\n", '[feedback]\nquestion_category = "nope"\n'))
    with pytest.raises(ConfigError, match="question_category"):
        load_commune(bad)
