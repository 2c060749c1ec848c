import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { compileSeccomp, validateSeccompProfile, type SeccompProfile } from '@ct/namespaces/engine';
import { parseJson } from '@ct/oci/spec';
import { readConfinement } from '../../src/config/config-confinement.js';
import { ConfigError } from '../../src/errors.js';

type JsonObject = Parameters<typeof readConfinement>[0];

/** linux.seccomp (an object, or its JSON text) read as the runtime reads config.json (lossless JSON), checked and compiled. */
function load(seccomp: unknown): SeccompProfile {
  const text = typeof seccomp === 'string' ? seccomp : JSON.stringify(seccomp);
  const o = parseJson(`{"linux":{"seccomp":${text}}}`, 'config.json') as JsonObject;
  const profile = readConfinement(o).seccomp;
  assert.ok(profile !== undefined);
  validateSeccompProfile(profile, 'linux.seccomp');
  compileSeccomp(profile);
  return profile;
}

const podmanProfile = new URL('../../../namespaces/test/fixtures/seccomp-podman-4.3.1-oci.json', import.meta.url);

describe('config.json linux.seccomp', () => {
  it('readConfinement, podman\'s default profile (as podman 4.3.1 hands it to a runtime) loads and compiles unchanged', () => {
    const raw = JSON.parse(readFileSync(podmanProfile, 'utf8')) as { syscalls: { names: string[] }[]; defaultErrnoRet: number };
    const p = load(raw);
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, raw.defaultErrnoRet);
    assert.equal(p.syscalls?.length, raw.syscalls.length);
    assert.deepEqual(p.syscalls?.map((r) => r.names), raw.syscalls.map((r) => r.names));
  });
  it('readConfinement, MASKED_EQ without valueTwo compares against 0 (docker\'s and containerd\'s clone rule, valueTwo omitted when 0)', () => {
    const p = load({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] }],
    });
    assert.deepEqual(p.syscalls?.[0]?.args, [{ index: 0, value: 2114060288n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }]);
  });
  it('readConfinement, a missing index or value is 0 as runc reads it', () => {
    const p = load({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ op: 'SCMP_CMP_EQ' }] }] });
    assert.deepEqual(p.syscalls?.[0]?.args, [{ index: 0, value: 0n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }]);
  });
  it('readConfinement, the runtime-spec\'s example profile loads (errnoRet absent: EPERM; 64-bit values kept)', () => {
    const p = load(`{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [
      {"names": ["getcwd", "chmod"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5, "args": [{"index": 2, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}`);
    assert.equal(p.syscalls?.[0]?.errnoRet, undefined);
    assert.equal(p.syscalls?.[1]?.args?.[0]?.value, 18446744073709551615n);
  });
  it('readConfinement, flags and other architectures: known flags kept, foreign ABIs dropped', () => {
    const p = load({
      defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], syscalls: [],
    });
    assert.deepEqual(p.flags, ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']);
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64']);
  });
  it('readConfinement, a rule without names matches nothing and is dropped (runc adds no rule for it)', () => {
    const p = load({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_KILL' }, { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    assert.deepEqual(p.syscalls?.map((r) => r.names), [['mkdir']]);
  });
  it('readConfinement, errnoRet is 16 bits: 65535 kept, 65536 is ECONFIG naming the field', () => {
    assert.equal(load({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 65535 }).defaultErrnoRet, 65535);
    assert.throws(() => load({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 65536 }] }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.seccomp.syscalls[0].errnoRet');
  });
  it('readConfinement, an index past 5 and a missing op are ECONFIG naming the argument', () => {
    assert.throws(() => load({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }] }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.seccomp.syscalls[0].args[0].index');
    assert.throws(() => load({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 1 }] }] }),
      (e: unknown) => e instanceof ConfigError && e.jsonPath === 'linux.seccomp.syscalls[0].args[0].op');
  });
});
