// Child-side exec: execve(2) of the plan's program with the argv/envp arrays the parent built before the clone.
// With `search`, PATH (taken from the plan's env by the parent, default "/bin:/usr/bin" as glibc's) is walked
// as execvp does, building each candidate in a stack buffer: ENOENT/ENOTDIR/ESTALE/ENODEV/ETIMEDOUT move on,
// EACCES is remembered and reported when nothing else is found, any other error stops the search.
//
// With `preopen`, the fd the parent opened is exec'd with execveat(fd, "", AT_EMPTY_PATH).
//
// Calls made here (async-signal-safe): send, write, execve, syscall(SYS_execveat).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

namespace ct {

int StepExec(ChildCtx& c, StepRecord& r) {
  // The creator may have exited already (ct create returns while the container waits on its FIFO): the
  // announcement then meets EPIPE, which must neither raise SIGPIPE nor stop the exec. A seccomp profile
  // installed just before this step may allow write(2) but not sendto(2): then fall back to write.
  SyncRecord rec = {kSyncExecing, -1, 0, 0};
  ssize_t n;
  do n = send(c.syncFd, &rec, sizeof rec, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EPIPE && errno != ECONNRESET && WriteAll(c.syncFd, &rec, sizeof rec) < 0) {
    return Fail(c, kScWrite);
  }
  if (r.a[3] && r.fd >= 0) {  // preopen: the parent's O_PATH fd of the program
    syscall(SYS_execveat, r.fd, "", c.argv, c.envp, AT_EMPTY_PATH);
    return Fail(c, kScExecveat);
  }
  const char* file = Str(c, r, 0);
  bool hasSlash = false;
  for (const char* p = file; *p; p++) hasSlash = hasSlash || *p == '/';
  if (!r.a[2] || hasSlash || !*file) {
    execve(file, c.argv, c.envp);
    return Fail(c, kScExecve);
  }
  const char* path = Str(c, r, 3);
  if (!path) path = "/bin:/usr/bin";
  size_t flen = StrLen(file);
  char buf[4096 + 256];
  bool sawEacces = false;
  for (const char* p = path;; p++) {
    const char* start = p;
    while (*p && *p != ':') p++;
    size_t dlen = static_cast<size_t>(p - start);
    if (dlen + flen + 2 <= sizeof buf) {
      size_t o = 0;
      if (dlen == 0) buf[o++] = '.';  // an empty PATH entry means the current directory
      for (size_t i = 0; i < dlen; i++) buf[o++] = start[i];
      buf[o++] = '/';
      for (size_t i = 0; i <= flen; i++) buf[o++] = file[i];
      execve(buf, c.argv, c.envp);
      switch (errno) {
        case EACCES: sawEacces = true; break;
        case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
        default: return Fail(c, kScExecve);
      }
    }
    if (!*p) break;
  }
  return FailWith(c, kScExecve, sawEacces ? EACCES : ENOENT);
}

}  // namespace ct
