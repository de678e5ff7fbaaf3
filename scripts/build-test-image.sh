#!/usr/bin/env bash
# Build a small local image for the container executor's tests, without any registry.
#
# The root folder contains Debian's busybox-static (with a link for every applet) and
# bash-static as /bin/bash. /bin/sh is bash too, because the example pipelines use
# here-strings (`<<<`), which Alpine's /bin/sh has and Debian's busybox sh lacks.
#
# Usage: scripts/build-test-image.sh [IMAGE] [RUNTIME]
#   IMAGE    image name (default localhost/brigtui-test:latest)
#   RUNTIME  podman or docker (default: podman when installed, else docker)
# Nothing is rebuilt when the image already exists and was built from the same
# busybox and bash binaries (the image carries their checksum as a label).
set -euo pipefail

image=${1:-localhost/brigtui-test:latest}
runtime=${2:-}
if [ -z "$runtime" ]; then
    if command -v podman >/dev/null; then runtime=podman; else runtime=docker; fi
fi

busybox=/bin/busybox
bash_static=/bin/bash-static
for binary in "$busybox" "$bash_static"; do
    if [ ! -x "$binary" ]; then
        echo "error: $binary is missing; install it with: apt-get install busybox-static bash-static" >&2
        exit 1
    fi
done
if ! "$busybox" --list >/dev/null 2>&1; then
    echo "error: $busybox is not a busybox binary with applet links; install busybox-static" >&2
    exit 1
fi

# The checksum of both binaries decides whether the existing image is current.
digest=$(cat "$busybox" "$bash_static" | sha256sum | cut -c1-16)
label=brigtui.dev/test-image-source
if current=$("$runtime" image inspect --format "{{ index .Config.Labels \"$label\" }}" "$image" 2>/dev/null) \
    && [ "$current" = "$digest" ]; then
    echo "$image is up to date ($digest)"
    exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root" "$root.tar"' EXIT

# Lay out the root folder: busybox applets, bash as /bin/bash and /bin/sh.
mkdir -p "$root"/{bin,etc,tmp,root,src,mnt/brigade/share,proc,sys,dev}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$bash_static" "$root/bin/bash"
for applet in $("$busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -sf bash "$root/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# Import the folder as a one-layer image with a default command and the source label.
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$root.tar" .
if ! output=$("$runtime" import \
    --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/bin' \
    --change "LABEL $label=$digest" \
    "$root.tar" "$image" 2>&1); then
    echo "error: $runtime import failed: $output" >&2
    exit 1
fi
echo "built $image ($digest)"
