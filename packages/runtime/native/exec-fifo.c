/*
 * ct-exec-fifo: the program a created container runs until `ct start` (the create/start split of the OCI
 * lifecycle, as runc's "runc init" waits on exec.fifo).
 *
 *   ct-exec-fifo FD -- PROGRAM [ARG...]
 *
 * FD is <state dir>/exec.fifo opened read-write by ct create before the clone. ct-exec-fifo reads one byte from it:
 * being a writer of the FIFO too, its read blocks until `ct start` writes "0" rather than ending in an EOF, and
 * nothing needs a path to the FIFO inside the container (no /proc: runc reopens an O_PATH descriptor through
 * /proc/self/fd and so cannot start a container without /proc; crun reads a descriptor it was given, as here).
 * Then the FIFO is closed (start sees its reader gone) and PROGRAM is exec'd, searched in the PATH of the
 * environment (the container's). ct create exec's this program with execveat on a descriptor the parent opened
 * (@ct/syscalls `preopen`), so it need not exist inside the container's root; it is static, so it needs nothing
 * from that root either.
 *
 * Exit status when it cannot exec: 127 when PROGRAM is not found, 126 otherwise, 125 for a usage or FIFO error;
 * the message goes to stderr ("exec: PROGRAM: No such file or directory", the phrase engines match).
 *
 * Man pages: fifo(7), pipe(7) (a read blocks while a writer exists), execvp(3).
 */
#define _GNU_SOURCE
#include <errno.h>
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
  char byte;
  ssize_t n;
  do n = read((int)fd, &byte, 1); while (n < 0 && errno == EINTR);
  if (n != 1) {
    fprintf(stderr, "ct-exec-fifo: read exec fifo: %s\n", n == 0 ? "end of file" : strerror(errno));
    return 125;
  }
  close((int)fd);
  execvp(argv[3], argv + 3);
  int e = errno;
  fprintf(stderr, "exec: %s: %s\n", argv[3], strerror(e));
  return e == ENOENT ? 127 : 126;
}
