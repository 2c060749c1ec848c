/**
 * The lean entry: bin/ct.js calls `leanMain` before importing @oclif/core. It handles runc's verbs and
 * `--version` directly and returns undefined for everything else (oclif's topics, help, plugins).
 */
import { isPodmanTopicVerb, parseArgv, UsageError } from '../flags/parse-argv.js';
import { runVerb } from './handlers.js';

const stdoutOutput = { stdout: (text: string) => void process.stdout.write(text) };

/**
 * Handle `argv` if it is a runc verb, a `container` verb or --version; returns the exit code, or the command line
 * to hand over to oclif (runc's global flags taken off).
 */
export async function leanMain(argv: readonly string[]): Promise<number | { readonly oclif: readonly string[] }> {
  let parsed;
  try {
    parsed = parseArgv(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.verb !== undefined && isPodmanTopicVerb(err.verb)) {
      // the container and volume topics: podman's style and status (cli-errors.ts), loaded only on this failure
      const { ENGINE_FAILED, formatError } = await import('./cli-errors.js');
      process.stderr.write(formatError(err.message, err.verb));
      return ENGINE_FAILED;
    }
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
      if (parsed.verb !== 'checkpoint') return { oclif: [...parsed.verb.split(' '), '--help'] };
      process.stderr.write('ct: checkpoint is not supported (no CRIU)\n');
      return 1;
    case 'unknown': {
      const { ENGINE_FAILED, formatError } = await import('./cli-errors.js');
      const known = Object.keys((await import('../flags/definitions.js')).verbs).filter((v) => v.startsWith('container ')).map((v) => v.slice(10));
      process.stderr.write(formatError(`unknown command "${parsed.command}": the container topic has ${known.join(', ')}`, 'container'));
      return ENGINE_FAILED;
    }
    case 'verb':
      if (parsed.command.verb === 'container run' && (await import('../hooks/run-hook.js')).userPluginsInstalled()) {
        // plugin hooks (apps/ct/PLUGINS.md); oclif is imported only when a user plugin is installed
        return (await import('../hooks/container-run-hooks.js')).runContainerWithHooks(parsed.command, stdoutOutput);
      }
      return runVerb(parsed.command, stdoutOutput);
    default:
      return { oclif: parsed.rest };
  }
}
