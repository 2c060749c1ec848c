/*
 * ct-exec-fifo: the program a created container runs until `ct start` (the create/start split of the OCI
 * lifecycle, as runc's "runc init" waits on exec.fifo).
 *
 *   ct-exec-fifo FD -- PROGRAM [ARG...]
 *
 * FD is an O_PATH descriptor of <state dir>/exec.fifo, passed by ct create. Opening /proc/self/fd/FD for writing
 * blocks until `ct start` opens the FIFO for reading; one "0" byte tells it the container started (runc's protocol).
 * Then the FIFO is closed and PROGRAM is exec'd, searched in the PATH of the environment (the container's).
 * ct create exec's this program with execveat on a descriptor the parent opened (@ct/syscalls `preopen`), so it
 * need not exist inside the container's root; it is static, so it needs nothing from that root either.
 *
 * Exit status when it cannot exec: 127 when PROGRAM is not found, 126 otherwise, 125 for a usage or FIFO error;
 * the message goes to stderr ("exec: PROGRAM: No such file or directory", the phrase engines match).
 *
 * Man pages: fifo(7), proc(5) (/proc/self/fd), execvp(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[2], "--") != 0) {
    fputs("usage: ct-exec-fifo FD -- PROGRAM [ARG...]\n", stderr);
    return 125;
  }
  char *end = NULL;
  long fd = strtol(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || fd < 3 || fd > 65535) {
    fprintf(stderr, "ct-exec-fifo: %s: not a descriptor\n", argv[1]);
    return 125;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
  int w;
  do w = open(path, O_WRONLY | O_CLOEXEC); while (w < 0 && errno == EINTR);
  if (w < 0) {
    fprintf(stderr, "ct-exec-fifo: open exec fifo: %s\n", strerror(errno));
    return 125;
  }
  ssize_t n;
  do n = write(w, "0", 1); while (n < 0 && errno == EINTR);
  if (n != 1) {
    fprintf(stderr, "ct-exec-fifo: write exec fifo: %s\n", strerror(errno));
    return 125;
  }
  close(w);
  close((int)fd);
  execvp(argv[3], argv + 3);
  int e = errno;
  fprintf(stderr, "exec: %s: %s\n", argv[3], strerror(e));
  return e == ENOENT ? 127 : 126;
}
