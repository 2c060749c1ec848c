/*
 * ct-probe hook-record FILE: what a hook received, as one JSON document written to FILE: its stdin (the state),
 * argv, environment and working directory. Prints nothing; exit 1 with the errno name when FILE cannot be made.
 * Man pages: read(2), open(2), dup2(2), getcwd(3), environ(7).
 */
#define _GNU_SOURCE
#include "json.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int cmd_hook_record(const char *file, char **argv) {
  ssize_t n = 0;
  for (;;) { /* stdin first: the runtime may wait for the hook to read it */
    ssize_t got = read(STDIN_FILENO, big + n, sizeof big - 1 - (size_t)n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || (size_t)(n + got) >= sizeof big - 1) break;
    n += got;
  }
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
    printf("%s\n", strerrorname_np(errno));
    return 1;
  }
  close(fd);
  char cwd[4096];
  j_open('{');
  j_key("stdin"), j_strn(big, (size_t)n);
  j_key("argv");
  j_open('[');
  for (int i = 0; argv[i]; i++) j_str(argv[i]);
  j_close(']');
  j_key("env");
  j_open('[');
  for (char **e = environ; *e; e++) j_str(*e);
  j_close(']');
  j_key("cwd");
  if (getcwd(cwd, sizeof cwd)) j_str(cwd);
  else j_errno(errno);
  j_close('}');
  putchar('\n');
  return fflush(stdout) == 0 ? 0 : 1;
}
