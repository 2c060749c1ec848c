/**
 * The base error of ct, from `@ct/syscalls/errors`: a light subpath (node:util only, no addon load), so
 * `@ct/oci/spec` stays light and `instanceof CtError` holds across every ct package.
 */
export { CtError, SyscallError } from '@ct/syscalls/errors';
