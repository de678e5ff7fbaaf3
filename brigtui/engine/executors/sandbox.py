"""Mount namespaces for local jobs: bubblewrap, `unshare`, or none.

Both sandboxes give the job a new root file system on a tmpfs that binds every top-level
folder of the host, then mount the project source at /src and the build's share at
/mnt/brigade/share. The mount points exist only inside the tmpfs, so the host's `/mnt` and
`/` stay untouched and no root is needed.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from brigtui.engine.executors.base import SHARE_MOUNT, SOURCE_MOUNT

logger = logging.getLogger(__name__)

SandboxKind = Literal["bubblewrap", "unshare", "none"]

# Top-level folders that the sandbox mounts itself instead of binding the host's.
_OWN_MOUNTS = {"proc", "dev", "mnt", "src"}

_UNSHARE_SETUP = r"""
set -e
root=$1; source=$2; share=$3; shift 3
mount -t tmpfs brigtui "$root"
for entry in /*; do
    name=${entry#/}
    case "$name" in proc|dev|mnt|src) continue ;; esac
    if [ -L "$entry" ]; then
        ln -s "$(readlink "$entry")" "$root/$name"
    elif [ -d "$entry" ]; then
        mkdir "$root/$name"
        mount --rbind "$entry" "$root/$name"
    fi
done
mkdir "$root/proc" "$root/dev" "$root/src"
mount --rbind /proc "$root/proc"
mount --rbind /dev "$root/dev"
mkdir "$root/mnt"
for entry in /mnt/*; do
    name=${entry#/mnt/}
    [ -d "$entry" ] && [ "$name" != brigade ] || continue
    mkdir "$root/mnt/$name"
    mount --rbind "$entry" "$root/mnt/$name"
done
mount --bind "$source" "$root/src"
if [ -n "$share" ]; then
    mkdir -p "$root/mnt/brigade/share"
    mount --bind "$share" "$root/mnt/brigade/share"
fi
exec chroot "$root" /bin/sh -c 'cd /src && exec "$@"' sandbox "$@"
"""


@dataclass(frozen=True)
class Sandbox:
    kind: SandboxKind
    reason: str = ""
    """Why a weaker sandbox was chosen, for the build's note."""

    def wrap(
        self,
        command: list[str],
        source: Path,
        share: Path | None,
        root_dir: Path,
    ) -> tuple[list[str], Path]:
        """Return the command that runs `command` in the sandbox, and its working directory."""
        if self.kind == "bubblewrap":
            return bubblewrap_command(command, source, share), source
        if self.kind == "unshare":
            root_dir.mkdir(parents=True, exist_ok=True)
            wrapped = [
                "unshare", "--user", "--map-root-user", "--mount", "--propagation", "private",
                "--fork", "--kill-child", "--",
                "/bin/sh", "-c", _UNSHARE_SETUP, "unshare-setup",
                str(root_dir), str(source), str(share or ""), *command,
            ]  # fmt: skip
            return wrapped, source
        return command, source


def bubblewrap_command(command: list[str], source: Path, share: Path | None) -> list[str]:
    args = ["bwrap", "--tmpfs", "/", *_host_root_arguments(_folder_stamp())]
    args += ["--bind", str(source), SOURCE_MOUNT, "--chdir", SOURCE_MOUNT]
    if share is not None:
        args += ["--dir", SHARE_MOUNT, "--bind", str(share), SHARE_MOUNT]
    args += ["--unshare-pid", "--die-with-parent", "--", *command]
    return args


def _folder_stamp() -> tuple[float, float]:
    """Modification times of / and /mnt: they change when an entry is added or removed."""
    stamps = []
    for folder in ("/", "/mnt"):
        try:
            stamps.append(os.stat(folder).st_mtime)
        except OSError:
            stamps.append(0.0)
    return stamps[0], stamps[1]


@functools.lru_cache(maxsize=4)
def _host_root_arguments(stamp: tuple[float, float]) -> tuple[str, ...]:
    """bwrap arguments that rebuild the host's top level (and /mnt) inside the sandbox."""
    args: list[str] = []
    for entry in sorted(Path("/").iterdir()):
        if entry.name in _OWN_MOUNTS:
            continue
        if entry.is_symlink():
            args += ["--symlink", os.readlink(entry), str(entry)]
        elif entry.is_dir():
            args += ["--dev-bind", str(entry), str(entry)]
    args += ["--proc", "/proc", "--dev-bind", "/dev", "/dev"]
    mnt = Path("/mnt")
    if mnt.is_dir():
        for entry in sorted(mnt.iterdir()):
            if entry.name != "brigade" and entry.is_dir() and not entry.is_symlink():
                args += ["--dev-bind", str(entry), str(entry)]
    return tuple(args)


@functools.cache
def detect_sandbox(preference: str = "auto") -> Sandbox:
    """Pick the strongest sandbox that works on this host, probing each once per process."""
    probe_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    reasons = []
    if preference in ("auto", "bubblewrap"):
        if shutil.which("bwrap") is None:
            reasons.append("bubblewrap (bwrap) is not installed")
        else:
            error = _probe(bubblewrap_command(["true"], probe_dir, None))
            if error is None:
                return Sandbox("bubblewrap")
            reasons.append(f"bubblewrap failed: {error}")
        if preference == "bubblewrap":
            return Sandbox("none", "; ".join(reasons))
    if preference in ("auto", "unshare"):
        if shutil.which("unshare") is None:
            reasons.append("unshare is not installed")
        else:
            root = Path(probe_dir) / f"brigtui-probe-{os.getpid()}"
            command, _ = Sandbox("unshare").wrap(["true"], probe_dir, None, root)
            error = _probe(command)
            shutil.rmtree(root, ignore_errors=True)
            if error is None:
                return Sandbox("unshare", "; ".join(reasons))
            reasons.append(f"unshare failed: {error}")
    return Sandbox("none", "; ".join(reasons) or "the sandbox is off in brigtui.yaml")


def _probe(command: list[str]) -> str | None:
    try:
        completed = subprocess.run(command, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if completed.returncode == 0:
        return None
    message = completed.stderr.decode(errors="replace").strip().splitlines()
    return message[-1] if message else f"exit code {completed.returncode}"


@functools.cache
def default_shell() -> str:
    """Return the shell for jobs that name none.

    Brigade images run `/bin/sh`, which on Alpine is busybox and accepts `<<<`. Where the host's
    /bin/sh lacks here-strings (dash on Debian and Ubuntu), bash is used when present.
    """
    try:
        completed = subprocess.run(
            ["/bin/sh", "-c", "cat <<< ok"], capture_output=True, timeout=5, check=False
        )
        if completed.returncode == 0 and completed.stdout.strip() == b"ok":
            return "/bin/sh"
    except (OSError, subprocess.TimeoutExpired):
        pass
    return shutil.which("bash") or "/bin/sh"
