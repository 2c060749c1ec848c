/**
 * `ct exec` into a running container (runc exec's flags): the exit code, the container's pid namespace, the
 * config's capabilities and seccomp profile, --user/--cwd/--env/--cap/--no-new-privs, --process, --detach with
 * --pid-file, flags after the command left to it, refusals for a stopped container; beside runc where practical.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { specTemplate } from '@ct/runtime';
import { ciUser, makeBundleDir, readConfig, removeBundle, Runtime, writeConfig } from './runtime-harness.js';

type Json = Record<string, unknown>;

function field(out: string, name: string): string | undefined {
  return new RegExp(`^${name}[:=]\\s*(\\S+)$`, 'm').exec(out)?.[1];
}

async function withContainer(ct: Runtime, owner: { uid: number; gid: number } | undefined, body: (id: string, bundle: string) => Promise<void> | void): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-exec'), owner);
  const id = `exec-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  try {
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    writeConfig(bundle, ['sleep', '60'], specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json);
    const c = readConfig(bundle);
    (c['linux'] as Json)['seccomp'] = {
      defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    };
    writeConfig(bundle, ['sleep', '60'], c);
    let r = ct.run(['create', '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stderr);
    r = ct.run(['start', id]);
    assert.equal(r.status, 0, r.stderr);
    await body(id, bundle);
  } finally {
    ct.cleanup([id]);
    removeBundle(bundle);
  }
}

async function checks(ct: Runtime, owner: { uid: number; gid: number } | undefined): Promise<void> {
  await withContainer(ct, owner, async (id, bundle) => {
    // flags after the command belong to it (-c here), the exit code is the process's
    let r = ct.run(['exec', id, 'sh', '-c', 'echo pid1=$(cat /proc/1/comm); grep -E "^CapEff" /proc/self/status; mkdir /tmp/x 2>/dev/null; echo mkdir=$?; exit 7']);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(field(r.stdout, 'pid1'), 'sleep', `in the container's pid namespace: ${r.stdout}`);
    assert.equal(field(r.stdout, 'CapEff'), '0000000020000420', 'runc\'s default effective set from config.json');
    assert.equal(field(r.stdout, 'mkdir'), '1', 'the config\'s seccomp profile applies');
    // the rootless spec maps one id (0): another uid is not mapped there
    const uid = owner !== undefined || !isRoot() ? 0 : 1000;
    r = ct.run(['exec', '--user', `${uid}:${uid}`, '--cwd', '/tmp', '--env', 'FOO=bar', '--cap', 'CAP_CHOWN', id,
      'sh', '-c', 'echo uid=$(id -u) gid=$(id -g); echo cwd=$(pwd); echo foo=$FOO; grep -E "^CapBnd" /proc/self/status']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^uid=${uid} gid=${uid}$`, 'm'));
    assert.equal(field(r.stdout, 'cwd'), '/tmp');
    assert.equal(field(r.stdout, 'foo'), 'bar');
    assert.equal(field(r.stdout, 'CapBnd'), '0000000020000421', '--cap adds CAP_CHOWN to the bounding set');
    r = ct.run(['exec', '--user', '4000', id, 'true']);
    if (uid === 0) assert.notEqual(r.status, 0, 'an unmapped uid fails');
    r = ct.run(['exec', '--no-new-privs', id, 'grep', 'NoNewPrivs', '/proc/self/status']);
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
    // --process: a runtime-spec process object replaces config.json's
    const proc = join(bundle, 'process.json');
    writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'echo via=process; exit 3'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
    chmodSync(proc, 0o644);
    r = ct.run(['exec', '--process', proc, id]);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(field(r.stdout, 'via'), 'process');
    // --detach --pid-file: returns at once, the pid is a live process of the container
    const pidFile = join(bundle, 'exec.pid');
    const started = Date.now();
    r = ct.run(['exec', '-d', '--pid-file', pidFile, id, 'sleep', '30']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - started < 10_000, 'returns while the process runs');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(pid > 0 && existsSync(`/proc/${pid}`), `pid ${pid} runs`);
    // nothing of ct stays between the caller's subreaper and the process (conmon waits for it)
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    const parent = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').join(' ');
    assert.doesNotMatch(parent, /ct\.js/, `the parent ${ppid} of ${pid} is not a ct process: ${parent}`);
    r = ct.run(['ps', '--format', 'json', id]);
    assert.ok((JSON.parse(r.stdout) as number[]).includes(pid), `ps lists the exec'd pid ${pid}: ${r.stdout}`);
    // a missing program is an error naming it; detached too (runc's words, which podman turns into 127)
    r = ct.run(['exec', id, 'no-such-program']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no-such-program/);
    r = ct.run(['exec', '-d', id, 'no-such-program']);
    assert.equal(r.status, 255, 'runc\'s status for a process that could not be run');
    assert.match(r.stderr, /exec: \\?"no-such-program\\?": executable file not found in \$PATH/);
    // the lookup resolves inside the container: a PATH dir that is an absolute symlink in the image (as /bin ->
    // /usr/bin) names the container's target, not the host's (which has no such directory)
    const real = `ct-exec-real-${process.pid}`;
    mkdirSync(join(bundle, 'rootfs', real));
    writeFileSync(join(bundle, 'rootfs', real, 'ct-prog'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    symlinkSync(`/${real}`, join(bundle, 'rootfs', 'ct-exec-link'));
    assert.equal(existsSync(`/${real}`), false);
    r = ct.run(['exec', '-d', '--env', 'PATH=/ct-exec-link', id, 'ct-prog']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ct.run(['kill', id, 'KILL']).status, 0);
    await ct.waitStatus(id, 'stopped');
    r = ct.run(['exec', id, 'true']);
    assert.equal(r.status, 255);
    assert.match(r.stderr, /cannot exec in a stopped container/);
  });
}

/**
 * exec --detach, a process that ends at once: its pid file is written before it runs (containerd's shim and conmon
 * read the pid only after ct exits, and must not miss the exit of a quick process). The process lists a directory
 * bound from the host that holds the pid file.
 */
async function quickDetached(ct: Runtime, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const bundle = await makeBundleDir(join(tmpdir(), 'ct-exec'), owner);
  const id = `execq-${process.pid}`;
  const shared = join(bundle, 'shared');
  try {
    mkdirSync(shared, { mode: 0o777 });
    chmodSync(shared, 0o777);
    const ids = owner ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const c = specTemplate({ rootless: owner !== undefined || !isRoot(), uid: ids.uid, gid: ids.gid }) as Json;
    (c['mounts'] as Json[]).push({ destination: '/shared', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    writeConfig(bundle, ['sleep', '60'], c);
    assert.equal(ct.run(['run', '-d', '--bundle', bundle, id]).status, 0);
    const pidFile = join(shared, 'exec.pid');
    const r = ct.run(['exec', '-d', '--pid-file', pidFile, id, 'sh', '-c', 'ls /shared > /shared/seen; exit 5']);
    assert.equal(r.status, 0, r.stderr);
    for (let i = 0; i < 100 && !existsSync(join(shared, 'seen')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(readFileSync(join(shared, 'seen'), 'utf8'), /^exec\.pid$/m, 'the pid file was there when the process ran');
  } finally {
    ct.cleanup([id]);
    removeBundle(bundle);
  }
}

describe('ct exec @root', () => {
  it('exec --detach, a quick process runs only once its pid file is written', async function () {
    requireFeature(this, isRoot(), 'needs root');
    await quickDetached(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-exec-root-'))), undefined);
  });
  it('exec, exit code, namespaces, config process settings, flags, --process, --detach, stopped', async function () {
    requireFeature(this, isRoot(), 'needs root');
    await checks(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-exec-root-'))), undefined);
  });
  it('exec beside runc, the same exit code and output for sh -c, and 255 for a missing program or container', async function () {
    requireFeature(this, isRoot(), 'needs root');
    const bundle = await makeBundleDir(join(tmpdir(), 'ct-exec'));
    try {
      writeConfig(bundle, ['sleep', '60'], specTemplate({}) as Json);
      const outs = [];
      for (const name of ['ct', 'runc'] as const) {
        const rt = new Runtime(name, mkdtempSync(join(tmpdir(), `ct-exec-${name}-`)));
        const id = `cmp-${name}-${process.pid}`;
        assert.equal(rt.run(['run', '-d', '--bundle', bundle, id]).status, 0);
        const r = rt.run(['exec', id, 'sh', '-c', 'echo $PATH; id -u; exit 5']);
        // a program that cannot be run, a missing container: runc's 255, apart from the process's own statuses
        const missing = rt.run(['exec', id, '/no-such-program']);
        const gone = rt.run(['exec', `${id}-gone`, 'true']);
        outs.push([r.status, r.stdout, missing.status, gone.status]);
        rt.cleanup([id]);
      }
      assert.deepEqual(outs[0], outs[1]);
    } finally {
      removeBundle(bundle);
    }
  });
});

describe('ct exec unprivileged @rootless', () => {
  it('exec --detach, a quick process runs only once its pid file is written', async function () {
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      await quickDetached(new Runtime('ct', `/tmp/ct-execq-ctci-${process.pid}`, user), user);
    } else {
      await quickDetached(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-exec-'))), undefined);
    }
  });
  it('exec, exit code, namespaces, config process settings, flags, --process, --detach, stopped', async function () {
    const user = ciUser();
    if (isRoot()) {
      requireFeature(this, user !== undefined, 'needs the ctci user');
      await checks(new Runtime('ct', `/tmp/ct-exec-ctci-${process.pid}`, user), user);
    } else {
      await checks(new Runtime('ct', mkdtempSync(join(tmpdir(), 'ct-exec-'))), undefined);
    }
  });
});
