/**
 * The conformance harness's own logic, without a runtime: what the normalisations keep and what they replace
 * (a normalisation that hid too much would hide differences), the field-by-field diff, and how
 * KNOWN_DIFFERENCES entries explain differences.
 */
import { strict as assert } from 'node:assert';
import { configText, raw, type Config } from './case-types.js';
import { diffValues } from './json-diff.js';
import { explains, type KnownDifference } from './known-differences.js';
import type { RunOutcome } from './lifecycle.js';
import { normaliseMountinfo, normaliseOutcome, normaliseState } from './normalise.js';
import { judge } from './judge.js';
import { BASE_TITLE, PassCounts } from './pass-counts.js';
import { pathKeys, specDiffs } from './spec-expectation.js';

const MOUNTINFO = [
  '100 50 254:0 /bundle/rootfs / ro,relatime shared:1 - ext4 /dev/vda rw',
  '101 100 0:20 / /proc rw,relatime - proc proc rw',
  '102 100 0:21 / /tmp rw master:7 - tmpfs tmpfs rw,size=1024k',
  '103 102 0:22 / /tmp rw - tmpfs second rw',
];

function outcome(report: Record<string, unknown>): RunOutcome {
  return {
    create: { status: 0, stdout: '', stderr: '' },
    steps: ['state:created'],
    states: { created: { ociVersion: '1.0.2-dev', id: 'cf1-2-runc', pid: 4242, status: 'created', created: '2026-12-05T11:00:00Z', owner: '' } },
    report, otherOutput: [], hookRecords: {}, leftovers: [],
  };
}

const CTX = {
  id: 'cf1-2-runc',
  hostNamespaces: { pid: 'pid:[4026531836]', net: 'net:[4026531833]', user: 'user:[4026531837]' },
  joinedNamespaces: { 'net:[4026532999]': 'network' },
  specVersion: '1.0.2-dev',
};

describe('conformance harness, normalisation and comparison', () => {
  it('normaliseMountinfo, mount ids become parent mount points, peer groups and anonymous devices lose their numbers', () => {
    const { mounts, mountOrder } = normaliseMountinfo(MOUNTINFO);
    assert.deepEqual(mountOrder, ['/', '/proc', '/tmp', '/tmp (2)']);
    assert.deepEqual(mounts, {
      '/': 'ext4 /dev/vda ro,relatime [rw] root=/bundle/rootfs parent=outside dev=254:0 prop=shared',
      '/proc': 'proc proc rw,relatime [rw] root=/ parent=/ dev=0:anon prop=private',
      '/tmp': 'tmpfs tmpfs rw [rw,size=1024k] root=/ parent=/ dev=0:anon prop=master',
      '/tmp (2)': 'tmpfs second rw [rw] root=/ parent=/tmp dev=0:anon prop=private',
    });
  });

  it('normaliseState, replaces pid, time and the runtime\'s own spec version only', () => {
    assert.deepEqual(normaliseState({ ociVersion: '1.0.2-dev', pid: 12, created: '2026-12-05T11:00:00Z', status: 'running' }, '1.0.2-dev'),
      { ociVersion: "<runtime's spec version>", pid: '<pid>', created: '<time>', status: 'running' });
    // a version that is not the runtime's own (ct echoing the config's) stays, as does a stopped container's pid 0
    assert.deepEqual(normaliseState({ ociVersion: '1.0.0', pid: 0, created: 'yesterday' }, '1.2.0'), { ociVersion: '1.0.0', pid: 0, created: 'yesterday' });
  });

  it('normaliseOutcome, namespaces become host, joined or new; host pids and the id are replaced everywhere', () => {
    const n = normaliseOutcome(outcome({
      pid: 1, ppid: 0,
      namespaces: { net: 'net:[4026532999]', pid: 'pid:[4026532100]', pid_for_children: 'pid:[4026532100]', user: 'user:[4026531837]' },
      status: { NSpid: '4242\t1' },
      cgroup: ['4:memory:/cf1-2-runc', '0::/'],
      processes: [{ pid: 1, cmdline: ['/probe', 'report'] }],
    }), CTX);
    const report = n['report'] as Record<string, unknown>;
    assert.deepEqual(report['namespaces'], { net: 'joined:network', pid: 'new1', pid_for_children: 'new1', user: 'host' });
    assert.deepEqual(report['status'], { NSpid: '<pid> 1' });
    assert.deepEqual(report['cgroup'], { '4:memory': '/<id>', '0:': '/' });
    assert.deepEqual(report['processes'], ['1 ["/probe","report"]']);
    assert.equal(report['pid'], 1, 'a pid inside a new pid namespace is kept');
    assert.deepEqual(n['states'], { created: { ociVersion: "<runtime's spec version>", id: '<id>', pid: '<pid>', status: 'created', created: '<time>', owner: '' } });
  });

  it('normaliseOutcome, in the host pid namespace the pids and the process list are not compared', () => {
    const report = normaliseOutcome(outcome({ pid: 777, ppid: 700, namespaces: { pid: 'pid:[4026531836]' }, processes: [], pid1Cmdline: ['/sbin/init'] }), CTX)['report'] as Record<string, unknown>;
    assert.equal(report['pid'], '<pid>');
    assert.equal(report['ppid'], '<pid>');
    assert.match(String(report['processes']), /not compared/);
    assert.match(String(report['pid1Cmdline']), /not compared/);
  });

  it('normaliseOutcome, a refused create keeps only the refusal, hooks and leftovers', () => {
    const refused = { ...outcome({}), create: { status: 1, stdout: '', stderr: 'boom' }, leftovers: ['state dir /run/x/cf1-2-runc'] };
    assert.deepEqual(normaliseOutcome(refused, CTX), { create: 'refused', hooks: {}, leftovers: ['state dir /run/x/<id>'] });
  });

  it('diffValues, names each differing field by its path; string lists by the entries only one side has', () => {
    assert.deepEqual(diffValues({ a: { b: 1, c: 'x' } }, { a: { b: 2, c: 'x', d: true } }), [
      { path: 'a.b', runc: '1', ct: '2' },
      { path: 'a.d', runc: '(absent)', ct: 'true' },
    ]);
    assert.deepEqual(diffValues({ l: ['/', '/proc', '/dev', '/sys'] }, { l: ['/', '/dev', '/proc', '/sys'] }), [
      { path: 'l[1]', runc: '/proc', ct: '(absent)' },
      { path: 'l[ct 2]', runc: '(absent)', ct: '/proc' },
    ]);
    assert.deepEqual(diffValues({ same: [1, { x: 'y' }] }, { same: [1, { x: 'y' }] }), []);
  });

  it('explains, a known difference matches by case, suite, path and values', () => {
    const k: KnownDifference = { name: 'x', cases: /^process\./, path: /^report\.env/, ct: /^\(absent\)$/, passes: ['root'], reason: 'r', fixBy: 'f' };
    const d = { path: 'report.env[2]', runc: 'HOME=/root', ct: '(absent)' };
    assert.equal(explains(k, 'process.cwd: /tmp', 'root', d), true);
    assert.equal(explains(k, 'process.cwd: /tmp', 'rootless', d), false, 'another suite');
    assert.equal(explains(k, 'mounts: x', 'root', d), false, 'another case');
    assert.equal(explains(k, 'process.cwd: /tmp', 'root', { ...d, ct: 'HOME=/' }), false, 'another value');
  });

  it('configText, raw() numbers are written as JSON numbers, past 2^53 exactly', () => {
    const c = { process: { rlimits: [{ type: 'RLIMIT_CORE', soft: raw('18446744073709551615'), hard: 5 }] } } as unknown as Config;
    assert.match(configText(c), /"soft": 18446744073709551615,/);
  });

  it('pathKeys, dotted paths and bracketed keys holding dots', () => {
    assert.deepEqual(pathKeys('report.cgroupFiles["memory/memory.kmem.tcp.limit_in_bytes"]'), ['report', 'cgroupFiles', 'memory/memory.kmem.tcp.limit_in_bytes']);
    assert.deepEqual(pathKeys('steps.1'), ['steps', '1']);
  });

  it('specDiffs, the runtime-spec\'s value replaces runc\'s at its path only; a refusal asked is checked', () => {
    const ok = { create: { status: 0, stdout: '', stderr: '' } } as RunOutcome;
    const outcomes = { runc: ok, ct: ok };
    const c = { field: 'domainname', variant: 'set', edit: () => {}, spec: { because: 'b', values: { 'report.domainname': 'x' } } };
    const runc = { report: { domainname: '(none)', hostname: 'h' } };
    assert.deepEqual(specDiffs(c, outcomes, { runc, ct: { report: { domainname: 'x', hostname: 'h' } } }), []);
    assert.deepEqual(specDiffs(c, outcomes, { runc, ct: { report: { domainname: 'x', hostname: 'other' } } }).map((d) => d.path), ['report.hostname']);
    assert.deepEqual(specDiffs(c, outcomes, { runc, ct: { report: { domainname: '(none)', hostname: 'h' } } }).map((d) => d.path), ['report.domainname']);
    const refuse = { ...c, spec: { because: 'b', refuse: true as const } };
    assert.deepEqual(specDiffs(refuse, outcomes, { runc, ct: runc }).map((d) => d.path), ['create']);
    assert.deepEqual(specDiffs(refuse, { runc: ok, ct: { create: { status: 1, stdout: '', stderr: 'x' } } as RunOutcome }, { runc, ct: { create: 'refused' } }), []);
  });
  it('judge, a refusal must name the field for every runtime judged; one side refusing is a create.error difference', () => {
    const c = { field: 'process.rlimits', variant: 'v', edit: () => {} };
    const refused = (stderr: string): RunOutcome => ({ create: { status: 1, stdout: '', stderr } } as RunOutcome);
    const ok = { create: { status: 0, stdout: '', stderr: '' } } as RunOutcome;
    const runc = { outcome: refused('bad rlimits'), normalised: { create: 'refused' } };
    assert.deepEqual(judge(c, runc, { outcome: refused('error: process.rlimits[0]: bad'), normalised: { create: 'refused' } }), []);
    assert.deepEqual(judge(c, runc, { outcome: refused('error: EPERM'), normalised: { create: 'refused' } }).map((d) => d.path), ['create.error']);
    assert.deepEqual(judge(c, runc, { outcome: ok, normalised: { create: 'ok' } }).map((d) => d.path), ['create', 'create.error']);
  });
  it('PassCounts, exact counts cases without differences; field those without differences beyond the base case\'s', () => {
    const counts = new PassCounts();
    const base = { path: 'report.mountOrder[3]', runc: '/dev', ct: '(absent)' };
    counts.record(BASE_TITLE, { runc: [], crun: [base] });
    counts.record('a: b', { runc: [], crun: [{ ...base, path: 'report.mountOrder[4]' }] });
    counts.record('a: c', { runc: [], crun: [base, { path: 'report.hostname', runc: 'h', ct: 'x' }] });
    assert.deepEqual(counts.byRuntime, { runc: { exact: 3, field: 3 }, crun: { exact: 0, field: 2 } });
    assert.equal(counts.text(), 'runc 3/3 exact, 3/3 field; crun 0/3 exact, 2/3 field');
  });
  it('normaliseOutcome, the case\'s bundle directory becomes <bundle> (after the id)', () => {
    const n = normaliseOutcome({ ...outcome({}), states: { created: { bundle: '/tmp/b/case-3', rootfs: '/tmp/b/case-3/rootfs' } } }, { ...CTX, bundle: '/tmp/b/case-3' });
    assert.deepEqual(n['states'], { created: { bundle: '<bundle>', rootfs: '<bundle>/rootfs' } });
  });
});
