/**
 * processTable: the host's ps output cut to given pids, as runc's `ps` prints it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { processTable } from '../../src/container-ps-table.js';

describe('processTable', () => {
  it('processTable, -ef by default: the header, then only the lines of the pids given', () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const lines = processTable([process.pid, sleeper.pid ?? 0], []).trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^UID\s+PID\s+PPID/);
      assert.deepEqual(lines.slice(1).map((l) => Number(l.trim().split(/\s+/)[1])).sort(), [process.pid, sleeper.pid ?? 0].sort());
      assert.match(lines.find((l) => l.includes(String(sleeper.pid))) ?? '', /sleep 30$/);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
  it('processTable, the options given are ps\'s, the PID column found where they put it', () => {
    const lines = processTable([process.pid], ['-o', 'comm,pid']).trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1]?.trim().split(/\s+/)[1], String(process.pid));
  });
  it('processTable, options without a PID column or that ps refuses are errors naming them', () => {
    assert.throws(() => processTable([process.pid], ['-o', 'comm']), /ps -o comm: its output has no PID column/);
    assert.throws(() => processTable([process.pid], ['--no-such-ps-option']), /ps --no-such-ps-option failed \(status \d+\)/);
  });
});
