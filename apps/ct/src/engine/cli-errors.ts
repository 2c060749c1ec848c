/**
 * One error style for the topics a person types (`container`, `image`, `pull`, `doctor`), podman's: `Error: ` and
 * the message on stderr, a usage error followed by `See 'ct VERB --help'.`; the runc verbs keep runc's logrus lines
 * (engines parse them). `container` verbs exit with podman's statuses: 125 when ct itself failed, 126 when the
 * container's command cannot be invoked, 127 when it is not found, else the container's own status (and `rm`'s
 * 1 and 2, as podman-rm(1)). Errors are
 * said in the terms of what the user typed (a flag, a name), not of config.json or ct's internals, by code
 * (never by message text): the runtime's words stay what engines match.
 */

/** podman's exit status when the engine itself failed (no container status to report). */
export const ENGINE_FAILED = 125;

/**
 * An error as the container/image/pull/doctor topics print it; `help`, the command to see (`container run`, or
 * '' for ct itself), adds the usage hint.
 */
export function formatError(message: string, help?: string): string {
  return `Error: ${message}\n${help === undefined ? '' : `See 'ct ${help === '' ? '' : `${help} `}--help'.\n`}`;
}

interface Coded {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly id?: unknown;
  readonly exitStatus?: unknown;
  readonly syscall?: unknown;
  readonly path?: unknown;
  readonly cause?: unknown;
}

/** The first error in `err`'s cause chain that `match` accepts. */
function inChain(err: unknown, match: (e: Coded) => boolean): Coded | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as Coded).cause, depth++) {
    if (match(e as Coded)) return e as Coded;
  }
  return undefined;
}

/** How to fix what an error with `code` says, where its message does not say it; '' when there is nothing to add. */
export function fixFor(code: unknown, verb: string, id: string | undefined): string {
  switch (code) {
    case 'STORE_IMAGE_NOT_FOUND': return ': ct image ls lists the images; ct pull or ct image import adds one';
    case 'EBADSTATE': return verb === 'container rm' && id !== undefined ? `: stop it first (ct container stop ${id}), or remove it with -f` : '';
    default: return '';
  }
}

/**
 * What the `container` topic says for `err` (the message without `Error: `) of `verb` on `id`, in the user's terms
 * where the runtime's are an engine's (`container X does not exist`) or the launch's (`chdir: /x: ENOENT`), with
 * how to fix it.
 */
export function containerMessage(err: unknown, verb = '', id?: string): string {
  const e = err as Coded;
  if (e.code === 'ENOCONTAINER' && typeof e.id === 'string') {
    return `no container named ${JSON.stringify(e.id)}: ct container ps --all lists them`;
  }
  const dir = missingWorkdir(err);
  if (dir !== undefined) return `workdir ${JSON.stringify(dir)} does not exist in the container: give an existing one with -w`;
  return (typeof e.message === 'string' ? e.message : String(err)) + fixFor(e.code, verb, id);
}

/** The working directory (-w, or the image's WorkingDir) the launch's chdir step did not find, if that failed. */
function missingWorkdir(err: unknown): string | undefined {
  const chdir = inChain(err, (c) => c.syscall === 'chdir' && typeof c.path === 'string');
  return chdir !== undefined && (chdir.code === 'ENOENT' || chdir.code === 'ENOTDIR') ? String(chdir.path) : undefined;
}

/**
 * The exit status of a failed `container` verb, podman's: the error's own (126, 127); 126 when the container's
 * process cannot start as it was told to (a missing workdir, a -u user the image does not know); for `rm` 1 when there is no such container and 2
 * when it runs or is paused (podman-rm(1)); for `volume rm` 1 when there is no such volume and 2 when a container
 * uses it (podman-volume-rm(1)); else 125.
 */
export function containerExitStatus(err: unknown, verb: string): number {
  const e = err as Coded | undefined;
  if (typeof e?.exitStatus === 'number') return e.exitStatus;
  // where the container's process was to start is not there: podman's "cannot invoke" (126)
  if (missingWorkdir(err) !== undefined || e?.code === 'OCI_USER_INVALID') return 126;
  if (verb === 'container rm' && e?.code === 'ENOCONTAINER') return 1;
  if (verb === 'container rm' && e?.code === 'EBADSTATE') return 2;
  // podman-volume-rm(1): 1 no such volume, 2 a volume in use
  if (verb === 'volume rm' && e?.code === 'VOLUME_NOT_FOUND') return 1;
  if (verb === 'volume rm' && e?.code === 'VOLUME_IN_USE') return 2;
  return ENGINE_FAILED;
}
