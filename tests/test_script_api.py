"""The script API: jobs, groups, results, events and script loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from brigtui.engine.errors import JobSpecError
from brigtui.engine.messages import BuildPrinted, JobCreated
from brigtui.engine.model import BuildStatus, validate_job_name
from tests.support import Recorder, run, write_script


def printed(recorder: Recorder) -> list[str]:
    return [m.text for m in recorder.of(BuildPrinted)]


@pytest.mark.parametrize("name", ["one", "build-1", "a", "x" * 63, "0day"])
def test_job_name_accepted(name: str) -> None:
    assert validate_job_name(name) == name


@pytest.mark.parametrize(
    "name", ["One", "under_score", "-lead", "trail-", "with space", "", "x" * 64, "dot.name", 7]
)
def test_job_name_rejected_with_rule(name: object) -> None:
    with pytest.raises(JobSpecError) as error:
        validate_job_name(name)
    assert repr(name) in str(error.value)


async def test_example_pass_output(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    outcome = await run(engine, pipelines / "pass_output.py")
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == [
        "black rhino", "greater one-horned rhino", "javan rhino", "sumatran rhino", "white rhino",
    ]
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert [(h.source_job, h.target_job, h.how) for h in build.handovers] == [("one", "two", "env")]


async def test_example_shared_storage(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    outcome = await run(engine, pipelines / "shared_storage.py")
    assert outcome.status == BuildStatus.SUCCEEDED
    assert "white rhino" in printed(recorder)
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert build.share_state == "discarded"
    assert not (engine.state_dir / "shares" / outcome.build_id).exists()


async def test_example_groups(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    outcome = await run(engine, pipelines / "groups.py")
    assert outcome.status == BuildStatus.SUCCEEDED
    lines = printed(recorder)
    assert lines[:3] == ["rhino: 5", "bear: 3", "fox: 2"]
    assert lines[3:6] == ["zebra", "wolverine", "wildebeest"]
    assert lines[-1].endswith("finished: succeeded")


async def test_result_text_and_raw(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "result.py", r'''
        @events.on("exec")
        async def handler(event, project):
            result = await Job("out", "img", ["printf 'a\\nb\\n\\n\\n'", "echo err >&2"]).run()
            print(repr(result.text), repr(result.raw), result.exit_code, result.size)
            print(repr(str(result)), result == "a\nb", "b" in result)
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == [
        "'a\\nb' b'a\\nb\\n\\n\\n' 0 6",
        "'a\\nb' True True",
    ]
    log = (engine.state_dir / "builds" / outcome.build_id / "jobs" / "out.log").read_text()
    assert "err" in log


async def test_non_utf8_output(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "binary.py", r'''
        @events.on("exec")
        async def handler(event, project):
            result = await Job("bin", "img", ["printf 'ok\\377\\376end'"]).run()
            print(result.raw == b"ok\xff\xfeend", result.text)
            two = Job("two", "img", ['printf %s "$DATA" | wc -c'], env={"DATA": result})
            print((await two.run()).text.strip())
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder)[0] == "True ok\ufffd\ufffdend"
    # The replacement characters are 3 bytes each in UTF-8.
    assert printed(recorder)[1] == "11"


async def test_unawaited_jobs_run_and_are_waited_for(
    engine: Engine, pipelines: Path, recorder: Recorder
) -> None:
    marker = pipelines / "marker"
    script = write_script(pipelines, "fire.py", f'''
        @events.on("exec")
        async def handler(event, project):
            Job("late", "img", ["sleep 0.3", "touch {marker}"]).run()
            print("handler returned")
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert marker.exists()
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert build.jobs[0].status == "succeeded"


async def test_unawaited_job_failure_fails_build(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "fire_fail.py", '''
        @events.on("exec")
        async def handler(event, project):
            Job("bad", "img", ["exit 3"]).run()
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert "exit code 3" in (outcome.error or "")
    assert outcome.exit_code == 1


async def test_group_run_each_and_run_all_order(
    engine: Engine, pipelines: Path, recorder: Recorder
) -> None:
    script = write_script(pipelines, "grp.py", '''
        @events.on("exec")
        async def handler(event, project):
            slow_first = Group([Job("a", "i", ["sleep 0.3; echo a"]), Job("b", "i", ["echo b"])])
            print([r.text for r in await slow_first.run_all()])
            each = Group()
            each.add(Job("c", "i", ["echo c > order"]), Job("d", "i", ["echo d >> order; cat order"]))
            print([r.text for r in await each.run_each()])
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == ["['a', 'b']", "['', 'c\\nd']"]


async def test_after_and_error_events(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "follow.py", '''
        @events.on("exec")
        async def handler(event, project):
            if event.payload and event.payload.get("fail"):
                await Job("broken", "img", ["echo boom >&2; exit 4"]).run()

        @events.on("after")
        async def after(event, project):
            print("after", event.cause.event.type, event.cause.reason)

        @events.on("error")
        async def error(event, project):
            print("error", event.cause.event.type, "exit code 4" in event.cause.reason)
    ''')
    ok = await run(engine, script)
    failed = await run(engine, script, payload={"fail": True})
    assert ok.status == BuildStatus.SUCCEEDED
    assert failed.status == BuildStatus.FAILED
    assert printed(recorder) == ["after exec succeeded", "error exec True"]


async def test_each_build_loads_script_afresh(
    engine: Engine, pipelines: Path, recorder: Recorder
) -> None:
    script = write_script(pipelines, "state.py", '''
        counter = []

        @events.on("exec")
        async def handler(event, project):
            counter.append(1)
            print("version 1", len(counter))
    ''')
    await run(engine, script)
    await run(engine, script)
    script.write_text(script.read_text().replace("version 1", "version 2"))
    await run(engine, script)
    assert printed(recorder) == ["version 1 1", "version 1 1", "version 2 1"]


async def test_event_project_and_payload(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "info.py", '''
        def handler(event, project):
            print(event.type, event.payload["n"], project.name, project.folder.name,
                  len(event.build_id))

        events.on("deploy", handler)
    ''')
    outcome = await run(engine, script, "deploy", {"n": 5})
    assert outcome.status == BuildStatus.SUCCEEDED
    assert printed(recorder) == ["deploy 5 pipelines pipelines 20"]


async def test_duplicate_job_name(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "dup.py", '''
        @events.on("exec")
        async def handler(event, project):
            Job("same", "img", ["true"])
            Job("same", "img", ["true"])
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert outcome.exit_code == 2
    assert "dup.py, line 5" in (outcome.error or "")
    assert "'same' is used twice" in (outcome.error or "")


async def test_jobs_appear_when_created(engine: Engine, pipelines: Path, recorder: Recorder) -> None:
    script = write_script(pipelines, "created.py", '''
        @events.on("exec")
        async def handler(event, project):
            Job("never-run", "img", ["true"])
            await Job("ran", "img", ["true"]).run()
    ''')
    outcome = await run(engine, script)
    assert [m.job for m in recorder.of(JobCreated)] == ["never-run", "ran"]
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert [(j.name, j.status) for j in build.jobs] == [("never-run", "pending"), ("ran", "succeeded")]


async def test_syntax_error_names_file_and_line(engine: Engine, pipelines: Path) -> None:
    script = pipelines / "broken.py"
    script.write_text("from brigtui import events\n\n@events.on('exec')\nasync def h(e, p)\n    pass\n")
    outcome = await run(engine, script)
    assert outcome.exit_code == 2
    assert f"{script}, line 4: SyntaxError" in (outcome.error or "")
    build = engine.store.get_build(outcome.build_id)
    assert build is not None
    assert build.status == "failed"
    assert build.error_line == 4


async def test_import_error_names_line(engine: Engine, pipelines: Path) -> None:
    script = pipelines / "imports.py"
    script.write_text("from brigtui import events\nimport no_such_module_here\n")
    outcome = await run(engine, script)
    assert outcome.exit_code == 2
    assert "line 2: ModuleNotFoundError" in (outcome.error or "")


async def test_handler_exception_names_line(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "raises.py", '''
        @events.on("exec")
        async def handler(event, project):
            values = {}
            return values["missing"]
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert outcome.exit_code == 1
    assert "raises.py, line 5" in (outcome.error or "")
    assert "KeyError" in (outcome.error or "")


async def test_missing_command_is_explained(engine: Engine, pipelines: Path) -> None:
    script = write_script(pipelines, "nocmd.py", '''
        @events.on("exec")
        async def handler(event, project):
            await Job("nocmd", "img", ["definitely-not-a-command-xyz"]).run()
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert "exit code 127 (a command was not found)" in (outcome.error or "")
    assert "definitely-not-a-command-xyz" in (outcome.error or "")


async def test_tasks_stop_at_first_failure(engine: Engine, pipelines: Path) -> None:
    marker = pipelines / "after-false"
    script = write_script(pipelines, "sete.py", f'''
        @events.on("exec")
        async def handler(event, project):
            await Job("stops", "img", ["false | cat", "touch {marker}"]).run()
    ''')
    outcome = await run(engine, script)
    assert outcome.status == BuildStatus.FAILED
    assert not marker.exists()
