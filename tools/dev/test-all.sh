#!/usr/bin/env bash
# The README's test command: sets the machine up, then runs every package's tests (unit and integration) as root,
# then again as an unprivileged user on a copy of the tree that user owns (its own TMPDIR and XDG_RUNTIME_DIR),
# leaving the suites tagged @root out. Before the passes, the static checks (turbo's typecheck, lint, docs).
# Ends with one line: "N passed, N failed[, N skipped]" over the checks and both passes.
# Exit status: 0 only when every package ran and nothing failed.
# Usage: bash tools/dev/test-all.sh [--no-setup] [--root-only|--unprivileged-only] [--filter PKG]...
#   --filter PKG  only this workspace package's tests (turbo's --filter; repeatable), e.g. --filter @ct/runtime
#   CT_TEST_WORK  the work directory (default /var/tmp/ct-test-UID): give each concurrent run its own
set -uo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
export TURBO_TELEMETRY_DISABLED=1

setup=1; passes="root unprivileged"; filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) setup=0 ;;
    --root-only) passes=root ;;
    --unprivileged-only) passes=unprivileged ;;
    --filter) [ $# -ge 2 ] || { echo "test-all: --filter needs a package name" >&2; exit 2; }; filters+=("--filter=$2"); shift ;;
    *) echo "test-all: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" != 0 ]; then
  echo "test-all: run as root (it creates the unprivileged test user and runs a pass as each)" >&2
  exit 2
fi
[ "$setup" = 1 ] && { bash tools/dev/setup.sh --keep-going || { echo "0 passed, 1 failed"; exit 1; }; }

user=$(bash tools/dev/ci-user.sh ctci)
uid=$(id -u "$user"); gid=$(id -g "$user")
work=${CT_TEST_WORK:-/var/tmp/ct-test-$uid}
rm -rf "$work"; install -d -m 0755 -o "$uid" -g "$gid" "$work"
summary=$work/summary.jsonl
install -m 0666 /dev/null "$summary"
# Every workspace package with a test script: packages/*, apps/*, tools/* (e.g. @ct/images-tools).
packages=$(node -e '
  const fs=require("fs"),path=require("path");
  const only=process.argv.slice(1).map((f)=>f.replace(/^--filter=/,""));
  for (const d of ["packages","apps","tools"]) for (const p of fs.readdirSync(d)) {
    const f=path.join(d,p,"package.json"); if (!fs.existsSync(f)) continue;
    const j=JSON.parse(fs.readFileSync(f));
    if (j.scripts && j.scripts.test && (only.length===0 || only.includes(j.name))) console.log(j.name);
  }' -- "${filters[@]}")

# turbo's run summary (.turbo/runs/*.json, --summarize) gives each test task's exit status: a package whose
# mocha reported no failure but exited non-zero (a crash after the run, a hook that threw) still counts as failed.
run_pass() { # pass-name, tree, then the command prefix to run turbo with
  local pass=$1 tree=$2; shift 2
  printf '\n\033[1m==> tests: %s pass\033[0m\n' "$pass"
  rm -rf "$tree/.turbo/runs"
  (cd "$tree" && "$@" pnpm exec turbo run test --concurrency=1 --continue --output-logs=full --summarize "${filters[@]}")
  local run_summary
  run_summary=$(ls -t "$tree"/.turbo/runs/*.json 2>/dev/null | head -n 1)
  if [ -n "$run_summary" ]; then cp "$run_summary" "$work/turbo-$pass.json"; else echo '{}' >"$work/turbo-$pass.json"; fi
}

# Static checks, once (the tests run through tsx, which does not check types): every package's `typecheck` (src,
# tests and tools) and the root's (scripts, tools/bench); ESLint (eslint.config.mjs) likewise; the libraries' API
# reference (TypeDoc, failing on an undocumented export: typedoc.base.json). Each counts as one passed or failed
# check in the summary.
check() { # name, then the command
  local name=$1 status=0; shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  "$@" || status=1
  printf '{"package":"%s","pass":"checks","passed":%d,"failed":%d,"skipped":0}\n' "$name" $((1 - status)) "$status" >>"$summary"
}
check typecheck pnpm exec turbo run typecheck --continue --output-logs=errors-only "${filters[@]}"
check lint pnpm exec turbo run lint --continue --output-logs=errors-only "${filters[@]}"
check docs pnpm exec turbo run docs --continue --output-logs=errors-only "${filters[@]}"

if [[ " $passes " == *" root "* ]]; then
  # The @rootless suites run in the unprivileged pass as the test user itself; as root they would switch to that
  # user and run the same tests again (tools/mocha/mocharc.cjs).
  later=0; [[ " $passes " == *" unprivileged "* ]] && later=1
  CT_TEST_SUMMARY=$summary CT_TEST_PASS=root CT_TEST_ROOTLESS_LATER=$later run_pass root "$top" env
fi

if [[ " $passes " == *" unprivileged "* ]]; then
  tree=$work/tree
  mkdir -p "$tree" "$work/tmp"
  # pnpm records absolute paths in node_modules, so the first `pnpm exec` in the copy re-links node_modules as the
  # user (from the user's own pnpm store, rebuilding the addon): this pass runs what the user itself built.
  tar -C "$top" --exclude=./.git --exclude=./.turbo -cf - . | tar -C "$tree" -xf -
  chown -R "$uid:$gid" "$tree" "$work/tmp"
  run_pass unprivileged "$tree" \
    runuser -u "$user" -- env -i PATH="$PATH" HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
      LOGNAME="$user" TMPDIR="$work/tmp" XDG_RUNTIME_DIR="/run/user/$uid" CI="${CI:-}" CT_FORK_SERVER="${CT_FORK_SERVER:-}" \
      TURBO_TELEMETRY_DISABLED=1 CT_TEST_EXCLUDE_ROOT=1 CT_TEST_SUMMARY="$summary" CT_TEST_PASS=unprivileged
fi

# Add up both passes; a package whose mocha never reported (a crash, a load error, a failed build) or whose test
# task exited non-zero without a reported failure counts as one failure.
node - "$summary" "$passes" "$work" $packages <<'JS'
const fs = require('fs');
const [file, passes, work, ...pkgs] = process.argv.slice(2);
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
let passed = 0, failed = 0, skipped = 0;
for (const r of rows) { passed += r.passed; failed += r.failed; skipped += r.skipped; }
for (const pass of passes.split(' ')) {
  let tasks = [];
  try { tasks = JSON.parse(fs.readFileSync(`${work}/turbo-${pass}.json`, 'utf8')).tasks || []; } catch {}
  for (const p of pkgs) {
    const mine = rows.filter((r) => r.pass === pass && r.package === p);
    const task = tasks.find((t) => t.package === p && t.task === 'test');
    const exit = task && task.execution ? task.execution.exitCode : undefined;
    if (mine.length === 0) {
      console.error(`test-all: ${p} (${pass} pass) reported no result${exit ? ` (exit ${exit})` : ''}: counted as 1 failure`);
      failed += 1;
    } else if (exit && mine.every((r) => r.failed === 0)) {
      console.error(`test-all: ${p} (${pass} pass) exited ${exit} with no failed test: counted as 1 failure`);
      failed += 1;
    }
  }
}
console.log('');
const failedTests = rows.flatMap((r) => (r.failures || []).map((f) => ({ ...f, pass: r.pass, package: r.package })));
if (failedTests.length > 0) {
  console.log('failed tests:');
  for (const f of failedTests) console.log(`  [${f.pass}] ${f.package}: ${f.title}\n      ${f.error}`);
}
for (const pass of ['checks', ...passes.split(' ')]) {
  const rs = rows.filter((r) => r.pass === pass);
  console.log(`${pass}: ` + rs.map((r) => `${r.package} ${r.passed}/${r.failed}/${r.skipped}`).join(', '));
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 ? 1 : 0);
JS
