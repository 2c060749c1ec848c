/**
 * cni-leftovers.ts: the masquerading the CNI bridge plugin leaves when the container's namespace is gone before
 * its DEL (seen on this machine: POSTROUTING rules and CNI-… chains of containers long removed, their addresses
 * released). Real iptables, root only; the chain and the container id are this test's own.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cniComment, isMountPoint, removeMasqueradeRules } from '../../src/network/cni-leftovers.js';

const asRoot = process.getuid?.() === 0;
const nat = (...args: string[]): string => execFileSync('iptables', ['-w', '-t', 'nat', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

if (asRoot) {
  describe('network, CNI leftovers removed by comment @root', function () {
    const id = `ct-test-${process.pid}`;
    const other = `ct-test-other-${process.pid}`;
    const chain = `CNI-${(process.pid * 7919).toString(16).padStart(8, '0')}aa`;
    const otherChain = `CNI-${(process.pid * 7919).toString(16).padStart(8, '0')}bb`;
    const tagged = (c: string, who: string, addr: string): string[] => ['POSTROUTING', '-s', addr, '-m', 'comment', '--comment', cniComment('ct-test', who), '-j', c];

    after(() => {
      for (const [c, who, addr] of [[chain, id, '10.250.0.2/32'], [otherChain, other, '10.250.0.3/32']] as const) {
        try { nat('-D', ...tagged(c, who, addr)); } catch { /* gone */ }
        try { nat('-F', c); nat('-X', c); } catch { /* gone */ }
      }
    });

    it('removeMasqueradeRules, the container\'s POSTROUTING rule and its chain go; another container\'s stay; a second call finds nothing', async () => {
      for (const [c, who, addr] of [[chain, id, '10.250.0.2/32'], [otherChain, other, '10.250.0.3/32']] as const) {
        nat('-N', c);
        nat('-A', c, '-d', '10.250.0.0/16', '-j', 'ACCEPT');
        nat('-A', ...tagged(c, who, addr));
      }
      assert.deepEqual(await removeMasqueradeRules('ct-test', id), [chain]);
      const rules = nat('-S');
      assert.doesNotMatch(rules, new RegExp(`${chain}|"${id}\\\\"`));
      assert.match(rules, new RegExp(`-A POSTROUTING -s 10.250.0.3/32 .*${other}.* -j ${otherChain}`));
      assert.deepEqual(await removeMasqueradeRules('ct-test', id), []);
    });
  });
}

describe('network, isMountPoint', () => {
  it('isMountPoint, / and /proc are mount points; a plain file (a released netns holder) is not', () => {
    assert.equal(isMountPoint('/'), true);
    assert.equal(isMountPoint('/proc'), true);
    const dir = mkdtempSync(join(tmpdir(), 'ct-mnt-'));
    try {
      writeFileSync(join(dir, 'holder'), '');
      assert.equal(isMountPoint(join(dir, 'holder')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
