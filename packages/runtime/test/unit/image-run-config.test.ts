import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INIT_PATH_IN_CONTAINER, writeImageRunConfig, type RunConfigContext } from '../../src/image-run-config.js';
import { OVERLAY_ANNOTATION } from '../../src/image-overlay-annotation.js';
import { specTemplate } from '../../src/spec-template.js';

type Json = Record<string, unknown>;

describe('writeImageRunConfig', () => {
  let bundle: string;
  const overlay = { lowerDirs: ['/s/layers/b/diff', '/s/layers/a/diff'], upper: '/s/containers/x/upper', work: '/s/containers/x/work' };
  const context = (over: Partial<RunConfigContext>): RunConfigContext => ({
    bundle, template: JSON.stringify(specTemplate({ rootless: true })), root: { merged: '/s/containers/x/merged', overlay },
    rootless: true, id: 'x', cgroupName: 'ct-x-0123', imageEntrypoint: [], warn: () => {}, ...over,
  });
  const written = (): Json => JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Json;
  beforeEach(() => { bundle = mkdtempSync(join(tmpdir(), 'ct-runcfg-')); });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  it('writeImageRunConfig, an overlay root gets the overlay annotation (userxattr when rootless)', () => {
    writeImageRunConfig(context({}), { command: ['true'] });
    const a = JSON.parse((written()['annotations'] as Record<string, string>)[OVERLAY_ANNOTATION]!) as Json;
    assert.deepEqual(a, { lowerDirs: overlay.lowerDirs, upperDir: overlay.upper, workDir: overlay.work, userxattr: true });
    assert.deepEqual(written()['root'], { path: '/s/containers/x/merged', readonly: false });
  });
  it('writeImageRunConfig, a copy root has no overlay annotation (also when the template had one)', () => {
    const template = JSON.stringify({ ...specTemplate({ rootless: false }), annotations: { [OVERLAY_ANNOTATION]: '{}', keep: 'me' } });
    writeImageRunConfig(context({ template, root: { merged: '/s/containers/x/merged' } }), { command: ['true'] });
    assert.deepEqual(written()['annotations'], { keep: 'me' });
  });
  it('writeImageRunConfig, --init runs the command under ct-init bound read-only (executable)', () => {
    writeImageRunConfig(context({ initPath: '/opt/ct/ct-init' }), { command: ['sh', '-c', 'x'], init: true });
    assert.deepEqual((written()['process'] as Json)['args'], [INIT_PATH_IN_CONTAINER, '--', 'sh', '-c', 'x']);
    const mount = (written()['mounts'] as Json[]).find((m) => m['destination'] === INIT_PATH_IN_CONTAINER);
    assert.deepEqual(mount, { destination: '/run/ct-init', type: 'bind', source: '/opt/ct/ct-init', options: ['bind', 'ro', 'nosuid', 'nodev'] });
  });
  it('writeImageRunConfig, --init without the init program\'s path is a programming error', () => {
    assert.throws(() => writeImageRunConfig(context({}), { command: ['true'], init: true }), TypeError);
  });
  it('writeImageRunConfig, --memory/--pids-limit rootless: on cgroup v1 no cgroupsPath, no limits, podman\'s warning; on v2 both kept', () => {
    const saved = process.env['CT_CGROUP_ROOT'];
    const fake = mkdtempSync(join(tmpdir(), 'ct-runcfg-cg-'));
    try {
      process.env['CT_CGROUP_ROOT'] = fake;
      const warnings: string[] = [];
      writeImageRunConfig(context({ warn: (m) => warnings.push(m) }), { command: ['true'], memory: 1n << 26n, pidsLimit: 9n });
      const v1 = written()['linux'] as Json;
      assert.deepEqual([v1['cgroupsPath'], v1['resources']], [undefined, undefined]);
      assert.deepEqual(warnings, ['Resource limits are not supported and ignored on cgroups V1 rootless systems']);
      writeFileSync(join(fake, 'cgroup.controllers'), 'memory pids');
      writeImageRunConfig(context({ warn: (m) => warnings.push(m) }), { command: ['true'], memory: 1n << 26n, pidsLimit: 9n });
      const v2 = written()['linux'] as Json;
      assert.deepEqual([v2['cgroupsPath'], v2['resources']], ['ct-x-0123', { memory: { limit: 1 << 26 }, pids: { limit: 9 } }]);
      assert.equal(warnings.length, 1);
      process.env['CT_CGROUP_ROOT'] = join(fake, 'no-such');
      writeImageRunConfig(context({ rootless: false, template: JSON.stringify(specTemplate({ rootless: false })) }), { command: ['true'], pidsLimit: 9n });
      assert.deepEqual((written()['linux'] as Json)['resources'], { pids: { limit: 9 } }, 'as root on v1 the limits stay');
    } finally {
      if (saved === undefined) delete process.env['CT_CGROUP_ROOT'];
      else process.env['CT_CGROUP_ROOT'] = saved;
      rmSync(fake, { recursive: true, force: true });
    }
  });
  it('writeImageRunConfig, without --init no init mount and the command as given', () => {
    writeImageRunConfig(context({ initPath: '/opt/ct/ct-init' }), { command: ['echo', 'hi'] });
    assert.deepEqual((written()['process'] as Json)['args'], ['echo', 'hi']);
    assert.equal((written()['mounts'] as Json[]).some((m) => m['destination'] === INIT_PATH_IN_CONTAINER), false);
  });
});
