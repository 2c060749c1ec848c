/**
 * ct beside runc on the lifecycle fields of issues 18 and 24: what each hook kind reads on stdin, a missing program
 * at create, `kill --all` of a stopped container, `delete --force` of a missing one, the security labels a host without AppArmor/SELinux refuses,
 * ociVersion, and a seccomp rule whose valueTwo is left out. Every difference from runc is asserted as such and
 * explained (ct follows the runtime-spec where runc does not). Root (@root) and unprivileged (@rootless).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, requireFeature } from '@ct/test-utils';
import { CompatPair, lastMessage } from './runtime-harness.js';

const runcPresent = spawnSync('runc', ['--version']).status === 0;
type Json = Record<string, unknown>;

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    const pair = new CompatPair(rootless, 'lifecycle');
    const ct = pair.runtimes[1];

    before(async function () {
      requireFeature(this, runcPresent, 'runc is not installed');
      if (rootless && isRoot()) requireFeature(this, pair.user !== undefined, 'the unprivileged user ctci does not exist');
      if (!rootless) requireFeature(this, isRoot(), 'needs root');
      await pair.setup();
    });
    after(() => pair.cleanup());

    it('hooks: every kind reads the status runc gives it, but prestart (ct: created, as crun and runtime-tools\' hooks_stdin; runc: creating) and poststart (ct: running, after start; runc: created, at create)', async () => {
      const states: Record<string, Json>[] = [];
      for (const rt of pair.runtimes) {
        const tmp = join(pair.bundle, 'rootfs', 'tmp');
        const save = (kind: string): Json => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${tmp}/${rt.name}-${kind}.json`] });
        pair.configure(['sleep', '60'], (c) => {
          (c['root'] as Json)['readonly'] = false;
          c['annotations'] = { 'org.test': 'hooks' };
          c['hooks'] = {
            prestart: [save('prestart')], createRuntime: [save('createRuntime')],
            // not in the rootfs: found on the host, as both run it before pivot_root
            createContainer: [{ path: '/usr/bin/env', args: ['env', '/bin/sh', '-c', `cat > ${tmp}/${rt.name}-createContainer.json`] }],
            startContainer: [{ path: '/bin/sh', args: ['sh', '-c', `cat > /tmp/${rt.name}-startContainer.json`] }],
            poststart: [save('poststart')], poststop: [save('poststop')],
          };
        });
        const c = pair.id(`hooks-${rt.name}`);
        assert.equal(rt.run(['create', '--bundle', pair.bundle, c]).status, 0, rt.name);
        const pid = rt.state(c)?.['pid'];
        assert.equal(rt.run(['start', c]).status, 0, rt.name);
        rt.run(['kill', c, 'KILL']);
        await rt.waitStatus(c, 'stopped');
        assert.equal(rt.run(['delete', c]).status, 0, rt.name);
        const kinds = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];
        states.push(Object.fromEntries(kinds.map((k) => {
          const s = JSON.parse(readFileSync(join(tmp, `${rt.name}-${k}.json`), 'utf8')) as Json;
          assert.equal(s['bundle'], pair.bundle, `${rt.name} ${k}`);
          assert.deepEqual(s['annotations'], { 'org.test': 'hooks' }, `${rt.name} ${k}`);
          // the pid: the init's as the host sees it (runc gives the container kinds its own view, 1); none once stopped
          if (k === 'poststop') assert.equal(s['pid'], undefined, `${rt.name} poststop pid`);
          else if (rt.name === 'ct' || !k.endsWith('Container')) assert.equal(s['pid'], pid, `${rt.name} ${k} pid`);
          return [k, s['status'] as Json];
        })));
      }
      const [fromRunc, fromCt] = states;
      assert.deepEqual(fromCt, { ...fromRunc, prestart: 'created', poststart: 'running' });
      assert.deepEqual(fromRunc, {
        prestart: 'creating', createRuntime: 'creating', createContainer: 'creating', startContainer: 'created', poststart: 'created', poststop: 'stopped',
      });
    });

    it('create: a missing program is refused at create, in runc\'s words', () => {
      for (const [program, reason] of [
        ['/no/such/bin', 'exec: "/no/such/bin": stat /no/such/bin: no such file or directory'],
        ['nosuchprog', 'exec: "nosuchprog": executable file not found in $PATH'],
        ['/etc', 'exec: "/etc": permission denied'],
      ] as const) {
        pair.configure([program]);
        const c = pair.id('noprog');
        const [r, t] = pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, c]));
        assert.deepEqual([r.status, t.status], [1, 1], program);
        assert.equal(lastMessage(r), `runc create failed: unable to start container process: ${reason}`);
        assert.equal(lastMessage(t), `unable to start container process: ${reason}`);
        assert.deepEqual(pair.both((rt) => rt.run(['state', c]).status), [1, 1], `${program}: nothing left to state`);
      }
    });

    it('delete --force of a container that does not exist exits 0 as in runc (engines clean up with it); delete without --force fails naming it', () => {
      const c = pair.id('never-made');
      const forced = pair.both((rt) => rt.run(['delete', '--force', c]));
      const plain = pair.both((rt) => rt.run(['delete', c]));
      assert.deepEqual(forced.map((r) => r.status), [0, 0], forced.map((r) => r.stderr).join('|'));
      assert.deepEqual(forced.map((r) => r.stderr), ['', '']);
      assert.deepEqual(plain.map((r) => r.status), [1, 1]);
      for (const r of plain) assert.match(r.stderr, /does not exist/);
    });

    it('kill --all of a stopped container succeeds as in runc; kill without --all says "container not running"', async () => {
      pair.configure(['true']);
      const c = pair.id('killall');
      for (const rt of pair.runtimes) {
        assert.equal(rt.run(['run', '--detach', '--bundle', pair.bundle, c]).status, 0, rt.name);
        assert.equal(await rt.waitStatus(c, 'stopped'), 'stopped', rt.name);
      }
      const all = pair.both((rt) => rt.run(['kill', '--all', c, 'KILL']));
      const one = pair.both((rt) => rt.run(['kill', c, 'KILL']));
      assert.deepEqual(all.map((r) => r.status), [0, 0], all.map((r) => r.stderr).join('|'));
      assert.deepEqual(one.map((r) => r.status), [1, 1]);
      for (const r of one) assert.match(r.stderr, /container not running/);
      pair.both((rt) => rt.run(['delete', c]));
    });

    it('process.selinuxLabel and linux.mountLabel are refused by both on a host without SELinux; an empty label is none', () => {
      for (const edit of [
        (c: Json) => { (c['process'] as Json)['selinuxLabel'] = 'system_u:system_r:container_t:s0'; },
        (c: Json) => { (c['linux'] as Json)['mountLabel'] = 'system_u:object_r:container_file_t:s0'; },
      ]) {
        pair.configure(['true'], edit);
        const c = pair.id('label');
        assert.deepEqual(pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, c]).status), [1, 1]);
        assert.match(ct.run(['create', '--bundle', pair.bundle, c]).stderr, /config\.json: (process\.selinuxLabel|linux\.mountLabel): selinux/);
      }
      pair.configure(['true'], (c) => { (c['process'] as Json)['selinuxLabel'] = ''; });
      const c = pair.id('nolabel');
      assert.deepEqual(pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, c]).status), [0, 0]);
      pair.both((rt) => rt.run(['delete', '--force', c]));
    });

    it('process.apparmorProfile is refused by both on a host without AppArmor', () => {
      pair.configure(['true'], (c) => { (c['process'] as Json)['apparmorProfile'] = 'docker-default'; });
      const c = pair.id('apparmor');
      const [r, t] = pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, c]));
      assert.deepEqual([r.status, t.status], [1, 1]);
      assert.equal(lastMessage(t), 'config.json: process.apparmorProfile: apparmor: config provided but apparmor not supported');
    });

    it('ociVersion: a missing one is accepted by both; one that is not SemVer or past 1.3 ct refuses, naming it (runc reads none)', () => {
      pair.configure(['true'], (c) => { delete c['ociVersion']; });
      const c = pair.id('ociversion');
      assert.deepEqual(pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, c]).status), [0, 0]);
      pair.both((rt) => rt.run(['delete', '--force', c]));
      for (const v of ['bogus', '2.0.0']) {
        pair.configure(['true'], (cfg) => { cfg['ociVersion'] = v; });
        const d = pair.id('badversion');
        const [r, t] = pair.both((rt) => rt.run(['create', '--bundle', pair.bundle, d]));
        assert.equal(r.status, 0, `runc accepts ${v}`);
        assert.equal(t.status, 1);
        assert.match(lastMessage(t), /^config\.json: ociVersion: /);
        pair.both((rt) => rt.run(['delete', '--force', d]));
      }
    });

    it('seccomp: a MASKED_EQ rule without valueTwo compares against 0 in both (chmod 600 refused, chmod 700 allowed)', () => {
      pair.configure(['sh', '-c', 'touch /tmp/a /tmp/b; chmod 700 /tmp/a && echo chmod-700; chmod 600 /tmp/b || echo refused-600'], (c) => {
        (c['root'] as Json)['readonly'] = false;
        (c['linux'] as Json)['seccomp'] = {
          defaultAction: 'SCMP_ACT_ALLOW',
          // chmod(path, mode) and fchmodat(fd, path, mode): refused when (mode & 0100) == 0 (no valueTwo: 0)
          syscalls: [
            { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o100, op: 'SCMP_CMP_MASKED_EQ' }] },
            { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0o100, op: 'SCMP_CMP_MASKED_EQ' }] },
          ],
        };
      });
      const outs = pair.runtimes.map((rt) => {
        const r = rt.run(['run', '--bundle', pair.bundle, pair.id(`seccomp-${rt.name}`)]);
        assert.equal(r.status, 0, `${rt.name}: ${r.stderr}`);
        return r.stdout.trim().split('\n').filter((l) => /^(chmod|refused)/.test(l));
      });
      assert.deepEqual(outs[1], outs[0]);
      assert.deepEqual(outs[0], ['chmod-700', 'refused-600']);
    });
  });
}

defineSuite('ct and runc, lifecycle fields @root', false);
defineSuite('ct and runc, lifecycle fields unprivileged @rootless', true);
