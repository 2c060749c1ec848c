import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@ct/test-utils';
import { parseProcStat, readProcStat } from '../../src/proc-stat.js';
import { deriveStatus } from '../../src/container-status.js';
import { containerPaths, type ContainerRecord } from '../../src/state-store.js';

function statLine(pid: number, comm: string, state: string, start: string): string {
  // fields 4..21 are filler; field 22 is the start time
  const filler = Array.from({ length: 18 }, (_, i) => String(i + 4)).join(' ');
  return `${pid} (${comm}) ${state} ${filler} ${start} 0 0\n`;
}

describe('proc stat and status', () => {
  it('parseProcStat, comm with spaces and parentheses', () => {
    const s = parseProcStat(statLine(42, 'a) b (c', 'S', '123456789012'));
    assert.deepEqual(s, { state: 'S', startTime: 123456789012n });
  });
  it('parseProcStat, garbage is undefined', () => {
    assert.equal(parseProcStat('42 no parens'), undefined);
  });
  it('readProcStat, this process is alive and has a start time', () => {
    const s = readProcStat(process.pid);
    assert.ok(s !== undefined && s.startTime > 0n);
  });

  const procRoot = tempDir('ct-proc-');
  const record: ContainerRecord = {
    ociVersion: '1.2.0', id: 'c1', pid: 4242, initStartTime: '777', bundle: '/b', rootfs: '/b/rootfs',
    created: '2026-01-01T00:00:00Z', owner: 'root', annotations: {}, rootless: false,
  };
  const paths = containerPaths('/nonexistent-root', 'c1');
  const fake = (state: string, start: string): void => {
    mkdirSync(join(procRoot, '4242'), { recursive: true });
    writeFileSync(join(procRoot, '4242', 'stat'), statLine(4242, 'sh', state, start));
  };
  it('deriveStatus, alive with the FIFO present is created', () => {
    fake('S', '777');
    assert.equal(deriveStatus(record, paths, { procRoot, exists: () => true }), 'created');
  });
  it('deriveStatus, alive without the FIFO is running', () => {
    fake('S', '777');
    assert.equal(deriveStatus(record, paths, { procRoot, exists: () => false }), 'running');
  });
  it('deriveStatus, a recycled pid (other start time) is stopped', () => {
    fake('S', '778');
    assert.equal(deriveStatus(record, paths, { procRoot, exists: () => true }), 'stopped');
  });
  it('deriveStatus, a zombie is stopped', () => {
    fake('Z', '777');
    assert.equal(deriveStatus(record, paths, { procRoot, exists: () => false }), 'stopped');
  });
  it('deriveStatus, creating is reported while its creator lives, stopped once it died', () => {
    fake('S', '777');
    const creating = { ...record, pid: 0, creating: true, creator: { pid: 4242, startTime: '777' } };
    assert.equal(deriveStatus(creating, paths, { procRoot }), 'creating');
    fake('Z', '777');
    assert.equal(deriveStatus(creating, paths, { procRoot }), 'stopped');
  });
});
