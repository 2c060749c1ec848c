/**
 * Checks on paths that config.json names inside the container (mount destinations, devices, masked and
 * read-only paths): absolute, no NUL, no `..` component. They are later resolved inside the rootfs by fd, so a
 * symlink in the image cannot redirect them; refusing `..` here gives the clear error a hostile bundle deserves.
 */
import { posix } from 'node:path';
import { ConfigError } from '../errors.js';

/** Check a container path at `jsonPath` and return it normalised (no `.` components, no repeated slashes). */
export function checkContainerPath(path: string, jsonPath: string): string {
  if (path.includes('\0')) throw new ConfigError(jsonPath, 'contains a NUL byte');
  if (!path.startsWith('/')) throw new ConfigError(jsonPath, `${JSON.stringify(path)} is not an absolute path`);
  if (path.split('/').includes('..')) throw new ConfigError(jsonPath, `${JSON.stringify(path)} contains a ".." component`);
  return posix.normalize(path);
}
