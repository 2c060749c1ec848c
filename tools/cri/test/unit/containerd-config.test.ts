/**
 * containerdCriConfig: a private daemon's config with the CRI plugin; a handler given as documented TOML is used
 * as written but for its BinaryName (and a Root added); containerd itself (`config dump`) reads it as meant.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireFeature } from '@ct/test-utils';
import { containerdCriConfig, tomlTable, type ContainerdConfigOptions } from '../../src/index.js';

const CRI = 'plugins."io.containerd.grpc.v1.cri"';
const documented = [
  '# a node\'s /etc/containerd/config.toml',
  `[${CRI}.containerd.runtimes.ct]`,
  '  runtime_type = "io.containerd.runc.v2"',
  `[${CRI}.containerd.runtimes.ct.options]`,
  '  BinaryName = "/usr/local/bin/ct"        # the runtime',
  '  SystemdCgroup = false',
].join('\n');

function options(dir: string, toml?: string): ContainerdConfigOptions {
  return {
    dir, sandboxImage: 'docker.io/ct-test/pause:latest', cniBinDir: `${dir}/cni/bin`, cniConfDir: `${dir}/cni/conf`,
    handlers: [{ name: 'runc', binary: '/usr/sbin/runc' }, { name: 'ct', binary: '/opt/ct/bin/ct.js', ...(toml === undefined ? {} : { toml }) }],
  };
}

describe('containerdCriConfig', function () {
  it('containerdCriConfig, everything the daemon writes is under its folder', function () {
    const text = containerdCriConfig(options('/x/d'));
    for (const line of ['root = "/x/d/root"', 'state = "/x/d/state"', 'address = "/x/d/containerd.sock"', 'path = "/x/d/opt"',
      'netns_mounts_under_state_dir = true', 'Root = "/x/d/runtime-root/runc"', 'Root = "/x/d/runtime-root/ct"']) {
      assert.ok(text.split('\n').map((l) => l.trim()).includes(line), `${line} missing:\n${text}`);
    }
    assert.match(text, /default_runtime_name = "runc"/);
  });

  it('containerdCriConfig, a documented handler is used as written but for BinaryName, and gets a Root', function () {
    const text = containerdCriConfig(options('/x/d', documented));
    const expected = documented.replace('BinaryName = "/usr/local/bin/ct"        # the runtime', 'BinaryName = "/opt/ct/bin/ct.js"');
    assert.ok(text.includes(`${expected}\n  Root = "/x/d/runtime-root/ct"\n`), text);
  });

  it('containerdCriConfig, a documented handler whose last table is not its options, or without BinaryName, is refused', function () {
    const swapped = documented.split('\n');
    const reordered = [swapped[0], swapped[3], swapped[4], swapped[5], swapped[1], swapped[2]].join('\n');
    assert.throws(() => containerdCriConfig(options('/x/d', reordered)), /handler ct: toml: the last table must be/);
    assert.throws(() => containerdCriConfig(options('/x/d', documented.replace(/.*BinaryName.*\n/, ''))), /handler ct: toml: no BinaryName/);
    assert.throws(() => containerdCriConfig({ ...options('/x/d'), handlers: [] }), /at least one runtime handler/);
  });

  it('containerdCriConfig, containerd config dump reads the handlers and the CRI settings as meant', function () {
    requireFeature(this, spawnSync('containerd', ['--version']).status === 0, 'containerd is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'ct-cri-config-'));
    try {
      writeFileSync(join(dir, 'config.toml'), containerdCriConfig(options(dir, documented)));
      const r = spawnSync('containerd', ['--config', join(dir, 'config.toml'), 'config', 'dump'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      for (const [name, binary] of [['runc', '/usr/sbin/runc'], ['ct', '/opt/ct/bin/ct.js']] as const) {
        assert.ok(tomlTable(r.stdout, `${CRI}.containerd.runtimes.${name}`).includes('runtime_type = "io.containerd.runc.v2"'), r.stdout);
        assert.deepEqual(tomlTable(r.stdout, `${CRI}.containerd.runtimes.${name}.options`).filter((l) => /^(BinaryName|Root|SystemdCgroup) /.test(l)),
          [`BinaryName = "${binary}"`, `Root = "${dir}/runtime-root/${name}"`, 'SystemdCgroup = false']);
      }
      const cri = tomlTable(r.stdout, CRI);
      for (const line of ['sandbox_image = "docker.io/ct-test/pause:latest"', 'restrict_oom_score_adj = true', 'netns_mounts_under_state_dir = true']) {
        assert.ok(cri.includes(line), `${line}:\n${cri.join('\n')}`);
      }
      assert.deepEqual(tomlTable(r.stdout, `${CRI}.cni`).filter((l) => /^(bin|conf)_dir/.test(l)), [`bin_dir = "${dir}/cni/bin"`, `conf_dir = "${dir}/cni/conf"`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
