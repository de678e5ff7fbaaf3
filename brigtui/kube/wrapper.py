"""The script every job pod runs: it starts the tasks and marks their stderr lines.

A pod's log merges standard output and standard error, so the wrapper prefixes each stderr
line with a marker that is random per job. The log follower strips the marker and sends the
line to the job's stderr. The wrapper needs a POSIX shell at /bin/sh in the job's image.
"""

from __future__ import annotations

import secrets

JOB_DIR = "/var/run/brigtui/job"
"""Mount path of the job's Secret (wrapper, tasks, standard input) in its pod."""
WRAPPER_KEY = "run.sh"
TASKS_KEY = "tasks.sh"
STDIN_KEY = "stdin"

_WRAPPER = r"""# brigtui job wrapper: runs the tasks, prefixes stderr lines with a marker.
marker='{marker}'
input=/dev/null
if [ -f {job_dir}/{stdin} ]; then input={job_dir}/{stdin}; fi
mark_stderr() {{
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s%s\n' "$marker" "$line"
    done
}}
cd {source} || exit 1
exec 3>&1
code=$(
    {{
        {{ {shell} {job_dir}/{tasks} <"$input" 2>&1 1>&3 3>&- 4>&-; echo $? >&4; }} \
            | mark_stderr 1>&2 3>&- 4>&-
    }} 4>&1
)
exit "${{code:-1}}"
"""


def new_marker() -> str:
    """Return a stderr marker that a job's own output will not start with by chance."""
    return f"\x1ebrigtui-stderr-{secrets.token_hex(6)}\x1e"


def wrapper_script(marker: str, shell: str, source: str) -> str:
    return _WRAPPER.format(
        marker=marker,
        shell=_quote(shell),
        job_dir=JOB_DIR,
        stdin=STDIN_KEY,
        tasks=TASKS_KEY,
        source=source,
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
