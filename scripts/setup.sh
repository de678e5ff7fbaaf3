#!/usr/bin/env bash
# Set up a machine for brigtui: system packages (when root or sudo is available), a virtual
# environment in .venv with brigtui and its development tools, and the local test image.
#
# Usage: scripts/setup.sh [--no-system]
#   --no-system  skip the system packages (bubblewrap, tmux, podman, runc, busybox-static, bash-static)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(bubblewrap tmux podman runc busybox-static bash-static uidmap)

install_system_packages() {
    local missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "setup: install these packages as root first: ${missing[*]}" >&2
            return 0
        fi
        sudo=sudo
    fi
    echo "setup: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if [ "${1:-}" != "--no-system" ] && command -v apt-get >/dev/null; then
    install_system_packages
fi

# The virtual environment, reinstalled only when pyproject.toml changed.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.brigtui-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    touch "$stamp"
fi

# The container executor's tests use a small image built offline.
if command -v podman >/dev/null || command -v docker >/dev/null; then
    scripts/build-test-image.sh || echo "setup: the test image could not be built; container tests will fail" >&2
fi
