// Child-side credential and process-attribute steps: setgroups, setresgid, setresuid, capabilities (bounding,
// capset, ambient), keepCaps, noNewPrivs, pdeathsig, rlimit, oomScoreAdj, umask, personality, seccomp.
// Ids are changed with raw syscalls, never glibc's setresuid/setgroups: those broadcast the change to every
// thread glibc believes exists (the parent's threads, absent in this child) and would hang or fail.
//
// Calls made here (async-signal-safe): syscall(SYS_setgroups, SYS_setresgid, SYS_setresuid, SYS_capset,
// SYS_prlimit64, SYS_personality, SYS_seccomp), prctl, getppid, open, write, close, umask, _exit.
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

namespace ct {
namespace {

int Capabilities(ChildCtx& c, const StepRecord& r) {
  uint64_t bounding = r.b[0], effective = r.b[1], permitted = r.b[2], inheritable = r.b[3], ambient = r.b[4];
  // The bounding set first (it needs CAP_SETPCAP, which capset may drop); stop at the kernel's last cap.
  for (int cap = 0; cap < 64; cap++) {
    if (bounding & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break;
      return Fail(c, kScPrctl);
    }
  }
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) return Fail(c, kScCapset);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return Fail(c, kScPrctl);
  for (int cap = 0; cap < 64; cap++) {
    if (!(ambient & (1ULL << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return Fail(c, kScPrctl);
  }
  return 0;
}

int Pdeathsig(ChildCtx& c, const StepRecord& r) {
  if (prctl(PR_SET_PDEATHSIG, r.a[0], 0, 0, 0) < 0) return Fail(c, kScPrctl);
  // The parent may have died before the prctl: then the signal never comes. getppid() is 0 when the parent
  // is outside our pid namespace, where this check cannot be made. A process made by forkInit (CLONE_PARENT) has
  // the caller as its parent too.
  pid_t ppid = getppid();
  if (ppid != 0 && c.h->parentPid > 0 && ppid != c.h->parentPid) _exit(3);
  return 0;
}

int Seccomp(ChildCtx& c, const StepRecord& r) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(r.a[1]);
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(Str(c, r, 0)));
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, static_cast<unsigned>(r.a[0]), &prog);
  if (rc < 0) return Fail(c, kScSeccomp);
  return 0;
}

int OomScoreAdj(ChildCtx& c, const StepRecord& r) {
  return WithDumpable(c, [&]() {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(c, kScOpen);
    if (WriteAll(fd, Str(c, r, 0), r.slen[0]) < 0) { CloseKeep(fd); return Fail(c, kScWrite); }
    close(fd);
    return 0;
  });
}

}  // namespace

int StepCreds(ChildCtx& c, StepRecord& r) {
  switch (r.op) {
    case kOpSetgroups: {
      const char* gids = Str(c, r, 0);
      return syscall(SYS_setgroups, r.a[0], gids) < 0 ? Fail(c, kScSetgroups) : 0;
    }
    case kOpSetresgid: return syscall(SYS_setresgid, r.a[0], r.a[0], r.a[0]) < 0 ? Fail(c, kScSetresgid) : 0;
    case kOpSetresuid: return syscall(SYS_setresuid, r.a[0], r.a[0], r.a[0]) < 0 ? Fail(c, kScSetresuid) : 0;
    case kOpCapabilities: return Capabilities(c, r);
    case kOpKeepCaps: return prctl(PR_SET_KEEPCAPS, r.a[0] ? 1 : 0, 0, 0, 0) < 0 ? Fail(c, kScPrctl) : 0;
    case kOpNoNewPrivs: return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? Fail(c, kScPrctl) : 0;
    case kOpPdeathsig: return Pdeathsig(c, r);
    case kOpRlimit: {
      struct rlimit64 lim = {r.b[0], r.b[1]};
      return syscall(SYS_prlimit64, 0, r.a[0], &lim, nullptr) < 0 ? Fail(c, kScPrlimit) : 0;
    }
    case kOpOomScoreAdj: return OomScoreAdj(c, r);
    case kOpUmask: umask(static_cast<mode_t>(r.a[0])); return 0;
    case kOpPersonality:
      return syscall(SYS_personality, static_cast<unsigned long>(r.a[0])) < 0 ? Fail(c, kScPersonality) : 0;
    case kOpSeccomp: return Seccomp(c, r);
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace ct
