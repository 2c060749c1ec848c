// Child-side path resolution and file steps: mkdir (-p), touch, symlink, chmod, chown, writeFile, mknod, rmdir.
// A step with `inRoot` resolves its path inside that directory by fd: openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS), or, when openat2 is missing or forced off, a component walk with O_PATH|O_NOFOLLOW
// that reads each symlink into a stack buffer and clamps ".." at the root (the same rules as
// src/open-in-root.ts). The resulting fd is then used through *at(fd, name) or /proc/self/fd/N.
//
// Calls made here (async-signal-safe): open, openat, syscall(SYS_openat2), syscall(SYS_fchmodat2), fstat,
// readlinkat, close, mkdirat, symlinkat, fchmodat, fchownat, fchmod, ftruncate, fstatfs, write, mknodat, unlinkat, prctl (WithDumpable in child.h).
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "child.h"

namespace ct {

#ifdef SYS_fchmodat2
constexpr long kSysFchmodat2 = SYS_fchmodat2;
#else
constexpr long kSysFchmodat2 = 452;  // x86_64, aarch64 and the generic table
#endif

size_t StrLen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

size_t FormatInt(char* buf, int64_t n) {
  char tmp[24];
  size_t len = 0;
  bool neg = n < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  do {
    tmp[len++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  size_t o = 0;
  if (neg) buf[o++] = '-';
  while (len) buf[o++] = tmp[--len];
  buf[o] = 0;
  return o;
}

void ProcFdPath(char* buf, int fd) {
  const char* pre = "/proc/self/fd/";
  size_t i = 0;
  for (; pre[i]; i++) buf[i] = pre[i];
  FormatInt(buf + i, fd);
}

void CloseKeep(int fd) {
  int e = errno;
  close(fd);
  errno = e;
}

int WriteAll(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return 0;
}

namespace {

constexpr size_t kPathBuf = 4096;
constexpr int kMaxLinks = 40;
constexpr int kMaxDepth = 256;

bool IsName(const char* s, size_t n, const char* lit) {
  size_t i = 0;
  for (; i < n && lit[i]; i++)
    if (s[i] != lit[i]) return false;
  return i == n && lit[i] == 0;
}

// The O_NOFOLLOW component walk. `rest` holds the unresolved remainder; a symlink's target is prepended to it.
int WalkInRoot(int root, const char* path, int flags, unsigned mode) {
  char bufs[2][kPathBuf];
  char name[256];
  int stack[kMaxDepth];
  int depth = 0, links = 0, which = 0, result = -1;
  size_t plen = StrLen(path);
  if (plen == 0) { errno = ENOENT; return -1; }
  if (plen >= kPathBuf) { errno = ENAMETOOLONG; return -1; }
  for (size_t i = 0; i <= plen; i++) bufs[0][i] = path[i];
  const char* p = bufs[0];
  auto cur = [&]() { return depth > 0 ? stack[depth - 1] : root; };
  for (;;) {
    while (*p == '/') p++;
    if (*p == 0) { result = openat(cur(), ".", flags, mode); break; }
    const char* end = p;
    while (*end && *end != '/') end++;
    size_t n = static_cast<size_t>(end - p);
    const char* after = end;
    while (*after == '/') after++;
    bool last = *after == 0;
    if (n >= sizeof name) { errno = ENAMETOOLONG; break; }
    for (size_t i = 0; i < n; i++) name[i] = p[i];
    name[n] = 0;
    p = after;
    if (IsName(name, n, ".") || IsName(name, n, "..")) {
      if (name[1] == '.' && depth > 0) close(stack[--depth]);
      if (last) { result = openat(cur(), ".", flags, mode); break; }
      continue;
    }
    int fd = openat(cur(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (last && errno == ENOENT && (flags & O_CREAT)) result = openat(cur(), name, flags | O_NOFOLLOW, mode);
      break;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) { CloseKeep(fd); break; }
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      char* next = bufs[which ^ 1];
      ssize_t t = readlinkat(fd, "", next, kPathBuf - 1);
      CloseKeep(fd);
      if (t < 0) break;
      if (++links > kMaxLinks) { errno = ELOOP; break; }
      size_t restLen = StrLen(p);
      if (static_cast<size_t>(t) + 1 + restLen >= kPathBuf) { errno = ENAMETOOLONG; break; }
      if (next[0] == '/') while (depth > 0) close(stack[--depth]);
      next[t] = '/';
      for (size_t i = 0; i <= restLen; i++) next[t + 1 + i] = p[i];
      which ^= 1;
      p = next;
      continue;
    }
    if (last) {
      close(fd);
      result = openat(cur(), name, flags | O_NOFOLLOW, mode);
      break;
    }
    if (!S_ISDIR(st.st_mode)) { close(fd); errno = ENOTDIR; break; }
    if (depth == kMaxDepth) { close(fd); errno = ENAMETOOLONG; break; }
    stack[depth++] = fd;
  }
  int e = errno;
  while (depth > 0) close(stack[--depth]);
  errno = e;
  return result;
}

// Splits `path` into a parent directory (in dir, ".", or "/") and the last component (returned).
const char* SplitParent(const char* path, char* dir) {
  size_t n = StrLen(path);
  if (n >= kPathBuf) return nullptr;
  while (n > 1 && path[n - 1] == '/') n--;
  size_t slash = n;
  while (slash > 0 && path[slash - 1] != '/') slash--;
  if (slash == 0) {
    dir[0] = '.';
    dir[1] = 0;
  } else {
    size_t d = slash - 1;
    while (d > 0 && path[d - 1] == '/') d--;
    if (d == 0) d = 1;  // "/name"
    for (size_t i = 0; i < d; i++) dir[i] = path[i];
    dir[d] = 0;
  }
  // The base is copied after the directory so trailing slashes are dropped.
  char* base = dir + StrLen(dir) + 1;
  size_t bl = n - slash;
  for (size_t i = 0; i < bl; i++) base[i] = path[slash + i];
  base[bl] = 0;
  return base;
}

int MkdirP(ChildCtx& c, const StepRecord& r, const char* path, unsigned mode) {
  char prefix[kPathBuf];
  char split[kSplitBuf];
  size_t n = StrLen(path);
  if (n >= kPathBuf) return FailWith(c, kScMkdirat, ENAMETOOLONG);
  for (size_t i = 0; i <= n; i++) {
    if (path[i] != '/' && path[i] != 0) continue;
    if (i == 0 || path[i - 1] == '/') continue;
    for (size_t k = 0; k < i; k++) prefix[k] = path[k];
    prefix[i] = 0;
    int fd = ResolveStepPath(c, r, prefix, O_PATH | O_DIRECTORY, 0);
    if (fd >= 0) { close(fd); continue; }
    if (c.err != ENOENT) return -1;
    const char* base;
    int parent = OpenParentDir(c, r, prefix, split, &base);
    if (parent < 0) return -1;
    int rc = mkdirat(parent, base, mode);
    if (rc < 0 && errno != EEXIST) { CloseKeep(parent); return Fail(c, kScMkdirat); }
    close(parent);
  }
  return 0;
}

int SymlinkStep(ChildCtx& c, const StepRecord& r) {
  const char* path = Str(c, r, 0);
  const char* target = Str(c, r, 1);
  char split[kSplitBuf];
  const char* base;
  int parent = OpenParentDir(c, r, path, split, &base);
  if (parent < 0) return -1;
  int rc = symlinkat(target, parent, base);
  if (rc < 0 && errno == EEXIST) {  // keep an identical link
    char have[kPathBuf];
    ssize_t n = readlinkat(parent, base, have, sizeof have);
    size_t tl = r.slen[1];
    bool same = n == static_cast<ssize_t>(tl);
    for (size_t i = 0; same && i < tl; i++) same = have[i] == target[i];
    if (same) rc = 0;
    else errno = EEXIST;
  }
  if (rc < 0) { CloseKeep(parent); return Fail(c, kScSymlinkat); }
  close(parent);
  return 0;
}

int WriteFileStep(ChildCtx& c, const StepRecord& r) {
  int fd = ResolveStepPath(c, r, Str(c, r, 0), O_WRONLY | O_CREAT | O_NOCTTY, static_cast<unsigned>(r.a[0]));
  if (fd < 0) return -1;
  struct statfs sf;
  if (fstatfs(fd, &sf) < 0) { CloseKeep(fd); return Fail(c, kScFstatfs); }
  // procfs files (uid_map, oom_score_adj) take one write and cannot be truncated or chmodded.
  if (sf.f_type != PROC_SUPER_MAGIC) {
    if (ftruncate(fd, 0) < 0) { CloseKeep(fd); return Fail(c, kScFtruncate); }
    if (fchmod(fd, static_cast<mode_t>(r.a[0])) < 0) { CloseKeep(fd); return Fail(c, kScFchmod); }
  }
  if (WriteAll(fd, Str(c, r, 1), r.slen[1]) < 0) { CloseKeep(fd); return Fail(c, kScWrite); }
  close(fd);
  return 0;
}

int AtParent(ChildCtx& c, const StepRecord& r, int op) {
  char split[kSplitBuf];
  const char* base;
  int parent = OpenParentDir(c, r, Str(c, r, 0), split, &base);
  if (parent < 0) return -1;
  int rc;
  uint32_t sc;
  if (op == kOpMknod) {
    rc = mknodat(parent, base, static_cast<mode_t>(r.a[0]),
                 makedev(static_cast<unsigned>(r.a[1]), static_cast<unsigned>(r.a[2])));
    sc = kScMknodat;
  } else {
    rc = unlinkat(parent, base, AT_REMOVEDIR);
    sc = kScUnlinkat;
  }
  if (rc < 0) { CloseKeep(parent); return Fail(c, sc); }
  close(parent);
  return 0;
}

}  // namespace

int OpenParentDir(ChildCtx& c, const StepRecord& r, const char* path, char* buf, const char** base) {
  *base = SplitParent(path, buf);
  if (!*base) return FailWith(c, kScOpenat, ENAMETOOLONG);
  return ResolveStepPath(c, r, buf, O_PATH | O_DIRECTORY, 0);
}

int ResolveStepPath(ChildCtx& c, const StepRecord& r, const char* path, int flags, unsigned mode) {
  const char* inRoot = Str(c, r, kSlotInRoot);
  flags |= O_CLOEXEC;
  if (!inRoot) {
    int fd = open(path, flags, mode);
    return fd < 0 ? Fail(c, kScOpenat) : fd;
  }
  int root = open(inRoot, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return Fail(c, kScOpenat);
  int fd = -1;
  bool walk = c.h->flags & kFlagNoOpenat2;
  if (!walk) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    fd = static_cast<int>(syscall(SYS_openat2, root, path, &how, sizeof how));
    if (fd < 0 && errno == ENOSYS) walk = true;
    else if (fd < 0) { CloseKeep(root); return Fail(c, kScOpenat2); }
  }
  if (walk) {
    fd = WalkInRoot(root, path, flags, mode);
    if (fd < 0) { CloseKeep(root); return Fail(c, kScOpenat); }
  }
  close(root);
  return fd;
}

int StepFs(ChildCtx& c, StepRecord& r) {
  switch (r.op) {
    case kOpMkdir: return MkdirP(c, r, Str(c, r, 0), static_cast<unsigned>(r.a[0]));
    case kOpTouch: {
      int fd = ResolveStepPath(c, r, Str(c, r, 0), O_RDONLY | O_CREAT | O_NONBLOCK | O_NOCTTY,
                               static_cast<unsigned>(r.a[0]));
      if (fd < 0) return -1;
      close(fd);
      return 0;
    }
    case kOpSymlink: return SymlinkStep(c, r);
    case kOpChmod: {
      int fd = ResolveStepPath(c, r, Str(c, r, 0), O_PATH | O_NOFOLLOW, 0);
      if (fd < 0) return -1;
      // fchmodat2(fd, "", AT_EMPTY_PATH) (Linux 6.6) chmods the O_PATH fd itself and needs no /proc (a
      // container without a new pid ns has none after pivot_root); older kernels go through /proc/self/fd/N.
      long rc = syscall(kSysFchmodat2, fd, "", static_cast<mode_t>(r.a[0]), AT_EMPTY_PATH);
      if (rc < 0 && errno == ENOSYS) {
        char proc[32];
        ProcFdPath(proc, fd);
        rc = fchmodat(AT_FDCWD, proc, static_cast<mode_t>(r.a[0]), 0);
      }
      if (rc < 0) { CloseKeep(fd); return Fail(c, kScFchmod); }
      close(fd);
      return 0;
    }
    case kOpChown: {
      int fd = ResolveStepPath(c, r, Str(c, r, 0), O_PATH | O_NOFOLLOW, 0);
      if (fd < 0) return -1;
      if (fchownat(fd, "", static_cast<uid_t>(r.a[0]), static_cast<gid_t>(r.a[1]), AT_EMPTY_PATH) < 0) {
        CloseKeep(fd);
        return Fail(c, kScFchownat);
      }
      close(fd);
      return 0;
    }
    case kOpWriteFile: {
      // A file under /proc (a nested uid_map, a /proc/self knob) needs the WithDumpable window too.
      const char* p = Str(c, r, 0);
      bool proc = p[0] == '/' && p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' && p[5] == '/';
      if (proc && !Str(c, r, kSlotInRoot)) return WithDumpable(c, [&]() { return WriteFileStep(c, r); });
      return WriteFileStep(c, r);
    }
    case kOpMknod: case kOpRmdir: return AtParent(c, r, static_cast<int>(r.op));
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace ct
