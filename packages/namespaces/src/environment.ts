/**
 * The container's environment. Guix's `purify-environment` unsets every variable in the child before it mounts;
 * here the child never sees the host's environment at all: execve gets an explicit envp built in the parent.
 * Host variables can be kept on purpose with `preserve` patterns (`guix shell -E REGEXP`), captured in the parent.
 *
 * Man pages: execve(2), environ(7).
 */

/**
 * The `KEY=VALUE` list a container starts with: the variables in `env` (undefined values dropped), plus the
 * host variables of `host` whose names match any of `preserve` and are not already set by `env`.
 * With no arguments it is empty, as after Guix's purify-environment.
 */
export function purifyEnvironment(
  env: Readonly<Record<string, string | undefined>> = {},
  preserve: readonly RegExp[] = [],
  host: Readonly<Record<string, string | undefined>> = process.env,
): readonly string[] {
  const out = new Map<string, string>();
  if (preserve.length > 0) {
    for (const [name, value] of Object.entries(host)) {
      if (value !== undefined && preserve.some((re) => re.test(name))) out.set(name, value);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new TypeError(`purifyEnvironment: invalid variable name ${JSON.stringify(name)}`);
    }
    if (value === undefined) out.delete(name);
    else out.set(name, value);
  }
  return [...out].map(([name, value]) => `${name}=${value}`);
}
