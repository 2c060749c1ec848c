/**
 * `ct container run` confines as podman does by default (issue 25 item 1): an entrypoint that chowns a directory
 * and drops to a user with su, as many images' entrypoints do, runs; inside, CapEff is podman's 11 default
 * capabilities (the mask of @ct/oci's PODMAN_DEFAULT_CAPABILITIES, which packages/oci's podman-defaults test
 * compares with podman's own config.json), a seccomp filter is on (Seccomp: 2) and no_new_privs is off. As root
 * and unprivileged.
 */
import { strict as assert } from 'node:assert';
import { CAPABILITY_NAMES } from '@ct/oci/spec';
import { PODMAN_DEFAULT_CAPABILITIES } from '@ct/oci/config';
import { useImageSuite } from './container-run-harness.js';

/** /proc/PID/status's hex mask of `names`. */
function capMask(names: readonly string[]): string {
  const mask = names.reduce((m, n) => m | (1n << BigInt((CAPABILITY_NAMES as readonly string[]).indexOf(n))), 0n);
  return mask.toString(16).padStart(16, '0');
}

function defineSuite(title: string, rootless: boolean): void {
  describe(title, function () {
    this.timeout(120_000);
    const s = useImageSuite('cconf', rootless);

    it('container run, an entrypoint that chowns and drops to a user with su runs', () => {
      const script = 'mkdir -p /srv/data && chown user:user /srv/data && exec su user -c "touch /srv/data/ok && id -u && stat -c %u /srv/data/ok"';
      const r = s.run(['busybox', 'sh', '-c', script]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '1000\n1000\n');
    });
    it('container run, CapEff, Seccomp and NoNewPrivs inside are podman\'s defaults', () => {
      const r = s.run(['busybox', 'grep', '-E', '^(CapEff|CapBnd|Seccomp|NoNewPrivs):', '/proc/self/status']);
      assert.equal(r.status, 0, r.stderr);
      const status = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
      assert.deepEqual(status, { CapEff: capMask(PODMAN_DEFAULT_CAPABILITIES), CapBnd: capMask(PODMAN_DEFAULT_CAPABILITIES), Seccomp: '2', NoNewPrivs: '0' });
    });
  });
}

defineSuite('container run, podman\'s confinement as root @root', false);
defineSuite('container run, podman\'s confinement unprivileged @rootless', true);
