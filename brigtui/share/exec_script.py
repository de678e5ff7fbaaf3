"""Shell scripts that inspect the share inside a debug pod or container, and their parsers.

The scripts need only a POSIX shell and busybox applets (`find`, `stat`, `readlink`, `dd`,
`tar`), so they work in the default busybox image. The path travels as an argument in which
every byte is written as an octal escape (`\\303`), because exec arguments must be text and
a file name may be any bytes. `printf` turns it back into the name.

Each script resolves the path with `readlink -f` and rejects (exit code 3) any result that
is not under /mnt/brigade/share. Reads open the file first and then check where the open
descriptor points (`/proc/$$/fd/3`), so a file swapped for a link after the check still
cannot be read from outside the share.
"""

from __future__ import annotations

import os
import stat as stat_module

from brigtui.engine.executors.base import SHARE_MOUNT
from brigtui.share.inspector import (
    Entry,
    ShareAccessDenied,
    ShareError,
    ShareEscape,
    ShareLinkLoop,
    ShareNotFound,
    display_path,
    join_path,
    kind_of,
    permission_hint,
)

EXIT_ESCAPE, EXIT_MISSING, EXIT_UNRESOLVED, EXIT_KIND, EXIT_DENIED = 3, 4, 5, 6, 13

_PRELUDE = rf"""
root={SHARE_MOUNT}
p=$(printf "$1"; printf x); p=${{p%x}}
target=$root${{p:+/$p}}
inside() {{ case $1 in "$root"|"$root"/*) return 0 ;; esac; return 1; }}
resolve() {{
    real=$(readlink -fn "$1" 2>/dev/null; printf x); real=${{real%x}}
    probe=$1
    while [ -z "$real" ] && [ "$probe" != "$root" ]; do
        # The deepest folder on the way that resolves separates a loop from a link that leaves.
        probe=${{probe%/*}}
        known=$(readlink -fn "$probe" 2>/dev/null; printf x); known=${{known%x}}
        if [ -n "$known" ]; then
            if ! inside "$known"; then
                echo "a link on the way points to $known, outside the share" >&2
                exit {EXIT_ESCAPE}
            fi
            break
        fi
    done
    if [ -z "$real" ]; then
        echo "cannot resolve the path: a link loop or a missing folder on the way" >&2
        exit {EXIT_UNRESOLVED}
    fi
    inside "$real" || {{ echo "the path resolves to $real, outside the share" >&2; exit {EXIT_ESCAPE}; }}
    [ -e "$real" ] || [ -L "$real" ] || {{ echo "no such file or folder" >&2; exit {EXIT_MISSING}; }}
}}
"""

_STAT_FORMAT = "%f %s %Y %u %g %n"

LIST_SCRIPT = _PRELUDE + rf"""
resolve "$target"
[ -d "$real" ] || {{ echo "not a folder" >&2; exit {EXIT_KIND}; }}
cd "$real" 2>/dev/null || {{ echo "permission denied" >&2; exit {EXIT_DENIED}; }}
inside "$(pwd -P)" || exit {EXIT_ESCAPE}
find . -mindepth 1 -maxdepth 1 -print0; printf '\0'
find . -mindepth 1 -maxdepth 1 -exec stat -c '{_STAT_FORMAT}' {{}} +; printf '\0'
find . -mindepth 1 -maxdepth 1 -type l \
    -exec sh -c 'for f; do printf "%s\0" "$f"; readlink -n "$f"; printf "\0"; done' sh {{}} +
"""

STAT_SCRIPT = _PRELUDE + rf"""
if [ -z "$p" ]; then
    cd "$root" && stat -c '{_STAT_FORMAT}' . && exit 0
    exit {EXIT_DENIED}
fi
resolve "${{target%/*}}"
name=${{target##*/}}
cd "$real" 2>/dev/null || {{ echo "permission denied" >&2; exit {EXIT_DENIED}; }}
[ -e "./$name" ] || [ -L "./$name" ] || {{ echo "no such file or folder" >&2; exit {EXIT_MISSING}; }}
stat -c '{_STAT_FORMAT}' "./$name"
if [ -L "./$name" ]; then printf '\0'; readlink -n "./$name"; fi
"""

READ_SCRIPT = _PRELUDE + rf"""
resolve "$target"
[ -f "$real" ] || {{ echo "not a regular file" >&2; exit {EXIT_KIND}; }}
[ -r "$real" ] || {{ echo "permission denied" >&2; exit {EXIT_DENIED}; }}
exec 3< "$real" || exit {EXIT_DENIED}
inside "$(readlink -n /proc/$$/fd/3)" || {{ echo "the file changed into a link" >&2; exit {EXIT_ESCAPE}; }}
dd bs="$2" skip="$3" count="$4" <&3 2>/dev/null
"""

MEASURE_SCRIPT = _PRELUDE + r"""
resolve "$target"
find "$real" -type f -exec stat -c '%s' {} +
"""

TAR_SCRIPT = _PRELUDE + rf"""
resolve "$target"
if [ "$real" = "$root" ]; then
    cd "${{root%/*}}" && exec tar -c -f - "./${{root##*/}}"
    exit {EXIT_DENIED}
fi
cd "${{real%/*}}" 2>/dev/null || exit {EXIT_DENIED}
exec tar -c -f - "./${{real##*/}}"
"""

SHELL_SCRIPT = f'cd {SHARE_MOUNT} && PS1="share:\\w\\$ " exec sh -i'


def encode_path(path: str) -> str:
    """Write every byte of a share path as an octal escape that `printf` decodes."""
    return "".join(f"\\{byte:03o}" for byte in os.fsencode(path))


def script_argv(script: str, path: str, *extra: str) -> list[str]:
    return ["sh", "-c", script, "brigtui-share", encode_path(path), *extra]


def share_error(code: int, stderr: bytes, path: str, backend: str) -> ShareError:
    """Turn a script's exit code into the ShareError a user can act on."""
    detail = stderr.decode(errors="replace").strip().splitlines()
    reason = detail[-1] if detail else f"exit code {code}"
    where = display_path(path)
    if code == EXIT_ESCAPE:
        return ShareEscape(f"{where}: {reason}; brigtui does not follow links out of the share")
    if code == EXIT_MISSING:
        return ShareNotFound(f"{where}: no such file or folder in the share")
    if code == EXIT_UNRESOLVED:
        return ShareLinkLoop(f"{where}: {reason}")
    if code == EXIT_DENIED or "ermission denied" in reason:
        return ShareAccessDenied(f"{where}: permission denied; {permission_hint(backend)}")
    if code == EXIT_KIND:
        return ShareError(f"{where}: {reason}")
    return ShareError(f"{where}: the inspector's command failed: {reason}")


def parse_stat_line(text: bytes) -> tuple[int, int, float, int, int, bytes]:
    """Split `%f %s %Y %u %g %n` into mode, size, mtime, uid, gid and the rest (the name)."""
    mode, size, mtime, uid, gid, name = text.split(b" ", 5)
    return int(mode, 16), int(size), float(mtime), int(uid), int(gid), name


def parse_listing(output: bytes, parent: str) -> list[Entry]:
    """Parse LIST_SCRIPT's output: NUL-ended names, stat lines, then link name/target pairs."""
    names_part, _, rest = output.partition(b"\0\0")
    stats_part, _, links_part = rest.partition(b"\0")
    names = [name for name in names_part.split(b"\0") if name]
    if not names:
        return []
    targets = _link_targets(links_part)
    stats = _match_stat_lines(stats_part, set(names))
    entries = []
    for raw in names:
        name = os.fsdecode(raw[2:] if raw.startswith(b"./") else raw)
        path = join_path(parent, name)
        found = stats.get(raw)
        if found is None:
            # Gone between the two `find` runs (a live build).
            entries.append(Entry(path, "other", 0, 0, 0.0))
            continue
        mode, size, mtime, uid, gid = found
        target = targets.get(raw) if stat_module.S_ISLNK(mode) else None
        entries.append(Entry(path, kind_of(mode), size, mode, mtime, target, uid, gid))
    entries.sort(key=lambda entry: entry.name)
    return entries


def _link_targets(part: bytes) -> dict[bytes, str]:
    fields = part.split(b"\0")
    return {
        fields[index]: os.fsdecode(fields[index + 1])
        for index in range(0, len(fields) - 1, 2)
        if fields[index]
    }


def _match_stat_lines(part: bytes, names: set[bytes]) -> dict[bytes, tuple[int, int, float, int, int]]:
    """Map each name to its stat fields.

    Names may contain newlines, so a record ends only at a newline after a known name.
    """
    # NOTE: a name that equals another name plus a newline and a stat-like line could be
    # split wrongly; such an entry then shows as kind "other" with size 0.
    found: dict[bytes, tuple[int, int, float, int, int]] = {}
    position = 0
    while position < len(part):
        end = part.find(b"\n", position)
        while end != -1:
            line = part[position:end]
            try:
                mode, size, mtime, uid, gid, name = parse_stat_line(line)
            except ValueError:
                name = b""
            if name in names:
                found[name] = (mode, size, mtime, uid, gid)
                break
            end = part.find(b"\n", end + 1)
        if end == -1:
            break
        position = end + 1
    return found
