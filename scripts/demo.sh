#!/bin/bash
# demo.sh — cell's main job, from nothing: install what is needed, build, make
# a busybox image locally (no registry needed), and `cell run` a container
# from it that prints what it sees inside; then the same image detached, its
# logs, and its removal, as a docker user would type them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
        echo "demo.sh: run as root (containers need namespaces and mounts)" >&2
        exit 1
fi
scripts/deps.sh
scripts/build.sh build
cell=build/cli/cell
echo "demo.sh: cell image base busybox"
"$cell" image base busybox >/dev/null
"$cell" images localhost/busybox
echo "demo.sh: cell run --rm localhost/busybox sh -c '...'"
"$cell" run --rm --hostname demo localhost/busybox sh -c \
        'echo "hello from $(hostname), pid $$, $(id)"; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; echo "mounts:"; cut -d" " -f2,3 /proc/mounts'
echo "demo.sh: cell run -d, ps, logs, rm -f"
id=$("$cell" run -d localhost/busybox sh -c 'for i in 1 2 3; do echo tick $i; sleep 0.2; done; sleep 100')
sleep 1
"$cell" ps --filter "id=$id"
"$cell" logs "$id"
"$cell" rm -f "$id"
