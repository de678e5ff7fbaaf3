"""The job graph: layout rules, inferred ordering, keys, and a 500-job build."""

from __future__ import annotations

import random
from pathlib import Path

from textual.app import App, ComposeResult

from brigtui.engine.engine import Engine
from brigtui.engine.messages import BuildStarted, HandoverRecorded, JobCreated, JobStateChanged
from brigtui.tui_messages import JobOpened, JobSelected
from brigtui.widgets.build_model import BuildBoard, BuildView
from brigtui.widgets.graph_layout import GRANDALF_MAX_NODES, Layout, lay_out
from brigtui.widgets.job_graph import JobGraph
from tests.support import run, write_script


def check_layout(layout: Layout, nodes: list[str], edges: list[tuple[str, str, str]]) -> None:
    """Every node has its own slot, and every edge runs left to right one column per hop."""
    assert set(layout.position) == set(nodes)
    slots = list(layout.position.values())
    assert len(set(slots)) == len(slots)
    for column, row in slots:
        assert 0 <= column < layout.columns
        assert 0 <= row < layout.rows
    routed = {(route.source, route.target) for route in layout.routes}
    assert routed == {(source, target) for source, target, _ in edges}
    for route in layout.routes:
        assert route.points[0] == layout.position[route.source]
        assert route.points[-1] == layout.position[route.target]
        columns = [column for column, _ in route.points]
        assert columns == list(range(columns[0], columns[-1] + 1))
        for point in route.points[1:-1]:
            assert point not in slots  # dummy slots never sit on a job


def random_dag(count: int, seed: int) -> tuple[list[str], list[tuple[str, str, str]]]:
    generator = random.Random(seed)
    nodes = [f"job-{number}" for number in range(count)]
    edges = set()
    for number in range(1, count):
        for _ in range(generator.choice((1, 1, 2))):
            source = generator.randrange(max(0, number - 40), number)
            edges.add((nodes[source], nodes[number], generator.choice(("data", "order"))))
    unique = {(s, t): k for s, t, k in sorted(edges)}
    return nodes, [(s, t, k) for (s, t), k in unique.items()]


def test_layout_pipe_two_columns() -> None:
    layout = lay_out(["one", "two"], [("one", "two", "data")])
    assert layout.position == {"one": (0, 0), "two": (1, 0)}


def test_layout_fan_in_and_long_edge() -> None:
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b", "order"), ("a", "c", "order"), ("b", "d", "order"),
             ("c", "d", "order"), ("a", "d", "data")]
    layout = lay_out(nodes, edges)
    check_layout(layout, nodes, edges)
    assert [layout.position[name][0] for name in nodes] == [0, 1, 1, 2]


def test_layout_both_methods_agree_on_rules() -> None:
    small = random_dag(GRANDALF_MAX_NODES // 2, seed=3)
    large = random_dag(GRANDALF_MAX_NODES * 2, seed=4)
    for nodes, edges in (small, large):
        check_layout(lay_out(nodes, edges), nodes, edges)


def test_layout_ignores_unknown_and_self_edges() -> None:
    layout = lay_out(["a", "b"], [("a", "a", "order"), ("a", "zz", "data"), ("a", "b", "data")])
    assert [(r.source, r.target) for r in layout.routes] == [("a", "b")]


def test_ordering_inferred_from_timing() -> None:
    board = BuildBoard()
    board.apply(BuildStarted("b1", "/p/groups.py", "exec", "manual", "local"))
    for name in ("x", "y", "z", "sort", "head"):
        board.apply(JobCreated("b1", name, "alpine", name == "sort", 1))
    for name in ("x", "y", "z"):  # run_all
        board.apply(JobStateChanged("b1", name, "running"))
    for name in ("x", "y", "z"):
        board.apply(JobStateChanged("b1", name, "succeeded", 0))
    board.apply(JobStateChanged("b1", "sort", "running"))  # then run_each
    board.apply(JobStateChanged("b1", "sort", "succeeded", 0))
    board.apply(JobStateChanged("b1", "head", "running"))
    board.apply(HandoverRecorded("b1", "b1", "sort", "head", "stdin", 10))
    build = board.builds["b1"]
    assert build.order_edges == {("x", "sort"), ("y", "sort"), ("z", "sort")}
    assert build.data_edges == {("sort", "head")}


def five_hundred_jobs() -> BuildView:
    nodes, edges = random_dag(500, seed=7)
    board = BuildBoard()
    board.apply(BuildStarted("big", "/p/big.py", "exec", "manual", "local"))
    for seq, name in enumerate(nodes, start=1):
        board.apply(JobCreated("big", name, "alpine", seq % 7 == 0, seq))
        board.apply(JobStateChanged("big", name, "running"))
        board.apply(JobStateChanged("big", name, "succeeded" if seq % 5 else "failed", 0))
    build = board.builds["big"]
    build.order_edges.clear()
    for source, target, kind in edges:
        if kind == "data":
            build.add_data_edge(source, target)
        else:
            build.order_edges.add((source, target))
    build.shape_version += 1
    return build


class GraphApp(App[None]):
    def __init__(self, build: BuildView) -> None:
        super().__init__()
        self.build = build
        self.seen: list[object] = []

    def compose(self) -> ComposeResult:
        yield JobGraph()

    def on_mount(self) -> None:
        graph = self.query_one(JobGraph)
        graph.show(self.build)
        graph.focus()

    def on_job_selected(self, message: JobSelected) -> None:
        self.seen.append(message)

    def on_job_opened(self, message: JobOpened) -> None:
        self.seen.append(message)


async def test_graph_500_jobs_complete() -> None:
    build = five_hundred_jobs()
    app = GraphApp(build)
    async with app.run_test(size=(80, 24)) as pilot:
        graph = app.query_one(JobGraph)
        await pilot.pause()
        check_layout(graph.layout_result, list(build.jobs), build.edges)
        rows = [graph.row_segments(y) for y in range(graph.virtual_size.height)]
        text = "\n".join("".join(segment.text for segment in row) for row in rows)
        for name in build.jobs:
            assert f" {name} " in text
        assert text.count("✗ ") == sum(job.status == "failed" for job in build.jobs.values())

        # Arrow keys move between jobs and scroll; Enter opens the job under the cursor.
        first = graph.selected
        await pilot.press(*["right"] * 8, "down")
        await pilot.pause()
        assert graph.selected != first
        x, length = graph._node_x[graph.selected]
        assert graph.scroll_offset.x > 0
        assert graph.scroll_offset.x <= x
        assert x + length <= graph.scroll_offset.x + graph.scrollable_content_region.width
        await pilot.press("enter")
        await pilot.pause()
        opened = [m for m in app.seen if isinstance(m, JobOpened)]
        assert [m.job for m in opened] == [graph.selected]


async def test_graph_keys_follow_layout() -> None:
    board = BuildBoard()
    board.apply(BuildStarted("b", "/p/x.py", "exec", "manual", "local"))
    for seq, name in enumerate(("a", "b", "c"), start=1):
        board.apply(JobCreated("b", name, "alpine", False, seq))
    board.apply(JobStateChanged("b", "a", "running"))
    board.apply(JobStateChanged("b", "a", "succeeded", 0))
    board.apply(JobStateChanged("b", "b", "running"))
    board.apply(JobStateChanged("b", "c", "running"))
    app = GraphApp(board.builds["b"])
    async with app.run_test(size=(60, 10)) as pilot:
        graph = app.query_one(JobGraph)
        await pilot.pause()
        assert graph.selected == "a"
        await pilot.press("right")
        assert graph.selected == "b"
        await pilot.press("down")
        assert graph.selected == "c"
        await pilot.press("left")
        assert graph.selected == "a"
        await pilot.press("left", "up")
        assert graph.selected == "a"


FAN_IN = """\
@events.on("exec")
async def exec_handler(event, project):
    await Group([Job("left", "alpine", ["true"]), Job("right", "alpine", ["true"])]).run_all()
    first = await Job("join", "alpine", ["echo joined"]).run()
    last = Job("last", "alpine", ["cat"])
    last.stdin = first
    await last.run()
"""


async def test_recorded_build_edges(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "fan_in.py", FAN_IN)
    outcome = await run(engine, script)
    assert outcome.status == "succeeded"
    record = engine.store.get_build(outcome.build_id)
    assert record is not None

    build = BuildBoard().load(record)
    assert build.order_edges == {("left", "join"), ("right", "join")}
    assert build.data_edges == {("join", "last")}
    assert {job.status for job in build.jobs.values()} == {"succeeded"}
