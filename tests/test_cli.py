"""The `brigtui` command end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from brigtui.engine.store import Store
from tests.support import run_measured, write_script

BRIGTUI = [sys.executable, "-m", "brigtui"]


def brigtui(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    return subprocess.run(
        [*BRIGTUI, *args], capture_output=True, text=True, cwd=cwd, env=env, check=check, timeout=120
    )


def test_run_example_prints_matches(pipelines: Path) -> None:
    completed = brigtui("run", str(pipelines / "pass_output.py"))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "black rhino", "greater one-horned rhino", "javan rhino", "sumatran rhino", "white rhino",
    ]
    assert "✓ two succeeded" in completed.stderr


def test_run_folder_runs_every_script(pipelines: Path) -> None:
    completed = brigtui("run", str(pipelines), "--json")
    assert completed.returncode == 0, completed.stderr
    builds = json.loads(completed.stdout)
    scripts = sorted(Path(build["script"]).name for build in builds)
    assert scripts == ["groups.py", "pass_output.py", "shared_storage.py"]
    assert {build["status"] for build in builds} == {"succeeded"}


def test_builds_json_contract(pipelines: Path) -> None:
    brigtui("run", str(pipelines / "pass_output.py"), check=True)
    write_script(pipelines, "fails.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("ok", "img", ["true"]).run()
            await Job("bad", "img", ["exit 5"]).run()
    ''')
    assert brigtui("run", str(pipelines / "fails.py")).returncode == 1
    completed = brigtui("builds", str(pipelines), "--json")
    builds = json.loads(completed.stdout)
    assert [Path(b["script"]).name for b in builds] == ["fails.py", "pass_output.py"]
    for build in builds:
        for key in ("id", "script", "event", "status", "trigger", "started_at", "finished_at", "jobs"):
            assert key in build
        assert build["started_at"].endswith("Z")
        assert datetime.fromisoformat(build["finished_at"].replace("Z", "+00:00")).tzinfo
        for job in build["jobs"]:
            for key in ("name", "status", "exit_code", "started_at", "finished_at"):
                assert key in job
    assert builds[0]["status"] == "failed"
    assert [(j["name"], j["status"], j["exit_code"]) for j in builds[0]["jobs"]] == [
        ("ok", "succeeded", 0), ("bad", "failed", 5),
    ]
    failed = json.loads(brigtui("builds", str(pipelines), "--failed", "--json").stdout)
    assert [b["id"] for b in failed] == [builds[0]["id"]]
    table = brigtui("builds", str(pipelines)).stdout
    assert "✗ failed" in table
    assert "✓ succeeded" in table


def test_logs_of_build_and_job(pipelines: Path) -> None:
    brigtui("run", str(pipelines / "pass_output.py"), check=True)
    build_log = brigtui("logs", "last", "--dir", str(pipelines))
    assert build_log.returncode == 0
    assert "white rhino" in build_log.stdout
    job_log = brigtui("logs", "last", "one", "--dir", str(pipelines))
    assert "aardvark" in job_log.stdout
    missing = brigtui("logs", "last", "nope", "--dir", str(pipelines))
    assert missing.returncode == 2
    assert "has no job 'nope'; its jobs: one, two" in missing.stderr
    unknown = brigtui("logs", "no-such-build", "--dir", str(pipelines))
    assert unknown.returncode == 2
    assert "build 'no-such-build' not found" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--payload", "{bad"], "--payload: invalid JSON at line 1, column 2"),
        (["--payload", "@/nonexistent/payload.json"], "cannot read /nonexistent/payload.json"),
        (["--event", "push"], "no handler for event 'push' (handlers: exec)"),
        (["--executor", "cloud"], "invalid choice: 'cloud'"),
        (["--event", ""], "--event is empty"),
        (["--event", "after"], "'after' handlers run after another event"),
    ],
)
def test_usage_errors_exit_2(pipelines: Path, args: list[str], message: str) -> None:
    completed = brigtui("run", str(pipelines / "pass_output.py"), *args)
    assert completed.returncode == 2
    assert message in completed.stderr


def test_payload_from_file(pipelines: Path, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_text('{"animal": "zebra"}')
    write_script(pipelines, "payload.py", '''
        @events.on("exec")
        async def handler(event, project):
            result = await Job("find", "img", [f"grep {event.payload['animal']} animals.txt"]).run()
            print(result)
    ''')
    completed = brigtui("run", str(pipelines / "payload.py"), "--payload", f"@{payload}")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "zebra"


def test_malformed_settings_exit_2(pipelines: Path) -> None:
    (pipelines / "brigtui.yaml").write_text("executor: local\nretention: 3\n")
    completed = brigtui("run", str(pipelines / "pass_output.py"))
    assert completed.returncode == 2
    assert "brigtui.yaml, line 2: unknown key 'retention'" in completed.stderr


def test_sigterm_cancels_and_records(pipelines: Path) -> None:
    write_script(pipelines, "long.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("wait", "img", ["sleep 120"]).run()
    ''')
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    process = subprocess.Popen(
        [*BRIGTUI, "run", str(pipelines / "long.py")], stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "wait running" in line:
            break
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 143
    store = Store(pipelines.parent / ".brigtui")
    build = store.list_builds(with_jobs=True)[0]
    assert build.status == "cancelled"
    assert build.jobs[0].status == "cancelled"
    out = subprocess.run(["pgrep", "-f", "sleep 120"], capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_gc_removes_expired_shares(pipelines: Path) -> None:
    write_script(pipelines, "keep.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("write", "img", ["echo evidence > /mnt/brigade/share/e", "exit 1"],
                      storage=True).run()
    ''')
    assert brigtui("run", str(pipelines / "keep.py")).returncode == 1
    assert brigtui("run", str(pipelines / "keep.py")).returncode == 1
    store = Store(pipelines.parent / ".brigtui")
    old, new = sorted(store.list_builds(), key=lambda b: b.created_at)
    assert old.share_state == "kept"
    assert Path(old.share_path or "").joinpath("e").read_text() == "evidence\n"
    # The build finished longer ago than share.keep_hours (24 by default).
    past = (datetime.now(UTC) - timedelta(hours=25)).isoformat().replace("+00:00", "Z")
    store.update_build(old.id, finished_at=past)

    completed = brigtui("gc", str(pipelines))
    assert completed.returncode == 0
    assert f"build {old.id}: removed share" in completed.stdout
    assert not Path(old.share_path or "").exists()
    assert Path(new.share_path or "").exists()
    rows = json.loads(brigtui("builds", str(pipelines), "--json").stdout)
    assert {row["id"]: row["share"] for row in rows} == {old.id: "expired", new.id: "kept"}


def test_gc_marks_crashed_builds_interrupted(pipelines: Path) -> None:
    write_script(pipelines, "crash.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("hang", "img", ["echo x > /mnt/brigade/share/x", "sleep 120"],
                      storage=True).run()
    ''')
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    process = subprocess.Popen(
        [*BRIGTUI, "run", str(pipelines / "crash.py")], stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "hang running" in line:
            break
    time.sleep(0.3)
    process.kill()
    process.wait()
    completed = brigtui("gc", str(pipelines))
    assert "marked interrupted" in completed.stdout
    store = Store(pipelines.parent / ".brigtui")
    build = store.list_builds(with_jobs=True)[0]
    assert build.status == "interrupted"
    assert not (pipelines.parent / ".brigtui" / "shares" / build.id).exists()
    out = subprocess.run(["pgrep", "-f", "sleep 120"], capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_gigabyte_output_bounded_memory(pipelines: Path) -> None:
    write_script(pipelines, "huge.py", '''
        @events.on("exec")
        async def handler(event, project):
            tasks = ["head -c 1073741824 /dev/zero | tr '\\\\0' 'x' | fold -w 1000"]
            result = await Job("huge", "img", tasks).run()
            print(result.size)
            try:
                str(result)
            except Exception as error:
                print(type(error).__name__, str(error)[:60])
    ''')
    completed, peak_kib = run_measured("run", str(pipelines / "huge.py"))
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == str(1024**3 + 1024**3 // 1000)
    assert lines[1].startswith("OutputTooLarge output of job 'huge' is 1.0 GiB")
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB"


def test_rerun_and_resume_headless(pipelines: Path, tmp_path: Path) -> None:
    flag = tmp_path / "allow"
    write_script(pipelines, "flaky.py", f'''
        @events.on("exec")
        async def handler(event, project):
            data = await Job("one", "img", ["cat animals.txt"]).run()
            print(await Job("two", "img", ["test -f {flag}", 'grep -c rhino <<< "$DATA"'],
                            env={{"DATA": data}}).run())
    ''')
    failed = brigtui("run", str(pipelines / "flaky.py"), "--json")
    assert failed.returncode == 1
    original = json.loads(failed.stdout)["id"]
    flag.write_text("")

    resumed = brigtui("rerun", original[:15] + original[15:], "--resume", "--json",
                      "--dir", str(pipelines))
    assert resumed.returncode == 0, resumed.stderr
    record = json.loads(resumed.stdout)
    assert record["rerun_of"] == original
    assert record["resumed"] is True
    assert [(j["name"], j["status"]) for j in record["jobs"]] == [("one", "reused"), ("two", "succeeded")]
    assert "↺ one reused" in resumed.stderr

    rerun = brigtui("rerun", "last", "--dir", str(pipelines))
    assert rerun.returncode == 0
    assert rerun.stdout.strip() == "5"
    missing = brigtui("rerun", "zzz", "--dir", str(pipelines))
    assert missing.returncode == 2
    assert "build 'zzz' not found" in missing.stderr


def test_non_script_rejected(pipelines: Path) -> None:
    for name in ("animals.txt",):
        completed = brigtui("run", str(pipelines / name))
        assert completed.returncode == 2
        assert "is not an event script" in completed.stderr
    (pipelines / "helper.py").write_text("print('hi')\n")
    completed = brigtui("run", str(pipelines / "helper.py"))
    assert completed.returncode == 2
    assert completed.stdout == ""


def test_builds_before_any_build(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    completed = brigtui("builds", str(folder))
    assert completed.returncode == 0
    assert completed.stdout.strip() == "no builds recorded yet"
    assert brigtui("builds", str(folder), "--json").stdout.strip() == "[]"


def test_output_into_closed_pipe(pipelines: Path) -> None:
    for _ in range(3):
        brigtui("run", str(pipelines / "pass_output.py"), check=True)
    env = {k: v for k, v in os.environ.items() if k != "BRIGTUI_HOME"}
    completed = subprocess.run(
        f"{sys.executable} -m brigtui builds {pipelines} --json | head -c 10",
        shell=True, capture_output=True, text=True, env=env, timeout=60,
    )
    assert "Traceback" not in completed.stderr
    assert "BrokenPipeError" not in completed.stderr


def test_build_found_by_suffix(pipelines: Path) -> None:
    run = json.loads(brigtui("run", str(pipelines / "pass_output.py"), "--json").stdout)
    suffix = run["id"][-4:]
    completed = brigtui("logs", suffix, "two", "--dir", str(pipelines))
    assert completed.returncode == 0, completed.stderr
    assert "white rhino" in completed.stdout


def test_two_folders_share_state_but_not_builds(pipelines: Path) -> None:
    other = pipelines.parent / "pipelines2"
    shutil.copytree(pipelines, other)
    brigtui("run", str(pipelines / "pass_output.py"), check=True)
    brigtui("run", str(other / "groups.py"), check=True)
    mine = json.loads(brigtui("builds", str(pipelines), "--json").stdout)
    theirs = json.loads(brigtui("builds", str(other), "--json").stdout)
    assert [Path(b["script"]).name for b in mine] == ["pass_output.py"]
    assert [Path(b["script"]).name for b in theirs] == ["groups.py"]
    log = brigtui("logs", "last", "--dir", str(pipelines))
    assert "white rhino" in log.stdout
