/**
 * Grouped short flags of podman's topics (`container`, `volume`), as podman's flag parser (spf13/pflag) reads them:
 * `-dt`, `-it`, `-itd`, `-ti` are each letter's flag; a letter whose flag takes a value takes the rest of the group
 * (`-eFOO=1`, `-de=FOO=1`: after an `=`) or else the next argument (`-de FOO=1`). A letter no flag has is refused
 * with pflag's words (`unknown shorthand flag: 'x' in -dx`). runc's verbs keep Go's flag package, where `-name` is
 * the long flag `name` (parse-argv.ts).
 */
import type { FlagDefinition } from './definitions.js';

/** One flag of a group: its definition and its value when the group gave one (`inline`). */
export interface ShortFlag {
  readonly def: FlagDefinition;
  /** The value written in the group (after the letter, or after `=`); undefined: a boolean's true, or the next argument. */
  readonly inline: string | undefined;
}

/** True when `token` is a group of short flags (`-dt`, `-eFOO`), not one flag (`-d`, `-e=FOO`) nor a long one. */
export function isShortGroup(token: string): boolean {
  return token.length > 2 && token[0] === '-' && token[1] !== '-' && token[2] !== '=';
}

/**
 * The flags of group `token` (isShortGroup), looked up by letter in `defs`.
 * @throws Error naming the letter and the group (the caller makes it a usage error)
 */
export function parseShortGroup(token: string, defs: readonly FlagDefinition[]): ShortFlag[] {
  const out: ShortFlag[] = [];
  let rest = token.slice(1);
  while (rest.length > 0) {
    const letter = rest[0]!;
    const def = defs.find((d) => d.char === letter);
    if (def === undefined) throw new Error(`unknown shorthand flag: '${letter}' in ${token}`);
    if (rest[1] === '=') {
      out.push({ def, inline: rest.slice(2) });
      break;
    }
    if (def.kind === 'boolean') {
      out.push({ def, inline: undefined });
      rest = rest.slice(1);
      continue;
    }
    out.push({ def, inline: rest.length > 1 ? rest.slice(1) : undefined });
    break;
  }
  return out;
}
