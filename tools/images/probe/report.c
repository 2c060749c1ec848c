/*
 * ct-probe report: one JSON document (one line) of what the process sees of its container, for the conformance
 * harness (apps/ct/test/integration/conformance), which runs it under runc and under ct and compares field by
 * field. The probe prints raw facts (mountinfo lines, /proc/self/status values, namespace links); the harness
 * parses and normalises them, so that every normalisation is written down in one place, in TypeScript.
 *
 *   ct-probe report [--sysctl NAME]... [--path PATH]... [--file PATH]... [--wait]
 *
 * --sysctl: read /proc/sys/NAME (dots become slashes); --path: describe PATH (lstat, statfs flags, whether it
 * opens for reading and for writing, entries of a directory): what maskedPaths/readonlyPaths do; --file: print the
 * file's contents (a hook's record inside the container); --wait: after printing, wait for SIGTERM, SIGINT or
 * SIGHUP and exit 0 (so the harness can run kill and see a running container). The keys are documented in
 * test-images/README.md.
 *
 * Man pages: proc(5) (mountinfo, status, ns, cgroup, oom_score_adj, timens_offsets, fd), getresuid(2),
 * getgroups(2), uname(2), getrlimit(2), personality(2), getpriority(2), sched_getscheduler(2), ioprio_get(2),
 * sched_getaffinity(2), lstat(2), statfs(2), open(2), readlink(2), sigaction(2), sigsuspend(2).
 */
#define _GNU_SOURCE
#include "report.h"
#include "json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* ---- sections */

static void report_ids(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  gid_t groups[1024];
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  j_key("uid");
  j_open('[');
  j_num(ru), j_num(eu), j_num(su);
  j_close(']');
  j_key("gid");
  j_open('[');
  j_num(rg), j_num(eg), j_num(sg);
  j_close(']');
  j_key("groups");
  int n = getgroups(1024, groups);
  if (n < 0) {
    j_errno(errno);
    return;
  }
  j_open('[');
  for (int i = 0; i < n; i++) j_num(groups[i]);
  j_close(']');
}

/* /proc/self/status as the process started (read before --wait blocks its signals, so SigBlk is the inherited one) */
static char status_text[65536];
static ssize_t status_len;

/* Selected /proc/self/status lines, raw: capabilities, no_new_privs, seccomp, umask, signals, cpus. */
static void report_status(void) {
  static const char *const keys[] = {"Umask", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                                     "Seccomp", "Seccomp_filters", "SigBlk", "SigIgn", "Cpus_allowed_list",
                                     "Mems_allowed_list", "NSpid"};
  j_key("status");
  if (status_len < 0) {
    j_errno((int)-status_len);
    return;
  }
  j_open('{');
  for (char *line = strtok(status_text, "\n"); line; line = strtok(NULL, "\n")) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      if (strcmp(line, keys[i]) != 0) continue;
      char *v = colon + 1;
      while (*v == ' ' || *v == '\t') v++;
      j_key(line);
      j_str(v);
    }
  }
  j_close('}');
}


static void j_limit(rlim_t v) {
  if (v == RLIM_INFINITY) j_str("unlimited");
  else j_num((long long)v);
}

/* {"NOFILE": [soft, hard], ...}, numbers or "unlimited". */
static void report_rlimits(void) {
  j_key("rlimits");
  j_open('{');
  for (size_t i = 0; i < PROBE_RLIMITS_COUNT; i++) {
    struct rlimit rl;
    j_key(PROBE_RLIMITS[i].name);
    if (getrlimit(PROBE_RLIMITS[i].resource, &rl) < 0) {
      j_errno(errno);
      continue;
    }
    j_open('[');
    j_limit(rl.rlim_cur);
    j_limit(rl.rlim_max);
    j_close(']');
  }
  j_close('}');
}

/* {"pid": "pid:[4026531836]", ...}: the /proc/self/ns links. */
static void report_namespaces(void) {
  size_t n;
  char **names = j_key_list_dir("namespaces", "/proc/self/ns", &n);
  if (!names) return;
  j_open('{');
  for (size_t i = 0; i < n; i++) {
    char path[512];
    snprintf(path, sizeof path, "/proc/self/ns/%s", names[i]);
    j_key(names[i]);
    j_readlink(path);
  }
  j_close('}');
  probe_free_list(names, n);
}

/* Limit files of each hierarchy mounted under /sys/fs/cgroup (v1: per controller mount; v2: the mount itself). */
static void report_cgroup_files(void) {
  static const char *const files[] = {
    "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness",
    "memory.oom_control", "memory.kmem.limit_in_bytes", "memory.kmem.tcp.limit_in_bytes", "memory.use_hierarchy",
    "pids.max", "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us", "cpu.rt_runtime_us",
    "cpu.rt_period_us", "cpu.idle", "cpuset.cpus", "cpuset.mems", "blkio.weight", "blkio.leaf_weight",
    "blkio.weight_device", "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device", "devices.list", "net_cls.classid",
    "net_prio.ifpriomap", "hugetlb.2MB.limit_in_bytes", "hugetlb.1GB.limit_in_bytes", "freezer.state",
    "memory.max", "memory.low", "memory.high", "memory.min", "memory.swap.max", "memory.oom.group", "cpu.max",
    "cpu.weight", "io.weight", "io.max", "cgroup.controllers", "cgroup.subtree_control", "cgroup.type"};
  size_t n;
  char **dirs = j_key_list_dir("cgroupFiles", "/sys/fs/cgroup", &n);
  if (!dirs) return;
  struct stat root;
  if (stat("/sys/fs/cgroup", &root) < 0) root.st_dev = 0;
  j_open('{');
  for (int top = -1; top < (int)n; top++) {
    char dir[512];
    if (top < 0) snprintf(dir, sizeof dir, "/sys/fs/cgroup");
    else snprintf(dir, sizeof dir, "/sys/fs/cgroup/%s", dirs[top]);
    /* a v1 hierarchy is a mount of its own; a directory on the same device is a child cgroup (of a v2 mount at
       /sys/fs/cgroup, which shows every cgroup of the host without a cgroup namespace): not the container's */
    struct stat st;
    if (top >= 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_dev == root.st_dev)) continue;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
      char path[1024];
      struct stat st;
      snprintf(path, sizeof path, "%s/%s", dir, files[i]);
      if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) continue;
      j_key(path + strlen("/sys/fs/cgroup/"));
      j_file(path);
    }
  }
  j_close('}');
  probe_free_list(dirs, n);
}

static void report_sysctl(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "/proc/sys/%s", name);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.') *p = '/';
  j_key(name);
  j_file(path);
}

/* One entry per node under dir (recursively, sorted): path, type, mode, uid, gid, and rdev or link target. */
static void report_dev_tree(const char *dir, int level) {
  size_t n;
  char **names = probe_list_dir(dir, &n);
  if (!names) return;
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (lstat(path, &st) < 0) continue;
    j_open('{');
    j_key("path"), j_str(path);
    char t[2] = {type_char(st.st_mode), 0};
    j_key("type"), j_str(t);
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
    j_key("mode"), j_str(mode);
    j_key("uid"), j_num(st.st_uid);
    j_key("gid"), j_num(st.st_gid);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      char rdev[32];
      snprintf(rdev, sizeof rdev, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
      j_key("rdev"), j_str(rdev);
    }
    if (S_ISLNK(st.st_mode)) j_key("link"), j_readlink(path);
    j_close('}');
    if (S_ISDIR(st.st_mode) && level < 4) report_dev_tree(path, level + 1);
  }
  probe_free_list(names, n);
}

static void j_statfs_flags(unsigned long f) {
  static const struct { unsigned long bit; const char *name; } FLAGS[] = {
    {ST_RDONLY, "ro"}, {ST_NOSUID, "nosuid"}, {ST_NODEV, "nodev"}, {ST_NOEXEC, "noexec"},
    {ST_SYNCHRONOUS, "sync"}, {ST_MANDLOCK, "mand"}, {ST_NOATIME, "noatime"}, {ST_NODIRATIME, "nodiratime"},
    {ST_RELATIME, "relatime"}, {0x2000 /* ST_NOSYMFOLLOW */, "nosymfollow"},
  };
  j_open('[');
  for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++)
    if (f & FLAGS[i].bit) j_str(FLAGS[i].name);
  j_close(']');
}

/* What a masked or read-only path looks like: lstat, statfs, whether it opens for reading and writing. */
static void report_path(const char *path) {
  j_key(path);
  struct stat st;
  if (lstat(path, &st) < 0) {
    j_errno(errno);
    return;
  }
  j_open('{');
  char t[2] = {type_char(st.st_mode), 0};
  j_key("type"), j_str(t);
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    char rdev[32];
    snprintf(rdev, sizeof rdev, "%u:%u", major(st.st_rdev), minor(st.st_rdev));
    j_key("rdev"), j_str(rdev);
  }
  struct statfs sf;
  j_key("fsType");
  if (statfs(path, &sf) < 0) {
    j_errno(errno);
  } else {
    char hex[32];
    snprintf(hex, sizeof hex, "0x%lx", (unsigned long)sf.f_type);
    j_str(hex);
    j_key("flags");
    j_statfs_flags((unsigned long)sf.f_flags);
  }
  /* Open only: nothing is read from or written to the file (some, like /proc/sysrq-trigger, act on write). */
  int flags[2] = {O_RDONLY, O_WRONLY};
  const char *names[2] = {"read", "write"};
  for (int i = 0; i < 2; i++) {
    j_key(names[i]);
    int fd = open(path, flags[i] | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      j_errno(errno);
    } else {
      j_str("ok");
      close(fd);
    }
  }
  if (S_ISDIR(st.st_mode)) {
    size_t n;
    char **entries = probe_list_dir(path, &n);
    j_key("entries");
    if (entries) {
      j_num((long long)n);
      probe_free_list(entries, n);
    } else {
      j_errno(errno);
    }
  } else if (S_ISREG(st.st_mode)) {
    /* How many bytes a read gives (0 for a masked file bound to /dev/null); capped, /proc/kcore is huge. */
    j_key("bytes");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      j_errno(errno);
    } else {
      ssize_t got = read(fd, big, 4096);
      if (got < 0) j_errno(errno);
      else j_num(got);
      close(fd);
    }
  }
  j_close('}');
}

/* Every process this pid namespace's /proc shows: [{pid, cmdline}], sorted by pid. */
static void report_processes(void) {
  size_t n;
  char **names = j_key_list_dir("processes", "/proc", &n);
  if (!names) return;
  long *pids = calloc(n + 1, sizeof *pids);
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    char *end;
    long pid = strtol(names[i], &end, 10);
    if (*end == 0 && pid > 0) pids[count++] = pid;
  }
  for (size_t i = 1; i < count; i++) /* insertion sort: list_dir sorted them as strings */
    for (size_t j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
      long t = pids[j];
      pids[j] = pids[j - 1];
      pids[j - 1] = t;
    }
  j_open('[');
  for (size_t i = 0; i < count; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pids[i]);
    j_open('{');
    j_key("pid"), j_num(pids[i]);
    j_key("cmdline"), j_file_nul_list(path);
    j_close('}');
  }
  j_close(']');
  free(pids);
  probe_free_list(names, n);
}

/* Open descriptors other than stdio: {fd: link target}; a runtime must not leak its own into the container. */
static void report_fds(void) {
  size_t n;
  char **names = j_key_list_dir("fds", "/proc/self/fd", &n);
  if (!names) return;
  j_open('{');
  for (size_t i = 0; i < n; i++) {
    char path[512];
    int fd = atoi(names[i]);
    if (fd <= 2) continue;
    snprintf(path, sizeof path, "/proc/self/fd/%s", names[i]);
    char target[4096];
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0) continue; /* the directory fd list_dir had open, closed since */
    target[len] = 0;
    j_key(names[i]);
    j_str(target);
  }
  j_close('}');
  probe_free_list(names, n);
}

static void report_scheduling(void) {
  int persona = personality(0xffffffff);
  j_key("personality");
  if (persona < 0) {
    j_errno(errno);
  } else {
    char hex[32];
    snprintf(hex, sizeof hex, "0x%x", persona);
    j_str(hex);
  }
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  j_key("nice");
  if (errno) j_errno(errno);
  else j_num(nice);
  j_key("scheduler");
  int policy = sched_getscheduler(0);
  if (policy < 0) j_errno(errno);
  else j_num(policy);
  j_key("ioprio");
  long prio = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  if (prio < 0) j_errno(errno);
  else j_num(prio);
}

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

/*
 * --wait: SIGTERM, SIGINT and SIGHUP get a handler (explicit, so this works as PID 1 of a pid namespace) and are
 * blocked before the report is printed, so one sent as soon as the report is read is not lost; then wait.
 */
static sigset_t unblocked;

static void prepare_stop(void) {
  static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
  sigset_t block;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigemptyset(&block);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaddset(&block, sigs[i]);
    sigaction(sigs[i], &sa, NULL);
  }
  sigprocmask(SIG_BLOCK, &block, &unblocked);
}

static int wait_for_stop(void) {
  while (!stop_signal) sigsuspend(&unblocked);
  return 0;
}

int cmd_report(int argc, char **argv) {
  int wait = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--wait")) wait = 1;
    else if (i + 1 < argc && (!strcmp(argv[i], "--sysctl") || !strcmp(argv[i], "--path") || !strcmp(argv[i], "--file"))) i++;
    else {
      fprintf(stderr, "ct-probe: report: unknown or incomplete option %s\n", argv[i]);
      return 2;
    }
  }
  struct utsname u;
  char cwd[4096];
  status_len = read_file("/proc/self/status", status_text, sizeof status_text);
  if (wait) prepare_stop();
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  j_open('{');
  j_key("pid"), j_num(getpid());
  j_key("ppid"), j_num(getppid());
  report_ids();
  report_status();
  j_key("cwd");
  if (getcwd(cwd, sizeof cwd)) j_str(cwd);
  else j_errno(errno);
  j_key("hostname");
  if (uname(&u) < 0) j_errno(errno);
  else j_str(u.nodename);
  j_key("domainname");
  if (uname(&u) < 0) j_errno(errno);
  else j_str(u.domainname);
  j_key("env");
  j_open('[');
  for (char **e = environ; *e; e++) j_str(*e);
  j_close(']');
  j_key("oomScoreAdj"), j_file("/proc/self/oom_score_adj");
  report_scheduling();
  report_rlimits();
  report_namespaces();
  j_key("timensOffsets"), j_file_lines("/proc/self/timens_offsets");
  j_key("cgroup"), j_file_lines("/proc/self/cgroup");
  report_cgroup_files();
  j_key("mountinfo"), j_file_lines("/proc/self/mountinfo");
  j_key("devices");
  j_open('[');
  report_dev_tree("/dev", 0);
  j_close(']');
  j_key("sysctls");
  j_open('{');
  for (int i = 0; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--sysctl")) report_sysctl(argv[++i]);
  j_close('}');
  j_key("paths");
  j_open('{');
  for (int i = 0; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--path")) report_path(argv[++i]);
  j_close('}');
  j_key("files");
  j_open('{');
  for (int i = 0; i + 1 < argc; i++)
    if (!strcmp(argv[i], "--file")) j_key(argv[i + 1]), j_file(argv[i + 1]), i++;
  j_close('}');
  j_key("pid1Cmdline"), j_file_nul_list("/proc/1/cmdline");
  report_processes();
  report_fds();
  j_close('}');
  putchar('\n');
  fflush(stdout);
  return wait ? wait_for_stop() : 0;
}
