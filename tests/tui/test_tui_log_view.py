"""The log view tails a file: no line lost or repeated, colours kept, memory bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from brigtui.widgets import log_view
from brigtui.widgets.log_view import LogView


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView()


def shown(view: LogView) -> list[str]:
    return [strip.text.rstrip() for strip in view.lines]


async def test_follow_never_drops_or_repeats(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(b"")
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(path, "job")
        await app.workers.wait_for_complete()

        # Append in uneven chunks, a line split across writes, polling in between.
        expected = [f"line {number}" for number in range(3000)]
        data = "".join(line + "\n" for line in expected).encode()
        for start in range(0, len(data), 997):
            with path.open("ab") as handle:
                handle.write(data[start:start + 997])
            view.poll()
            if start % 7 == 0:
                await app.workers.wait_for_complete()
        view.poll()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown(view) == expected


async def test_memory_bounded_and_tail_start(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    lines = [f"row {number:06d}" for number in range(20000)]
    path.write_text("".join(line + "\n" for line in lines))
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(path, "big")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = shown(view)
        assert len(text) <= log_view.MAX_LINES
        assert text[-1] == lines[-1]
        assert text[-2] == lines[-2]


async def test_huge_file_starts_near_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_view, "TAIL_BYTES", 10_000)
    path = tmp_path / "huge.log"
    line = "x" * 99 + "\n"
    path.write_text(line * 300)
    with path.open("a") as handle:
        handle.write("last line\n")
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(path, "huge")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = shown(view)
        assert text[0].startswith("[")
        assert "earlier bytes" in text[0]
        assert text[-1] == "last line"
        assert all(row == "x" * 99 for row in text[1:-1])
        assert 90 <= len(text) <= 101


async def test_ansi_colour_rendered(tmp_path: Path) -> None:
    path = tmp_path / "colour.log"
    path.write_bytes(b"\x1b[31mred\x1b[0m plain\n")
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(path, "colour")
        await app.workers.wait_for_complete()
        await pilot.pause()
        strip = view.lines[0]
        assert strip.text.rstrip() == "red plain"
        styles = [segment.style for segment in strip if segment.text == "red"]
        assert styles
        assert styles[0] is not None
        assert styles[0].color is not None
        assert styles[0].color.number == 1  # ANSI red


async def test_search_then_tail_again(tmp_path: Path) -> None:
    path = tmp_path / "animals.log"
    path.write_text("lion\nrhino\nzebra\nRhino calf\n")
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(path, "animals")
        await app.workers.wait_for_complete()
        view.search("rhino")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = shown(view)
        assert text[0].startswith("2 lines contain 'rhino'")
        assert [row.split(maxsplit=1) for row in text[1:]] == [["2", "rhino"], ["4", "Rhino calf"]]

        # Lines written during the search appear once the tail is shown again.
        with path.open("a") as handle:
            handle.write("gnu\n")
        view.clear_search()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown(view) == ["lion", "rhino", "zebra", "Rhino calf", "gnu"]


async def test_missing_file_shows_nothing(tmp_path: Path) -> None:
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.follow(tmp_path / "absent.log", "absent")
        await app.workers.wait_for_complete()
        view.follow(None, placeholder="job one has not started")
        await pilot.pause()
        assert shown(view) == ["job one has not started"]
