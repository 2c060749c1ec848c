/**
 * Cases for `mounts`: binds (read-only, file, relative source, flags, propagation), tmpfs and the special
 * filesystems with their options, /dev as given (or left out), order and nesting, destinations through symlinks,
 * and mounts runc refuses.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ConformanceCase } from '../case-types.js';

type Mount = Config['mounts'][number];

/** A bind of a host directory `bundle/host` (made for the case) at `dest`. */
function bindCase(variant: string, options: string[], extra: Partial<ConformanceCase> = {}, dest = '/mnt/bound'): ConformanceCase {
  return {
    field: 'mounts', variant, probe: { paths: [dest, `${dest}/file`] }, ...extra,
    edit: (c, ctx) => {
      const source = ctx.hostDir('host', { file: 'from the host\n' });
      c.mounts.push({ destination: dest, type: 'bind', source, options });
    },
  };
}

/** Replace the mount at `dest` (or drop it when `mount` is undefined). */
function replaceMount(c: Config, dest: string, mount: Mount | undefined): void {
  const i = c.mounts.findIndex((m) => m.destination === dest);
  if (i < 0) throw new Error(`no mount at ${dest} in the base config`);
  if (mount === undefined) c.mounts.splice(i, 1);
  else c.mounts[i] = mount;
}

export const MOUNT_CASES: readonly ConformanceCase[] = [
  bindCase('bind, rbind ro', ['rbind', 'ro']),
  bindCase('bind, rw', ['bind']),
  bindCase('bind, nosuid nodev noexec', ['bind', 'nosuid', 'nodev', 'noexec']),
  bindCase('bind, noatime', ['bind', 'noatime']),
  bindCase('bind, strictatime nodiratime', ['bind', 'strictatime', 'nodiratime']),
  bindCase('bind, nosymfollow', ['bind', 'nosymfollow']),
  bindCase('bind, rro (recursive read-only)', ['rbind', 'rro']),
  bindCase('bind, rnosuid rnodev rnoexec', ['rbind', 'rnosuid', 'rnodev', 'rnoexec']),
  ...['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave', 'runbindable', 'unbindable'].map((p) => bindCase(`bind, ${p}`, ['rbind', p])),
  bindCase('bind, at a destination the rootfs lacks', ['rbind'], {}, '/new/dir/deep'),
  bindCase('bind, over /tmp of the rootfs', ['rbind'], {}, '/tmp'),
  {
    field: 'mounts', variant: 'bind, type none',
    edit: (c, ctx) => { c.mounts.push({ destination: '/mnt/bound', type: 'none', source: ctx.hostDir('host', { file: 'x\n' }), options: ['rbind', 'ro'] }); },
  },
  {
    field: 'mounts', variant: 'bind, no type (options say bind)',
    edit: (c, ctx) => { c.mounts.push({ destination: '/mnt/bound', source: ctx.hostDir('host', { file: 'x\n' }), options: ['bind'] }); },
  },
  {
    field: 'mounts', variant: 'bind, a file at a path the rootfs lacks', probe: { files: ['/etc/conformance/file'] },
    edit: (c, ctx) => { c.mounts.push({ destination: '/etc/conformance/file', type: 'bind', source: join(ctx.hostDir('host', { file: 'from the host\n' }), 'file'), options: ['bind', 'ro'] }); },
  },
  {
    field: 'mounts', variant: 'bind, source relative to the bundle',
    edit: (c, ctx) => { ctx.hostDir('relative', { file: 'x\n' }); c.mounts.push({ destination: '/mnt/relative', type: 'bind', source: 'relative', options: ['rbind'] }); },
  },
  {
    field: 'mounts', variant: 'bind, a source that does not exist', refusal: /no-such-source|mount|source/i,
    edit: (c, ctx) => { c.mounts.push({ destination: '/mnt/missing', type: 'bind', source: join(ctx.bundle, 'no-such-source'), options: ['rbind'] }); },
  },
  {
    field: 'mounts', variant: 'destination through an absolute symlink in the rootfs (stays in the rootfs)',
    edit: (c, ctx) => {
      symlinkSync('/etc', join(ctx.rootfs, 'etc-link'));
      c.mounts.push({ destination: '/etc-link/under-link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  },
  {
    field: 'mounts', variant: 'destination through a ../ symlink in the rootfs (stays in the rootfs)',
    edit: (c, ctx) => {
      symlinkSync('../../../../../../../../tmp', join(ctx.rootfs, 'escape'));
      c.mounts.push({ destination: '/escape/under-link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    },
  },
  { field: 'mounts', variant: 'destination relative', edit: (c) => { c.mounts.push({ destination: 'relative-dest', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }); } },
  { field: 'mounts', variant: 'tmpfs, size mode uid gid nr_inodes', only: 'root', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m', 'mode=0700', 'uid=1000', 'gid=1000', 'nr_inodes=100'] }); } },
  { field: 'mounts', variant: 'tmpfs, size and mode', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m', 'mode=1777'] }); } },
  { field: 'mounts', variant: 'tmpfs, ro', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'size=1m'] }); } },
  { field: 'mounts', variant: 'tmpfs, no options', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs' }); } },
  { field: 'mounts', variant: 'the same destination twice (the second on top)', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'first', options: ['size=1m'] }, { destination: '/scratch', type: 'tmpfs', source: 'second', options: ['size=2m'] }); } },
  { field: 'mounts', variant: 'nested, the inner one after the outer', edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'outer', options: ['size=1m'] }, { destination: '/scratch/inner', type: 'tmpfs', source: 'inner', options: ['size=1m'] }); } },
  { field: 'mounts', variant: '/dev tmpfs without size', edit: (c) => { replaceMount(c, '/dev', { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755'] }); } },
  { field: 'mounts', variant: '/dev left out (the rootfs\'s /dev)', edit: (c) => { c.root.readonly = false; replaceMount(c, '/dev', undefined); } },
  { field: 'mounts', variant: '/dev/pts left out', edit: (c) => { replaceMount(c, '/dev/pts', undefined); } },
  { field: 'mounts', variant: '/dev/shm left out', edit: (c) => { replaceMount(c, '/dev/shm', undefined); } },
  { field: 'mounts', variant: '/dev/mqueue left out', edit: (c) => { replaceMount(c, '/dev/mqueue', undefined); } },
  { field: 'mounts', variant: 'devpts, other ptmxmode and mode, no gid', edit: (c) => { replaceMount(c, '/dev/pts', { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0600', 'mode=0600'] }); } },
  {
    field: 'mounts', variant: '/proc left out',
    spec: { because: 'runc 1.1.5 cannot start without /proc in the container (it closes its fds through /proc/self/fd); the runtime-spec asks no /proc', accept: true },
    edit: (c) => { c.linux.maskedPaths = []; c.linux.readonlyPaths = []; replaceMount(c, '/proc', undefined); },
  },
  { field: 'mounts', variant: 'proc, nosuid noexec nodev hidepid=2', edit: (c) => { replaceMount(c, '/proc', { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev', 'hidepid=2'] }); } },
  { field: 'mounts', variant: 'sysfs, rw', only: 'root', edit: (c) => { replaceMount(c, '/sys', { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev'] }); } },
  { field: 'mounts', variant: '/sys left out', edit: (c) => { c.linux.maskedPaths = (c.linux.maskedPaths ?? []).filter((p) => !p.startsWith('/sys')); replaceMount(c, '/sys/fs/cgroup', undefined); replaceMount(c, '/sys', undefined); } },
  { field: 'mounts', variant: 'cgroup, rw', edit: (c) => { replaceMount(c, '/sys/fs/cgroup', { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime'] }); } },
  { field: 'mounts', variant: 'cgroup left out', edit: (c) => { replaceMount(c, '/sys/fs/cgroup', undefined); } },
  { field: 'mounts', variant: 'cgroup2 at /sys/fs/cgroup', edit: (c) => { replaceMount(c, '/sys/fs/cgroup', { destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup2', options: ['nosuid', 'noexec', 'nodev', 'ro'] }); } },
  { field: 'mounts', variant: 'mqueue, ro', edit: (c) => { replaceMount(c, '/dev/mqueue', { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev', 'ro'] }); } },
  {
    field: 'mounts', variant: 'overlay of bundle directories', only: 'root', probe: { files: ['/merged/in-lower', '/merged/in-upper'] },
    edit: (c, ctx) => {
      const lower = ctx.hostDir('lower', { 'in-lower': 'x\n' });
      const upper = ctx.hostDir('upper', { 'in-upper': 'y\n' });
      const work = ctx.hostDir('work');
      c.mounts.push({ destination: '/merged', type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`] });
    },
  },
  { field: 'mounts', variant: 'an unknown filesystem type', refusal: /nosuchfs|mount/i, edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'nosuchfs', source: 'x' }); } },
  { field: 'mounts', variant: 'an unknown option', refusal: /no-such-option|mount|option/i, edit: (c) => { c.mounts.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['no-such-option'] }); } },
];
