import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { readHooks, runHooks } from '../../src/hooks.js';
import { cgroupPlacement } from '../../src/container-launch.js';
import { ConfigError, RuntimeError } from '../../src/errors.js';

describe('hooks and cgroup names', () => {
  it('readHooks, args default to [path], timeout and env kept; an unknown kind or relative path is ECONFIG', () => {
    const h = readHooks({ hooks: { poststop: [{ path: '/bin/true', env: ['A=1'], timeout: 3 }] } });
    assert.deepEqual(h.poststop, [{ path: '/bin/true', args: ['/bin/true'], env: ['A=1'], timeout: 3 }]);
    assert.throws(() => readHooks({ hooks: { prestop: [] } }), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'hooks.prestop');
    assert.throws(() => readHooks({ hooks: { poststart: [{ path: 'true' }] } }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'hooks.poststart[0].path');
  });
  it('runHooks, a host hook gets the state on stdin and only its own env, in the bundle; a failure names the hook', async () => {
    const dir = tempDir('ct-hook-unit-');
    const out = join(dir, 'out');
    const hooks = readHooks({ hooks: { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}; echo "env=$A,$HOME cwd=$(pwd)" >> ${out}`], env: ['A=x'] }] } });
    await runHooks(hooks, 'poststart', { id: 'c1', status: 'running' }, 0, { bundle: dir });
    assert.equal(readFileSync(out, 'utf8'), `{"id":"c1","status":"running"}env=x, cwd=${dir}\n`);
    const failing = readHooks({ hooks: { poststop: [{ path: '/bin/true' }, { path: '/bin/sh', args: ['sh', '-c', 'exit 4'] }] } });
    await assert.rejects(runHooks(failing, 'poststop', {}, 0, { bundle: dir }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'ESETUP' && /poststop hook 1: \/bin\/sh: exit status 4/.test(e.message));
  });
  it('runHooks, a host hook without env inherits the runtime\'s environment (runc: Go\'s exec with a nil Env)', async () => {
    const dir = tempDir('ct-hook-unit-');
    const out = join(dir, 'out');
    const hooks = readHooks({ hooks: { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `echo "$CT_HOOK_UNIT" > ${out}`] }] } });
    assert.equal(hooks.poststart?.[0]?.env, undefined);
    process.env['CT_HOOK_UNIT'] = 'inherited';
    try {
      await runHooks(hooks, 'poststart', {}, 0, { bundle: dir });
    } finally {
      delete process.env['CT_HOOK_UNIT'];
    }
    assert.equal(readFileSync(out, 'utf8'), 'inherited\n');
  });
  it('cgroupPlacement, absolute and relative cgroupsPath nested as runc; colon form and default one component', () => {
    assert.deepEqual(cgroupPlacement(undefined, 'c1'), { name: 'c1' }, 'runc\'s default: the id');
    assert.deepEqual(cgroupPlacement('/default/c1', 'c1'), { path: '/default/c1' });
    assert.deepEqual(cgroupPlacement('//a/./b/', 'c1'), { path: '/a/b' });
    assert.deepEqual(cgroupPlacement('/a/../../b', 'c1'), { path: '/b' });
    assert.deepEqual(cgroupPlacement('pod/c1', 'c1'), { path: 'pod/c1' });
    assert.deepEqual(cgroupPlacement('../../x', 'c1'), { path: 'x' });
    assert.deepEqual(cgroupPlacement('system.slice:crio:abc', 'c1'), { name: 'crio-abc' });
    for (const bad of ['/', '/../..', 'a/..']) {
      assert.throws(() => cgroupPlacement(bad, 'c1'), (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.cgroupsPath', bad);
    }
  });
});
