"""Comparing builds (job changes, capped log diffs) and drawing timelines, without a screen."""

from __future__ import annotations

from pathlib import Path

from brigtui.build_compare import (
    LOG_CAP_BYTES,
    compare_jobs,
    default_partner,
    log_diff,
    read_log_tail,
    usual_durations,
)
from brigtui.engine.engine import Engine
from brigtui.engine.store import BuildRecord, JobRecord
from brigtui.widgets.build_model import BuildBoard
from brigtui.widgets.timeline import (
    FILL,
    SLOW_MARK,
    SLOWEST_MARK,
    TimelineData,
    TimelineJob,
    render_timeline,
    timeline_from_record,
    timeline_from_view,
)
from tests.history.conftest import run_script


def job(name: str, status: str, start: str | None, end: str | None, seq: int = 1) -> JobRecord:
    return JobRecord("b", name, seq, status, "img", {}, False, None, "2026-12-04T10:00:00Z",
                     start, end, None, None, None, None)


def build(build_id: str, status: str, created: str, jobs: list[JobRecord]) -> BuildRecord:
    return BuildRecord(build_id, "p", "/p/x.py", "exec", None, status, "manual", "local", created,
                       created, None, None, None, None, None, None, "none", None, None, None,
                       None, None, 0, jobs=jobs)


def at(seconds: int) -> str:
    return f"2026-12-04T10:{seconds // 60:02d}:{seconds % 60:02d}.000Z"


def test_compare_jobs_reports_state_and_duration() -> None:
    old = build("old", "succeeded", at(0), [
        job("fetch", "succeeded", at(0), at(2), 1),
        job("compile", "succeeded", at(2), at(12), 2),
        job("gone", "succeeded", at(12), at(13), 3),
    ])
    new = build("new", "failed", at(100), [
        job("fetch", "succeeded", at(100), at(102), 1),
        job("compile", "failed", at(102), at(103), 2),
        job("slow", "succeeded", at(103), at(140), 3),
    ])
    changes = {change.name: change for change in compare_jobs(old, new)}
    assert list(changes) == ["fetch", "compile", "slow", "gone"]
    assert not changes["fetch"].changed
    assert changes["compile"].status_changed
    assert changes["slow"].old_status is None
    assert changes["gone"].new_status is None

    slower = compare_jobs(
        build("a", "succeeded", at(0), [job("x", "succeeded", at(0), at(10))]),
        build("b", "succeeded", at(60), [job("x", "succeeded", at(60), at(90))]),
    )[0]
    assert slower.duration_changed
    assert not slower.status_changed


def test_default_partner_prefers_last_good() -> None:
    runs = [
        build("4", "failed", at(40), []),
        build("3", "failed", at(30), []),
        build("2", "succeeded", at(20), []),
        build("1", "succeeded", at(10), []),
    ]
    assert default_partner(runs[0], runs) is runs[2]
    assert default_partner(runs[2], runs) is runs[3]
    assert default_partner(runs[3], runs) is runs[0]
    assert default_partner(runs[0], runs[:1]) is None


def test_log_diff_marks_changed_lines(tmp_path: Path) -> None:
    old, new = tmp_path / "old.log", tmp_path / "new.log"
    old.write_text("start\nfetching\n\x1b[32mok\x1b[0m\n")
    new.write_text("start\nfetching\nerror: disk full\n")
    diff = log_diff(str(old), str(new), "a/job", "b/job")
    assert "-ok" in diff
    assert "+error: disk full" in diff
    assert " fetching" in diff

    same = log_diff(str(old), str(old), "a/job", "b/job")
    assert same == ["# the two logs are the same"]
    missing = log_diff(None, str(new), "a/job", "b/job")
    assert missing[0].startswith("# a/job: no log file")


def test_log_diff_reads_only_the_tail(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    line = "x" * 99 + "\n"
    big.write_text(line * (3 * LOG_CAP_BYTES // 100) + "last line\n")
    tail = read_log_tail(str(big))
    assert tail.lines[-1] == "last line"
    assert tail.skipped_bytes > 0
    assert sum(len(text) + 1 for text in tail.lines) <= LOG_CAP_BYTES
    assert all(text == "x" * 99 for text in tail.lines[:-1])
    note = log_diff(str(big), str(big), "a", "b")[0]
    assert "only the last 256 KiB are compared" in note


def plain(data: TimelineData, width: int, now: float) -> list[str]:
    return [line.plain for line in render_timeline(data, width, now)]


def test_timeline_bars_glyphs_and_marks() -> None:
    data = TimelineData("t", 0.0, 60.0, [
        TimelineJob("fetch", "succeeded", 0.0, 10.0),
        TimelineJob("compile", "failed", 10.0, 50.0),
        TimelineJob("never", "pending", None, None),
    ])
    lines = plain(data, 80, 60.0)
    assert len(lines) == 6
    fetch, compile_, never = lines[2], lines[3], lines[4]
    assert fetch.startswith("✓ fetch")
    assert FILL["succeeded"] in fetch
    # The failed bar ends in its glyph, and the slowest job carries the mark.
    assert compile_.startswith("✗ compile")
    assert "▓✗" in compile_
    assert compile_.rstrip().endswith(SLOWEST_MARK)
    assert never.startswith("○ never")
    assert FILL["succeeded"] not in never
    assert all(len(line) <= 80 for line in lines[1:-1])
    # The compile bar starts after the fetch bar ends: both share one axis.
    assert compile_.index(FILL["failed"]) >= fetch.rindex(FILL["succeeded"])


def test_timeline_running_bar_grows_and_slow_mark() -> None:
    data = TimelineData("t", 0.0, None, [
        TimelineJob("fetch", "succeeded", 0.0, 5.0),
        TimelineJob("upload", "running", 5.0, None),
    ], usual={"upload": 4.0})
    early = plain(data, 80, 10.0)[3]
    late = plain(data, 80, 40.0)[3]
    assert early.count(FILL["running"]) < late.count(FILL["running"])
    assert "▶" in late
    assert late.rstrip().endswith(SLOW_MARK)
    assert not plain(data, 80, 10.0)[2].rstrip().endswith(SLOW_MARK)


async def test_timeline_of_real_builds(engine: Engine, marks: Path) -> None:
    await run_script(engine, "chain.py")
    (marks / "pass.flag").touch()
    good = await run_script(engine, "chain.py")
    record = engine.store.get_build(good)
    assert record is not None

    data = timeline_from_record(record)
    assert [job.name for job in data.jobs] == ["one", "two"]
    assert data.finished is not None
    lines = plain(data, 80, data.finished)
    assert lines[2].startswith("✓ one")
    assert lines[3].startswith("✓ two")

    # The board's live view gives the same jobs, on the monotonic clock.
    view = BuildBoard().load(record)
    live = timeline_from_view(view)
    assert [(job.name, job.status) for job in live.jobs] == [("one", "succeeded"),
                                                             ("two", "succeeded")]

    # A later run finds the usual durations of the last good one.
    later = await run_script(engine, "chain.py")
    later_record = engine.store.get_build(later)
    assert later_record is not None
    assert set(usual_durations(engine.store, later_record)) == {"one", "two"}
    assert usual_durations(engine.store, record) == {}


def test_history_share_cell_shows_expiry() -> None:
    from brigtui.widgets.history_table import share_cell

    started = "2026-12-04T20:01:00.000Z"
    assert share_cell("none", None, started) == "-"
    assert share_cell("discarded", None, started) == "discarded"
    assert share_cell("kept", "2026-12-04T23:30:00.000Z", started) == "until 23:30"
    assert share_cell("kept", "2026-12-05T20:01:00.000Z", started) == "until 12-05"
    assert share_cell("expired", None, started) == "expired"
