/** Every conformance case, in the order the suites run them. */
import type { ConformanceCase } from '../case-types.js';
import { CONFIG_CASES } from './config.js';
import { HOOK_CASES } from './hooks.js';
import { LINUX_CASES } from './linux.js';
import { MOUNT_CASES } from './mounts.js';
import { NAMESPACE_CASES } from './namespaces.js';
import { PROCESS_CASES } from './process.js';
import { RESOURCE_CASES } from './resources.js';

export const ALL_CASES: readonly ConformanceCase[] = [
  ...PROCESS_CASES, ...CONFIG_CASES, ...NAMESPACE_CASES, ...MOUNT_CASES, ...LINUX_CASES, ...RESOURCE_CASES, ...HOOK_CASES,
];
