/**
 * The oclif side of bin/ct.js (topics, help, plugins), with ct's error style (cli-errors.ts) instead of oclif's
 * ` ›   Error: ...`: `Error: MESSAGE` on stderr; a command-line error (unknown flag, missing argument) followed by
 * `See 'ct COMMAND --help'.`; an unknown command named as typed. Exit statuses stay the commands' own (oclif's 2
 * for a command-line error); `this.exit()` ends quietly.
 */
import { fileURLToPath } from 'node:url';
import type { Config } from '@oclif/core';
import { formatError } from './cli-errors.js';

/** oclif's error fields this looks at. */
interface OclifError {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly oclif?: { readonly exit?: unknown };
  /** Set on the parser's errors (CLIParseError). */
  readonly parse?: unknown;
  /** Set by the command_not_found hook (hooks/command-not-found.ts): the command whose help lists what there is. */
  readonly unknownCommand?: unknown;
}

/** The command `argv` names (its leading words that form a command id), as typed: `image rm`. */
function commandOf(config: Config, argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  for (let n = words.length; n > 0; n--) if (config.findCommand(words.slice(0, n).join(':')) !== undefined) return words.slice(0, n).join(' ');
  return undefined;
}

/** Run oclif on `argv`; errors are printed in ct's style and set the exit code. */
export async function oclifMain(argv: readonly string[], binUrl: string): Promise<void> {
  const { Config: ConfigClass, flush, run } = await import('@oclif/core');
  const config = await ConfigClass.load(fileURLToPath(new URL('..', binUrl)));
  try {
    await run((await import('./plugin-paths.js')).localPluginSpecs(argv), config);
    await flush();
  } catch (err) {
    const e = (err ?? {}) as OclifError;
    const exit = typeof e.oclif?.exit === 'number' ? e.oclif.exit : 1;
    if (e.code === 'EEXIT') {
      process.exitCode = exit;
      return;
    }
    let message = typeof e.message === 'string' ? e.message : String(err);
    let help: string | undefined;
    if (typeof e.unknownCommand === 'string') {
      help = e.unknownCommand;
    } else if (e.parse !== undefined || exit === 2) {
      // a command-line error (oclif's parser, or a command's own exit 2): the hint names the command; the
      // parser's own hint line goes
      message = message.replace(/\nSee more help with --help$/, '');
      help = commandOf(config, argv);
    }
    process.stderr.write(formatError(message, help));
    process.exitCode = exit;
  }
}
