/**
 * Shell completion of names: the bash function ct adds to the one oclif's autocomplete plugin writes (the plugin
 * completes commands and flags only). `ct container rm <TAB>` offers the containers of `ct container ls -a`,
 * `ct container run <TAB>` and `ct image rm <TAB>` the images of `ct image ls`, `ct state <TAB>` the containers of
 * `ct list` (runc's verbs), `ct volume rm <TAB>` the volumes of `ct volume ls`. A `--storage-root` or `--root` given
 * on the line is passed on. Names are listed by running ct itself, so they are the ones the verb will find.
 */

/** What the positional arguments of a command name. */
export type NameKind = 'container' | 'image' | 'runc' | 'volume';

/** How a command's positional arguments are completed: all of them, or only the first. */
interface NameArgs {
  readonly kind: NameKind;
  readonly only: 'first' | 'all';
}

const all = (kind: NameKind): NameArgs => ({ kind, only: 'all' });
const first = (kind: NameKind): NameArgs => ({ kind, only: 'first' });

/** The commands (oclif ids, aliases included) whose positional arguments are names. */
export const NAME_ARGS: Readonly<Record<string, NameArgs>> = {
  'container:exec': first('container'), 'container:inspect': all('container'), 'container:kill': all('container'),
  'container:logs': first('container'), 'container:port': first('container'), 'container:restart': all('container'),
  'container:rm': all('container'), 'container:start': all('container'), 'container:stop': all('container'),
  'container:wait': all('container'), 'container:stats': all('container'), 'container:top': first('container'),
  'container:run': first('image'),
  'image:rm': all('image'), rmi: all('image'), 'image:inspect': all('image'), 'image:tag': first('image'),
  tag: first('image'), 'image:save': all('image'), save: all('image'),
  state: first('runc'), delete: all('runc'), start: first('runc'), kill: first('runc'), pause: first('runc'),
  resume: first('runc'), exec: first('runc'), ps: first('runc'), events: first('runc'), update: first('runc'),
  'volume:rm': all('volume'), 'volume:inspect': all('volume'),
};

/** What ct runs to list the names of each kind (with the line's --root and --storage-root). */
const LIST_NAMES: Readonly<Record<NameKind, string>> = {
  container: `ct "\${rroot[@]}" container ls -a --format '{{.Names}}' "\${sroot[@]}"`,
  image: `ct image ls --format '{{.Repository}}:{{.Tag}}' "\${sroot[@]}" | grep -v '^<none>'`,
  runc: `ct "\${rroot[@]}" list -q`,
  volume: `ct volume ls -q "\${sroot[@]}"`,
};

/** A command as the generator needs it: its id, aliases, and the flags that take a value (`--name`, `-n`). */
export interface CompletableCommand {
  readonly id: string;
  readonly aliases: readonly string[];
  readonly valueFlags: readonly string[];
}

/**
 * The bash code ct appends to the plugin's function file: `_ct_complete_names` (names for the commands of NAME_ARGS,
 * status 1 elsewhere) and `_ct_complete`, which tries it first and falls back to the plugin's `_ct_autocomplete`,
 * registered for `ct` in place of the plugin's. `bin` is the CLI's name (`ct`).
 */
export function namesCompletionScript(commands: readonly CompletableCommand[], bin = 'ct'): string {
  const table: string[] = [];
  for (const c of commands) {
    for (const id of [c.id, ...c.aliases]) {
      const args = NAME_ARGS[id];
      if (args !== undefined) table.push(`${id.replace(/:/g, ' ')}|${args.kind}|${args.only}|${c.valueFlags.join(' ')}`);
    }
  }
  const lists = (Object.keys(LIST_NAMES) as NameKind[])
    .map((k) => `    ${k}) names=$({ ${LIST_NAMES[k].replace(/^ct /, `${bin} `)}; } </dev/null 2>/dev/null) ;;`).join('\n');
  return `
# ${MARKER}
# ct completes container, image, volume and runc container names (apps/ct/src/engine/completion-names.ts)
__${bin}_name_args='
${[...new Set(table)].sort().join('\n')}
'

_${bin}_complete_names()
{
  # the line up to the cursor, split on blanks (COMP_WORDS splits at ':' too, as in image:tag)
  local line="\${COMP_LINE:0:COMP_POINT}" words=() cmd="" kind="" only="" vflags=" " names="" entry i w npos=0
  local -a toks sroot=() rroot=()
  read -ra toks <<< "$line"
  [[ "$line" == *[[:blank:]] || \${#toks[@]} -eq 0 ]] && toks+=("")
  local cur="\${toks[\${#toks[@]}-1]}"
  [[ "$cur" == -* ]] && return 1
  for (( i = 1; i < \${#toks[@]} - 1; i++ )); do
    w="\${toks[i]}"
    case "$w" in
      --storage-root) sroot=("$w" "\${toks[i+1]}"); (( i++ )); continue ;;
      --storage-root=*) sroot=("$w"); continue ;;
      --root) rroot=("$w" "\${toks[i+1]}"); (( i++ )); continue ;;
      --root=*) rroot=("$w"); continue ;;
      --log|--log-format) (( i++ )); continue ;;
      -*=*) continue ;;
      -*) [[ "$vflags" == *" $w "* ]] && (( i++ )); continue ;;
    esac
    words+=("$w")
    if [[ -z "$cmd" ]]; then
      while IFS='|' read -r entry kind only vflags; do
        [[ "$entry" == "\${words[*]}" ]] && { cmd="$entry"; vflags=" $vflags "; break; }
      done <<< "$__${bin}_name_args"
      [[ -z "$cmd" ]] && vflags=" "
    else
      (( npos++ ))
    fi
  done
  [[ -z "$cmd" ]] && return 1
  [[ "$only" == first && $npos -gt 0 ]] && return 1
  case "$kind" in
${lists}
  esac
  COMPREPLY=($(compgen -W "$names" -- "$cur"))
  # bash completes the part after the last ':' when ':' breaks words
  if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then
    local pre="\${cur%:*}:"
    COMPREPLY=("\${COMPREPLY[@]#"$pre"}")
  fi
  return 0
}

_${bin}_complete()
{
  _${bin}_complete_names || _${bin}_autocomplete
}

complete -F _${bin}_complete ${bin}
`;
}

/** The first line of what ct appends, so it is appended once. */
export const MARKER = 'ct: names completion';
