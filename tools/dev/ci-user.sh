#!/usr/bin/env bash
# Creates (once) the unprivileged user the tests run as, with /etc/subuid and /etc/subgid ranges and its own
# XDG_RUNTIME_DIR. Prints the user's name. Root only.
# Usage: bash tools/dev/ci-user.sh [NAME]
set -euo pipefail
name=${1:-ctci}
if ! id -u "$name" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$name"
fi
uid=$(id -u "$name"); gid=$(id -g "$name")
# One range of 65536 ids per user, past every other range in the files.
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$name:" "$f"; then
    start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' "$f")
    echo "$name:$start:65536" >>"$f"
  fi
done
install -d -m 0700 -o "$uid" -g "$gid" "/run/user/$uid"
echo "$name"
