#!/usr/bin/env bash
# Sets up a fresh machine of this kind (Debian 12, root, Node 20) for ct: Debian packages, pnpm, the workspace's
# dependencies, the build and the offline test images. Idempotent: what is there already is left alone.
# Usage: bash tools/dev/setup.sh [--quiet]
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages: the peers tests compare against and the tools the build and tests use.
APT_PACKAGES=(runc crun umoci skopeo uidmap busybox-static libseccomp-dev gcc make python3 tar gzip zstd attr acl
  iproute2 util-linux procps)
if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "not root: skipping apt packages (${APT_PACKAGES[*]})"
fi

# pnpm, pinned (corepack fails against this registry: it serves no signatures).
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "12.4.2" ]; then
  say "npm i -g -E pnpm@12.4.2"
  npm i -g -E pnpm@12.4.2 >/dev/null 2>&1
fi

say "pnpm install"
pnpm install --reporter=append-only 2>&1 | grep -vE '^(Progress|\s*$)' | tail -n 5 >&2 || true
[ -d node_modules/.pnpm ] || { echo "setup: pnpm install failed" >&2; exit 1; }

say "build"
pnpm exec turbo run build --output-logs=errors-only >&2

if [ -f tools/images/build.mjs ]; then
  say "test images"
  node tools/images/build.mjs >&2
fi
