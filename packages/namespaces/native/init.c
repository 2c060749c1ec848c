/*
 * ct-init: the container's PID 1 when `init: true` (Guix's child-is-pid1? #f, done as a separate static program
 * so the forked Node image is never what runs in the container).
 *
 * Usage: ct-init -- PROGRAM [ARG...]
 *        ct-init --noop   (exits 0: the exec that ends a short helper plan, e.g. the mount-locking helper)
 * It forks PROGRAM (searched in PATH), relays SIGINT SIGTERM SIGHUP SIGQUIT SIGUSR1 SIGUSR2 SIGWINCH to it
 * (PID 1 ignores default-action signals, so a plain `sleep` as PID 1 never sees a relayed SIGTERM), reaps every
 * orphan re-parented to it, and exits with PROGRAM's status: its exit code, or 128 + the signal that killed it.
 * An exec failure exits 127 (ENOENT) or 126 (other errors) after a one-line message on stderr.
 *
 * Man pages: fork(2), execvp(3), sigwaitinfo(2), waitpid(2), kill(2), sigprocmask(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int relayed[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
#define NRELAYED (sizeof relayed / sizeof relayed[0])

/* Never called: the signals are blocked and taken with sigwaitinfo. A handler must exist anyway, because the
   kernel drops a signal sent to a pid namespace's init when its disposition is SIG_DFL, blocked or not. */
static void noop(int sig) { (void)sig; }

static int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

int main(int argc, char **argv) {
  int first = 1;
  if (argc == 2 && strcmp(argv[1], "--noop") == 0) return 0;
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) {
    fputs("ct-init: usage: ct-init -- PROGRAM [ARG...]\n", stderr);
    return 2;
  }

  /* Block the relayed signals and SIGCHLD before the fork so none is lost; the child unblocks them (and execve
     resets the handlers to SIG_DFL). */
  sigset_t set, old;
  sigemptyset(&set);
  for (size_t i = 0; i < NRELAYED; i++) sigaddset(&set, relayed[i]);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, &old) != 0) {
    perror("ct-init: sigprocmask");
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = noop;
  for (size_t i = 0; i < NRELAYED; i++) sigaction(relayed[i], &sa, NULL);
  sigaction(SIGCHLD, &sa, NULL);

  pid_t child = fork();
  if (child < 0) {
    perror("ct-init: fork");
    return 1;
  }
  if (child == 0) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < NRELAYED; i++) sigaction(relayed[i], &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[first], argv + first);
    int err = errno;
    fprintf(stderr, "ct-init: exec %s: %s\n", argv[first], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("ct-init: sigwaitinfo");
      return 1;
    }
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    /* Reap everything that has exited: the command and any orphan re-parented to PID 1. */
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) return exit_status(status);
    }
  }
}
