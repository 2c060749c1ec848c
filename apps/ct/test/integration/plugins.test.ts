/**
 * Plugins: `ct plugins link` of examples/ct-plugin-example (data, config and cache dirs in a temp dir), its command
 * in `ct --help` and run, its hooks firing around a `ct container run` of the busybox test image, and
 * `ct plugins uninstall` removing it. Runs in both passes: as root, and unprivileged (rootless container run).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, requireFeature, testImage, tempDir } from '@ct/test-utils';
import { pluginDataDir, userPluginsInstalled } from '../../src/hooks/run-hook.js';
import { ctBin } from './runtime-harness.js';

const appRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('pluginDataDir, where ct plugins records plugins', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['CT_DATA_DIR', 'XDG_DATA_HOME', 'HOME']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  it('pluginDataDir, the same directory as @oclif/core\'s Config.dataDir for each environment', async () => {
    const { Config } = await import('@oclif/core');
    const envs: NodeJS.ProcessEnv[] = [
      { CT_DATA_DIR: '/x/data', XDG_DATA_HOME: '/y', HOME: '/h' }, { XDG_DATA_HOME: '/y', HOME: '/h' }, { HOME: '/h' },
    ];
    for (const e of envs) {
      for (const k of ['CT_DATA_DIR', 'XDG_DATA_HOME']) delete process.env[k];
      Object.assign(process.env, e);
      const config = await Config.load({ root: appRoot });
      assert.equal(pluginDataDir(e), config.dataDir, JSON.stringify(e));
    }
    assert.equal(pluginDataDir({ HOME: '/h' }), '/h/.local/share/ct');
  });
  it('userPluginsInstalled, only a package.json listing a plugin counts', () => {
    const d = tempDir('ct-plugdata-');
    try {
      const env = { CT_DATA_DIR: d };
      assert.equal(userPluginsInstalled(env), false, 'no file');
      writeFileSync(join(d, 'package.json'), JSON.stringify({ oclif: { plugins: [], schema: 1 } }));
      assert.equal(userPluginsInstalled(env), false, 'empty list (after uninstalling the last plugin)');
      writeFileSync(join(d, 'package.json'), JSON.stringify({ oclif: { plugins: [{ name: 'p', type: 'link', root: '/p' }] } }));
      assert.equal(userPluginsInstalled(env), true);
      writeFileSync(join(d, 'package.json'), '{not json');
      assert.equal(userPluginsInstalled(env), true, 'unreadable: oclif loads it and reports the problem');
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('ct plugins, the example plugin', function () {
  const dir = tempDir('ct-plugins-');
  const events = join(dir, 'events.log');
  const plugin = join(repoRoot(), 'examples', 'ct-plugin-example');
  const image = testImage('busybox');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache'),
    CT_PLUGIN_EXAMPLE_LOG: events,
  };
  delete env['CT_DATA_DIR'];
  const ct = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Run => {
    const r = spawnSync(process.execPath, [ctBin, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const loggedEvents = (): { event: string; fields: Record<string, unknown> }[] =>
    !existsSync(events) ? [] : readFileSync(events, 'utf8').trim().split('\n').map((line) => {
      const space = line.indexOf(' ');
      return { event: line.slice(0, space), fields: JSON.parse(line.slice(space + 1)) as Record<string, unknown> };
    });
  const containerRun = (name: string, ref = image, extraEnv: NodeJS.ProcessEnv = {}): Run =>
    ct(['container', 'run', '--root', join(dir, 'state'), '--storage-root', join(dir, 'store'), '--name', name,
      ref, 'sh', '-c', 'echo in-container; exit 7'], extraEnv);
  const imageReady = (ctx: Mocha.Context): void =>
    requireFeature(ctx, existsSync(join(image, 'index.json')), 'tools/images has not built the busybox image');

  after(() => {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('plugins link --no-install, the command shows in ct --help and ct plugins lists the link', () => {
    assert.doesNotMatch(ct(['--help']).stdout, /hello-container/, 'not there before the link');
    const link = ct(['plugins', 'link', '--no-install', plugin]);
    assert.equal(link.status, 0, link.stderr);
    const help = ct(['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^\s+hello-container\s+Describe an image/m);
    assert.equal(help.stderr, '', 'no ts-node warning for a linked ESM plugin');
    const list = ct(['plugins']);
    assert.match(list.stdout, /ct-plugin-example .*\(link\)/);
    const data = JSON.parse(readFileSync(join(dir, 'data', 'ct', 'package.json'), 'utf8')) as { oclif: { plugins: { root: string }[] } };
    assert.deepEqual(data.oclif.plugins.map((p) => p.root), [plugin]);
  });

  it('hello-container, describes the image through the host\'s @ct/oci', function () {
    imageReady(this);
    const r = ct(['hello-container', `${image}:latest`]);
    assert.equal(r.status, 0, r.stderr);
    const index = JSON.parse(readFileSync(join(image, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    assert.match(r.stdout, new RegExp(`manifest ${index.manifests[0]!.digest}, 1 layer\\(s\\), command \\["sh"\\]`));
    assert.notEqual(ct(['hello-container']).status, 0, 'IMAGE is required');
  });

  it('container run, ct:image-imported, ct:container-prerun and ct:container-exited fire in order with their payloads', function () {
    imageReady(this);
    const name = `plug-${process.pid}`;
    const r = containerRun(name);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, 'in-container\n');
    const log = loggedEvents();
    assert.deepEqual(log.map((e) => e.event), ['ct:image-imported', 'ct:container-prerun', 'ct:container-exited']);
    assert.match(String(log[0]!.fields['digest']), /^sha256:[0-9a-f]{64}$/);
    assert.equal(log[0]!.fields['source'], image);
    assert.deepEqual(log[1]!.fields, { id: name, image, argv: ['sh', '-c', 'echo in-container; exit 7'], bundle: join(dir, 'state', '.bundles', name) });
    assert.deepEqual(log[2]!.fields, { id: name, status: 7 });
    // by digest, the image is in the store already: nothing is imported, so no ct:image-imported
    rmSync(events);
    const digest = String(log[0]!.fields['digest']);
    assert.equal(containerRun(`${name}-2`, digest).status, 7);
    assert.deepEqual(loggedEvents().map((e) => e.event), ['ct:container-prerun', 'ct:container-exited']);
    assert.equal(loggedEvents()[0]!.fields['image'], digest);
  });

  it('container run, a hook that throws is a warning on stderr; the container runs and its status stands', function () {
    imageReady(this);
    rmSync(events, { force: true });
    const r = containerRun(`plug-${process.pid}-fail`, image, { CT_PLUGIN_EXAMPLE_FAIL: 'ct:container-prerun' });
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.stdout, 'in-container\n');
    assert.match(r.stderr, /^ct: warning: hook ct:container-prerun: plugin ct-plugin-example: /m);
    assert.deepEqual(loggedEvents().map((e) => e.event), ['ct:image-imported', 'ct:container-prerun', 'ct:container-exited']);
  });

  it('image import, ct:image-imported fires with the stored names and digest (oclif path)', function () {
    imageReady(this);
    rmSync(events, { force: true });
    const r = ct(['image', 'import', '--storage-root', join(dir, 'store'), '--name', 'hooked:v1', image]);
    assert.equal(r.status, 0, r.stderr);
    const log = loggedEvents();
    assert.deepEqual(log.map((e) => e.event), ['ct:image-imported']);
    // the name as the store keeps it, normalised as podman's (docker.io/library/...)
    assert.ok((log[0]!.fields['names'] as string[]).includes('docker.io/library/hooked:v1'), JSON.stringify(log[0]));
    assert.match(r.stdout, new RegExp(String(log[0]!.fields['digest'])));
    assert.equal(log[0]!.fields['source'], image);
  });

  it('plugins uninstall, the command is gone from help and container run fires no hook', function () {
    const r = ct(['plugins', 'uninstall', 'ct-plugin-example']);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(ct(['--help']).stdout, /hello-container/);
    assert.notEqual(ct(['hello-container', image]).status, 0, 'the command no longer exists');
    assert.ok(existsSync(join(plugin, 'package.json')), 'unlinking leaves the plugin folder alone');
    imageReady(this);
    rmSync(events, { force: true });
    assert.equal(containerRun(`plug-${process.pid}-3`).status, 7);
    assert.deepEqual(loggedEvents(), []);
  });
});

describe('ct plugins install of a local folder', function () {
  this.timeout(180_000);
  it('plugins install ./dir installs the folder (oclif took it for a GitHub shorthand); the plugin is listed', () => {
    const dir = tempDir('ct-plinst-');
    try {
      cpSync(join(repoRoot(), 'examples', 'ct-plugin-example'), join(dir, 'example'), { recursive: true });
      // NO_COLOR: oclif colours piped output when CI is set (ansis), and the listing's version is then dim.
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') };
      delete env['CT_DATA_DIR'];
      const ct = (args: readonly string[]): Run => {
        const r = spawnSync(process.execPath, [ctBin, ...args], { env, cwd: dir, encoding: 'utf8', timeout: 150_000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const r = ct(['plugins', 'install', './example']);
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr + r.stdout, /github/i);
      assert.match(ct(['plugins']).stdout, /^ct-plugin-example 0\.1\.0/m);
      assert.match(ct(['--help']).stdout, /^\s+hello-container\s/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
