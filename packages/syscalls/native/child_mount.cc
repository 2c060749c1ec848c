// Child-side mount steps: mount, remount (keeping the locked flags), mount_setattr, propagation, umount, chdir,
// chroot, pivot_root (both forms) and bindTree (open_tree + mount_setattr + move_mount, for idmapped binds).
// A target with `inRoot` is opened inside the root (see child_fs.cc) and acted on through /proc/self/fd/N,
// mount_setattr(fd, "", AT_EMPTY_PATH) or move_mount onto the fd, never by a path string the container could swap.
// A mount or remount step marked optional is skipped when its path is missing (ENOENT).
//
// Calls made here (async-signal-safe): mount, umount2, syscall(SYS_mount_setattr, SYS_pivot_root, SYS_open_tree,
// SYS_move_mount), statfs, open, close, fchdir, chdir, chroot, mkdir, rmdir; plus ResolveStepPath's calls
// (child_fs.cc).
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

namespace ct {
namespace {

// The target as a path the syscalls can take: /proc/self/fd/N of the resolved fd, or the plain string.
struct Target {
  int fd = -1;
  char proc[32];
  const char* path = nullptr;
};

int OpenTarget(ChildCtx& c, const StepRecord& r, int slot, Target& t) {
  const char* p = Str(c, r, slot);
  if (!Str(c, r, kSlotInRoot)) {
    t.path = p;
    return 0;
  }
  t.fd = ResolveStepPath(c, r, p, O_PATH, 0);
  if (t.fd < 0) return -1;
  ProcFdPath(t.proc, t.fd);
  t.path = t.proc;
  return 0;
}

int Done(ChildCtx& c, Target& t, int rc, uint32_t sc) {
  if (rc < 0) Fail(c, sc);
  if (t.fd >= 0) close(t.fd);
  return rc < 0 ? -1 : 0;
}

// statfs f_flags (ST_*) -> the MS_* flags a bind remount must keep or the kernel refuses it in a user ns.
unsigned long LockedFlags(const struct statfs& sf) {
  unsigned long f = sf.f_flags, ms = 0;
  if (f & ST_RDONLY) ms |= MS_RDONLY;
  if (f & ST_NOSUID) ms |= MS_NOSUID;
  if (f & ST_NODEV) ms |= MS_NODEV;
  if (f & ST_NOEXEC) ms |= MS_NOEXEC;
  if (f & ST_NOATIME) ms |= MS_NOATIME;
  if (f & ST_NODIRATIME) ms |= MS_NODIRATIME;
  if (f & ST_RELATIME) ms |= MS_RELATIME;
  return ms;
}

uint64_t MsToAttr(uint64_t ms) {
  uint64_t a = 0;
  if (ms & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  if (ms & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  if (ms & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  return a;
}

int SetAttr(int fd, const char* path, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation) {
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clr;
  attr.propagation = propagation;
  int dirfd = fd >= 0 ? fd : AT_FDCWD;
  const char* p = fd >= 0 ? "" : path;
  unsigned flags = (fd >= 0 ? AT_EMPTY_PATH : 0) | (recursive ? AT_RECURSIVE : 0);
  return static_cast<int>(syscall(SYS_mount_setattr, dirfd, p, flags, &attr, sizeof attr));
}

int Remount(ChildCtx& c, const StepRecord& r) {
  Target t;
  if (OpenTarget(c, r, 1, t) < 0) return -1;
  uint64_t flags = r.b[0];
  if (r.a[0]) {
    uint64_t set = MsToAttr(flags);
    uint64_t clr = (set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME)) ? MOUNT_ATTR__ATIME : 0;
    return Done(c, t, SetAttr(t.fd, t.path, true, set, clr, 0), kScMountSetattr);
  }
  struct statfs sf;
  if (statfs(t.path, &sf) < 0) return Done(c, t, -1, kScFstatfs);
  unsigned long ms = MS_REMOUNT | MS_BIND | LockedFlags(sf) | static_cast<unsigned long>(flags);
  if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {  // an explicit atime mode replaces the old one
    ms &= ~static_cast<unsigned long>(MS_NOATIME | MS_STRICTATIME | MS_RELATIME);
    ms |= static_cast<unsigned long>(flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME));
  }
  return Done(c, t, mount(nullptr, t.path, nullptr, ms, nullptr), kScMount);
}

// open_tree(OPEN_TREE_CLONE) -> mount_setattr on the detached tree (idmap) -> move_mount onto the target.
int BindTree(ChildCtx& c, const StepRecord& r) {
  bool recursive = r.a[0] != 0;
  int tree = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, Str(c, r, 0),
                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
  if (tree < 0) return Fail(c, kScOpenTree);
  if (r.b[0] || r.b[1] || r.fd >= 0) {
    struct mount_attr attr = {};
    attr.attr_set = r.b[0];
    attr.attr_clr = r.b[1];
    attr.userns_fd = r.fd >= 0 ? static_cast<uint64_t>(r.fd) : 0;
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
      CloseKeep(tree);
      return Fail(c, kScMountSetattr);
    }
  }
  Target t;
  if (OpenTarget(c, r, 1, t) < 0) { CloseKeep(tree); return -1; }
  long rc = t.fd >= 0 ? syscall(SYS_move_mount, tree, "", t.fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
                      : syscall(SYS_move_mount, tree, "", AT_FDCWD, t.path, MOVE_MOUNT_F_EMPTY_PATH);
  CloseKeep(tree);
  return Done(c, t, static_cast<int>(rc), kScMoveMount);
}

// An fd on the mount would pin it (EBUSY): unmount "/proc/self/fd/<parent>/<name>" instead, not following a
// symlink planted at <name>.
int Umount(ChildCtx& c, const StepRecord& r) {
  const char* path = Str(c, r, 0);
  if (!Str(c, r, kSlotInRoot)) return umount2(path, r.a[0]) < 0 ? Fail(c, kScUmount2) : 0;
  char split[kSplitBuf];
  const char* base;
  int parent = OpenParentDir(c, r, path, split, &base);
  if (parent < 0) return -1;
  char full[32 + 256];
  ProcFdPath(full, parent);
  size_t n = StrLen(full), bl = StrLen(base);
  if (n + 1 + bl >= sizeof full) { close(parent); return FailWith(c, kScUmount2, ENAMETOOLONG); }
  full[n] = '/';
  for (size_t i = 0; i <= bl; i++) full[n + 1 + i] = base[i];
  int rc = umount2(full, r.a[0] | UMOUNT_NOFOLLOW);
  if (rc < 0) { CloseKeep(parent); return Fail(c, kScUmount2); }
  close(parent);
  return 0;
}

int PivotRoot(ChildCtx& c, const StepRecord& r) {
  const char* newRoot = Str(c, r, 0);
  const char* putOld = Str(c, r, 1);
  if (chdir(newRoot) < 0) return Fail(c, kScChdir);
  if (!putOld) {
    // pivot_root(".", ".") stacks the old root on the new one; detach it after making it a slave so the
    // unmount cannot propagate back to the host's mounts.
    int oldRoot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldRoot < 0) return Fail(c, kScOpen);
    if (syscall(SYS_pivot_root, ".", ".") < 0) { CloseKeep(oldRoot); return Fail(c, kScPivotRoot); }
    if (fchdir(oldRoot) < 0) { CloseKeep(oldRoot); return Fail(c, kScChdir); }
    close(oldRoot);
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) return Fail(c, kScMount);
    if (umount2(".", MNT_DETACH) < 0) return Fail(c, kScUmount2);
    if (chdir("/") < 0) return Fail(c, kScChdir);
    return 0;
  }
  if (mkdir(putOld, 0700) < 0 && errno != EEXIST) return Fail(c, kScMkdirat);
  if (syscall(SYS_pivot_root, ".", putOld) < 0) return Fail(c, kScPivotRoot);
  if (chdir("/") < 0) return Fail(c, kScChdir);
  // putOld is relative to the new root, and the cwd is now "/": the same string names it.
  if (mount(nullptr, putOld, nullptr, MS_SLAVE | MS_REC, nullptr) < 0) return Fail(c, kScMount);
  if (umount2(putOld, MNT_DETACH) < 0) return Fail(c, kScUmount2);
  if (rmdir(putOld) < 0) return Fail(c, kScUnlinkat);
  return 0;
}

}  // namespace

namespace {

int MountOp(ChildCtx& c, StepRecord& r) {
  Target t;
  switch (r.op) {
    case kOpMount:
      if (OpenTarget(c, r, 1, t) < 0) return -1;
      return Done(c, t,
                  mount(Str(c, r, 0), t.path, Str(c, r, 2), static_cast<unsigned long>(r.b[0]), Str(c, r, 3)),
                  kScMount);
    case kOpRemount: return Remount(c, r);
    case kOpMountSetattr:
      if (OpenTarget(c, r, 1, t) < 0) return -1;
      return Done(c, t, SetAttr(t.fd, t.path, r.a[0] != 0, r.b[0], r.b[1], r.b[2]), kScMountSetattr);
    case kOpPropagation:
      if (OpenTarget(c, r, 1, t) < 0) return -1;
      return Done(c, t, mount(nullptr, t.path, nullptr, static_cast<unsigned long>(r.b[0]), nullptr), kScMount);
    case kOpUmount: return Umount(c, r);
    case kOpChdir: return chdir(Str(c, r, 0)) < 0 ? Fail(c, kScChdir) : 0;
    case kOpChroot: return chroot(Str(c, r, 0)) < 0 ? Fail(c, kScChroot) : 0;
    case kOpPivotRoot: return PivotRoot(c, r);
    case kOpBindTree: return BindTree(c, r);
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace

int StepMount(ChildCtx& c, StepRecord& r) {
  int rc = MountOp(c, r);
  // An optional step (a masked or read-only path) is skipped when its path does not exist, or no longer does
  // because an earlier mask hid it, as runc skips it.
  if (rc < 0 && c.err == ENOENT && r.a[kSlotOptional]) return 0;
  return rc;
}

}  // namespace ct
