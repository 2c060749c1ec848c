// Shared mocha settings for every package: TS through tsx, spec output plus a summary line per run, and the
// suites a pass cannot run left out by tag in their title (not skipped at run time):
// - the unprivileged pass (CT_TEST_EXCLUDE_ROOT=1, or any non-root run) leaves out root-only suites (@root);
// - a run as root leaves out the suites that only a non-root caller can run (@nonroot). Suites tagged
//   @rootless test the unprivileged path and run in both passes (as root they switch to the test user), except
//   that tools/dev/test-all.sh sets CT_TEST_ROOTLESS_LATER=1 for its root pass when its unprivileged pass follows:
//   that pass runs them as the test user itself, so the root pass would only run them a second time.
'use strict';
const path = require('node:path');
/** @type {Record<string, unknown>} */
const config = {
  spec: ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  reporter: path.join(__dirname, 'summary-reporter.cjs'),
  'forbid-only': true,
  timeout: 60000,
  exit: true,
};
const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;
// \b: "@root" must not match "@rootless" (mocha turns the string into a RegExp as is).
// A developer's own --grep/-g/--fgrep on the command line wins (mocha would otherwise keep `invert` from here).
const ownGrep = process.argv.some((a) => /^(-g|--grep|--fgrep|-f)(=|$)/.test(a));
if (!ownGrep) {
  const rootPass = isRoot && process.env.CT_TEST_EXCLUDE_ROOT !== '1';
  const rootlessLater = process.env.CT_TEST_ROOTLESS_LATER === '1';
  config.grep = rootPass ? (rootlessLater ? '@nonroot\\b|@rootless\\b' : '@nonroot\\b') : '@root\\b';
  config.invert = true;
}
module.exports = config;
