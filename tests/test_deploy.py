"""deploy/loaxa.service: what the README promises of the service is in the unit."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unit() -> dict[str, dict[str, list[str]]]:
    """Read the unit file as systemd does: sections of keys, a key may repeat."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (ROOT / "deploy" / "loaxa.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def test_the_unit_restarts_on_failure_as_a_dedicated_user_with_private_data():
    service = unit()["Service"]
    assert service["ExecStart"] == ["/opt/loaxa/.venv/bin/loaxa run"]
    assert service["User"] == service["Group"] == ["loaxa"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartPreventExitStatus"] == ["2"]  # a configuration mistake: no loop
    assert service["KillSignal"] == ["SIGTERM"]
    assert service["StateDirectory"] == ["loaxa"] and service["StateDirectoryMode"] == ["0700"]
    assert service["UMask"] == ["0077"]
    assert service["ProtectSystem"] == ["strict"] and service["ProtectHome"] == ["yes"]
    assert service["NoNewPrivileges"] == ["yes"]
    env = dict(item.split("=", 1) for item in service["Environment"])
    assert env["LOAXA_DB"].startswith("/var/lib/loaxa/")  # inside the private folder
    assert env["LOAXA_BACKUP_DIR"].startswith("/var/lib/loaxa/")
    assert unit()["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_readme_runs_it_with_the_unit():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/loaxa.service" in readme
    assert "systemctl enable --now loaxa" in readme
