// Child-side terminal and fd steps: setsid, console (a pty from /dev/ptmx made the controlling terminal and fds
// 0-2, with `devConsole` also bound on /dev/console, its master sent over a unix socket with SCM_RIGHTS, payload
// = the pty's name, as runc's --console-socket does), dup2, closeFrom (close_range with CLOSE_RANGE_CLOEXEC, so
// the sync socket and the fds later steps use survive until exec), and waitFifo (the create/start split).
//
// Calls made here (async-signal-safe): setsid, getsid, getpid, open, ioctl (TIOCSPTLCK, TIOCGPTN, TIOCGPTPEER,
// TIOCSCTTY, TIOCSWINSZ), fchmod, mount, dup2, fcntl, sendmsg, close, syscall(SYS_close_range), write.
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "child.h"

namespace ct {
namespace {

int SendFd(int sock, int fd, const char* payload, size_t len) {
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  for (size_t i = 0; i < sizeof control; i++) control[i] = 0;
  struct iovec iov = {const_cast<char*>(payload), len};
  struct msghdr msg;
  for (size_t i = 0; i < sizeof msg; i++) reinterpret_cast<char*>(&msg)[i] = 0;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  int* slot = reinterpret_cast<int*>(CMSG_DATA(cm));
  *slot = fd;
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

// The pty's slave bound on /dev/console (made as an empty file, mode 0666, when missing), as runc and crun do.
// After pivot_root every path resolves inside the container.
int BindDevConsole(ChildCtx& c, const char* slave) {
  int fd = open("/dev/console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0666);
  if (fd < 0 && errno != EEXIST) return Fail(c, kScOpen);
  if (fd >= 0) {
    if (fchmod(fd, 0666) < 0) { CloseKeep(fd); return Fail(c, kScFchmod); }
    close(fd);
  }
  return mount(slave, "/dev/console", nullptr, MS_BIND, nullptr) < 0 ? Fail(c, kScMount) : 0;
}

int Console(ChildCtx& c, const StepRecord& r) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Fail(c, kScOpen);
  int unlock = 0, n = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0) {
    CloseKeep(master);
    return Fail(c, kScIoctl);
  }
  char name[40] = "/dev/pts/";
  FormatInt(name + 9, n);
  // TIOCGPTPEER opens the slave through the master's devpts instance, not through a path (Linux 4.13).
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) { CloseKeep(master); return Fail(c, kScOpen); }
  if (getsid(0) != getpid() && setsid() < 0) { CloseKeep(master); CloseKeep(slave); return Fail(c, kScSetsid); }
  if (ioctl(slave, TIOCSCTTY, 0) < 0) { CloseKeep(master); CloseKeep(slave); return Fail(c, kScIoctl); }
  if (r.a[0] > 0 && r.a[1] > 0) {
    struct winsize ws = {static_cast<unsigned short>(r.a[0]), static_cast<unsigned short>(r.a[1]), 0, 0};
    if (ioctl(slave, TIOCSWINSZ, &ws) < 0) { CloseKeep(master); CloseKeep(slave); return Fail(c, kScIoctl); }
  }
  if (r.a[2] && BindDevConsole(c, name) < 0) { CloseKeep(master); CloseKeep(slave); return -1; }
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) { CloseKeep(master); CloseKeep(slave); return Fail(c, kScDup2); }
  if (slave > 2) close(slave);
  if (SendFd(r.fd, master, name, StrLen(name)) < 0) { CloseKeep(master); return Fail(c, kScSendmsg); }
  close(master);
  close(r.fd);
  return 0;
}

int WaitFifo(ChildCtx& c, const StepRecord& r) {
  int fd;
  do fd = open(Str(c, r, 0), O_WRONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) return Fail(c, kScOpen);
  // runc's exec.fifo protocol: one "0" byte tells the reader that the container started.
  if (WriteAll(fd, "0", 1) < 0) { CloseKeep(fd); return Fail(c, kScWrite); }
  close(fd);
  return 0;
}

}  // namespace

int StepTty(ChildCtx& c, StepRecord& r) {
  switch (r.op) {
    case kOpSetsid: return setsid() < 0 ? Fail(c, kScSetsid) : 0;
    case kOpConsole: return Console(c, r);
    case kOpDup2:
      if (r.a[0] == r.a[1]) return fcntl(r.a[0], F_SETFD, 0) < 0 ? Fail(c, kScFcntl) : 0;
      return dup2(r.a[0], r.a[1]) < 0 ? Fail(c, kScDup2) : 0;
    case kOpCloseFrom:
      return syscall(SYS_close_range, static_cast<unsigned>(r.a[0]), ~0U, CLOSE_RANGE_CLOEXEC) < 0
                 ? Fail(c, kScCloseRange)
                 : 0;
    case kOpWaitFifo: return WaitFifo(c, r);
    default: return FailWith(c, kScNone, EINVAL);
  }
}

}  // namespace ct
