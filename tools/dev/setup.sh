#!/usr/bin/env bash
# Sets up a fresh machine of this kind (Debian 12, root, Node 20) for ct: Debian packages, pnpm, the workspace's
# dependencies, the build and the offline test images. Idempotent: what is there already is left alone.
# Usage: bash tools/dev/setup.sh [--keep-going]
#   --keep-going  a package that fails to build is reported but does not stop the set-up (test-all.sh then counts
#                 that package's tests as failed); without it, any failure exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TURBO_TELEMETRY_DISABLED=1

keep_going=0
for a in "$@"; do
  case "$a" in
    --keep-going) keep_going=1 ;;
    *) echo "setup: unknown option $a" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Debian packages: the peers tests compare against and the tools the build and tests use.
# g++/make/python3 build the addon (node-gyp); gcc + libc6-dev link ct-probe statically; binutils gives readelf.
APT_PACKAGES=(runc crun umoci skopeo uidmap busybox-static libseccomp-dev gcc g++ libc6-dev binutils make python3 tar
  gzip zstd attr acl iproute2 util-linux bsdutils procps docker-registry openssl podman containerd containernetworking-plugins
  passt slirp4netns iptables)
if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # pasta and slirp4netns open /dev/net/tun as the unprivileged user: udev's rule makes it 0666, a machine
  # without udev (this VM) keeps the kernel's 0600 and rootless networks cannot work (ct doctor reports it)
  if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
    say "chmod 0666 /dev/net/tun (udev's mode)"
    chmod 0666 /dev/net/tun
  fi
else
  say "not root: skipping apt packages (${APT_PACKAGES[*]})"
fi

# pnpm, pinned (corepack fails against this registry: it serves no signatures).
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "12.4.2" ]; then
  say "npm i -g -E pnpm@12.4.2"
  npm i -g -E pnpm@12.4.2 >/dev/null 2>&1
fi

# Under CI=true pnpm uses the lockfile as is (--frozen-lockfile): a stale lockfile fails here, as it should.
say "pnpm install"
log=$(mktemp)
if ! pnpm install --reporter=append-only >"$log" 2>&1; then
  tail -n 30 "$log" >&2; rm -f "$log"
  # A failed lifecycle script (an addon that does not compile) leaves the rest linked: with --keep-going the build
  # and tests go on and count that package as failed. A workspace that never got linked cannot go on.
  if [ "$keep_going" = 1 ] && [ -d node_modules/.pnpm ]; then
    echo "setup: pnpm install failed (above); continuing (--keep-going)" >&2
  else
    echo "setup: pnpm install failed" >&2
    exit 1
  fi
fi
grep -vE '^(Progress|\s*$)' "$log" | tail -n 3 >&2 || true
rm -f "$log"

say "build"
if ! pnpm exec turbo run build --continue --output-logs=errors-only >&2; then
  if [ "$keep_going" = 1 ]; then
    echo "setup: some packages failed to build (above); continuing (--keep-going)" >&2
  else
    echo "setup: build failed" >&2
    exit 1
  fi
fi

if [ -f tools/images/build.mjs ]; then
  say "test images"
  node tools/images/build.mjs >&2
fi

# nothing installs the CLI on the PATH from a clone: say how to reach it (README, "Two commands")
say "set up; the CLI is $(pwd)/apps/ct/bin/ct.js: alias ct=\"node $(pwd)/apps/ct/bin/ct.js\""
