import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { buildChildPlan, withDefaults } from '@ct/namespaces/engine';
import { readBundleConfig } from '../../src/config/bundle-config.js';
import { launchSpec, type LaunchOptions } from '../../src/container-launch.js';
import { specTemplate } from '../../src/spec-template.js';

function config() {
  const dir = tempDir('ct-launch-spec-');
  mkdirSync(join(dir, 'rootfs'));
  const c = specTemplate({}) as { process: { terminal: boolean; consoleSize?: unknown } };
  c.process.terminal = true;
  c.process.consoleSize = { height: 30, width: 90 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return readBundleConfig(dir);
}
const options = (over: Partial<LaunchOptions> = {}): LaunchOptions => ({
  execFifo: '/run/x/exec.fifo', extraFds: 1, extraEnv: [], rootless: false, relaySignals: false, warn: () => undefined,
  id: 'c1', cgroupRoot: '/sys/fs/cgroup', noNewKeyring: false, ...over,
});
const plan = (spec: ReturnType<typeof launchSpec>) => buildChildPlan(withDefaults(spec), {
  idMaps: undefined, euid: 0, egid: 0, rootDir: '/r', sourceIsDirectory: () => true, pauseAfterIdMaps: false,
  pauseBeforePivotRoot: false, pauseBeforeExec: true, pathKind: () => undefined,
}).plan.steps;

describe('launchSpec', () => {
  it('launchSpec, --no-pivot: the root is moved onto / and chrooted into, no pivot_root', () => {
    const ops = plan(launchSpec(config(), options({ noPivot: true }), 9, 4)).map((s) => s.op);
    assert.ok(ops.includes('chroot') && !ops.includes('pivotRoot'), ops.join(' '));
    assert.ok(plan(launchSpec(config(), options(), 9, 4)).some((s) => s.op === 'pivotRoot'));
  });
  it('launchSpec, ct-exec-fifo on the FIFO after the preserved fds, the parent-death signal until exec, the console', () => {
    const spec = launchSpec(config(), options({ consoleSocket: '/run/x/console.sock' }), 9, 4);
    assert.deepEqual(spec.extraFds, [{ from: 3, to: 3 }, { from: 9, to: 4 }]);
    assert.deepEqual(spec.execWrapper?.argv, ['ct-exec-fifo', '4', '--']);
    assert.equal(spec.killOnParentDeath, 'until-exec');
    assert.deepEqual(spec.console, { socketPath: '/run/x/console.sock', rows: 30, cols: 90 });
    assert.equal(spec.sessionKeyring, '_ses.c1');
  });
});
