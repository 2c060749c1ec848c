import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkShippedProgram } from '../../src/shipped-program.js';

describe('checkShippedProgram', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ct-shipped-program-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const program = (mode: number): string => {
    const path = join(dir, 'ct-init');
    writeFileSync(path, '\x7fELF');
    chmodSync(path, mode);
    return path;
  };

  it('checkShippedProgram, mode 0755: usable', () => {
    assert.equal(checkShippedProgram(program(0o755), '@ct/namespaces'), undefined);
  });

  it('checkShippedProgram, mode 0644 (a tarball that lost the bit): names the file, its mode and the fix', () => {
    const path = program(0o644);
    const problem = checkShippedProgram(path, '@ct/namespaces') ?? '';
    assert.ok(problem.startsWith(`ct-init: ${path}: mode 0644,`), problem);
    assert.ok(problem.includes(`chmod 0755 ${path}`) && problem.includes('reinstall @ct/namespaces'), problem);
  });

  it('checkShippedProgram, mode 0700: refused (a container process may run as any user)', () => {
    assert.match(checkShippedProgram(program(0o700), '@ct/runtime') ?? '', /mode 0700/);
  });

  it('checkShippedProgram, missing: ENOENT and the package to reinstall', () => {
    assert.equal(checkShippedProgram(join(dir, 'ct-init'), '@ct/namespaces'),
      `ct-init: ${join(dir, 'ct-init')}: ENOENT (reinstall @ct/namespaces; in ct's workspace, run its build)`);
  });

  it('checkShippedProgram, a directory: not a regular file', () => {
    mkdirSync(join(dir, 'ct-init'));
    assert.match(checkShippedProgram(join(dir, 'ct-init'), '@ct/namespaces') ?? '', /not a regular file/);
  });
});
