// Shared mocha settings for every package: TS through tsx, spec output plus a summary line per run,
// and the root-only suites (titles tagged @root) left out when CT_TEST_EXCLUDE_ROOT=1 (the unprivileged pass).
'use strict';
const path = require('node:path');
const config = {
  spec: ['test/**/*.test.ts'],
  'node-option': ['import=tsx'],
  reporter: path.join(__dirname, 'summary-reporter.cjs'),
  'forbid-only': true,
  timeout: 60000,
  exit: true,
};
if (process.env.CT_TEST_EXCLUDE_ROOT === '1') {
  // \b: a title tagged @rootless must stay in (mocha turns the string into a RegExp as is).
  config.grep = '@root\\b';
  config.invert = true;
}
module.exports = config;
