import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A fresh Node process (the test runner's young generation may have grown to its maximum already): objects that
// survive scavenges make V8 grow its young generation, except while the unpack holds it.
const module = fileURLToPath(new URL('../../dist/internal/young-gc.js', import.meta.url));
const script = `
import { getHeapSpaceStatistics } from 'node:v8';
const { holdYoungGeneration } = await import(${JSON.stringify(module)});
const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const churn = () => { let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 200000) keep = []; } };
gc({ type: 'minor' });
const start = size();
const release = holdYoungGeneration();
const inner = holdYoungGeneration();
churn();
const held = size();
inner();
churn();
const stillHeld = size();
release();
release();
churn();
console.log(JSON.stringify({ start, held, stillHeld, after: size() }));
`;

describe('holdYoungGeneration', () => {
  it('holdYoungGeneration, V8 young generation keeps its size while held (holds nest) and grows after the release', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { start: number; held: number; stillHeld: number; after: number };
    assert.ok(s.held <= s.start, `grew while held: ${r.stdout}`);
    assert.ok(s.stillHeld <= s.start, `grew after the inner release: ${r.stdout}`);
    assert.ok(s.after > s.start, `did not grow after the release (V8 changed?): ${r.stdout}`);
  });
});
