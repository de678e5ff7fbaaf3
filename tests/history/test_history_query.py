"""Loading and filtering recorded builds, and the resume forecast, on real stores."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from brigtui.engine.store import Store
from brigtui.history_query import (
    HistoryFilter,
    cycle_value,
    distinct,
    filter_rows,
    history_version,
    load_rows,
    parse_filter,
    preview_resume,
    share_available,
)
from tests.history.conftest import run_script
from tests.history.synthetic import fill_store


def test_parse_filter_keys_and_words() -> None:
    parsed = parse_filter("status:failed,Cancelled script:deploy EVENT:push Image pull")
    assert parsed.statuses == frozenset({"failed", "cancelled"})
    assert parsed.script == "deploy"
    assert parsed.event == "push"
    assert parsed.words == ("image", "pull")
    assert parse_filter("") == HistoryFilter()
    assert parse_filter("note:x").words == ("note:x",)


def test_parse_filter_rejects_bad_tokens() -> None:
    with pytest.raises(ValueError, match="unknown status 'broken' in 'status:broken'"):
        parse_filter("status:broken")
    with pytest.raises(ValueError, match="use one of: queued, running"):
        parse_filter("status:succeeded,bogus")
    assert parse_filter("status:failed,").statuses == frozenset({"failed"})
    assert parse_filter("event: rhino") == HistoryFilter(words=("rhino",))


def test_filter_describe_round_trips() -> None:
    text = "status:cancelled,failed script:dep event:push rhino"
    assert parse_filter(text).describe() == text


async def test_rows_newest_first_with_durations(engine: Engine, marks: Path) -> None:
    first = await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    second = await run_script(engine, "shared.py")
    third = await run_script(engine, "chain.py")

    rows = load_rows(engine.store.path, engine.folder)
    assert [row.id for row in rows] == [third, second, first]
    assert [row.status for row in rows] == ["succeeded", "succeeded", "failed"]
    assert rows[0].script_label == "chain.py"
    assert all(row.seconds is not None and row.seconds >= 0 for row in rows)
    assert "one two" in rows[0].haystack


async def test_filters_match_status_script_event_text(engine: Engine, marks: Path) -> None:
    failed = await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    await run_script(engine, "shared.py")
    rows = load_rows(engine.store.path, engine.folder)

    assert [r.id for r in filter_rows(rows, parse_filter("status:failed"))] == [failed]
    assert len(filter_rows(rows, parse_filter("script:SHARED"))) == 1
    assert len(filter_rows(rows, parse_filter("event:EXEC"))) == 2
    assert len(filter_rows(rows, parse_filter("event:push"))) == 0
    # Free text finds job names and the recorded error.
    assert len(filter_rows(rows, parse_filter("writer"))) == 1
    assert [r.id for r in filter_rows(rows, parse_filter("exit code 1"))] == [failed]


def test_cycle_value_ends_in_no_filter() -> None:
    values = ["a", "b"]
    assert cycle_value(values, None) == "a"
    assert cycle_value(values, "a") == "b"
    assert cycle_value(values, "b") is None
    assert cycle_value([], None) is None


def test_synthetic_rows_match_store(tmp_path: Path) -> None:
    """10,000 rows: every filter returns what a plain scan of the store's records returns."""
    store = Store(tmp_path / "state")
    folder = tmp_path / "pipelines"
    fill_store(store, folder, 10_000)
    rows = load_rows(store.path, folder)
    records = store.list_builds()
    assert [row.id for row in rows] == [record.id for record in records]
    assert distinct(rows, "event") == ["exec", "pull_request", "push"]

    failed_pushes = [r.id for r in records if r.status == "failed" and r.event == "push"
                     and "deploy" in r.script]
    shown = filter_rows(rows, parse_filter("status:failed event:push script:deploy"))
    assert [row.id for row in shown] == failed_pushes
    assert failed_pushes
    store.close()


async def test_resume_forecast_follows_share(engine: Engine) -> None:
    build_id = await run_script(engine, "shared.py")
    build = engine.store.get_build(build_id)
    assert build is not None
    assert build.share_state == "kept"
    assert share_available(build)

    kept = preview_resume(build, share_available(build))
    assert kept.reusable == ("writer",)
    assert kept.to_run == ("reader",)
    assert kept.share_gone == ()

    # Once the share folder is gone, the writer must run again, and the summary gives the reason.
    shutil.rmtree(build.share_path or "")
    gone = preview_resume(build, share_available(build))
    assert gone.reusable == ()
    assert gone.share_gone == ("writer",)
    assert "share is gone: writer" in gone.summary()


async def test_history_version_changes_on_new_build(engine: Engine) -> None:
    empty = history_version(engine.store.path)
    await run_script(engine, "chain.py")
    one = history_version(engine.store.path)
    assert one != empty
    assert history_version(engine.store.path) == one
    await run_script(engine, "chain.py")
    assert history_version(engine.store.path) != one


def test_query_modules_import_no_textual() -> None:
    """The history's data modules load without Textual, for the bench and headless use."""
    code = ("import sys, brigtui.history_query, brigtui.build_compare; "
            "print(any(name.split('.')[0] == 'textual' for name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "False"


async def test_resume_forecast_runs_piped_jobs(engine: Engine) -> None:
    from brigtui.engine.engine import BuildRequest

    script = engine.folder / "piped.py"
    script.write_text(
        "from brigtui import Job, events, pipe\n"
        "@events.on('exec')\n"
        "async def handler(event, project):\n"
        "    await Job('alone', 'img', ['true']).run()\n"
        "    await pipe(Job('make', 'img', ['echo x']), Job('take', 'img', ['cat']))\n"
        "    await Job('broken', 'img', ['exit 1']).run()\n"
    )
    outcome = await engine.run_build(BuildRequest(script))
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    forecast = preview_resume(build, share_available(build))
    assert forecast.reusable == ("alone",)
    assert forecast.to_run == ("make", "take", "broken")
