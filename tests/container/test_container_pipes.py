"""Data between container jobs: env, stdin, pipe() and a share file give the same matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from brigtui.container.runtime import Runtime
from brigtui.engine.engine import Engine
from brigtui.engine.messages import BuildPrinted
from brigtui.engine.model import BuildStatus
from tests.container.support import TEST_IMAGE
from tests.support import Recorder, run, write_script

pytestmark = pytest.mark.container


async def test_four_ways_same_matches(container_pipelines: Path, runtime: Runtime) -> None:
    engine = Engine(container_pipelines, executor="container")
    recorder = Recorder()
    engine.subscribe(recorder)
    script = write_script(container_pipelines, "four.py", f'''
        from pathlib import Path
        from brigtui import pipe

        IMAGE = "{TEST_IMAGE}"

        @events.on("exec")
        async def handler(event, project):
            data = await Job("one", IMAGE, ["cat animals.txt"]).run()
            by_env = await Job("env", IMAGE, ['grep rhino <<< "$DATA"'], env={{"DATA": data}}).run()
            by_stdin = await Job("stdin", IMAGE, ["grep rhino"], stdin=data).run()
            piped = await pipe(Job("cat", IMAGE, ["cat animals.txt"]), Job("grep", IMAGE, ["grep rhino"]))
            await Job("put", IMAGE, ["cp animals.txt /mnt/brigade/share/a"], storage=True).run()
            by_share = await Job("share", IMAGE, ["grep rhino"], storage=True,
                                 stdin=Path("/mnt/brigade/share/a")).run()
            print(len({{by_env.text, by_stdin.text, piped[-1].text, by_share.text}}),
                  by_env.text.count("\\n") + 1)
    ''')
    outcome = await run(engine, script)
    engine.close()
    assert outcome.status == BuildStatus.SUCCEEDED, outcome.error
    assert [m.text for m in recorder.of(BuildPrinted)] == ["1 5"]
