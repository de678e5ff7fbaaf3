"""The pipe pane's drawing: one line per step with previews below, and a glyph for each status."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from brigtui.engine.model import format_size
from brigtui.pipe_pane_model import PipeState, describe_how, progress_bar
from brigtui.widgets.build_model import glyph

SOURCE_PREVIEW_LINES = 5
FILTER_PREVIEW_LINES = 3
"""Lines of the previews; at 80x24 they leave the result at least 6 lines."""

PIPE_PANE_CSS = """
PipePaneScreen .title {
    height: 1;
    background: $boost;
    text-wrap: nowrap;
    text-overflow: ellipsis;
}
PipePaneScreen .pipe-step {
    height: 1;
    text-wrap: nowrap;
    text-overflow: ellipsis;
}
PipePaneScreen .pipe-preview {
    height: auto;
    text-wrap: nowrap;
    text-overflow: ellipsis;
    padding: 0 0 0 2;
    color: $text-muted;
    overflow: hidden;
}
PipePaneScreen Input {
    display: none;
    height: 1;
    padding: 0 1;
    margin: 0 2;
}
PipePaneScreen Input, PipePaneScreen Input:focus {
    border: none;
}
PipePaneScreen #result-preview {
    height: 1fr;
    min-height: 1;
    padding: 0 0 0 2;
    overflow: hidden;
}
PipePaneScreen #pipe-message {
    height: auto;
    max-height: 3;
}
"""


def _step(number: int, key: str, title: str) -> Text:
    return Text.assemble((f"{number} {title}", "bold"), (f" ({key}) ", "dim"))


def source_line(state: PipeState) -> Text:
    line = _step(1, "s", "Source")
    choice = state.choice
    if choice is None:
        return line.append("○ none: s picks a job's output or a file in a build's share", "dim")
    size = format_size(choice.size) if choice.size is not None else "size unknown"
    loaded = state.source is not None or state.source_preview not in ("", "reading…")
    mark = "✓" if loaded else "…"
    return line.append(f"{mark} {choice.label} · {size}")


def filter_line(state: PipeState) -> Text:
    line = _step(2, "f", "Filter")
    command = state.filter_command
    if not command:
        return line.append("none: f types a shell command such as grep rhino", "dim")
    if state.filter_status == "none":
        return line.append(f"○ {command!r} has not run on this source: f, Enter runs it")
    if state.filter_status == "running":
        return line.append(f"{glyph('running')} {command!r} running as a job")
    size = format_size(state.filter_source.size) if state.filter_source is not None else "no output"
    return line.append(f"{glyph(state.filter_status)} {command!r} · {size}")


def target_line(state: PipeState) -> Text:
    line = _step(3, "t", "Target")
    if state.spec is None or state.script is None:
        line.append("none: t picks a job of a script", "dim")
    else:
        line.append(f"{Path(state.script).name} › {state.spec.name} by "
                    f"{describe_how(state.how, state.name)}")
    return line.append("  [1 env 2 stdin 3 share, n name]", "dim")


def run_line(state: PipeState) -> Text:
    line = _step(4, "r", "Run")
    progress = state.progress
    if state.busy():
        if progress is None:
            build = f"build {state.run_build}" if state.run_build else "starting"
            line.append(f"{glyph('running')} {build}")
        else:
            what = "copying the share file" if progress.phase == "copying" else "input read"
            line.append(f"{glyph('running')} {what} {format_size(progress.done)} of "
                        f"{format_size(progress.total)} {progress_bar(progress, 12)}")
        jobs = ", ".join(f"{glyph(status)} {job}" for job, status in state.job_states.items())
        return line.append(f"  {jobs}" if jobs else "")
    if state.run_status == "none":
        target = state.spec.name if state.spec is not None else "the target job"
        return line.append(f"○ r runs {target} alone, in a build of its own", "dim")
    build = f" build {state.run_build}" if state.run_build else ""
    return line.append(f"{glyph(state.run_status)} {state.run_status}{build}")


def message_text(state: PipeState) -> Text:
    text = Text(state.message)
    if state.offer_stdin:
        text.append("\n→ press 2 to send it as standard input instead", "bold")
    return text


def clip_lines(text: str, limit: int) -> str:
    """Keep at most `limit` lines, the last one saying how many more there are."""
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join([*lines[: limit - 1], f"… ({len(lines) - limit + 1} more lines)"])


def render_lines(state: PipeState) -> dict[str, Text]:
    """Return the text of every line of the pane, by widget id."""
    return {
        "pipe-title": Text("Pipe pane: source → filter → target job · Esc back", style="bold"),
        "source-line": source_line(state),
        "source-preview": Text(clip_lines(state.source_preview, SOURCE_PREVIEW_LINES)),
        "filter-line": filter_line(state),
        "filter-preview": Text(clip_lines(state.filter_preview, FILTER_PREVIEW_LINES)),
        "target-line": target_line(state),
        "run-line": run_line(state),
        "result-preview": Text(state.result_preview),
        "pipe-message": message_text(state),
    }
