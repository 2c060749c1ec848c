// Child-side namespace and identity steps: unshare, setns (on an fd the parent opened), sethostname,
// setdomainname, bringing `lo` up, writing a /proc/self file (timens_offsets, uid_map of a nested ns), and
// joining a new session keyring (runc's default; keyrings(7), keyctl(2) KEYCTL_JOIN_SESSION_KEYRING/SETPERM).
//
// Calls made here (async-signal-safe): unshare, setns, sethostname, setdomainname, socket, ioctl, open, write,
// close, prctl (WithDumpable in child.h), syscall(SYS_keyctl).
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"

namespace ct {
namespace {

int LoopbackUp(ChildCtx& c) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Fail(c, kScSocket);
  struct ifreq ifr;
  for (size_t i = 0; i < sizeof ifr; i++) reinterpret_cast<char*>(&ifr)[i] = 0;
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) { CloseKeep(s); return Fail(c, kScIoctl); }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) { CloseKeep(s); return Fail(c, kScIoctl); }
  close(s);
  return 0;
}

int WriteProcSelf(ChildCtx& c, const StepRecord& r) {
  return WithDumpable(c, [&]() {
    int fd = open(Str(c, r, 0), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(c, kScOpen);
    if (WriteAll(fd, Str(c, r, 1), r.slen[1]) < 0) { CloseKeep(fd); return Fail(c, kScWrite); }
    close(fd);
    return 0;
  });
}

// keyctl(2) constants (linux/keyctl.h; not every libc ships keyutils.h).
constexpr long kKeyctlJoinSessionKeyring = 1;
constexpr long kKeyctlSetperm = 5;
constexpr long kKeySpecSessionKeyring = -3;

// A new session keyring (named, or "_ses" when the name is absent), then its permissions when a[0] is non-zero
// (runc: possessor all, user view/read/link/search). A kernel without keyrings (ENOSYS) or a full key quota
// (EDQUOT) is a warning: the container keeps its parent's session keyring, as runc then does.
int SessionKeyring(ChildCtx& c, const StepRecord& r) {
  long serial = syscall(SYS_keyctl, kKeyctlJoinSessionKeyring, Str(c, r, 0), 0L, 0L, 0L);
  if (serial < 0) return errno == ENOSYS || errno == EDQUOT ? Warn(c, kScKeyctl) : Fail(c, kScKeyctl);
  if (r.a[0] != 0 && syscall(SYS_keyctl, kKeyctlSetperm, kKeySpecSessionKeyring, static_cast<unsigned long>(static_cast<uint32_t>(r.a[0])), 0L, 0L) < 0)
    return Fail(c, kScKeyctl);
  return 0;
}

}  // namespace

int StepNs(ChildCtx& c, StepRecord& r) {
  switch (r.op) {
    case kOpUnshare: return unshare(r.a[0]) < 0 ? Fail(c, kScUnshare) : 0;
    case kOpSetns: {
      if (setns(r.fd, r.a[0]) < 0) return Fail(c, kScSetns);
      close(r.fd);
      return 0;
    }
    case kOpSethostname: return sethostname(Str(c, r, 0), r.slen[0]) < 0 ? Fail(c, kScSethostname) : 0;
    case kOpSetdomainname: return setdomainname(Str(c, r, 0), r.slen[0]) < 0 ? Fail(c, kScSetdomainname) : 0;
    case kOpLoopbackUp: return LoopbackUp(c);
    case kOpWriteProcSelf: return WriteProcSelf(c, r);
    case kOpSessionKeyring: return SessionKeyring(c, r);
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace ct
