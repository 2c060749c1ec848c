/*
 * runstat: run one or more commands in sequence and print, for each, its wall time (CLOCK_MONOTONIC around
 * fork..wait4), its CPU time (user, system) and its peak RSS as wait4(2) reports them. wait4's rusage covers the
 * child and every descendant it waited for, so a runtime's own helpers (runc init, crun's child) are counted; a
 * container process left running by `create` is not, until the runtime that reaps it exits.
 *
 * Usage: runstat CMD [ARGS...] [--- CMD [ARGS...]]...
 * Output (stdout, one line per command): "<exit-status> <wall-ns> <user-us> <sys-us> <maxrss-kB>"; the sequence
 * stops at the first command that does not exit 0 (its line is still printed). The commands inherit stdin,
 * stdout and stderr, so the caller redirects them; runstat writes its lines to the file named by RUNSTAT_OUT
 * (opened close-on-exec, so no container can hold it open), or to stdout.
 *
 * Why not /usr/bin/time: its %U/%S have 10 ms resolution and it times one command; a create+start+state+delete
 * sequence is four, and a Node harness spawning each would add its own start-up jitter between them.
 *
 * Man pages: wait4(2), getrusage(2), clock_gettime(2), execvp(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_us(struct timeval tv) { return (long long)tv.tv_sec * 1000000LL + tv.tv_usec; }

int main(int argc, char **argv) {
  const char *out_path = getenv("RUNSTAT_OUT");
  FILE *out = out_path ? fopen(out_path, "we") : stdout;
  if (out == NULL) {
    perror("runstat: open RUNSTAT_OUT");
    return 125;
  }
  int i = 1;
  while (i < argc) {
    int end = i;
    while (end < argc && strcmp(argv[end], "---") != 0) end++;
    if (end == i) {
      fprintf(stderr, "runstat: empty command at argument %d\n", i);
      return 125;
    }
    argv[end < argc ? end : argc] = NULL;
    long long start = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
      perror("runstat: fork");
      return 125;
    }
    if (pid == 0) {
      execvp(argv[i], &argv[i]);
      fprintf(stderr, "runstat: exec %s: %s\n", argv[i], strerror(errno));
      _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
      if (errno != EINTR) {
        perror("runstat: wait4");
        return 125;
      }
    }
    long long wall = now_ns() - start;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(out, "%d %lld %lld %lld %ld\n", code, wall, tv_us(ru.ru_utime), tv_us(ru.ru_stime), ru.ru_maxrss);
    fflush(out);
    if (code != 0) return 0;
    i = end + 1;
  }
  return 0;
}
