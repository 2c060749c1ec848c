/**
 * The conformance harness: every case of cases/*.ts (one runtime-spec field changed from `runc spec`) runs
 * through runc and through ct (create, state, start, state, kill, state until stopped, delete) with the probe's report
 * as the container process, and ct's normalised outcome must equal runc's field by field (normalise.ts lists
 * each normalisation). Where runc refuses a config, ct must refuse it and name the field. Twice: as root (@root)
 * and rootless (@rootless: as the test user through runuser when the tests run as root, directly otherwise; under
 * test-all's root pass it is left out, its unprivileged pass running it).
 * A case whose every difference a KNOWN_DIFFERENCES entry explains (known-differences.ts) is reported pending
 * with the reasons; a difference no entry explains fails the case; an entry that explains nothing fails the
 * suite's last test.
 * crun runs each case too where it is installed and CT_CONFORMANCE_CRUN=1 asks for it (off by default: CI time): it is judged as ct is
 * (judge.ts) but only counted, never failed; the suite's pass-count test prints how many cases each runtime
 * passes, runc included (runc fails the cases where a SpecExpectation asks what runc 1.1.5 does not do).
 * With CT_CONFORMANCE_RESULTS=FILE each case appends one JSON line (title, suite, differences, each runtime's
 * count of differences) to FILE, and each suite its pass counts, which render-diffs.ts turns into the notes'
 * list of differences.
 */
import { strict as assert } from 'node:assert';
import { appendFileSync } from 'node:fs';
import { isRoot, requireFeature } from '@ct/test-utils';
import { ALL_CASES } from './cases/index.js';
import { formatDifferences } from './json-diff.js';
import { classify, KNOWN_DIFFERENCES, type KnownDifference, type SuitePass } from './known-differences.js';
import { lastLine } from './spec-expectation.js';
import { PassCounts } from './pass-counts.js';
import { cleanupSuite, compareCase, installed, prepareSuite, testUser, type Suite } from './suite.js';

function defineSuite(pass: SuitePass): void {
  const rootless = pass === 'rootless';
  // test-all's unprivileged pass runs the rootless suite as the test user itself: its root pass would only run the
  // same containers again through runuser (some 20 minutes), so it leaves the suite out; a direct run as root keeps it
  if (rootless && isRoot() && process.env['CT_TEST_PASS'] === 'root') return;
  describe(rootless ? 'conformance with runc, rootless @rootless' : 'conformance with runc, as root @root', function () {
    const user = rootless && isRoot() ? testUser() : undefined;
    let suite: Suite | undefined;
    before(async function () {
      requireFeature(this, installed('runc'), 'runc is not installed');
      if (rootless && isRoot()) requireFeature(this, user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      suite = await prepareSuite(rootless, user);
    });
    after(() => cleanupSuite(suite));

    const used = new Set<KnownDifference>();
    const counts = new PassCounts();
    const cases = ALL_CASES.map((c, index) => ({ c, index })).filter(({ c }) => c.only === undefined || c.only === pass);
    let compared = 0;
    for (const { c, index } of cases) {
      const title = `${c.field}: ${c.variant}`;
      it(`conformance, ${title}`, async function () {
        this.timeout(180_000);
        const result = await compareCase(suite!, c, index);
        compared++;
        counts.record(title, result.judged);
        const { known, unexplained } = classify(title, pass, result.diffs);
        known.forEach((k) => used.add(k));
        const results = process.env['CT_CONFORMANCE_RESULTS'];
        if (results !== undefined && results !== '') {
          appendFileSync(results, `${JSON.stringify({
            pass, title, field: c.field, variant: c.variant, diffs: result.diffs, known: [...known].map((k) => k.name),
            differing: Object.fromEntries(Object.entries(result.judged).map(([name, d]) => [name, d.length])),
            crunDiffs: result.judged.crun,
            runcError: result.runc.create.status !== 0 ? lastLine(result.runc.create.stderr) : undefined,
            ctError: result.ct.create.status !== 0 ? lastLine(result.ct.create.stderr) : undefined,
          })}\n`);
        }
        if (result.diffs.length === 0) return;
        const reasons = [...known].map((k) => `${k.name} (${k.fixBy}): ${k.reason}`).join('\n');
        if (unexplained.length > 0) {
          assert.fail(`ct differs from runc:\n${formatDifferences(unexplained)}${reasons === '' ? '' : `\nbesides the known differences:\n${reasons}`}`);
        }
        console.log(`      pending, known differences:\n${reasons.replace(/^/gm, '        ')}`);
        this.skip();
      });
    }

    it('conformance, pass counts: cases each runtime passes (runc and the runtime-spec as the reference)', function () {
      console.log(`      ${pass}: ${counts.text()}`);
      const results = process.env['CT_CONFORMANCE_RESULTS'];
      if (results !== undefined && results !== '') appendFileSync(results, `${JSON.stringify({ pass, counts: counts.byRuntime, cases: counts.cases })}\n`);
      assert.ok(counts.cases === 0 || (counts.byRuntime.runc?.exact ?? 0) > 0, 'runc, the reference, passes no case: the harness is broken');
    });

    it('conformance, KNOWN_DIFFERENCES: every entry for a case of this suite explains a difference of this run', function () {
      if (compared < cases.length) {
        console.log(`      skipped: only ${compared} of ${cases.length} cases ran (a --grep?), so staleness cannot be judged`);
        this.skip();
      }
      const titles = cases.map(({ c }) => `${c.field}: ${c.variant}`);
      const applies = (k: KnownDifference): boolean => (k.passes === undefined || k.passes.includes(pass))
        && titles.some((t) => (k.cases instanceof RegExp ? k.cases.test(t) : k.cases.includes(t)));
      const stale = KNOWN_DIFFERENCES.filter((k) => applies(k) && !used.has(k) && k.volatile === undefined);
      assert.deepEqual(stale.map((k) => k.name), [], 'entries that explain nothing any more: remove them');
    });
  });
}

defineSuite('root');
defineSuite('rootless');
