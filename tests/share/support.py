"""Helpers for the share inspector's tests: odd shares on disk and a busybox "pod" on this host."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from brigtui.share.exec_inspector import CommandTransport

BUSYBOX = shutil.which("busybox")
APPLETS = ("sh", "find", "stat", "readlink", "dd", "tar", "cat", "printf", "pwd", "ls", "touch")

ODD_NAMES = {
    "with space.txt": b"space\n",
    "new\nline.txt": b"newline\n",
    "tab\tand\x1bescape": b"control\n",
}
INVALID_UTF8 = os.fsdecode(b"caf\xe9-latin1.txt")


def make_share(folder: Path) -> Path:
    """Fill `folder` like a job would: files, a sub folder, odd names and hostile links."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.txt").write_bytes(b"line one\nline two\n")
    (folder / "data").mkdir()
    (folder / "data" / "blob.bin").write_bytes(bytes(range(256)) * 8)
    (folder / "data" / "deep").mkdir()
    (folder / "data" / "deep" / "leaf.py").write_text("print('leaf')\n")
    for name, content in ODD_NAMES.items():
        (folder / name).write_bytes(content)
    (folder / INVALID_UTF8).write_bytes(b"latin1\n")
    os.symlink("/etc/passwd", folder / "absolute-out")
    os.symlink("../../../../../../etc/passwd", folder / "relative-out")
    os.symlink("../", folder / "data" / "up-to-root")
    os.symlink("../..", folder / "data" / "up-out")
    os.symlink("loop-b", folder / "loop-a")
    os.symlink("loop-a", folder / "loop-b")
    os.symlink("report.txt", folder / "inside-link")
    os.symlink("/mnt/brigade/share/report.txt", folder / "mount-link")
    os.symlink("data", folder / "data-link")
    return folder


def busybox_pod(share: Path) -> CommandTransport:
    """A transport that runs commands as a busybox debug pod would: only busybox, the share
    read-only at /mnt/brigade/share, no host file system."""
    assert BUSYBOX is not None
    prefix = ["bwrap", "--tmpfs", "/", "--dir", "/bin", "--ro-bind", BUSYBOX, "/bin/busybox"]
    for applet in APPLETS:
        prefix += ["--symlink", "busybox", f"/bin/{applet}"]
    prefix += ["--proc", "/proc", "--dev", "/dev", "--dir", "/tmp",
               "--dir", "/mnt/brigade/share", "--ro-bind", str(share), "/mnt/brigade/share",
               "--clearenv", "--setenv", "PATH", "/bin", "--cap-drop", "ALL",
               "--unshare-pid", "--die-with-parent", "--"]
    return CommandTransport(prefix)
