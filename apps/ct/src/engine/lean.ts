/**
 * The lean entry: bin/ct.js calls `leanMain` before importing @oclif/core. It handles runc's verbs and
 * `--version` directly and returns undefined for everything else (oclif's topics, help, plugins).
 */
import { parseArgv, UsageError } from '../flags/parse-argv.js';
import { runVerb } from './handlers.js';

const stdoutOutput = { stdout: (text: string) => void process.stdout.write(text) };

/** Handle `argv` if it is a runc verb or --version; returns the exit code, or undefined to hand over to oclif. */
export async function leanMain(argv: readonly string[]): Promise<number | undefined> {
  let parsed;
  try {
    parsed = parseArgv(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ct: ${err.message}\n`);
    return 1;
  }
  switch (parsed.kind) {
    case 'version': {
      const [{ versionText }, { buildCommit }] = await Promise.all([import('@ct/runtime/verbs'), import('./build-info.js')]);
      process.stdout.write(versionText(buildCommit()));
      return 0;
    }
    case 'help':
      if (parsed.verb !== 'checkpoint') return undefined;
      process.stderr.write('ct: checkpoint is not supported (no CRIU)\n');
      return 1;
    case 'verb':
      if (parsed.command.verb === 'container run' && (await import('../hooks/run-hook.js')).userPluginsInstalled()) {
        // plugin hooks (apps/ct/PLUGINS.md); oclif is imported only when a user plugin is installed
        return (await import('../hooks/container-run-hooks.js')).runContainerWithHooks(parsed.command, stdoutOutput);
      }
      return runVerb(parsed.command, stdoutOutput);
    default:
      return undefined;
  }
}
