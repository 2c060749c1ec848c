import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../../src/errors.js';
import {
  checkRestartPolicy, formatRestartPolicy, MAX_RESTART_DELAY_MS, parseRestartPolicy, RESTART_DELAY_MS, restartDelayMs, restartPolicyOf,
  shouldRestart, type RestartPolicy,
} from '../../src/container-run-monitor/restart-policy.js';
import {
  markStoppedByUser, readRestartPolicy, readRestartRecord, resetRestartRecord, withRestartLock, writeRestartRecord,
} from '../../src/container-run-monitor/restart-record.js';

const usage = (text: RegExp) => (err: unknown): boolean => err instanceof RuntimeError && err.code === 'EUSAGE' && text.test(err.message);

describe('restart policy, --restart values (podman 4.3)', () => {
  for (const [text, policy] of [
    ['no', { name: 'no', maxRetries: 0 }],
    ['', { name: 'no', maxRetries: 0 }],
    ['on-failure', { name: 'on-failure', maxRetries: 0 }],
    ['on-failure:0', { name: 'on-failure', maxRetries: 0 }],
    ['on-failure:2', { name: 'on-failure', maxRetries: 2 }],
    ['always', { name: 'always', maxRetries: 0 }],
    ['unless-stopped', { name: 'unless-stopped', maxRetries: 0 }],
  ] as const) {
    it(`parseRestartPolicy, ${text}`, () => {
      assert.deepEqual(parseRestartPolicy(text), policy);
    });
  }
  for (const text of ['sometimes', 'on-failure:-1', 'on-failure:', 'on-failure:x', 'always:3', 'no:1', 'never', 'On-Failure']) {
    it(`parseRestartPolicy, ${JSON.stringify(text)} refused naming the flag and the value (EUSAGE)`, () => {
      assert.throws(() => parseRestartPolicy(text), (err: unknown) => usage(/./)(err) && (err as Error).message.startsWith(`invalid value ${JSON.stringify(text)} for flag --restart: `));
    });
  }
  it('formatRestartPolicy, podman\'s text back; restartPolicyOf, a stored policy checked', () => {
    assert.deepEqual(['on-failure:2', 'on-failure', 'always', 'no'].map((t) => formatRestartPolicy(parseRestartPolicy(t))), ['on-failure:2', 'on-failure', 'always', 'no']);
    assert.deepEqual(restartPolicyOf({ name: 'always', maxRetries: 0 }), { name: 'always', maxRetries: 0 });
    for (const bad of [undefined, null, 'always', { name: 'sometimes', maxRetries: 0 }, { name: 'on-failure', maxRetries: -1 }, { name: 'always' }]) {
      assert.equal(restartPolicyOf(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('restart policy, whether the monitor restarts (podman 4.3 shouldRestart)', () => {
  const p = (text: string): RestartPolicy => parseRestartPolicy(text);
  const facts = (status: number, restartCount = 0, stoppedByUser = false) => ({ status, restartCount, stoppedByUser });
  it('shouldRestart, no: never', () => {
    assert.deepEqual([0, 1, 137].map((s) => shouldRestart(p('no'), facts(s))), [false, false, false]);
  });
  it('shouldRestart, on-failure: a non-zero status only, without a limit', () => {
    assert.deepEqual([0, 3, 137].map((s) => shouldRestart(p('on-failure'), facts(s, 1000))), [false, true, true]);
  });
  it('shouldRestart, on-failure:2: twice, so a container exiting 3 runs three times and keeps RestartCount 2', () => {
    const runs: number[] = [];
    let count = 0;
    for (;;) {
      runs.push(count);
      if (!shouldRestart(p('on-failure:2'), facts(3, count))) break;
      count++;
    }
    assert.deepEqual(runs, [0, 1, 2]);
  });
  it('shouldRestart, always and unless-stopped: after any exit, 0 too, without a limit', () => {
    for (const name of ['always', 'unless-stopped']) assert.deepEqual([0, 1, 143].map((s) => shouldRestart(p(name), facts(s, 50))), [true, true, true]);
  });
  it('shouldRestart, stopped or killed by the user: no policy restarts it', () => {
    for (const name of ['on-failure', 'always', 'unless-stopped']) assert.equal(shouldRestart(p(name), facts(143, 0, true)), false, name);
  });
  it('restartDelayMs, doubles while the container keeps exiting quickly, up to its bound', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(restartDelayMs), [RESTART_DELAY_MS, RESTART_DELAY_MS, 2 * RESTART_DELAY_MS, 4 * RESTART_DELAY_MS, 8 * RESTART_DELAY_MS]);
    assert.equal(restartDelayMs(1000), MAX_RESTART_DELAY_MS);
  });
  it('checkRestartPolicy, --rm with a policy that restarts refused as podman refuses it; a foreground -t too; no is fine', () => {
    assert.throws(() => checkRestartPolicy(p('always'), { remove: true, foregroundTty: false }), usage(/^the --rm option conflicts with --restart/));
    assert.throws(() => checkRestartPolicy(p('on-failure:1'), { remove: false, foregroundTty: true }), usage(/^--restart=on-failure:1 with -t needs -d/));
    checkRestartPolicy(p('no'), { remove: true, foregroundTty: true });
    checkRestartPolicy(p('unless-stopped'), { remove: false, foregroundTty: false });
    assert.throws(() => checkRestartPolicy({ name: 'always', maxRetries: -1 }, { remove: false, foregroundTty: false }), usage(/for flag --restart/));
  });
});

describe('restart record, the bundle\'s restart.json and lock', () => {
  let dir: string;
  let bundle: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-restart-'));
    bundle = join(dir, 'b');
    mkdirSync(bundle);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('readRestartRecord, none yet: count 0, not stopped; written and read back; reset', () => {
    assert.deepEqual(readRestartRecord(bundle), { count: 0, stoppedByUser: false });
    writeRestartRecord(bundle, { count: 2, stoppedByUser: false });
    assert.deepEqual(readRestartRecord(bundle), { count: 2, stoppedByUser: false });
    resetRestartRecord(bundle);
    assert.deepEqual(readRestartRecord(bundle), { count: 0, stoppedByUser: false });
  });
  it('markStoppedByUser, keeps the count; `when` false leaves it unmarked', async () => {
    writeRestartRecord(bundle, { count: 3, stoppedByUser: false });
    await markStoppedByUser(bundle, () => false);
    assert.deepEqual(readRestartRecord(bundle), { count: 3, stoppedByUser: false });
    await markStoppedByUser(bundle);
    assert.deepEqual(readRestartRecord(bundle), { count: 3, stoppedByUser: true });
  });
  it('markStoppedByUser, a bundle removed meanwhile: nothing made, no error', async () => {
    rmSync(bundle, { recursive: true });
    await markStoppedByUser(bundle);
    assert.equal(existsSync(bundle), false);
    assert.equal(await withRestartLock(bundle, () => 'ran'), undefined);
  });
  it('withRestartLock, a mark waits for a restart under way and is seen after it (the monitor\'s order)', async () => {
    const order: string[] = [];
    let release!: () => void;
    const restarting = withRestartLock(bundle, async () => {
      order.push('restart begins');
      await new Promise<void>((r) => { release = r; });
      writeRestartRecord(bundle, { count: 1, stoppedByUser: false });
      order.push('restart done');
    });
    // the monitor holds the lock: the user's stop waits for it
    await new Promise((r) => setTimeout(r, 50));
    const marking = markStoppedByUser(bundle).then(() => order.push('marked'));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(order, ['restart begins']);
    release();
    await Promise.all([restarting, marking]);
    assert.deepEqual(order, ['restart begins', 'restart done', 'marked']);
    assert.deepEqual(readRestartRecord(bundle), { count: 1, stoppedByUser: true });
  });
  it('readRestartPolicy, run.json\'s restart; none, or not a policy: no', () => {
    assert.deepEqual(readRestartPolicy(bundle), { name: 'no', maxRetries: 0 });
    writeFileSync(join(bundle, 'run.json'), JSON.stringify({ restart: { name: 'on-failure', maxRetries: 2 } }));
    assert.deepEqual(readRestartPolicy(bundle), { name: 'on-failure', maxRetries: 2 });
    writeFileSync(join(bundle, 'run.json'), JSON.stringify({ restart: 'always' }));
    assert.deepEqual(readRestartPolicy(bundle), { name: 'no', maxRetries: 0 });
  });
});
