"""The build store, brigtui.yaml validation and secret masking."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from brigtui.config import load_settings, resolve_secrets
from brigtui.engine.engine import Engine
from brigtui.engine.errors import ConfigError
from brigtui.engine.model import BuildStatus
from brigtui.engine.store import SCHEMA_VERSION, Store
from tests.support import Recorder, run, write_script


def test_store_uses_wal_and_schema_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    store.close()
    connection = sqlite3.connect(tmp_path / "state" / "brigtui.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_store_rejects_newer_schema(tmp_path: Path) -> None:
    Store(tmp_path).close()
    connection = sqlite3.connect(tmp_path / "brigtui.db")
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(RuntimeError, match="upgrade brigtui"):
        Store(tmp_path)


def _insert_builds(state: str, prefix: str) -> None:
    store = Store(Path(state))
    for number in range(50):
        store.insert_build(
            id=f"{prefix}-{number:03d}", project="p", script="s.py", event="exec",
            status="succeeded", executor="local", created_at=f"2026-01-01T00:00:{number:02d}Z",
        )
    store.close()


def test_store_shared_by_processes(tmp_path: Path) -> None:
    Store(tmp_path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_insert_builds, args=(str(tmp_path), f"w{n}")) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert len(Store(tmp_path).list_builds()) == 200


def test_find_build_by_prefix_and_last(tmp_path: Path) -> None:
    _insert_builds(str(tmp_path), "20260101-000000")
    _insert_builds(str(tmp_path), "20260202-000000")
    store = Store(tmp_path)
    build = store.find_build("20260202-000000-00")
    assert build is None  # ambiguous: 000 to 009
    build = store.find_build("20260202-000000-049")
    assert build is not None
    assert build.id == "20260202-000000-049"
    last = store.find_build("last")
    assert last is not None
    assert last.id == "20260202-000000-049"


def test_unknown_key_names_file_line_and_allowed(tmp_path: Path) -> None:
    (tmp_path / "brigtui.yaml").write_text("executor: local\nshare:\n  keep_hourz: 3\n")
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path)
    message = str(error.value)
    assert f"{tmp_path / 'brigtui.yaml'}, line 3" in message
    assert "share.keep_hourz" in message
    assert "keep_count, keep_hours" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("executor: cloud\n", "'executor' is 'cloud'; allowed: local, container, kubernetes"),
        ("share:\n  keep_hours: soon\n", "'share.keep_hours' must be a number"),
        ("share:\n  keep_count: 1.5\n", "'share.keep_count' must be a whole number"),
        ("container:\n  network: maybe\n", "'container.network' must be true or false"),
        ("share: [1, 2]\n", "'share' must be a mapping"),
        ("executor: [local\n", "invalid YAML"),
        ("- a\n- b\n", "'the top level' must be a mapping"),
    ],
)
def test_invalid_settings(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "brigtui.yaml").write_text(text)
    with pytest.raises(ConfigError, match=None) as error:
        load_settings(tmp_path)
    assert expected in str(error.value)


def test_secrets_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pipelines"
    folder.mkdir()
    secret_file = tmp_path / "db-password"
    secret_file.write_text("file-secret-value\n")
    monkeypatch.setenv("API_TOKEN_FOR_TEST", "env-secret-value")
    (folder / "brigtui.yaml").write_text(
        f"secrets:\n  token:\n    env: API_TOKEN_FOR_TEST\n  db:\n    file: {secret_file}\n"
    )
    secrets = resolve_secrets(load_settings(folder), folder)
    assert secrets == {"token": "env-secret-value", "db": "file-secret-value"}


def test_secret_file_inside_folder_rejected(tmp_path: Path) -> None:
    (tmp_path / "leak.txt").write_text("x")
    (tmp_path / "brigtui.yaml").write_text("secrets:\n  s:\n    file: leak.txt\n")
    with pytest.raises(ConfigError, match="keep secret files outside the repository"):
        resolve_secrets(load_settings(tmp_path), tmp_path)


def test_missing_secret_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_FOR_TEST", raising=False)
    (tmp_path / "brigtui.yaml").write_text("secrets:\n  s:\n    env: NOT_SET_FOR_TEST\n")
    with pytest.raises(ConfigError, match="NOT_SET_FOR_TEST, which is not set"):
        resolve_secrets(load_settings(tmp_path), tmp_path)


async def test_secret_never_recorded(
    pipelines: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "s3cr3t-Value-42"
    monkeypatch.setenv("BRIGTUI_TEST_SECRET", value)
    (pipelines / "brigtui.yaml").write_text("secrets:\n  token:\n    env: BRIGTUI_TEST_SECRET\n")
    engine = Engine(pipelines)
    recorder = Recorder()
    engine.subscribe(recorder)
    script = write_script(pipelines, "secret.py", '''
        @events.on("exec")
        async def handler(event, project):
            token = project.secrets["token"]
            print("handler sees", token)
            job = Job("use", "img", ['echo "token=$TOKEN"', 'echo "$TOKEN" >&2',
                                     f"echo inline {token}"], env={"TOKEN": token})
            result = await job.run()
            print("job output masked:", "***" in result.text)
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    engine.close()
    texts = [getattr(m, "text", "") or getattr(m, "error", "") or "" for m in recorder.messages]
    assert all(value not in text for text in texts)
    for path in engine.state_dir.rglob("*"):
        if path.is_file() and path.suffix != ".out" and "objects" not in path.parts:
            assert value.encode() not in path.read_bytes(), path
    build = Store(engine.state_dir).get_build(outcome.build_id)
    assert build is not None
    assert build.jobs[0].spec["env"]["TOKEN"] == "***"
    assert build.jobs[0].spec["tasks"][2] == "echo inline ***"


def test_inline_secret_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "brigtui.yaml").write_text("secrets:\n  api-token: hunter2-inline\n")
    with pytest.raises(ConfigError) as error:
        load_settings(tmp_path)
    assert "hunter2-inline" not in str(error.value)
    assert "'env: VARIABLE' or 'file: PATH'" in str(error.value)


async def test_previews_mask_secrets(pipelines: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brigtui.screens.share_inspector import share_screen_for

    monkeypatch.setenv("BRIGTUI_TEST_SECRET", "s3cr3t-preview")
    (pipelines / "brigtui.yaml").write_text("secrets:\n  token:\n    env: BRIGTUI_TEST_SECRET\n")
    engine = Engine(pipelines)
    assert engine.secret_masker().text("tok=s3cr3t-preview") == "tok=***"
    screen = share_screen_for(engine, "last")
    assert screen.masker.bytes(b"tok=s3cr3t-preview\n") == b"tok=***\n"
    engine.close()
