/*
 * ct-probe: a small static program that tests run inside containers to look at what the container sees, in the
 * spirit of crun's tests/init.c. One subcommand per question; each prints one parsable line per result on stdout.
 *
 * Exit status: 0 success; 1 the operation failed (the line printed is the errno name, e.g. "EROFS"); 2 usage error
 * (unknown subcommand, bad argument); `exit N` exits N. Errors for usage go to stderr.
 *
 * Man pages: getresuid(2), getgroups(2), uname(2), readlink(2), proc(5) (mountinfo, status Cap* lines),
 * getrlimit(2), mkdir(2), umount2(2), connect(2), recvfrom(2), sendto(2), fork(2), isatty(3), ioctl_tty(2) (TIOCGWINSZ), sigaction(2),
 * sigsuspend(2), strerrorname_np(3).
 *
 * `report` and `hook-record` (one JSON document each, for the conformance harness) live in report.c.
 *
 * Built with `gcc -static -O2 -s` by tools/images/build.mjs into test-images/build/bin/ct-probe. It uses no NSS
 * (getpwnam and friends are not static-safe), only syscalls and plain libc.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

extern char **environ;

static int usage(const char *msg) {
  fprintf(stderr, "ct-probe: %s\n", msg);
  fprintf(stderr,
          "usage: ct-probe id | hostname | cat FILE | readlink PATH | mounts | caps | sleep N | exit N |\n"
          "  write FILE TEXT | ls DIR | pid | env | cwd | rlimit NAME | mkdir PATH | umount PATH |\n"
          "  connect HOST PORT | fork-count N | tty | signals | udp-echo PORT |\n"
          "  report [--sysctl NAME]... [--path PATH]... [--file PATH]... [--wait] | hook-record FILE [ARG]...\n");
  return 2;
}

/* Print the errno name ("ENOENT") on stdout and return 1: the parsable failure result. */
static int fail(int err) {
  const char *name = strerrorname_np(err);
  if (name) printf("%s\n", name);
  else printf("E%d\n", err);
  return 1;
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}

static int copy_fd(int fd) {
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    fflush(stdout);
    if (write(STDOUT_FILENO, buf, (size_t)n) != n) return -1;
  }
}

/* uid=R gid=R euid=E egid=E suid=S sgid=S groups=a,b,c */
static int cmd_id(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  gid_t groups[1024];
  if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) return fail(errno);
  int n = getgroups(1024, groups);
  if (n < 0) return fail(errno);
  printf("uid=%u gid=%u euid=%u egid=%u suid=%u sgid=%u groups=", ru, rg, eu, eg, su, sg);
  for (int i = 0; i < n; i++) printf(i ? ",%u" : "%u", groups[i]);
  printf("\n");
  return 0;
}

static int cmd_hostname(void) {
  struct utsname u;
  if (uname(&u) < 0) return fail(errno);
  printf("%s\n", u.nodename);
  return 0;
}

static int cmd_cat(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  int r = copy_fd(fd);
  int err = errno;
  close(fd);
  return r < 0 ? fail(err) : 0;
}

static int cmd_readlink(const char *path) {
  char buf[4096];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) return fail(errno);
  buf[n] = 0;
  printf("%s\n", buf);
  return 0;
}

/* CapInh=… CapPrm=… CapEff=… CapBnd=… CapAmb=… lines, as /proc/self/status has them (hex). */
static int cmd_caps(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return fail(errno);
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Cap", 3) != 0) continue;
    char name[16], value[32];
    if (sscanf(line, "%15[^:]:%31s", name, value) == 2) printf("%s=%s\n", name, value);
  }
  fclose(f);
  return 0;
}

static int cmd_write(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errno);
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int err = errno;
  if (close(fd) < 0 && n >= 0) return fail(errno);
  if (n < 0) return fail(err);
  printf("ok\n");
  return 0;
}

/* Entry names, sorted, one per line, without "." and "..". */
static int cmd_ls(const char *path) {
  size_t n;
  char **names = probe_list_dir(path, &n);
  if (!names) return fail(errno);
  for (size_t i = 0; i < n; i++) printf("%s\n", names[i]);
  probe_free_list(names, n);
  return 0;
}

static int cmd_cwd(void) {
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) return fail(errno);
  printf("%s\n", buf);
  return 0;
}

const struct probe_rlimit PROBE_RLIMITS[] = {
  {"AS", RLIMIT_AS}, {"CORE", RLIMIT_CORE}, {"CPU", RLIMIT_CPU}, {"DATA", RLIMIT_DATA},
  {"FSIZE", RLIMIT_FSIZE}, {"LOCKS", RLIMIT_LOCKS}, {"MEMLOCK", RLIMIT_MEMLOCK}, {"MSGQUEUE", RLIMIT_MSGQUEUE},
  {"NICE", RLIMIT_NICE}, {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC}, {"RSS", RLIMIT_RSS},
  {"RTPRIO", RLIMIT_RTPRIO}, {"RTTIME", RLIMIT_RTTIME}, {"SIGPENDING", RLIMIT_SIGPENDING},
  {"STACK", RLIMIT_STACK},
};
const size_t PROBE_RLIMITS_COUNT = sizeof PROBE_RLIMITS / sizeof PROBE_RLIMITS[0];

static void print_limit(rlim_t v) {
  if (v == RLIM_INFINITY) printf("unlimited");
  else printf("%llu", (unsigned long long)v);
}

/* "SOFT HARD", each a number or "unlimited". NAME: NOFILE, NPROC, … with or without the RLIMIT_ prefix. */
static int cmd_rlimit(const char *name) {
  if (!strncmp(name, "RLIMIT_", 7)) name += 7;
  for (size_t i = 0; i < PROBE_RLIMITS_COUNT; i++) {
    if (strcasecmp(name, PROBE_RLIMITS[i].name) != 0) continue;
    struct rlimit rl;
    if (getrlimit(PROBE_RLIMITS[i].resource, &rl) < 0) return fail(errno);
    print_limit(rl.rlim_cur);
    printf(" ");
    print_limit(rl.rlim_max);
    printf("\n");
    return 0;
  }
  return usage("rlimit: unknown limit name");
}

static int cmd_mkdir(const char *path) {
  if (mkdir(path, 0755) < 0) return fail(errno);
  printf("ok\n");
  return 0;
}

static int cmd_umount(const char *path) {
  if (umount2(path, 0) < 0) return fail(errno);
  printf("ok\n");
  return 0;
}

/* TCP connect to a numeric IPv4 or IPv6 address, 5 s timeout: "ok" or the errno name. */
static int cmd_connect(const char *host, const char *port_s) {
  long port;
  if (parse_long(port_s, &port) < 0 || port < 1 || port > 65535) return usage("connect: bad port");
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    len = sizeof *in4;
  } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    len = sizeof *in6;
  } else {
    return usage("connect: HOST must be a numeric IPv4 or IPv6 address");
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno);
  if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
    if (errno != EINPROGRESS) return fail(errno);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int r = poll(&p, 1, 5000);
    if (r == 0) return fail(ETIMEDOUT);
    if (r < 0) return fail(errno);
    int err = 0;
    socklen_t elen = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) return fail(errno);
    if (err) return fail(err);
  }
  close(fd);
  printf("ok\n");
  return 0;
}

/*
 * A UDP echo server on 0.0.0.0:PORT (published-port tests): prints "ready" once bound, then sends every datagram
 * back to its sender, prefixed with "echo:", until killed.
 */
static int cmd_udp_echo(const char *port_s) {
  long port;
  if (parse_long(port_s, &port) < 0 || port < 1 || port > 65535) return usage("udp-echo: bad port");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno);
  struct sockaddr_in in4;
  memset(&in4, 0, sizeof in4);
  in4.sin_family = AF_INET;
  in4.sin_port = htons((uint16_t)port);
  if (bind(fd, (struct sockaddr *)&in4, sizeof in4) < 0) return fail(errno);
  printf("ready\n");
  char buf[2048];
  memcpy(buf, "echo:", 5);
  for (;;) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, buf + 5, sizeof buf - 5, 0, (struct sockaddr *)&from, &flen);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    sendto(fd, buf, (size_t)n + 5, 0, (struct sockaddr *)&from, flen);
  }
}

/*
 * Try N forks; the children wait on a pipe so that they all exist at once (what a pids limit or RLIMIT_NPROC
 * counts), then all are released and reaped. Prints "COUNT" when all N succeeded, else "COUNT ERRNO_NAME" (exit 1).
 */
static int cmd_fork_count(long n) {
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) return fail(errno);
  long ok = 0;
  int err = 0;
  for (long i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      char c;
      close(gate[1]);
      while (read(gate[0], &c, 1) < 0 && errno == EINTR) {}
      _exit(0);
    }
    ok++;
  }
  close(gate[1]);
  close(gate[0]);
  while (wait(NULL) > 0 || errno == EINTR) {}
  if (err) {
    const char *name = strerrorname_np(err);
    printf("%ld %s\n", ok, name ? name : "E?");
    return 1;
  }
  printf("%ld\n", ok);
  return 0;
}

/* "tty=1 rows=R cols=C" when stdin is a terminal, "tty=0" otherwise. */
static int cmd_tty(void) {
  if (!isatty(STDIN_FILENO)) {
    printf("tty=0\n");
    return 0;
  }
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0) return fail(errno);
  printf("tty=1 rows=%u cols=%u\n", ws.ws_row, ws.ws_col);
  return 0;
}

static volatile sig_atomic_t last_signal;
static void on_signal(int sig) { last_signal = sig; }

/*
 * Print "ready", then one line per caught signal (SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM) by name; return 0
 * after SIGTERM. Handlers are installed explicitly, so this works as PID 1 of a pid namespace too.
 */
static int cmd_signals(void) {
  static const int sigs[] = {SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM};
  sigset_t block, old;
  sigemptyset(&block);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaddset(&block, sigs[i]);
    if (sigaction(sigs[i], &sa, NULL) < 0) return fail(errno);
  }
  sigprocmask(SIG_BLOCK, &block, &old);
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    last_signal = 0;
    while (!last_signal) sigsuspend(&old);
    const char *abbrev = sigabbrev_np(last_signal);
    printf("SIG%s\n", abbrev ? abbrev : "?");
    fflush(stdout);
    if (last_signal == SIGTERM) return 0;
  }
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) return usage("missing subcommand");
  const char *cmd = argv[1];
  int nargs = argc - 2;
  char **a = argv + 2;
  long n;

  if (!strcmp(cmd, "id") && nargs == 0) return cmd_id();
  if (!strcmp(cmd, "hostname") && nargs == 0) return cmd_hostname();
  if (!strcmp(cmd, "cat") && nargs == 1) return cmd_cat(a[0]);
  if (!strcmp(cmd, "readlink") && nargs == 1) return cmd_readlink(a[0]);
  if (!strcmp(cmd, "mounts") && nargs == 0) return cmd_cat("/proc/self/mountinfo");
  if (!strcmp(cmd, "caps") && nargs == 0) return cmd_caps();
  if (!strcmp(cmd, "sleep") && nargs == 1) {
    if (parse_long(a[0], &n) < 0 || n < 0) return usage("sleep: N must be a non-negative integer");
    while (n > 0) n = (long)sleep((unsigned)n);
    return 0;
  }
  if (!strcmp(cmd, "exit") && nargs == 1) {
    if (parse_long(a[0], &n) < 0 || n < 0 || n > 255) return usage("exit: N must be 0..255");
    return (int)n;
  }
  if (!strcmp(cmd, "write") && nargs == 2) return cmd_write(a[0], a[1]);
  if (!strcmp(cmd, "ls") && nargs == 1) return cmd_ls(a[0]);
  if (!strcmp(cmd, "pid") && nargs == 0) {
    printf("%d\n", (int)getpid());
    return 0;
  }
  if (!strcmp(cmd, "env") && nargs == 0) {
    for (char **e = environ; *e; e++) printf("%s\n", *e);
    return 0;
  }
  if (!strcmp(cmd, "cwd") && nargs == 0) return cmd_cwd();
  if (!strcmp(cmd, "rlimit") && nargs == 1) return cmd_rlimit(a[0]);
  if (!strcmp(cmd, "mkdir") && nargs == 1) return cmd_mkdir(a[0]);
  if (!strcmp(cmd, "umount") && nargs == 1) return cmd_umount(a[0]);
  if (!strcmp(cmd, "connect") && nargs == 2) return cmd_connect(a[0], a[1]);
  if (!strcmp(cmd, "fork-count") && nargs == 1) {
    if (parse_long(a[0], &n) < 0 || n < 0) return usage("fork-count: N must be a non-negative integer");
    return cmd_fork_count(n);
  }
  if (!strcmp(cmd, "tty") && nargs == 0) return cmd_tty();
  if (!strcmp(cmd, "signals") && nargs == 0) return cmd_signals();
  if (!strcmp(cmd, "report")) return cmd_report(nargs, a);
  if (!strcmp(cmd, "hook-record") && nargs >= 1) return cmd_hook_record(a[0], argv);
  if (!strcmp(cmd, "udp-echo") && nargs == 1) return cmd_udp_echo(a[0]);
  return usage("unknown subcommand or wrong number of arguments");
}
