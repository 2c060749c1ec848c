/**
 * The lean argv parser: recognises runc's verbs before oclif is loaded (shared/DESIGN.md, engine path speed) and
 * parses their flags from the shared definitions. It accepts what urfave/cli accepts: single-dash long flags
 * (`-no-subreaper`, which go-runc sends), `--flag=value` and `--flag value`, global flags before the verb, and
 * `--version`/`-v`. Flag parsing stops at the first positional after the id for exec/run, and at `--`.
 * `image unpack` is parsed here too (issue 21: a small image's unpack is mostly start-up), but a command line it
 * refuses goes to oclif, so its errors stay those of ct's other image commands.
 */
import { globalFlags, isVerb, verbNamed, verbs, type FlagDefinition, type VerbName } from './definitions.js';
import { isShortGroup, parseShortGroup, type ShortFlag } from './short-flags.js';

/** A parsed flag value. */
export type FlagValue = boolean | string | number | readonly string[];

/** A verb invocation. */
export interface ParsedCommand {
  /** The verb. */
  readonly verb: VerbName;
  /** Global flags by long name. */
  readonly globals: Readonly<Record<string, FlagValue>>;
  /** The verb's flags by long name. */
  readonly flags: Readonly<Record<string, FlagValue>>;
  /** Positional arguments. */
  readonly args: readonly string[];
}

/** What the lean entry does with an argv. */
export type ParsedArgv =
  | { readonly kind: 'verb'; readonly command: ParsedCommand }
  | { readonly kind: 'version' }
  /** `<verb> --help` for a verb: checkpoint must fail, others go to oclif's help. */
  | { readonly kind: 'help'; readonly verb: VerbName }
  /**
   * Not a runc verb: oclif handles it (topics, help, plugins). `rest`: the command line after runc's global flags
   * (`ct --root X container` is the container topic's help; the flags mean nothing to oclif's commands).
   */
  | { readonly kind: 'other'; readonly rest: readonly string[] }
  /** `container VERB` where the container topic has no such verb (`command`: `container VERB`). */
  | { readonly kind: 'unknown'; readonly command: string };

/** A command-line error (exit code 1, as runc's usage errors; 125 for the container topic's verbs). */
export class UsageError extends Error {
  /** Stable code. */
  readonly code = 'EUSAGE';
  /** The verb whose command line is wrong, once known. */
  readonly verb: VerbName | undefined;
  /**
   * @param message - what is wrong
   * @param verb - the verb, when the error is in its flags or arguments
   */
  constructor(message: string, verb?: VerbName) {
    super(message);
    this.name = 'UsageError';
    this.verb = verb;
  }
}

interface FlagToken {
  readonly name: string;
  readonly inline: string | undefined;
}

/** Split `--name=v`, `-name=v`, `-n` into name and inline value; undefined when the token is not a flag. */
function flagToken(token: string, defs: readonly FlagDefinition[]): FlagToken | undefined {
  if (!token.startsWith('-') || token === '-' ) return undefined;
  const body = token.startsWith('--') ? token.slice(2) : token.slice(1);
  const eq = body.indexOf('=');
  const raw = eq < 0 ? body : body.slice(0, eq);
  const inline = eq < 0 ? undefined : body.slice(eq + 1);
  if (!token.startsWith('--') && raw.length === 1) {
    const def = defs.find((d) => d.char === raw);
    return { name: def?.name ?? raw, inline };
  }
  return { name: raw, inline };
}

function readValue(def: FlagDefinition, tok: FlagToken, next: () => string | undefined): FlagValue {
  if (def.kind === 'boolean') {
    if (tok.inline === undefined) return true;
    if (tok.inline === 'true') return true;
    if (tok.inline === 'false') return false;
    throw new UsageError(`invalid boolean value ${JSON.stringify(tok.inline)} for flag --${def.name}`);
  }
  const value = tok.inline ?? next();
  if (value === undefined) throw new UsageError(`flag needs an argument: --${def.name}`);
  if (def.options !== undefined && !def.options.includes(value)) {
    throw new UsageError(`invalid value ${JSON.stringify(value)} for flag --${def.name}: expected ${def.options.join('|')}`);
  }
  if (def.kind === 'integer') {
    if (!(def.signed === true ? /^-?\d+$/ : /^\d+$/).test(value)) throw new UsageError(`invalid value ${JSON.stringify(value)} for flag --${def.name}: not a number`);
    return Number(value);
  }
  return value;
}

function setFlag(out: Record<string, FlagValue>, def: FlagDefinition, value: FlagValue): void {
  if (def.kind === 'strings') {
    const prev = out[def.name];
    out[def.name] = [...(Array.isArray(prev) ? (prev as string[]) : []), String(value)];
  } else {
    out[def.name] = value;
  }
}

/** Parse a command line (without node and the script). Throws UsageError on bad flags or arguments. */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const globals: Record<string, FlagValue> = {};
  let i = 0;
  const next = (): string | undefined => argv[++i];
  for (; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--version' || token === '-v' || token === '-version') return { kind: 'version' };
    if (token === '--help' || token === '-h' || token === '-help') return { kind: 'other', rest: argv.slice(i) };
    const tok = flagToken(token, globalFlags);
    if (tok === undefined) break;
    const def = globalFlags.find((d) => d.name === tok.name);
    if (def === undefined) throw new UsageError(`flag provided but not defined: -${tok.name}`);
    setFlag(globals, def, readValue(def, tok, next));
  }
  const at = i;
  let verb = argv[i];
  // the topics on the lean path: container, volume (podman's), image (unpack)
  const sub = verb === 'container' || verb === 'image' || verb === 'volume' ? verbNamed(`${verb} ${argv[i + 1] ?? ''}`) : undefined;
  if (sub !== undefined) {
    verb = sub;
    i++;
  }
  if (verb === 'container' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) return { kind: 'unknown', command: `container ${argv[i + 1]!}` };
  if (verb === undefined || !isVerb(verb)) return { kind: 'other', rest: argv.slice(i) };
  try {
    return parseVerb(verb, argv, i, globals);
  } catch (err) {
    // the image verbs keep oclif's command-line errors (its messages, exit status 2): oclif parses what this refuses
    if (err instanceof UsageError && verb.startsWith('image ')) return { kind: 'other', rest: argv.slice(at) };
    if (err instanceof UsageError && err.verb === undefined) throw new UsageError(err.message, verb);
    throw err;
  }
}

/** The rest of a command line from `argv[i]`, the verb. */
function parseVerb(verb: VerbName, argv: readonly string[], start: number, globals: Record<string, FlagValue>): ParsedArgv {
  let i = start;
  const next = (): string | undefined => argv[++i];
  const spec = verbs[verb];
  const flags: Record<string, FlagValue> = {};
  const args: string[] = [];
  let stopped = false;
  for (i++; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (stopped) { args.push(token); continue; }
    if (token === '--') { stopped = true; continue; }
    if (token === '--help' || token === '-h' || token === '-help') return { kind: 'help', verb };
    if (isPodmanTopicVerb(verb) && isShortGroup(token)) {
      // podman's `-dt`, `-it`, `-eFOO=1` (short-flags.ts)
      for (const f of shortGroup(token, spec.flags)) setFlag(flags, f.def, readValue(f.def, { name: f.def.name, inline: f.inline }, next));
      continue;
    }
    const tok = flagToken(token, spec.flags);
    if (tok === undefined) {
      args.push(token);
      if (spec.stopAfterArgs !== undefined && args.length > spec.stopAfterArgs) stopped = true;
      continue;
    }
    const own = spec.flags.find((d) => d.name === tok.name);
    // runc's global flags may come after its verbs (urfave/cli), not after the image verbs (oclif's commands)
    const def = own ?? (verb.startsWith('image ') ? undefined : globalFlags.find((d) => d.name === tok.name));
    if (def === undefined) {
      // runc's words (Go's flag package) for runc's verbs, podman's (cobra's) for the container topic
      throw new UsageError(isPodmanTopicVerb(verb) ? `unknown flag: ${token.split('=')[0] ?? token}` : `flag provided but not defined: -${tok.name}`);
    }
    setFlag(own !== undefined ? flags : globals, def, readValue(def, tok, next));
  }
  const required = spec.args.filter((a) => a.required).length;
  const max = spec.variadic === true ? Infinity : spec.args.length;
  if (args.length < required || args.length > max) throw new UsageError(argumentCountMessage(verb, args));
  return { kind: 'verb', command: { verb, globals, flags, args } };
}

/** The flags of a short flag group; an unknown letter is a usage error. */
function shortGroup(token: string, defs: readonly FlagDefinition[]): ShortFlag[] {
  try {
    return parseShortGroup(token, defs);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** True for the verbs of podman's topics (`container`, `volume`): podman's words and statuses, not runc's. */
export function isPodmanTopicVerb(verb: string): boolean {
  return verb.startsWith('container ') || verb.startsWith('volume ');
}

/** What is wrong with the number of positional arguments `args` of `verb`. */
function argumentCountMessage(verb: VerbName, args: readonly string[]): string {
  const spec = verbs[verb];
  const required = spec.args.filter((a) => a.required);
  if (isPodmanTopicVerb(verb)) {
    const names = spec.args.map((a) => a.name.toUpperCase()).join(' ');
    return args.length < required.length
      ? `${verb}: ${required.slice(args.length).map((a) => a.name.toUpperCase()).join(' and ')} missing (ct ${verb} [FLAGS] ${names}${spec.variadic === true ? ' ...' : ''})`
      : `${verb}: too many arguments: ${args.slice(spec.args.length).map((a) => JSON.stringify(a)).join(' ')} (ct ${verb} [FLAGS] ${names})`;
  }
  const max = spec.variadic === true ? Infinity : spec.args.length;
  const want = required.length === spec.args.length && max !== Infinity ? `exactly ${required.length}` : `at least ${required.length}`;
  // docker's habit (`ct run IMAGE CMD`): say where running an image is
  const hint = verb === 'run' && args.length > 1 ? ` (ct run runs an OCI bundle as container ID, as runc run; to run an image: ct container run ${args.join(' ')})` : '';
  return `${JSON.stringify(verb)} requires ${want} argument(s)${hint}`;
}
