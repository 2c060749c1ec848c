/**
 * Confinement beyond Guix, seen from inside the container with the probe: capabilities (all five sets and the
 * calls a dropped one refuses), no_new_privs, umask, guest ids and supplementary groups, oom_score_adj, rlimits
 * (clamped with a warning), hostname and domainname, time namespace offsets. Runs as root and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  callWithContainer, capabilityBit, capabilityNames, DEFAULT_CAPABILITIES, NAMESPACES, NamespaceSetupError, readRlimitHost, RLIM_INFINITY,
  runContainer, type CapabilityName, type Rlimit,
} from '../../src/index.js';
import { guardContainers, probe, runCaptured, sh, toolSpec } from './helpers.js';

const capsOf = (stdout: string): Record<string, bigint> => Object.fromEntries(
  stdout.trim().split('\n').map((line) => {
    const [name, value] = line.split('=');
    return [name ?? '', BigInt(`0x${value ?? '0'}`)];
  }),
);
const statusField = (stdout: string, field: string): string | undefined => new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(stdout)?.[1];

describe('confinement, from inside the container', function () {
  before(function () { guardContainers(this); });

  describe('capabilities', () => {
    const runcMask = DEFAULT_CAPABILITIES.reduce((m, n) => m | capabilityBit('', n), 0n);

    it('runContainer, runc default set in CapBnd/CapEff/CapPrm/CapInh, ambient empty', async () => {
      const r = await runCaptured(toolSpec(probe('caps'), { capabilities: DEFAULT_CAPABILITIES }));
      assert.equal(r.status, 0);
      const caps = capsOf(r.stdout);
      assert.deepEqual(capabilityNames(caps['CapBnd'] ?? -1n), [...DEFAULT_CAPABILITIES].sort((a, b) => capabilityBit('', a) < capabilityBit('', b) ? -1 : 1));
      for (const set of ['CapEff', 'CapPrm', 'CapInh']) assert.equal(caps[set], runcMask, set);
      assert.equal(caps['CapAmb'], 0n);
    });

    it('runContainer, without capabilities runc\'s set in all five sets (bounding included)', async () => {
      const r = await runCaptured(toolSpec(probe('caps')));
      assert.equal(r.status, 0, r.stdout);
      const caps = capsOf(r.stdout);
      for (const set of ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'CapAmb']) assert.equal(caps[set], runcMask, set);
    });

    it('runContainer, without capabilities sethostname is refused (CAP_SYS_ADMIN dropped)', async () => {
      // Without mount locking: after it the process has no capability over the uts namespace's owner anyway.
      const r = await runCaptured(toolSpec(sh('hostname other 2>/dev/null; echo rc=$?; hostname'), {
        hostname: 'before', lockMounts: false,
      }));
      assert.equal(r.stdout, 'rc=1\nbefore\n');
    });

    it('runContainer, a non-root guest without capabilities keeps runc\'s set effective (ambient)', async () => {
      const r = await runCaptured(toolSpec(probe('caps'), { guestUid: 1000, guestGid: 1000 }));
      assert.equal(r.status, 0, r.stdout);
      const caps = capsOf(r.stdout);
      for (const set of ['CapBnd', 'CapEff', 'CapPrm', 'CapAmb']) assert.equal(caps[set], runcMask, set);
    });

    it('runContainer, capabilities \'all\': the container root keeps them all', async () => {
      const r = await runCaptured(toolSpec(probe('caps'), { capabilities: 'all' }));
      const caps = capsOf(r.stdout);
      assert.ok(((caps['CapEff'] ?? 0n) & capabilityBit('', 'CAP_SYS_ADMIN')) !== 0n);
      assert.ok(((caps['CapBnd'] ?? 0n) & capabilityBit('', 'CAP_SYS_ADMIN')) !== 0n);
    });

    it('callWithContainer, without capabilities keeps them all (Guix): sethostname works', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ct-caps-'));
      const out = openSync(join(dir, 'out'), 'w+', 0o600);
      try {
        const spec = toolSpec(sh('hostname other; echo rc=$?; hostname'));
        const status = await callWithContainer(spec.mounts ?? [], spec.command, {
          hostname: 'before', lockMounts: false, consoleTty: null, populate: spec.populate ?? [], stdio: [0, out, 2],
        });
        assert.equal(status, 0);
        assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'rc=0\nother\n');
      } finally {
        closeSync(out);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('runContainer, CAP_SYS_ADMIN dropped: umount fails with EPERM', async () => {
      const r = await runCaptured(toolSpec(probe('umount', '/tmp'), {
        capabilities: DEFAULT_CAPABILITIES, lockMounts: false, mounts: [{ type: 'tmpfs', target: '/tmp' }],
      }));
      assert.match(r.stdout, /EPERM/);
      assert.notEqual(r.status, 0);
    });

    it('runContainer, CAP_SYS_ADMIN kept: the same umount works', async () => {
      const r = await runCaptured(toolSpec(probe('umount', '/tmp'), {
        capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], lockMounts: false, mounts: [{ type: 'tmpfs', target: '/tmp' }],
      }));
      assert.equal(r.stdout, 'ok\n');
    });

    it('runContainer, CAP_CHOWN dropped: chown to another id fails', async () => {
      const r = await runCaptured(toolSpec(sh('touch /tmp/f && chown 1:1 /tmp/f; echo rc=$?'), {
        capabilities: DEFAULT_CAPABILITIES, mounts: [{ type: 'tmpfs', target: '/tmp' }],
        populate: [{ op: 'symlink', target: '/bin/busybox', path: '/bin/chown' }],
      }));
      assert.match(r.stdout, /rc=1/);
    });

    it('runContainer, CAP_NET_RAW kept: ping works; dropped: ping is refused', async () => {
      // Without mount locking: the locking user namespace does not own the net namespace, so no capability
      // there would reach it (a raw socket needs CAP_NET_RAW over the net namespace's owner).
      const ping = (capabilities: CapabilityName[]) => runCaptured(toolSpec(sh('ping -c1 -W1 127.0.0.1 >/dev/null 2>&1; echo rc=$?'), {
        lockMounts: false, capabilities, populate: [{ op: 'symlink', target: '/bin/busybox', path: '/bin/ping' }],
      }));
      assert.equal((await ping(['CAP_NET_RAW'])).stdout, 'rc=0\n');
      assert.equal((await ping(['CAP_KILL'])).stdout, 'rc=1\n');
    });

    it('runContainer, a non-root guest keeps only its ambient capabilities across exec', async () => {
      const r = await runCaptured(toolSpec(probe('caps'), {
        guestUid: 1000, guestGid: 1000,
        capabilities: {
          bounding: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], permitted: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
          effective: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'], inheritable: ['CAP_NET_BIND_SERVICE'], ambient: ['CAP_NET_BIND_SERVICE'],
        },
      }));
      assert.equal(r.status, 0, r.stdout);
      const caps = capsOf(r.stdout);
      const bind = capabilityBit('', 'CAP_NET_BIND_SERVICE');
      assert.equal(caps['CapAmb'], bind);
      assert.equal(caps['CapEff'], bind);
      assert.equal(caps['CapBnd'], bind | capabilityBit('', 'CAP_KILL'));
    });
  });

  it('runContainer, no_new_privs shows NoNewPrivs: 1', async () => {
    const on = await runCaptured(toolSpec(probe('cat', '/proc/self/status'), { noNewPrivileges: true }));
    const off = await runCaptured(toolSpec(probe('cat', '/proc/self/status')));
    assert.equal(statusField(on.stdout, 'NoNewPrivs'), '1');
    assert.equal(statusField(off.stdout, 'NoNewPrivs'), '0');
  });

  it('runContainer, umask 027 is the command\'s', async () => {
    const r = await runCaptured(toolSpec(probe('cat', '/proc/self/status'), { umask: 0o027 }));
    assert.equal(statusField(r.stdout, 'Umask'), '0027');
  });

  it('runContainer, guest uid/gid and supplementary groups', async () => {
    const r = await runCaptured(toolSpec(probe('cat', '/proc/self/status'), { guestUid: 1000, guestGid: 1001, additionalGids: [5, 1002] }));
    assert.equal(r.status, 0);
    assert.match(statusField(r.stdout, 'Uid') ?? '', /^1000\s+1000\s+1000\s+1000$/);
    assert.match(statusField(r.stdout, 'Gid') ?? '', /^1001\s+1001\s+1001\s+1001$/);
    assert.equal(statusField(r.stdout, 'Groups')?.trim(), '5 1002');
  });

  it('runContainer, oom_score_adj 500', async () => {
    const r = await runCaptured(toolSpec(probe('cat', '/proc/self/oom_score_adj'), { oomScoreAdj: 500 }));
    assert.equal(r.stdout, '500\n');
  });

  it('runContainer, oom_score_adj is set even when the container has no /proc (no pid namespace)', async () => {
    const handle = await runContainer(toolSpec(probe('sleep', '10'), {
      namespaces: NAMESPACES.filter((n) => n !== 'pid'), oomScoreAdj: 300,
    }));
    try {
      assert.equal(readFileSync(`/proc/${handle.pid}/oom_score_adj`, 'utf8'), '300\n');
    } finally {
      handle.kill();
      await handle.wait();
    }
  });

  describe('rlimits', () => {
    it('runContainer, NOFILE 1024/2048 seen by the probe', async () => {
      const r = await runCaptured(toolSpec(probe('rlimit', 'NOFILE'), { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024n, hard: 2048n }] }));
      assert.equal(r.stdout, '1024 2048\n');
    });

    it('runContainer, a hard limit above the caller\'s is clamped with one warning', async () => {
      const warnings: string[] = [];
      const limits: Rlimit[] = [{ type: 'RLIMIT_NOFILE', soft: 4096n, hard: RLIM_INFINITY }];
      const host = { hardLimit: () => 8192n, canRaise: false };
      const r = await runCaptured(toolSpec(probe('rlimit', 'NOFILE'), { rlimits: limits }), { warn: (m) => warnings.push(m), rlimitHost: host });
      assert.equal(r.stdout, '4096 8192\n');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /RLIMIT_NOFILE/);
    });

    it('runContainer, an unlimited NOFILE hard limit becomes the caller\'s own without CAP_SYS_RESOURCE', async () => {
      const host = readRlimitHost();
      const warnings: string[] = [];
      const r = await runCaptured(toolSpec(probe('rlimit', 'NOFILE'), { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 512n, hard: RLIM_INFINITY }] }),
        { warn: (m) => warnings.push(m) });
      const hard = host.canRaise ? 'unlimited' : String(host.hardLimit('RLIMIT_NOFILE'));
      assert.equal(r.stdout, `512 ${hard}\n`);
      assert.equal(warnings.length, host.canRaise ? 0 : 1);
    });

    it('runContainer, a raise the kernel refuses fails at its step with EPERM', async () => {
      const host = { hardLimit: () => RLIM_INFINITY, canRaise: true };
      const hard = BigInt(Number(/Max open files\s+\d+\s+(\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0));
      await assert.rejects(
        runCaptured(toolSpec(probe('exit', '0'), { rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10n, hard: hard + 1n }] }), { rlimitHost: host }),
        (e: unknown) => e instanceof NamespaceSetupError && e.step === 'setrlimit' && (e.cause as { code?: string }).code === 'EPERM',
      );
    });
  });

  it('runContainer, hostname and domainname', async () => {
    const r = await runCaptured(toolSpec(sh('hostname; cat /proc/sys/kernel/domainname'), { hostname: 'box', domainname: 'example.org' }));
    assert.equal(r.stdout, 'box\nexample.org\n');
  });

  it('runContainer, time namespace boottime offset shows in /proc/uptime', async () => {
    const year = 365 * 86400;
    const r = await runCaptured(toolSpec(probe('cat', '/proc/uptime'), {
      namespaces: [...NAMESPACES, 'time'], timeOffsets: { boottime: { secs: year }, monotonic: { secs: year } },
    }));
    assert.equal(r.status, 0);
    const uptime = Number(r.stdout.split(' ')[0]);
    assert.ok(uptime > year, `uptime ${uptime}`);
    const host = Number((await import('node:fs')).readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    assert.ok(uptime - host >= year - 5 && uptime - host <= year + 5);
  });
});

describe('confinement, an unprivileged caller without a user namespace @nonroot', function () {
  before(function () { guardContainers(this); });

  it('runContainer, the default capabilities are moot there: it runs (no bounding-set drop it could not make)', async () => {
    const uid = process.geteuid?.() ?? 0;
    const gid = process.getegid?.() ?? 0;
    const r = await runCaptured({
      namespaces: [], root: { kind: 'host' }, guestUid: uid, guestGid: gid, command: { argv: ['/bin/busybox', 'id', '-u'], env: {} },
    });
    assert.deepEqual(r, { status: 0, stdout: `${uid}\n` });
    await assert.rejects(runCaptured({
      namespaces: [], root: { kind: 'host' }, guestUid: uid, guestGid: gid, capabilities: ['CAP_KILL'], command: { argv: ['/bin/busybox', 'true'], env: {} },
    }), (e: unknown) => e instanceof NamespaceSetupError && e.step === 'set capabilities');
  });
});
