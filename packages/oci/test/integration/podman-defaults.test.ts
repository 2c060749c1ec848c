/**
 * ct's container config against podman's, field by field: for each set of flags, `podman create` + `podman init`
 * (its own --root/--runroot in a temp dir, vfs, no network) write their config.json under
 * `<root>/vfs-containers/<ID>/userdata/`, and the same flags through buildRuntimeConfig + applyContainerOptions
 * (the user resolved in ct's image store with resolveImageUser) must give the same capabilities, seccomp
 * profile, masked and read-only paths, no_new_privs, process user and HOME, read-only root and tmpfs and bind
 * mounts. `podman init` itself fails here as root (crun cannot raise RLIMIT_NOFILE: root lacks CAP_SYS_RESOURCE)
 * and as a user (crun refuses the hybrid cgroup layout), after writing the config: only the config is used.
 * Documented differences: --privileged with --cap-drop (podman 4.3 ignores the drop), HOME for a uid without a
 * passwd entry (podman adds an entry to the container's /etc/passwd, ct sets HOME=/).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireFeature, testImage } from '@ct/test-utils';
import { applyContainerOptions, buildRuntimeConfig, type ContainerOptions } from '../../src/config-entry.js';
import { importImage } from '../../src/store/store-import.js';
import { createContainerRoot, removeContainerRoot } from '../../src/store/store-container.js';
import { inspectImage } from '../../src/store/store-query.js';
import { resolveImageUser } from '../../src/store/image-user.js';
import type { ExecUser } from '../../src/passwd.js';
import { removeTree } from '../../src/tree-remove.js';
import { validateImageConfig, parseJson, stringifyJson } from '../../src/spec/index.js';
import { tempDir } from '../helpers/fixtures.js';

interface Case {
  readonly name: string;
  readonly flags: readonly string[];
  readonly options: (vol: string, profile: string) => ContainerOptions;
  readonly user?: string;
}

const PROFILE = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdirat', 'mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }, { names: ['chroot'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_CHROOT'] } }] };
const CASES: readonly Case[] = [
  { name: 'defaults', flags: [], options: () => ({}) },
  { name: 'user-uid', flags: ['-u', '1000'], options: () => ({}), user: '1000' },
  { name: 'user-name', flags: ['-u', 'user'], options: () => ({}), user: 'user' },
  { name: 'user-uid-gid', flags: ['-u', '1000:100'], options: () => ({}), user: '1000:100' },
  { name: 'user-cap-add', flags: ['-u', '1000', '--cap-add', 'NET_ADMIN'], options: () => ({ capAdd: ['NET_ADMIN'] }), user: '1000' },
  { name: 'cap-add-drop', flags: ['--cap-add', 'SYS_ADMIN', '--cap-drop', 'CHOWN'], options: () => ({ capAdd: ['SYS_ADMIN'], capDrop: ['CHOWN'] }) },
  { name: 'cap-drop-all', flags: ['--cap-drop', 'ALL'], options: () => ({ capDrop: ['ALL'] }) },
  { name: 'cap-drop-all-add', flags: ['--cap-drop', 'all', '--cap-add', 'cap_kill'], options: () => ({ capDrop: ['all'], capAdd: ['cap_kill'] }) },
  { name: 'cap-add-all', flags: ['--cap-add', 'ALL', '--cap-drop', 'KILL'], options: () => ({ capAdd: ['ALL'], capDrop: ['KILL'] }) },
  { name: 'privileged', flags: ['--privileged'], options: () => ({ privileged: true }) },
  { name: 'no-new-privileges', flags: ['--security-opt', 'no-new-privileges'], options: () => ({ noNewPrivileges: true }) },
  { name: 'seccomp-unconfined', flags: ['--security-opt', 'seccomp=unconfined'], options: () => ({ seccomp: 'unconfined' }) },
  { name: 'seccomp-file', flags: ['--security-opt', 'seccomp=PROFILE'], options: (_v, p) => ({ seccomp: { file: p, contents: readFileSync(p) } }) },
  { name: 'read-only', flags: ['--read-only'], options: () => ({ readOnly: true }) },
  { name: 'read-only-no-tmpfs', flags: ['--read-only', '--read-only-tmpfs=false'], options: () => ({ readOnly: true, readOnlyTmpfs: false }) },
  { name: 'tmpfs', flags: ['--tmpfs', '/x:size=1m,noexec'], options: () => ({ tmpfs: ['/x:size=1m,noexec'] }) },
  { name: 'volume-z', flags: ['-v', 'VOL:/data:z,nosuid,noexec'], options: (v) => ({ volumes: [`${v}:/data:z,nosuid,noexec`] }) },
  { name: 'volume-ro-shared', flags: ['-v', 'VOL:/data:ro,Z,nodev,shared'], options: (v) => ({ volumes: [`${v}:/data:ro,Z,nodev,shared`] }) },
  { name: 'volume-plain', flags: ['-v', 'VOL:/data'], options: (v) => ({ volumes: [`${v}:/data`] }) },
];

type Json = Record<string, unknown>;
const MOUNT_DESTS = new Set(['/run', '/tmp', '/var/tmp', '/x', '/data']);

/** The fields compared, in a normal form (absent set = [], absent no_new_privs = false). */
function compared(config: Json): Json {
  const proc = config['process'] as Json;
  const linux = config['linux'] as Json;
  const caps = (proc['capabilities'] ?? {}) as Record<string, string[] | undefined>;
  const user = proc['user'] as Json;
  return {
    capabilities: Object.fromEntries(['bounding', 'effective', 'permitted', 'inheritable', 'ambient'].map((k) => [k, caps[k] ?? []])),
    seccomp: linux['seccomp'] ?? null,
    maskedPaths: linux['maskedPaths'] ?? [],
    readonlyPaths: linux['readonlyPaths'] ?? [],
    noNewPrivileges: proc['noNewPrivileges'] === true,
    user: { uid: user['uid'], gid: user['gid'], additionalGids: user['additionalGids'] ?? [] },
    home: (proc['env'] as string[]).filter((e) => e.startsWith('HOME=')),
    rootReadonly: (config['root'] as Json)['readonly'] === true,
    mounts: (config['mounts'] as Json[]).filter((m) => MOUNT_DESTS.has(m['destination'] as string)).sort((a, b) => String(a['destination']).localeCompare(String(b['destination']))),
  };
}

describe('podman defaults, config.json field by field @rootless', function () {
  this.timeout(240_000);
  let tmp: ReturnType<typeof tempDir>;
  let vol: string;
  let profile: string;
  const podmanConfigs = new Map<string, Json>();
  const users = new Map<string, ExecUser>();
  let base: ReturnType<typeof buildRuntimeConfig>;

  before(async function () {
    requireFeature(this, spawnSync('podman', ['--version']).status === 0, 'podman is not installed');
    tmp = tempDir('ct-podman-');
    const dir = tmp.dir;
    vol = join(dir, 'vol');
    mkdirSync(vol);
    profile = join(dir, 'profile.json');
    writeFileSync(profile, JSON.stringify(PROFILE));
    const env = { ...process.env, XDG_RUNTIME_DIR: join(dir, 'xdg'), HOME: join(dir, 'home') };
    mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
    mkdirSync(env.HOME);
    const podman = (args: string[], check = true): string => {
      const r = spawnSync('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', ...args], { env, encoding: 'utf8' });
      if (check) assert.equal(r.status, 0, `podman ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const imageId = podman(['pull', '-q', `oci:${testImage('busybox')}:latest`]).split('\n').at(-1)!;
    for (const c of CASES) {
      const flags = c.flags.map((f) => f.replace('VOL', vol).replace('PROFILE', profile));
      const id = podman(['create', '--name', c.name, '--network', 'none', ...flags, imageId, 'true']);
      podman(['init', c.name], false); // fails after writing config.json (see the header)
      podmanConfigs.set(c.name, JSON.parse(readFileSync(join(dir, 'root', 'vfs-containers', id, 'userdata', 'config.json'), 'utf8')) as Json);
    }
    podman(['rm', '-af'], false);
    // ct's side: the image in ct's store, its users resolved in the stored layers
    const store = join(dir, 'store');
    const { image } = await importImage(`${testImage('busybox')}:latest`, { storageRoot: store });
    const details = await inspectImage(image.digest, { storageRoot: store });
    const config = validateImageConfig(parseJson(JSON.stringify(details.config), 'config'), 'config');
    const root = await createContainerRoot(image.digest, 'podman-compare', { storageRoot: store });
    try {
      base = buildRuntimeConfig(config, resolveImageUser(root.lowerDirs, config.config?.User ?? ''));
      for (const c of CASES) if (c.user !== undefined) users.set(c.name, resolveImageUser(root.lowerDirs, c.user));
    } finally {
      await removeContainerRoot('podman-compare', { storageRoot: store });
    }
  });

  after(async () => {
    if (tmp !== undefined) await removeTree(tmp.dir); // podman's vfs layers hold files of subuids when rootless
  });

  for (const c of CASES) {
    it(`podman defaults, ${c.name} (${c.flags.join(' ') || 'no flags'}) equals podman's config.json`, () => {
      const user = users.get(c.name);
      const ours = JSON.parse(stringifyJson(applyContainerOptions(base, { ...c.options(vol, profile), ...(user !== undefined ? { user } : {}) }))) as Json;
      assert.deepEqual(compared(ours), compared(podmanConfigs.get(c.name)!));
    });
  }
});
