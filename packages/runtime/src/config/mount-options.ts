/**
 * config.json mount options → typed flags (runtime-spec config.md, "Mount options" table). Strings such as
 * 'rbind,ro' stop here: the rest of ct sees MS_* bits to set, bits the option list cleared, propagation changes
 * in order, recursive mount_setattr attributes (the `r*` options such as `rro`), and the file-system data that
 * belongs to the file system (`mode=755`, `size=64k`).
 *
 * Man pages: mount(2), mount_setattr(2), mount(8) ("FILESYSTEM-INDEPENDENT MOUNT OPTIONS").
 */
import { MOUNT_ATTR, MS } from '@ct/syscalls';

/** A mount's options, parsed. */
export interface MountOptions {
  /** 'bind' or 'rbind' when the options make this a bind mount. */
  readonly bind: 'none' | 'bind' | 'rbind';
  /** MS_* bits for mount(2) (read-only, nosuid, nodev, noexec, atime...). */
  readonly flags: bigint;
  /** MS_* bits an option explicitly cleared (`rw`, `suid`, `dev`, `exec`...), for remounts of binds. */
  readonly cleared: bigint;
  /** Propagation changes in the order given: MS_PRIVATE/MS_SLAVE/MS_SHARED/MS_UNBINDABLE, with MS_REC for r*. */
  readonly propagation: readonly bigint[];
  /** Recursive attributes to set with mount_setattr(AT_RECURSIVE) (`rro`, `rnosuid`...). */
  readonly recursiveSet: bigint;
  /** Recursive attributes to clear (`rrw`, `rsuid`...). */
  readonly recursiveClear: bigint;
  /** File-system-specific options, joined with ',' for mount(2)'s data. */
  readonly data: readonly string[];
  /** `tmpcopyup`: copy the directory's content into a tmpfs mounted over it. */
  readonly tmpcopyup: boolean;
  /** `idmap`/`ridmap` (idmapped mounts: not supported yet, refused by the converter). */
  readonly idmap: 'none' | 'idmap' | 'ridmap';
}

const setFlags: Readonly<Record<string, bigint>> = {
  ro: MS.RDONLY, nosuid: MS.NOSUID, nodev: MS.NODEV, noexec: MS.NOEXEC, sync: MS.SYNCHRONOUS, dirsync: MS.DIRSYNC,
  mand: MS.MANDLOCK, noatime: MS.NOATIME, nodiratime: MS.NODIRATIME, relatime: MS.RELATIME,
  strictatime: MS.STRICTATIME, lazytime: MS.LAZYTIME, iversion: MS.I_VERSION, nosymfollow: MS.NOSYMFOLLOW,
  silent: MS.SILENT, remount: MS.REMOUNT,
};
const clearFlags: Readonly<Record<string, bigint>> = {
  rw: MS.RDONLY, suid: MS.NOSUID, dev: MS.NODEV, exec: MS.NOEXEC, async: MS.SYNCHRONOUS, nomand: MS.MANDLOCK,
  atime: MS.NOATIME, diratime: MS.NODIRATIME, norelatime: MS.RELATIME, nostrictatime: MS.STRICTATIME,
  nolazytime: MS.LAZYTIME, noiversion: MS.I_VERSION, symfollow: MS.NOSYMFOLLOW, loud: MS.SILENT, defaults: 0n,
};
const propagations: Readonly<Record<string, bigint>> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};
const recursiveSet: Readonly<Record<string, bigint>> = {
  rro: MOUNT_ATTR.RDONLY, rnosuid: MOUNT_ATTR.NOSUID, rnodev: MOUNT_ATTR.NODEV, rnoexec: MOUNT_ATTR.NOEXEC,
  rnodiratime: MOUNT_ATTR.NODIRATIME, rnosymfollow: MOUNT_ATTR.NOSYMFOLLOW, rnoatime: MOUNT_ATTR.NOATIME,
  rstrictatime: MOUNT_ATTR.STRICTATIME, rrelatime: MOUNT_ATTR.RELATIME,
};
const recursiveClear: Readonly<Record<string, bigint>> = {
  rrw: MOUNT_ATTR.RDONLY, rsuid: MOUNT_ATTR.NOSUID, rdev: MOUNT_ATTR.NODEV, rexec: MOUNT_ATTR.NOEXEC,
  rdiratime: MOUNT_ATTR.NODIRATIME, rsymfollow: MOUNT_ATTR.NOSYMFOLLOW, ratime: MOUNT_ATTR._ATIME,
  rnorelatime: MOUNT_ATTR._ATIME, rnostrictatime: MOUNT_ATTR._ATIME,
};

/** Every option name of the spec's table that the parser understands (for `features`). */
export const supportedMountOptions: ReadonlySet<string> = new Set([
  ...Object.keys(setFlags), ...Object.keys(clearFlags), ...Object.keys(propagations), ...Object.keys(recursiveSet),
  ...Object.keys(recursiveClear), 'bind', 'rbind', 'tmpcopyup',
]);

/** Parse a mount's option list. Unknown names are file-system data (`mode=755`, `size=65536k`, `newinstance`). */
export function parseMountOptions(options: readonly string[]): MountOptions {
  let bind: MountOptions['bind'] = 'none';
  let flags = 0n;
  let cleared = 0n;
  let rSet = 0n;
  let rClr = 0n;
  let tmpcopyup = false;
  let idmap: MountOptions['idmap'] = 'none';
  const propagation: bigint[] = [];
  const data: string[] = [];
  for (const opt of options) {
    const set = setFlags[opt];
    const clr = clearFlags[opt];
    const prop = propagations[opt];
    const rs = recursiveSet[opt];
    const rc = recursiveClear[opt];
    if (opt === 'bind' || opt === 'rbind') bind = bind === 'rbind' ? 'rbind' : opt;
    else if (set !== undefined) { flags |= set; cleared &= ~set; }
    else if (clr !== undefined) { flags &= ~clr; cleared |= clr; }
    else if (prop !== undefined) propagation.push(prop);
    else if (rs !== undefined) {
      // the atime attributes are a 3-bit field: setting one replaces the others
      if (opt.endsWith('atime') && opt !== 'rnodiratime') rClr |= MOUNT_ATTR._ATIME;
      rSet |= rs;
    } else if (rc !== undefined) { rClr |= rc; rSet &= ~rc; }
    else if (opt === 'tmpcopyup') tmpcopyup = true;
    else if (opt === 'idmap' || opt === 'ridmap') idmap = opt;
    else data.push(opt);
  }
  return { bind, flags, cleared, propagation, recursiveSet: rSet, recursiveClear: rClr, data, tmpcopyup, idmap };
}
