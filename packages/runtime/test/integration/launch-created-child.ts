/**
 * A creator process for launch-created.test.ts: launchInit on the bundle given, writing the init's pid at onCreated;
 * then SIGKILLs itself there ('die') or returns and exits ('return').
 * Usage: node --import tsx launch-created-child.ts BUNDLE die|return WORKDIR
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AT, mknodat, S } from '@ct/syscalls';
import { readBundleConfig } from '../../src/config/bundle-config.js';
import { launchInit } from '../../src/container-launch.js';
import { isRoot } from '@ct/test-utils';

const [bundle = '', mode = 'die', work = ''] = process.argv.slice(2);
const fifo = join(work, 'exec.fifo');
mknodat(AT.FDCWD, fifo, S.IFIFO | 0o622);
const init = await launchInit(readBundleConfig(bundle), {
  execFifo: fifo, extraFds: 0, extraEnv: [], rootless: !isRoot(), relaySignals: false, warn: () => undefined,
  id: `created-${process.pid}`, cgroupRoot: work, noNewKeyring: true,
  onCreated: async (pid) => {
    writeFileSync(join(work, 'pid'), String(pid));
    if (mode === 'die') process.kill(process.pid, 'SIGKILL');
  },
});
process.stderr.write(`init ${init.pid}\n`);
process.exit(0);
