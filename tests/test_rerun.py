"""Rerun and resume of recorded builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from brigtui.engine.engine import Engine
from brigtui.engine.errors import UsageError
from brigtui.engine.messages import BuildNoted, BuildPrinted
from brigtui.engine.model import BuildStatus
from tests.support import Recorder, run, write_script

PIPELINE = '''
    @events.on("exec")
    async def handler(event, project):
        prepare = Job("prepare", "img", ["echo ran >> {counter}", "cat animals.txt | wc -l"])
        lines = await prepare.run()
        check = Job("check", "img", ['test "$LINES" -gt 0', "test -f {allow} && echo ok"],
                    env={{"LINES": lines}})
        print(await check.run())
'''


async def finish(engine: Engine, runner) -> object:
    assert runner.task is not None
    return await runner.task


async def test_rerun_uses_snapshot_of_old_script(
    engine: Engine, pipelines: Path, recorder: Recorder
) -> None:
    script = write_script(pipelines, "snap.py", '''
        @events.on("exec")
        async def handler(event, project):
            first_line = (project.folder / "animals.txt").read_text().split()[0]
            print("version", event.payload["n"], first_line)
    ''')
    first = await run(engine, script, payload={"n": 1})
    script.write_text(script.read_text().replace('"version"', '"edited"'))
    (pipelines / "animals.txt").write_text("platypus\n")

    old = await finish(engine, engine.rerun(first.build_id))
    new = await finish(engine, engine.rerun(first.build_id, current_files=True))

    assert [m.text for m in recorder.of(BuildPrinted)] == [
        "version 1 aardvark", "version 1 aardvark", "edited 1 platypus",
    ]
    for outcome in (old, new):
        record = engine.store.get_build(outcome.build_id)
        assert record is not None
        assert record.rerun_of == first.build_id
        assert record.script == str(script)
        assert record.trigger == f"rerun of {first.build_id}"


async def test_resume_reuses_succeeded_job(
    engine: Engine, pipelines: Path, tmp_path: Path, recorder: Recorder
) -> None:
    counter = tmp_path / "counter"
    script = write_script(pipelines, "resume.py", PIPELINE.format(counter=counter, allow=tmp_path / "allow"))
    failed = await run(engine, script)
    assert failed.status == BuildStatus.FAILED
    assert counter.read_text() == "ran\n"

    # The failure is fixed outside the snapshot; the resumed build reuses `prepare`.
    (tmp_path / "allow").write_text("")
    resumed = await finish(engine, engine.rerun(failed.build_id, resume=True))
    assert resumed.status == BuildStatus.SUCCEEDED
    assert counter.read_text() == "ran\n"
    record = engine.store.get_build(resumed.build_id)
    assert record is not None
    assert [(j.name, j.status, j.reused_from) for j in record.jobs] == [
        ("prepare", "reused", failed.build_id), ("check", "succeeded", None),
    ]
    assert record.resumed == 1
    assert recorder.of(BuildPrinted)[-1].text == "ok"

    # A plain rerun runs every job again.
    rerun = await finish(engine, engine.rerun(failed.build_id))
    assert rerun.status == BuildStatus.SUCCEEDED
    assert counter.read_text() == "ran\nran\n"


async def test_resume_reruns_writers_when_share_gone(
    engine: Engine, pipelines: Path, tmp_path: Path, recorder: Recorder
) -> None:
    counter = tmp_path / "writes"
    script = write_script(pipelines, "sharejobs.py", f'''
        @events.on("exec")
        async def handler(event, project):
            await Job("write", "img", ["echo w >> {counter}",
                                       "echo data > /mnt/brigade/share/data"], storage=True).run()
            await Job("read", "img", ["cat /mnt/brigade/share/data", "test -f {tmp_path / 'allow'}"],
                      storage=True).run()
    ''')
    failed = await run(engine, script)
    assert failed.status == BuildStatus.FAILED
    (tmp_path / "allow").write_text("")

    # With the share kept, the writer is reused and the reader works on a copy of it.
    kept = await finish(engine, engine.rerun(failed.build_id, resume=True))
    assert kept.status == BuildStatus.SUCCEEDED
    assert counter.read_text() == "w\n"
    original = engine.store.get_build(failed.build_id)
    assert original is not None and original.share_path
    assert sorted(p.name for p in Path(original.share_path).iterdir()) == ["data"]

    # Without the share, the writer runs again and the UI is told why.
    shutil.rmtree(original.share_path)
    again = await finish(engine, engine.rerun(failed.build_id, resume=True))
    assert again.status == BuildStatus.SUCCEEDED
    assert counter.read_text() == "w\nw\n"
    record = engine.store.get_build(again.build_id)
    assert record is not None
    assert [j.status for j in record.jobs] == ["succeeded", "succeeded"]
    notes = [m.text for m in recorder.of(BuildNoted) if m.build_id == again.build_id]
    assert any("share of build" in n and "is gone" in n for n in notes)


async def test_resume_reruns_changed_job(engine: Engine, pipelines: Path, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    script = write_script(pipelines, "changed.py", PIPELINE.format(counter=counter, allow=tmp_path / "allow"))
    failed = await run(engine, script)
    (pipelines / "animals.txt").write_text("only one\n")
    (tmp_path / "allow").write_text("")
    resumed = await finish(engine, engine.rerun(failed.build_id, resume=True, current_files=True))
    assert resumed.status == BuildStatus.SUCCEEDED
    assert counter.read_text() == "ran\nran\n"


async def test_rerun_unknown_build(engine: Engine) -> None:
    with pytest.raises(UsageError, match="build 'nope' not found"):
        engine.rerun("nope")
