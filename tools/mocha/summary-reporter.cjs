// The spec reporter, plus one JSON line per run appended to $CT_TEST_SUMMARY so that tools/dev/test-all.sh
// can add up every package and both passes (root and unprivileged) into the final "N passed, N failed" line,
// with each failed test's full title and the first lines of its error (printed again just above that line, so a
// CI log's tail names what failed).
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;

class SummaryReporter extends Spec {
  /** @param {Mocha.Runner} runner @param {Mocha.MochaOptions} options */
  constructor(runner, options) {
    super(runner, options);
    /** @type {{title: string, error: string}[]} */
    const failures = [];
    runner.on('fail', (test, err) => {
      const message = String((err && err.message) || err).split('\n').slice(0, 3).join(' | ');
      failures.push({ title: test.fullTitle(), error: message.slice(0, 400) });
    });
    runner.once('end', () => {
      const file = process.env.CT_TEST_SUMMARY;
      if (!file) return;
      const s = this.stats;
      const line = JSON.stringify({
        package: process.env.npm_package_name || path0(),
        pass: process.env.CT_TEST_PASS || 'local',
        passed: s.passes, failed: s.failures, skipped: s.pending, failures,
      });
      fs.appendFileSync(file, line + '\n');
    });
  }
}
function path0() { return require('node:path').basename(process.cwd()); }
module.exports = SummaryReporter;
