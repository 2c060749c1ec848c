// The spec reporter, plus one JSON line per run appended to $CT_TEST_SUMMARY so that tools/dev/test-all.sh
// can add up every package and both passes (root and unprivileged) into the final "N passed, N failed" line.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;

class SummaryReporter extends Spec {
  /** @param {Mocha.Runner} runner @param {Mocha.MochaOptions} options */
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const file = process.env.CT_TEST_SUMMARY;
      if (!file) return;
      const s = this.stats;
      const line = JSON.stringify({
        package: process.env.npm_package_name || path0(),
        pass: process.env.CT_TEST_PASS || 'local',
        passed: s.passes, failed: s.failures, skipped: s.pending,
      });
      fs.appendFileSync(file, line + '\n');
    });
  }
}
function path0() { return require('node:path').basename(process.cwd()); }
module.exports = SummaryReporter;
