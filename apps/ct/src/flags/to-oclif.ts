/**
 * The shared flag definitions as oclif flags and args, so `ct --help` and `ct <verb> --help` show runc's flags,
 * and the oclif command classes run the same handler as the lean entry.
 */
import { Args, Command as CommandBase, Flags, type Command, type Interfaces } from '@oclif/core';
import { globalFlags, verbs, type FlagDefinition, type VerbName } from './definitions.js';
import type { FlagValue, ParsedCommand } from './parse-argv.js';
import { runVerb } from '../engine/handlers.js';

type OclifFlag = Interfaces.Flag<unknown>;
type Char = Interfaces.AlphabetLowercase | Interfaces.AlphabetUppercase;

function toOclif(def: FlagDefinition, helpGroup?: string): OclifFlag {
  const common = {
    description: def.description,
    hidden: def.hidden ?? false,
    ...(def.char !== undefined ? { char: def.char as Char } : {}),
    ...(helpGroup !== undefined ? { helpGroup } : {}),
  };
  switch (def.kind) {
    case 'boolean': return Flags.boolean(common) as OclifFlag;
    case 'integer': return Flags.integer(common) as OclifFlag;
    case 'strings': return Flags.string({ ...common, multiple: true }) as OclifFlag;
    default: return Flags.string({ ...common, ...(def.options ? { options: [...def.options] } : {}) }) as OclifFlag;
  }
}

/**
 * The oclif flags of a verb: its own plus runc's global ones (oclif has no flags before the command), which the
 * image verbs do not take.
 */
export function oclifFlags(verb: VerbName): Record<string, OclifFlag> {
  const out: Record<string, OclifFlag> = {};
  for (const def of verbs[verb].flags) out[def.name] = toOclif(def);
  if (!verb.startsWith('image ')) for (const def of globalFlags) out[def.name] = toOclif(def, 'GLOBAL');
  return out;
}

/** The oclif args of a verb. */
export function oclifArgs(verb: VerbName): Record<string, Interfaces.Arg<string | undefined>> {
  const out: Record<string, Interfaces.Arg<string | undefined>> = {};
  for (const a of verbs[verb].args) out[a.name] = Args.string({ description: a.description, required: a.required });
  return out;
}

/** Run a verb from an oclif command class: oclif's parse result → the shared handler; returns the exit code. */
export async function runFromOclif(
  command: Command,
  verb: VerbName,
  parsed: { flags: Record<string, unknown>; argv: unknown[] },
): Promise<number> {
  void command;
  const globals: Record<string, FlagValue> = {};
  const flags: Record<string, FlagValue> = {};
  for (const [name, value] of Object.entries(parsed.flags)) {
    if (value === undefined) continue;
    const target = globalFlags.some((d) => d.name === name) ? globals : flags;
    target[name] = value as FlagValue;
  }
  const cmd: ParsedCommand = { verb, globals, flags, args: parsed.argv.map(String) };
  return runVerb(cmd, { stdout: (text) => void process.stdout.write(text) });
}

/** An oclif command class for a runc verb (each src/commands/<verb>.ts default-exports one). */
export function verbCommand(verb: VerbName): typeof CommandBase {
  const def = verbs[verb];
  class VerbCommand extends CommandBase {
    static override description = def.description;
    static override args = oclifArgs(verb);
    static override flags = oclifFlags(verb);
    static override strict = def.variadic !== true;
    static override aliases = (def.aliases ?? []).map((a) => a.split(' ').join(':'));

    async run(): Promise<void> {
      process.exitCode = await runFromOclif(this, verb, await this.parse(VerbCommand));
    }
  }
  return VerbCommand;
}
