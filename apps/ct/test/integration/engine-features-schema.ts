/**
 * The runtime-spec's features document (schema/features-schema.json, features-linux.json and the enums of
 * defs-linux.json, runtime-spec 1.2) written as a small structural schema, and a validator that returns every
 * place a document departs from it. Engines (containerd, CRI-O, podman) read `<runtime> features` to decide
 * what they may ask for. Stricter than the JSON schema in one way: unknown keys are reported, so a misspelt field
 * cannot pass as an extension. No dependency: the shapes used here are few.
 */

/** A schema node: a JSON type, an enum of strings, an array of nodes, an object of named nodes, or a string map. */
export type Shape =
  | { readonly type: 'string'; readonly pattern?: RegExp }
  | { readonly type: 'boolean' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'array'; readonly items: Shape }
  | { readonly type: 'object'; readonly properties: Readonly<Record<string, Shape>>; readonly required?: readonly string[] }
  | { readonly type: 'map'; readonly values: Shape };

const str: Shape = { type: 'string' };
const bool: Shape = { type: 'boolean' };
const strings: Shape = { type: 'array', items: str };
const enums = (values: readonly string[]): Shape => ({ type: 'array', items: { type: 'enum', values } });
const enabled: Shape = { type: 'object', properties: { enabled: bool } };
const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

/** defs-linux.json NamespaceType. */
export const NAMESPACE_TYPES = ['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time'] as const;
/** defs-linux.json SeccompAction. */
export const SECCOMP_ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'] as const;
/** defs-linux.json SeccompOperators. */
export const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE',
  'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
/** defs-linux.json SeccompArch. */
export const SECCOMP_ARCHS = ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64'] as const;
/** defs-linux.json SeccompFlag. */
export const SECCOMP_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] as const;
/** config.md's hook kinds. */
export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

/** features-schema.json with features-linux.json inlined. */
export const FEATURES_SCHEMA: Shape = {
  type: 'object',
  required: ['ociVersionMin', 'ociVersionMax'],
  properties: {
    ociVersionMin: { type: 'string', pattern: semver },
    ociVersionMax: { type: 'string', pattern: semver },
    hooks: enums(HOOK_KINDS),
    mountOptions: strings,
    linux: {
      type: 'object',
      properties: {
        namespaces: enums(NAMESPACE_TYPES),
        capabilities: { type: 'array', items: { type: 'string', pattern: /^CAP_[A-Z_]+$/ } },
        cgroup: { type: 'object', properties: { v1: bool, v2: bool, systemd: bool, systemdUser: bool, rdma: bool } },
        seccomp: {
          type: 'object',
          properties: {
            enabled: bool, actions: enums(SECCOMP_ACTIONS), operators: enums(SECCOMP_OPERATORS),
            archs: enums(SECCOMP_ARCHS), knownFlags: strings, supportedFlags: strings,
          },
        },
        apparmor: enabled,
        selinux: enabled,
        intelRdt: enabled,
        mountExtensions: { type: 'object', properties: { idmap: enabled } },
        netDevices: enabled,
      },
    },
    annotations: { type: 'map', values: str },
    potentiallyUnsafeConfigAnnotations: strings,
  },
};

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Every departure of `value` from `shape`, as "path: problem" (empty when it conforms). */
export function validate(value: unknown, shape: Shape, path = 'features'): string[] {
  switch (shape.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string (${typeOf(value)})`];
      return shape.pattern !== undefined && !shape.pattern.test(value) ? [`${path}: ${value} does not match ${shape.pattern}`] : [];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: not a boolean (${typeOf(value)})`];
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value) ? [] : [`${path}: not one of the schema's values: ${String(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array (${typeOf(value)})`];
      return value.flatMap((item, i) => validate(item, shape.items, `${path}[${i}]`));
    case 'map':
      if (typeOf(value) !== 'object') return [`${path}: not an object (${typeOf(value)})`];
      return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => validate(v, shape.values, `${path}.${k}`));
    case 'object': {
      if (typeOf(value) !== 'object') return [`${path}: not an object (${typeOf(value)})`];
      const record = value as Record<string, unknown>;
      const missing = (shape.required ?? []).filter((k) => !(k in record)).map((k) => `${path}.${k}: required`);
      const fields = Object.entries(record).flatMap(([k, v]) => {
        const sub = shape.properties[k];
        return sub === undefined ? [`${path}.${k}: not in the schema`] : validate(v, sub, `${path}.${k}`);
      });
      return [...missing, ...fields];
    }
  }
}
