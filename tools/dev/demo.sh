#!/usr/bin/env bash
# The README's main job: sets the machine up, then runs the busybox test image as an unprivileged user with
# `ct image import` and `ct container run`, printing from inside the container. Any failure exits non-zero with
# ct's own error above it: there is no fallback to lower layers.
# Runs as root (it installs packages and creates the user ctci with /etc/subuid and /etc/subgid ranges); the
# container itself runs as ctci, on a copy of the tree ctci can read (/var/tmp/ct-demo-UID).
# Usage: bash tools/dev/demo.sh [--no-setup]
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
export TURBO_TELEMETRY_DISABLED=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

setup=1
for a in "$@"; do
  case "$a" in
    --no-setup) setup=0 ;;
    *) echo "demo: unknown option $a" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "demo: run as root (it installs packages and creates the unprivileged user the container runs as)" >&2
  exit 2
fi
[ "$setup" = 1 ] && bash tools/dev/setup.sh

user=$(bash tools/dev/ci-user.sh ctci)
uid=$(id -u "$user"); gid=$(id -g "$user")
work=/var/tmp/ct-demo-$uid
say "copying the tree to $work/tree for $user"
rm -rf "$work"; install -d -m 0755 -o "$uid" -g "$gid" "$work" "$work/tree" "$work/tmp"
tar -C "$top" --exclude=./.git --exclude=./.turbo -cf - . | tar -C "$work/tree" -xf -
chown -R "$uid:$gid" "$work"

as_user() {
  (cd "$work/tree" && runuser -u "$user" -- env -i PATH="$PATH" HOME="$(getent passwd "$user" | cut -d: -f6)" \
    USER="$user" LOGNAME="$user" TMPDIR="$work/tmp" XDG_RUNTIME_DIR="/run/user/$uid" TURBO_TELEMETRY_DISABLED=1 "$@")
}

message="hello from busybox in a ct container"
layout="$work/tree/test-images/build/busybox"
cli="$work/tree/apps/ct/bin/ct.js"
say "running through the CLI as $user: ct image import, ct container run (twice: the second unpacks nothing)"
# the user's image store ($XDG_DATA_HOME/ct/storage); the layout's tag `latest` names it busybox:latest
as_user node "$cli" image import "$layout:latest" --name busybox:latest
as_user node "$cli" image ls
as_user node "$cli" container run --rm busybox sh -c "echo '$message:' \$(id -un) uid \$(id -u), hostname \$(hostname), pid \$\$"
as_user node "$cli" container run --rm --hostname demo busybox sh -c 'echo "second run, root an overlay of the stored layer:"; grep "^overlay / " /proc/mounts'
say "demo done: ct container run ran the busybox image as $user"
